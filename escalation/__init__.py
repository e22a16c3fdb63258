"""Escalation, in three parts: ``staff`` (hand-offs, queues, accounts), ``spikes`` (surges in the
question stream become incidents) and ``analytics`` (what fund teams learn from the question log)."""
