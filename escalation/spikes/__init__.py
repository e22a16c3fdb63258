"""Spikes: cluster the question stream, detect surges, open and publish incidents, replay CSVs."""
