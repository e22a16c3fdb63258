"""``bot.known_words.KnownWordsGuard``: a small-talk intent needs a word of its own training examples.

Placed after DIET and Rasa's FallbackClassifier in ``config.yml`` (it judges their verdict; it
cannot declare them as required, since Rasa would then look for them in its training graph too).
At training it keeps, per small-talk intent, the words of that intent's examples as the pipeline's
tokenizer split them; on a message it turns such a prediction into ``nlu_fallback`` when the
message shares none of them
(:mod:`bot.vocabulary` says why and what counts as a word).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import vocabulary

log = logging.getLogger(__name__)
FILE = "known_words.json"


def _tokens(message: Message) -> list[str]:
    return [token.text for token in message.get(TOKENS_NAMES[TEXT]) or []]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KnownWordsGuard(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Part of Rasa's cache key for this component (its code is not): a new format retrains it.
        return {"format": vocabulary.FORMAT}

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, vocab: dict[str, list[str]] | None = None
    ) -> None:
        self._storage, self._resource = model_storage, resource
        self.vocab = {intent: frozenset(words) for intent, words in (vocab or {}).items()}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnownWordsGuard:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        vocab = vocabulary.vocabulary((ex.get(INTENT), _tokens(ex)) for ex in training_data.intent_examples)
        self.vocab = {intent: frozenset(words) for intent, words in vocab.items()}
        with self._storage.write_to(self._resource) as folder:
            (folder / FILE).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KnownWordsGuard:
        with model_storage.read_from(resource) as folder:
            vocab = json.loads((folder / FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, vocab)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            predicted = message.get(INTENT) or {}
            if vocabulary.unfounded(predicted.get(INTENT_NAME_KEY), _tokens(message), self.vocab):
                log.debug("no word of %r's examples in the message: nlu_fallback", predicted.get(INTENT_NAME_KEY))
                fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.data[INTENT] = fallback
                message.data[INTENT_RANKING_KEY] = [fallback, *(message.get(INTENT_RANKING_KEY) or [])]
        return messages
