"""The Rasa-native baseline: a FundDesk knowledge base written as a Rasa FAQ project, trained once per input."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.baseline import project as baseline
from bench.baseline import training
from bench.baseline.serving import parse_of
from bench.baseline.tf_export import pt_name
from bot.tooling import rasa_model
from knowledge_base.entries import Entry
from knowledge_base.lint import parse_tree
from tests.conftest import PROJECT, WriteFaq

EN = """
    ---
    lang: en
    ---
    ## How long until redemption money arrives? {#redemption-arrival}
    - when do I get my money
    - redemption proceeds timing

    Usually **T+3**.

    Fund-by-fund details are in the prospectus.

    ## What is the cut-off time? {#cut-off}

    15:00 on trading days.
"""
ZH = """
    ---
    lang: zh
    ---
    ## 赎回的钱多久到账？ {#zh-redemption-arrival}
    - 卖了基金钱还没到

    一般T+3到账。
"""


@pytest.fixture
def entries(write_faq: WriteFaq, faq_dir: Path) -> list[Entry]:
    write_faq("en/redemption.md", EN)
    write_faq("zh/redemption.md", ZH)
    return [e for parsed in parse_tree(faq_dir) for e in parsed.entries]


def documents(folder: Path) -> dict[str, Any]:
    return {p.relative_to(folder).as_posix(): yaml.safe_load(p.read_text()) for p in folder.rglob("*.yml")}


def test_every_entry_becomes_one_retrieval_intent_with_its_phrasings(entries: list[Entry]) -> None:
    nlu = baseline.generate("tiny", entries).documents["data/nlu.yml"]["nlu"]
    faq = {block["intent"]: block["examples"] for block in nlu if block["intent"].startswith("faq/")}
    assert sorted(faq) == ["faq/cut-off", "faq/redemption-arrival", "faq/zh-redemption-arrival"]
    assert faq["faq/redemption-arrival"] == (
        "- How long until redemption money arrives?\n- when do I get my money\n- redemption proceeds timing\n"
    )


def test_every_answer_becomes_an_utter_faq_response(entries: list[Entry]) -> None:
    responses = baseline.generate("tiny", entries).documents["domain.yml"]["responses"]
    assert responses["utter_faq/redemption-arrival"] == [
        {"text": "Usually **T+3**.\n\nFund-by-fund details are in the prospectus."}
    ]
    assert responses["utter_faq/zh-redemption-arrival"] == [{"text": "一般T+3到账。"}]


def test_rules_answer_faqs_and_ask_to_rephrase_on_nlu_fallback(entries: list[Entry]) -> None:
    rules = baseline.generate("tiny", entries).documents["data/rules.yml"]["rules"]
    steps = {(r["steps"][0]["intent"], r["steps"][1]["action"]) for r in rules}
    assert {("faq", "utter_faq"), ("nlu_fallback", "utter_please_rephrase")} <= steps


def test_written_files_are_valid_yaml_with_what_was_generated(entries: list[Entry], tmp_path: Path) -> None:
    project = baseline.generate("tiny", entries)
    folder = project.write(tmp_path / "rasa")
    assert documents(folder) == project.documents
    assert set(documents(folder)) == {"config.yml", "domain.yml", "credentials.yml", "data/nlu.yml", "data/rules.yml"}


def test_a_knowledge_base_with_chinese_entries_is_tokenized_by_jieba(entries: list[Entry]) -> None:
    config = baseline.generate("tiny", entries).documents["config.yml"]
    assert config["language"] == "zh"
    assert config["pipeline"][0] == {"name": "JiebaTokenizer"}


def test_an_english_knowledge_base_is_tokenized_on_whitespace(entries: list[Entry]) -> None:
    config = baseline.generate("tiny", [e for e in entries if e.lang == "en"]).documents["config.yml"]
    assert (config["language"], config["pipeline"][0]["name"]) == ("en", "WhitespaceTokenizer")


def test_recommended_pipeline_selects_responses_and_falls_back_at_rasas_default(entries: list[Entry]) -> None:
    pipeline = baseline.generate("tiny", entries).documents["config.yml"]["pipeline"]
    names = [step["name"] for step in pipeline]
    assert names[-3:] == ["EntitySynonymMapper", "ResponseSelector", "FallbackClassifier"]
    assert pipeline[-1]["threshold"] == 0.3
    assert "LanguageModelFeaturizer" not in names


def test_strong_pipeline_gives_the_language_model_local_weights(entries: list[Entry], tmp_path: Path) -> None:
    pipeline = baseline.generate("tiny", entries, "strong", lm_weights=tmp_path).documents["config.yml"]["pipeline"]
    assert pipeline[1] == {"name": "LanguageModelFeaturizer", "model_name": "bert", "model_weights": str(tmp_path)}


def test_strong_pipeline_on_chinese_tokenizes_with_jieba_minus_the_spaces_the_language_model_drops(
    entries: list[Entry], tmp_path: Path
) -> None:
    pipeline = baseline.generate("tiny", entries, "strong", lm_weights=tmp_path).documents["config.yml"]["pipeline"]
    assert pipeline[0] == {"name": "jieba_words.JiebaWordsTokenizer"}
    component = PROJECT / "bench" / "baseline" / "rasa_components" / "jieba_words.py"
    assert "class JiebaWordsTokenizer(JiebaTokenizer)" in component.read_text(encoding="utf-8")


def test_strong_pipeline_without_weights_is_refused(entries: list[Entry]) -> None:
    with pytest.raises(ValueError, match="lm_weights"):
        baseline.generate("tiny", entries, "strong")


def test_the_digest_changes_when_an_answer_changes(entries: list[Entry]) -> None:
    edited = [replace(e, answer="T+2 now.") if e.id == "cut-off" else e for e in entries]
    assert baseline.generate("tiny", entries).digest() != baseline.generate("tiny", edited).digest()


FAKE_RASA = f"""#!{sys.executable}
import pathlib, sys
args = sys.argv[1:]
out, name = args[args.index("--out") + 1], args[args.index("--fixed-model-name") + 1]
pathlib.Path(out, name + ".tar.gz").write_text("model")
with open(pathlib.Path(__file__).with_name("runs.txt"), "a") as runs:
    runs.write(name + "\\n")
