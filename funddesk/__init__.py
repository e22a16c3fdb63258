"""Shared kernel of FundDesk: settings and the exception tree used by every service."""
