"""Test doubles: stand-ins used by tests and benchmarks, never by the product."""
