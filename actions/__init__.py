"""FundDesk's custom Rasa actions: thin classes, one module per feature.

rasa-sdk's executor imports every submodule and registers each ``Action`` subclass, so a new
feature module needs no wiring. The logic they call lives in ``actions.replies``.
"""
