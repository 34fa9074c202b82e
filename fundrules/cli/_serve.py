"""``fundrules serve``: the HTTP service (docs/serve.md), on FastAPI and uvicorn.

The engine is built before the server starts, so a pack error stops it at once with
its located diagnostics (exit 2) instead of failing the first request.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

from fundrules.cli._common import (
    ExitCode,
    add_engine_options,
    engine_from,
    print_diagnostics,
    whole_number,
)
from fundrules.errors import FundrulesError

__all__ = ["add_parser"]




def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("serve", help="answer decisions over HTTP (needs the serve extra)",
                       description="Serve POST /v1/decisions, POST /v1/explanations, "
                       "GET /v1/packs, /v1/schema/*, /healthz and /openapi.json "
                       "(docs/serve.md). Exit 2 on a pack error or a missing extra.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--decision-log", metavar="FILE.jsonl", default=None,
                   help="append one JSON line per decision to this file")
    p.add_argument("--log-inputs", action="store_true",
                   help="also write each applicant's input in the decision log")
    p.add_argument("--max-body", type=whole_number(1), default=1 << 20, metavar="BYTES",
                   help="largest request body accepted (default: 1 MiB); larger: 413")
    p.add_argument("--max-items", type=whole_number(1), default=1000, metavar="N",
                   help="most applicants in one request (default: 1000); more: 413")
    p.add_argument("--workers", type=whole_number(1), default=None, metavar="N",
                   help="serve from N worker processes; SIGHUP to this process replaces "
                   "them with fresh ones that read the packs again (reload without "
                   "growing, docs/serve.md)")
    add_engine_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the engine, then serve until interrupted."""
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"fundrules serve needs {' and '.join(missing)}: pip install 'fundrules[serve]'",
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    import uvicorn

    from fundrules.serve import DecisionLog, create_app

    try:
        engine = engine_from(args)
    except FundrulesError as exc:
        print_diagnostics(exc.diagnostics)
        return ExitCode.BAD_INPUT
    try:
        log = DecisionLog(args.decision_log, log_inputs=args.log_inputs) \
            if args.decision_log else None
    except OSError as exc:
        print(f"fundrules serve: cannot open the decision log: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    if args.workers is not None:  # the packs are checked above; each worker reads them
        from fundrules.serve import ServeOptions, serve_workers

        del engine
        if log is not None:
            log.close()
        serve_workers(ServeOptions(packs=tuple(args.packs), backend=args.backend,
                                   decision_log=args.decision_log, log_inputs=args.log_inputs,
                                   max_body=args.max_body, max_items=args.max_items),
                      host=args.host, port=args.port, workers=args.workers)
        return ExitCode.OK
    app = create_app(engine, decision_log=log, max_body=args.max_body,
                     max_items=args.max_items)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        if log is not None:
            log.close()
    return ExitCode.OK
