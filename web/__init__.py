"""The Sanic web service: the investor widget and API (``python -m web``). See README."""

from __future__ import annotations

from web.app import create_app

__all__ = ["create_app"]
