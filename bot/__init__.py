"""The Rasa project (config at the repo root, domain and data here) and the tooling that builds it."""
