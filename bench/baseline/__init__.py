"""The Rasa-native FAQ bot FundDesk is measured against, built from the same knowledge base.

A Rasa user answers FAQs with one retrieval intent (``faq/<entry id>``) per entry, the answers
as ``utter_faq/<entry id>`` responses in the domain, a rule ``faq → utter_faq`` and a
ResponseSelector, and retrains on every edit. :mod:`bench.baseline.project` writes that project,
:mod:`bench.baseline.training` trains it in ``.venv-rasa`` (cached by a hash of its inputs),
:mod:`bench.baseline.serving` runs and asks it, and :mod:`bench.baseline.weights` gives the
"strong" variant the same all-MiniLM-L6-v2 weights FundDesk uses, converted for TensorFlow.
"""

from __future__ import annotations

from bench.baseline.project import VARIANTS, RasaProject, generate
from bench.baseline.serving import Parse, RasaServer
from bench.baseline.training import TrainedModel, train

__all__ = ["VARIANTS", "Parse", "RasaProject", "RasaServer", "TrainedModel", "generate", "train"]
