"""``fundrules serve``: the engine over HTTP, for a fund's intake system in any language.

Needs the ``serve`` extra (``pip install 'fundrules[serve]'``): FastAPI and uvicorn are
imported only when :func:`create_app` is called, so the rest of fundrules never needs
them. Endpoints, errors, limits and the decision log: docs/serve.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fundrules.api import Engine
from fundrules.serve._log import DecisionLog
from fundrules.serve._workers import ServeOptions, app_from_environment, serve_workers

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DecisionLog", "ServeOptions", "app_from_environment", "create_app", "serve_workers"]


def create_app(engine: Engine, *, decision_log: DecisionLog | None = None,
               max_body: int = 1 << 20, max_items: int = 1000) -> FastAPI:
    """The ASGI application over ``engine``; ImportError without the ``serve`` extra."""
    from fundrules.serve._app import create_app as build

    return build(engine, decision_log=decision_log, max_body=max_body, max_items=max_items)