"""


def test_training_runs_once_per_distinct_project(
    entries: list[Entry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rasa = tmp_path / "bin" / "rasa"
    rasa.parent.mkdir()
    rasa.write_text(FAKE_RASA)
    rasa.chmod(0o755)
    monkeypatch.setattr(rasa_model, "rasa_executable", lambda: rasa)  # the module training calls it through
    project = baseline.generate("tiny", entries)
    first = training.train(project, tmp_path / "work")
    again = training.train(project, tmp_path / "work")
    assert (first.cached, again.cached, again.path) == (False, True, first.path)
    training.train(baseline.generate("tiny", entries[:1]), tmp_path / "work")
    assert len((tmp_path / "bin" / "runs.txt").read_text().split()) == 2


def test_a_parse_names_the_response_selectors_entry() -> None:
    body = {
        "intent": {"name": "faq", "confidence": 0.91},
        "response_selector": {"default": {"response": {"intent_response_key": "faq/cut-off"}}},
    }
    parse = parse_of(body)
    assert (parse.entry_id, parse.answers) == ("cut-off", True)
    assert not parse_of({**body, "intent": {"name": "nlu_fallback", "confidence": 0.3}}).answers


def test_tensorflow_variable_names_map_to_pytorch_names() -> None:
    assert pt_name("tf_bert_model/bert/encoder/layer_._3/attention/self/query/kernel:0") == (
        "bert.encoder.layer.3.attention.self.query.weight",
        True,
    )
    assert pt_name("tf_bert_model/bert/embeddings/LayerNorm/gamma:0") == ("bert.embeddings.LayerNorm.weight", False)
    assert pt_name("tf_bert_model/bert/embeddings/position_embeddings/embeddings:0")[0] == (
        "bert.embeddings.position_embeddings.weight"
    )
