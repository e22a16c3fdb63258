"""The strong baseline's MiniLM weights, converted for Rasa's TensorFlow, embed like FundDesk's PyTorch model."""

from __future__ import annotations

import pytest

from bench.baseline import builds, weights
from bot.tooling import rasa_model

pytestmark = pytest.mark.integration


@pytest.mark.skipif(
    not (rasa_model.rasa_venv() / "bin" / "python").exists(),
    reason=".venv-rasa is missing (make setup creates it): the TensorFlow side of the conversion runs there",
)
def test_converted_weights_give_the_same_mean_pooled_embeddings() -> None:
    converted = builds.strong_weights()  # converted once into var/baseline/, then reused
    assert (converted.folder / "tf_model.h5").is_file()
    assert converted.sentences == len(weights.CHECK_SENTENCES)
    assert converted.max_abs_diff <= weights.TOLERANCE
