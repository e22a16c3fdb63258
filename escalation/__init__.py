"""Escalation: handing conversations to staff (queues, claims, the console's rules) and,
from the question stream, spotting topics that spike."""
