"""Serving from worker processes, so that packs are reloaded without the service growing.

durable_rules never frees a registered ruleset (about 0.5 MB per pack version and call),
so a long-running process that builds a new Engine over each edited pack grows with every
edit. ``fundrules serve --workers N`` runs the app in N worker processes under uvicorn's
supervisor instead: ``SIGHUP`` to the supervisor replaces each worker by a fresh process
that reads the pack files again (docs/serve.md, "Reloading packs"). A worker that cannot
start (an edited pack with an error) is not put in service: the old worker keeps serving.

A worker learns the service's options from one environment variable, since uvicorn
spawns it from an import string (:func:`app_from_environment`).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from fundrules.api import Engine
from fundrules.errors import FundrulesError
from fundrules.serve._log import DecisionLog

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ENVIRONMENT", "ServeOptions", "app_from_environment", "serve_workers"]

#: The environment variable that carries :class:`ServeOptions` to the workers (JSON).
ENVIRONMENT = "FUNDRULES_SERVE_OPTIONS"


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """What each worker needs to build its Engine and app (paths made absolute)."""

    packs: tuple[str, ...] = ()
    backend: str = "durable"
    decision_log: str | None = None
    log_inputs: bool = False
    max_body: int = 1 << 20
    max_items: int = 1000

    def engine(self) -> Engine:
        """An Engine over the pack files as they are now: built-in packs plus ``packs``."""
        backend: Any = self.backend
        if self.packs:
            return Engine.from_paths(*self.packs, backend=backend, include_builtin=True)
        return Engine(backend=backend)


def app_from_environment() -> FastAPI:
    """The app of one worker, built from :data:`ENVIRONMENT` (uvicorn's app factory)."""
    from fundrules.serve._app import create_app  # FastAPI only in the workers

    raw = os.environ.get(ENVIRONMENT)
    if raw is None:
        raise RuntimeError(f"{ENVIRONMENT} is not set: start workers with `fundrules serve "
                           "--workers N`")
    data = json.loads(raw)
    options = ServeOptions(**{**data, "packs": tuple(data.get("packs", ()))})
    try:
        engine = options.engine()
    except FundrulesError as exc:  # an edited pack with an error: this worker never serves
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        print("fundrules serve: the packs have errors; this worker does not start (the "
              "running workers keep serving)", file=sys.stderr)
        raise SystemExit(3) from None
    log = DecisionLog(options.decision_log, log_inputs=options.log_inputs) \
        if options.decision_log else None
    return create_app(engine, decision_log=log, max_body=options.max_body,
                      max_items=options.max_items)


def serve_workers(options: ServeOptions, *, host: str, port: int, workers: int) -> None:
    """Serve with ``workers`` processes until SIGINT/SIGTERM; SIGHUP replaces them all."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    absolute = dataclasses.replace(
        options, packs=tuple(os.path.abspath(p) for p in options.packs),
        decision_log=os.path.abspath(options.decision_log) if options.decision_log else None)
    os.environ[ENVIRONMENT] = json.dumps(dataclasses.asdict(absolute))
    config = uvicorn.Config("fundrules.serve:app_from_environment", factory=True, host=host,
                            port=port, workers=workers, log_level="info")
    sock = config.bind_socket()
    extra: dict[str, Any] = {}
    if "target" in inspect.signature(Multiprocess).parameters:  # older uvicorn runs `target`
        extra["target"] = uvicorn.Server(config).run
    try:
        Multiprocess(config, sockets=[sock], **extra).run()
    finally:
        sock.close()
