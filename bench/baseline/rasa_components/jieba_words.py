"""JiebaTokenizer without whitespace tokens: what makes LanguageModelFeaturizer usable after it.

Runs inside ``.venv-rasa`` only (it subclasses Rasa's tokenizer), from the strong baseline's
package folder (:mod:`bench.baseline.lm_overlay`). Rasa 3.6's JiebaTokenizer keeps the spaces of
mixed Chinese/English text as tokens; LanguageModelFeaturizer drops tokens that have no word
pieces, so its sequence comes out shorter than the sparse featurizers' and DIETClassifier fails
("All dimensions except 2 must match", RasaHQ/rasa#10578, still open). Rasa users work around
it with a tokenizer like this one (RasaHQ/rasa#7910).
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class JiebaWordsTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]
