"""Write a FundDesk knowledge base as the Rasa 3.6 FAQ project a Rasa user would build from it.

Every entry becomes the retrieval intent ``faq/<entry id>`` (its phrasings are the NLU
examples) and the response ``utter_faq/<entry id>`` (its answer). A rule sends ``faq`` to
``utter_faq`` and ``nlu_fallback`` to a rephrase prompt. ``greet`` and ``goodbye`` are there
because every Rasa starter bot has them and DIETClassifier needs at least two intents.

Two pipelines (:data:`VARIANTS`): ``recommended`` is Rasa's documented default NLU pipeline with
an FAQ ResponseSelector; ``strong`` adds LanguageModelFeaturizer with the all-MiniLM-L6-v2
weights FundDesk embeds with. A knowledge base with Chinese entries uses JiebaTokenizer (as the
Rasa docs advise for Chinese; it splits English on spaces too), otherwise WhitespaceTokenizer;
the strong variant's Jieba drops whitespace tokens (:data:`JIEBA_FOR_LM`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.entries import Entry

VARIANTS = ("recommended", "strong")
RASA_FORMAT = "3.1"
FALLBACK_THRESHOLD = 0.3  # Rasa's documented default for FallbackClassifier
EPOCHS = 100  # the recommended pipeline's epochs for DIETClassifier and ResponseSelector
SEED = 42

_STARTER: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "greet": ("hi", "hello", "hey", "good morning", "good evening", "hey there"),
        "goodbye": ("bye", "goodbye", "see you later", "have a nice day", "that's all, thanks"),
    },
    "zh": {
        "greet": ("你好", "您好", "早上好", "晚上好", "在吗"),
        "goodbye": ("再见", "拜拜", "没有别的问题了", "好的谢谢再见"),
    },
}
_REPLIES = {
    "utter_greet": "Hello! Ask me anything about your fund account. 您好！",
    "utter_goodbye": "Goodbye! 再见！",
    "utter_please_rephrase": "Sorry, I didn't get that. Could you rephrase? 抱歉，请换个说法。",
}


@dataclass(frozen=True)
class RasaProject:
    """A generated Rasa project: its files as YAML documents, keyed by their relative path."""

    name: str
    variant: str
    language: str
    documents: dict[str, dict[str, Any]]

    def files(self) -> dict[str, str]:
        return {path: _dump(document) for path, document in sorted(self.documents.items())}

    def digest(self) -> str:
        """Content hash of every file (paths included): the training cache key."""
        sha = hashlib.sha256()
        for path, text in self.files().items():
            sha.update(f"{path}\0{text}\0".encode())
        return sha.hexdigest()[:16]

    def write(self, folder: Path) -> Path:
        """Write the project into ``folder`` (files it did not generate are left alone)."""
        for path, text in self.files().items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return folder


def generate(
    name: str, entries: Sequence[Entry], variant: str = "recommended", *, lm_weights: Path | None = None
) -> RasaProject:
    """The Rasa project for ``entries``; ``strong`` needs ``lm_weights``, a TF BERT model folder."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} (one of {', '.join(VARIANTS)})")
    if variant == "strong" and lm_weights is None:
        raise ValueError("the strong variant needs lm_weights (a folder with tf_model.h5)")
    langs = sorted({e.lang for e in entries} | {"en"})
    language = "zh" if "zh" in langs else "en"
    documents = {
        "config.yml": config(language, variant, lm_weights),
        "domain.yml": domain(entries),
        "data/nlu.yml": nlu(entries, langs),
        "data/rules.yml": rules(),
        "credentials.yml": {"rest": None},
    }
    return RasaProject(name, variant, language, documents)


# Rasa's JiebaTokenizer breaks LanguageModelFeaturizer on mixed Chinese/English text (RasaHQ/rasa#10578);
# the strong variant uses the usual workaround, a Jieba tokenizer that drops whitespace tokens.
JIEBA_FOR_LM = "jieba_words.JiebaWordsTokenizer"  # bench/baseline/rasa_components/jieba_words.py


def pipeline(language: str, variant: str, lm_weights: Path | None = None) -> list[dict[str, Any]]:
    jieba = JIEBA_FOR_LM if variant == "strong" else "JiebaTokenizer"
    tokenizer = jieba if language == "zh" else "WhitespaceTokenizer"
    language_model = [{"name": "LanguageModelFeaturizer", "model_name": "bert", "model_weights": str(lm_weights)}]
    return [
        {"name": tokenizer},
        *(language_model if variant == "strong" else []),
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": EPOCHS, "constrain_similarities": True, "random_seed": SEED},
        {"name": "EntitySynonymMapper"},
        {"name": "ResponseSelector", "epochs": EPOCHS, "constrain_similarities": True, "random_seed": SEED},
        {"name": "FallbackClassifier", "threshold": FALLBACK_THRESHOLD, "ambiguity_threshold": 0.1},
    ]


def config(language: str, variant: str, lm_weights: Path | None = None) -> dict[str, Any]:
    return {
        "recipe": "default.v1",
        "assistant_id": "faq-baseline",
        "language": language,
        "pipeline": pipeline(language, variant, lm_weights),
        "policies": [{"name": "RulePolicy"}],  # an FAQ bot is rule-shaped: no TED/memoization needed
    }


def domain(entries: Sequence[Entry]) -> dict[str, Any]:
    responses: dict[str, list[dict[str, str]]] = {k: [{"text": v}] for k, v in _REPLIES.items()}
    responses.update({f"utter_faq/{e.id}": [{"text": e.answer}] for e in entries})
    return {
        "version": RASA_FORMAT,
        "intents": ["greet", "goodbye", "faq"],
        "responses": responses,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }


def nlu(entries: Sequence[Entry], langs: Sequence[str]) -> dict[str, Any]:
    starter = [
        {"intent": intent, "examples": _examples(e for lang in langs for e in _STARTER[lang][intent])}
        for intent in ("greet", "goodbye")
    ]
    faq = [{"intent": f"faq/{e.id}", "examples": _examples(e.phrasings)} for e in entries]
    return {"version": RASA_FORMAT, "nlu": starter + faq}


def rules() -> dict[str, Any]:
    def rule(name: str, intent: str, action: str) -> dict[str, Any]:
        return {"rule": name, "steps": [{"intent": intent}, {"action": action}]}

    return {
        "version": RASA_FORMAT,
        "rules": [
            rule("answer every FAQ", "faq", "utter_faq"),
            rule("say hello", "greet", "utter_greet"),
            rule("say goodbye", "goodbye", "utter_goodbye"),
            rule("ask to rephrase when NLU is unsure", "nlu_fallback", "utter_please_rephrase"),
        ],
    }


def _examples(texts: Any) -> str:
    """Rasa's block format; ``[`` and ``(`` would start entity annotations, so they are escaped away."""
    seen = dict.fromkeys(" ".join(t.replace("[", "(").replace("]", ")").split()) for t in texts)
    return "".join(f"- {text}\n" for text in seen if text)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (answers, example blocks) as literal ``|`` blocks, as Rasa projects write them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(c in value for c in "\t\r") and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
