"""The FastAPI application: one Engine, shared by every request.

Handlers read the body themselves (bounded by ``max_body``, strict JSON) and validate it
in two steps, so an invalid applicant is answered with the library's own diagnostics and
a list is measured before any applicant in it is read. Evaluation runs in the thread
pool: the event loop keeps answering ``/healthz`` while the engine works.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from fundrules.api import Engine
from fundrules.authoring import applicant_schema, decision_schema
from fundrules.diagnostics import Diagnostic
from fundrules.errors import ApplicantError, EngineError, FundrulesError
from fundrules.explain import Explanation, explain
from fundrules.io import strict_json
from fundrules.schema import Applicant, Decision, parse_applicant
from fundrules.serve._errors import Problem, envelope_problems, service_error
from fundrules.serve._log import DecisionLog
from fundrules.serve._models import (
    DecisionEnvelope,
    DecisionRequest,
    DecisionsResponse,
    ErrorBody,
    ExplanationEnvelope,
    ExplanationRequest,
    Health,
    PackDetail,
    PackSummary,
    pack_detail,
    pack_summary,
)
from fundrules.version import VERSION as __version__

__all__ = ["create_app"]

log = logging.getLogger("fundrules.serve")
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (413, 422, 500)}


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")




async def _read_json(request: Request, max_body: int) -> Any:
    """The body as JSON, refused past ``max_body`` bytes before it is all read."""
    too_large = Problem(413, [service_error(
        "request-too-large", f"the request body is larger than {max_body} bytes",
        hint="send fewer applicants per request")])
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_body:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise too_large
        chunks.append(chunk)
    try:
        return strict_json(b"".join(chunks))
    except json.JSONDecodeError as exc:
        raise Problem.of(422, [Diagnostic(
            "json-syntax", f"the body is not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]}",
            hint="send one JSON object", line=exc.lineno, column=exc.colno)]) from None
    except (ValueError, RecursionError) as exc:  # duplicate keys, NaN, not UTF-8, too deep
        raise Problem.of(422, [Diagnostic(
            "json-syntax", f"the body cannot be read: {str(exc)[:200] or 'too deep'}",
            hint="send one JSON object, UTF-8")]) from None


M = TypeVar("M", bound=BaseModel)


def _envelope(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise Problem(422, [service_error("request-invalid", "the body must be a JSON object",
                                          hint='send {"applicant": {...}}')])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Problem(422, envelope_problems(exc, model.model_fields)) from None


def _applicant(raw: Any, call: str | None, prefix: str) -> tuple[Applicant, Any]:
    """The validated applicant (with the request's ``call`` if it names none) and its input."""
    try:
        person = parse_applicant(raw)
    except ApplicantError as exc:
        raise Problem.of(422, exc.diagnostics, prefix) from None
    if call is not None and person.call is None:
        person = person.model_copy(update={"call": call})
        raw = {**raw, "call": call}
    return person, raw


class _Service:
    """The handlers' state: the engine, the limits, the log."""

    def __init__(self, engine: Engine, log_: DecisionLog | None, max_body: int,
                 max_items: int) -> None:
        self.engine, self.log, self.max_body, self.max_items = engine, log_, max_body, max_items

    def check_pack_and_call(self, pack: str | None, call: str | None) -> None:
        """Unknown ``pack`` or ``call`` ids are refused before any applicant is decided."""
        try:
            if pack is not None:
                loaded = self.engine.pack(pack)
                if call is not None:
                    loaded.compiled(call)
            elif call is not None and not any(
                    call in self.engine.pack(p).calls for p in self.engine.pack_ids):
                raise FundrulesError([Diagnostic(
                    "unknown-call", f"no pack has a call `{call}`", path="call",
                    hint="see GET /v1/packs for each pack's calls")])
        except FundrulesError as exc:
            raise Problem.of(422, exc.diagnostics) from None

    def decide(self, people: list[tuple[Applicant, Any]], pack: str | None,
               lang: str | None, many: bool) -> DecisionsResponse:
        """Every decision, or a Problem listing every applicant that could not be decided."""
        decisions: list[tuple[Decision, Any]] = []
        problems: list[dict[str, Any]] = []
        for i, (person, raw) in enumerate(people):
            try:
                found = ([self.engine.evaluate(person, pack, lang=lang)] if pack is not None
                         else self.engine.evaluate_all(person, lang=lang))
            except EngineError:
                raise
            except FundrulesError as exc:
                problems += Problem.of(422, exc.diagnostics,
                                       f"applicants[{i}]" if many else "applicant").errors
                continue
            decisions += [(d, raw) for d in found]
        if problems:
            raise Problem(422, problems)
        ids = None
        if self.log is not None:
            ids = [self.log.record(d, raw) for d, raw in decisions]
        return DecisionsResponse(decisions=[d for d, _ in decisions], decision_ids=ids)

    def explain(self, person: Applicant, raw: Any, pack: str, lang: str) -> Explanation:
        """The explanation (logged as a decision: it tells the applicant an outcome)."""
        try:
            found = explain(self.engine, person, pack, lang)
        except EngineError:
            raise
        except FundrulesError as exc:
            raise Problem.of(422, exc.diagnostics, "applicant") from None
        if self.log is not None:
            loaded = self.engine.pack(pack)
            self.log.record(Decision(pack=found.pack, pack_version=found.pack_version,
                                     pack_digest=loaded.digest, call=found.call,
                                     applicant=found.applicant, outcome=found.outcome,
                                     award=found.award), raw, answered="explanation")
        return found


def _guarded(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """Problems become their error bodies; anything else a one-line 500, logged."""
    @functools.wraps(handler)
    async def run(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except Problem as p:
            return JSONResponse({"errors": p.errors}, status_code=p.status)
        except EngineError as exc:  # a fundrules bug: say so, with the engine's diagnostics
            log.error("engine failure: %s", exc)
            return JSONResponse({"errors": [d.as_dict() for d in exc.diagnostics]},
                                status_code=500)
        except Exception:
            log.exception("unexpected failure")
            return JSONResponse({"errors": [service_error(
                "internal-error", "the service failed unexpectedly; the server log says why")]},
                status_code=500)
    return run


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The generated document, plus the request models that handlers read themselves."""
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for model in (DecisionRequest, ExplanationRequest):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas[model.__name__] = schema
        app.openapi_schema = doc
        return doc
    return build


def create_app(engine: Engine, *, decision_log: DecisionLog | None = None,
               max_body: int = 1 << 20, max_items: int = 1000) -> FastAPI:
    """The HTTP service over ``engine`` (see docs/serve.md)."""
    svc = _Service(engine, decision_log, max_body, max_items)
    app = FastAPI(title="fundrules", version=__version__,
                  description="Eligibility decisions of Covid relief funds (docs/serve.md).")

    @app.post("/v1/decisions", response_model=DecisionsResponse, responses=_ERRORS,
              openapi_extra=_body_doc(DecisionRequest))
    @_guarded
    async def decisions(request: Request) -> Response:
        """Decide one applicant or a list, against one pack or every pack."""
        data = await _read_json(request, svc.max_body)
        if isinstance(data, dict) and isinstance(data.get("applicants"), list) \
                and len(data["applicants"]) > svc.max_items:
            raise Problem(413, [service_error(
                "too-many-items", f"{len(data['applicants'])} applicants: at most "
                f"{svc.max_items} per request", hint="split the list", path="applicants")])
        body = _envelope(DecisionEnvelope, data)
        if (body.applicant is None) == (body.applicants is None):
            raise Problem(422, [service_error(
                "request-invalid", "give `applicant` (one) or `applicants` (a list), not "
                + ("both" if body.applicant is not None else "neither"),
                hint='send {"applicant": {...}} or {"applicants": [...]}')])
        svc.check_pack_and_call(body.pack, body.call)
        many = body.applicants is not None
        raws = body.applicants if body.applicants is not None else [body.applicant]
        people, problems = [], []
        for i, raw in enumerate(raws):
            try:
                people.append(_applicant(raw, body.call,
                                         f"applicants[{i}]" if many else "applicant"))
            except Problem as p:
                problems += p.errors
        if problems:
            raise Problem(422, problems)
        return _json(await run_in_threadpool(svc.decide, people, body.pack, body.lang, many))

    @app.post("/v1/explanations", response_model=Explanation, responses=_ERRORS,
              openapi_extra=_body_doc(ExplanationRequest))
    @_guarded
    async def explanations(request: Request) -> Response:
        """Explain one applicant's decision against one pack, criterion by criterion."""
        body = _envelope(ExplanationEnvelope, await _read_json(request, svc.max_body))
        svc.check_pack_and_call(body.pack, body.call)
        person, raw = _applicant(body.applicant, body.call, "applicant")
        return _json(await run_in_threadpool(svc.explain, person, raw, body.pack, body.lang))

    @app.get("/v1/packs", response_model=list[PackSummary])
    async def packs() -> list[PackSummary]:
        """Every loaded pack: id, version, digest, title, calls."""
        return [pack_summary(engine.pack(p)) for p in engine.pack_ids]

    @app.get("/v1/packs/{pack_id}", response_model=PackDetail,
             responses={404: {"model": ErrorBody}})
    @_guarded
    async def pack(pack_id: str) -> Response:
        """One pack: calls and windows, criteria with messages and cites, what it omits."""
        try:
            loaded = engine.pack(pack_id)
        except FundrulesError as exc:
            raise Problem.of(404, exc.diagnostics) from None
        return _json(pack_detail(loaded))

    @app.get("/v1/schema/applicant")
    async def schema_applicant() -> dict[str, Any]:
        """The JSON Schema of an applicant (as ``fundrules schema applicant``)."""
        return applicant_schema()

    @app.get("/v1/schema/decision")
    async def schema_decision() -> dict[str, Any]:
        """The JSON Schema of a decision (as ``fundrules schema decision``)."""
        return decision_schema()

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """Up, with the backend deciding and the packs loaded."""
        return Health(backend=engine.backend, packs=list(engine.pack_ids))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code,
                                                                 "request-invalid")
        return JSONResponse({"errors": [service_error(code, str(exc.detail))]},
                            status_code=exc.status_code, headers=exc.headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"errors": [service_error(
            "request-invalid", str(e.get("msg")), path=".".join(map(str, e.get("loc", ()))))
            for e in exc.errors()]}, status_code=422)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app
