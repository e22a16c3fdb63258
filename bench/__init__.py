"""Benchmarks: every figure in README.md comes from ``make bench`` (``python -m bench``)."""
