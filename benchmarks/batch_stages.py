"""Where one input of ``fundrules batch`` spends its time, against OpenFisca's reading.

Usage: python benchmarks/batch_stages.py [--n 5000] [--passes 5]

A French population from ``fundrules synth --seed 1 --country FR`` is put through the
stages of one batch input, each timed alone over the same lines (the stages alternate
within each of ``--passes`` passes; the best pass of each, microseconds per applicant):
the strict JSON read (``strict_json``: no repeated key, no NaN), validation
(``parse_applicant`` from the parsed mapping), the decision (``Engine.evaluate``, python
backend, French pack) and its record (``Decision.model_dump_json``). Beside them, what an
OpenFisca user pays per applicant before the vectorised formulas (``json.loads`` and
``fr_baselines.flatten_fr``), and a floor for any path that builds one pydantic object
per applicant: the applicant schema's own models rebuilt without their Python validators
(fields, constraints and config kept, made strict: fewer checks than the real schema),
validated from the JSON text. The population is written to a temporary folder and
removed. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import functools
import json
import operator
import os
import subprocess
import sys
import tempfile
import time
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fr_baselines import flatten_fr

from fundrules import Engine
from fundrules.io._applicants import strict_json
from fundrules.schema import Applicant, parse_applicant

__all__ = ["main"]

FR = "fr-netflix-audiens"


_DROPPED = ("BeforeValidator", "AfterValidator", "WrapValidator", "PlainValidator",
            "WithJsonSchema")


def _bare(annotation: Any, shapes: dict[type, type]) -> Any:
    """An annotation with its Python validators dropped, its models replaced by shapes."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _shape(annotation, shapes)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        kept = [m for m in annotation.__metadata__ if type(m).__name__ not in _DROPPED]
        inner = _bare(args[0], shapes)
        return typing.Annotated[(inner, *kept)] if kept else inner
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, [_bare(a, shapes) for a in args])
    if origin is tuple:
        return tuple.__class_getitem__(tuple(a if a is Ellipsis else _bare(a, shapes)
                                             for a in args))
    return annotation  # a plain type, a Literal, a dict


def _shape(model: type[BaseModel], shapes: dict[type, type]) -> type[BaseModel]:
    """``model``'s fields, constraints and config (made strict), without its validators.

    Derived from the applicant schema itself, so the floor stays the schema's shape.
    """
    if model not in shapes:
        fields: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            kept = [m for m in field.metadata if type(m).__name__ not in _DROPPED]
            annotation = _bare(field.annotation, shapes)
            if kept:
                annotation = typing.Annotated[(annotation, *kept)]
            fields[name] = (annotation, ... if field.is_required() else field.default)
        shapes[model] = create_model(
            f"{model.__name__}Shape",
            __config__=ConfigDict(**model.model_config, strict=True), **fields)
    return shapes[model]


def _rounds(stages: Sequence[tuple[Callable[[Any], Any], Sequence[Any]]], passes: int
            ) -> list[float]:
    """Each stage's best pass, µs per item.

    The stages alternate within every pass: a busy moment of the machine falls on all alike.
    """
    best = [float("inf")] * len(stages)
    for _ in range(passes):
        for i, (fn, items) in enumerate(stages):
            start = time.perf_counter()
            for x in items:
                fn(x)
            best[i] = min(best[i], (time.perf_counter() - start) / len(items) * 1e6)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="French applicants (default 5000)")
    ap.add_argument("--passes", type=int, default=5, help="passes per stage (best kept)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fr.jsonl"
        subprocess.run([sys.executable, "-m", "fundrules", "synth", "--n", str(args.n),
                        "--seed", "1", "--country", "FR", "--out", str(path)],
                       check=True, capture_output=True)
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    engine = Engine(backend="python")
    print(f"{len(lines):,} French applicants (`fundrules synth --seed 1 --country FR`), "
          f"µs per applicant, best of {args.passes} passes; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    mappings = [strict_json(line) for line in lines]
    applicants = [parse_applicant(m) for m in mappings]
    decisions = [engine.evaluate(a, pack=FR) for a in applicants]
    plain = [json.loads(line) for line in lines]
    shape = _shape(Applicant, {})
    for line in lines:  # the floor reads every line the schema accepts
        shape.model_validate_json(line)
    read, validate, decide, record, loads, flatten, floor = _rounds([
        (strict_json, lines), (parse_applicant, mappings),
        (lambda a: engine.evaluate(a, pack=FR), applicants),
        (lambda d: d.model_dump_json(), decisions), (json.loads, lines),
        (flatten_fr, plain), (shape.model_validate_json, lines)], args.passes)
    rows = [
        ("fundrules: strict JSON read (`strict_json`)", read),
        ("fundrules: validation (`parse_applicant`, from the mapping)", validate),
        ("fundrules: decision (`Engine.evaluate`, python backend)", decide),
        ("fundrules: record (`Decision.model_dump_json`)", record),
        ("fundrules: the four stages", read + validate + decide + record),
        ("OpenFisca user: `json.loads`", loads),
        ("OpenFisca user: `flatten_fr` (lists reduced to figures)", flatten),
        ("OpenFisca user: both, before the vectorised formulas", loads + flatten),
        ("floor of one pydantic object per applicant: the schema's shape in "
         "pydantic-core types only, from the JSON text", floor),
    ]
    print("| stage | µs per applicant |\n|---|---:|")
    for label, micros in rows:
        print(f"| {label} | {micros:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
