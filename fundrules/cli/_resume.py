"""``fundrules batch --resume``: check the records already written, skip their inputs.

The records of an interrupted batch (``FILE.partial``, else ``FILE``) are read back and
checked against this run before anything is written: each is a record of the batch format,
the packs come in the order of the ``--pack`` options, every decision was made by the same
pack (same digest), and the inputs they name are INPUT's first inputs, in order (same line
or file; same applicant id). A last line cut short, and the records of an input whose
records were not all written, are dropped: that input is decided again. Anything else
is refused with the file and line of the first record that does not fit.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from fundrules.io import Input, strict_json
from fundrules.policies.pack import Pack

__all__ = ["Done", "ResumeError", "read_done", "skip_done"]

_OUTCOMES = frozenset({"eligible", "ineligible", "incomplete"})


class ResumeError(Exception):
    """The records cannot be continued by this run: ``str(exc)`` says where and why."""


@dataclasses.dataclass(frozen=True, slots=True)
class Done:
    """The records of one input already written: where it was, its id, its outcomes."""

    where: str
    at: int | str
    applicant: str | None
    outcomes: tuple[str, ...]  # per pack: eligible, ineligible, incomplete or error


def _check(record: Any, pack: Pack) -> tuple[str, int | str, str | None, str]:
    """(where, at, applicant id, outcome) of one record, or a ValueError saying why not."""
    if not isinstance(record, dict):
        raise ValueError("it is not a JSON object")
    where = "line" if "line" in record else "file" if "file" in record else None
    if where is None:
        raise ValueError("it has no `line` or `file`")
    body = "decision" if "decision" in record else "error" if "error" in record else None
    if body is None or set(record) != {where, "pack", body}:
        raise ValueError(f"its keys {sorted(record)} are not those of a batch record")
    at = record[where]
    if isinstance(at, bool) or not isinstance(at, int if where == "line" else str):
        raise ValueError(f"its `{where}` is {at!r}")
    if record["pack"] != pack.id:
        raise ValueError(f"it is for pack `{record['pack']}` where `{pack.id}` comes (the "
                         "packs must be given in the same order)")
    if body == "error":
        if not isinstance(record["error"], dict) or "diagnostics" not in record["error"]:
            raise ValueError("its `error` has no `diagnostics`")
        return where, at, None, "error"
    decision = record["decision"]
    if not isinstance(decision, dict) or decision.get("outcome") not in _OUTCOMES:
        raise ValueError("its `decision` has no outcome")
    if decision.get("pack_digest") != pack.digest:
        raise ValueError(f"it was decided by another version of `{pack.id}` (sha256 "
                         f"{str(decision.get('pack_digest'))[:12]}, now {pack.digest[:12]})")
    applicant = decision.get("applicant")
    return where, at, applicant if isinstance(applicant, str) else None, decision["outcome"]


def read_done(fh: BinaryIO, name: str, packs: Sequence[Pack]) -> tuple[list[Done], int]:
    """The inputs already decided in ``fh`` and the bytes their records take.

    Raises :class:`ResumeError` naming ``name`` and the line of the first bad record.
    """
    done: list[Done] = []
    valid = offset = 0
    group: list[tuple[str, int | str, str | None, str]] = []
    for number, raw in enumerate(iter(fh.readline, b""), 1):
        if not raw.endswith(b"\n"):
            break  # cut short by the interruption: decided again
        offset += len(raw)
        try:
            where, at, applicant, outcome = _check(json.loads(raw), packs[len(group)])
            if group and (where, at) != group[0][:2]:
                raise ValueError(f"it is for {where} {at!r} where the records of "
                                 f"{group[0][0]} {group[0][1]!r} go on")
            if not group and done and where == "line" and isinstance(done[-1].at, int) \
                    and isinstance(at, int) and at <= done[-1].at:
                raise ValueError(f"line {at} comes after line {done[-1].at}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ResumeError(f"{name}:{number}: this record cannot be continued: {exc}"
                              ) from None
        group.append((where, at, applicant, outcome))
        if len(group) == len(packs):
            ids = {g[2] for g in group if g[2] is not None}
            if len(ids) > 1:
                raise ResumeError(f"{name}:{number}: the records of {where} {at!r} name "
                                  f"different applicants: {sorted(ids)}")
            done.append(Done(where, at, next(iter(ids), None), tuple(g[3] for g in group)))
            group = []
            valid = offset
    return done, valid


def _applicant_id(item: Input) -> str | None:
    if item.where != "line" or not isinstance(item.data, str):
        return None
    try:
        data = strict_json(item.data)
    except (ValueError, RecursionError):
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def skip_done(inputs: Iterator[Input], done: Sequence[Done], name: str) -> None:
    """Take the inputs already decided from ``inputs``, checking each against its records.

    Raises :class:`ResumeError` when INPUT is not the input of those records.
    """
    for number, record in enumerate(done, 1):
        item = next(inputs, None)
        if item is None:
            raise ResumeError(f"{name} has records for {len(done)} inputs, but INPUT has "
                              f"only {number - 1}: it is not the input of that batch")
        if (item.where, item.at) != (record.where, record.at):
            raise ResumeError(f"{name}: record {number} is for {record.where} {record.at!r}, "
                              f"but INPUT's input {number} is {item.where} {item.at!r}: it is "
                              "not the input of that batch")
        found = _applicant_id(item) if record.applicant is not None else None
        if found is not None and found != record.applicant:
            raise ResumeError(f"{name}: the records of {record.where} {record.at!r} are for "
                              f"applicant `{record.applicant}`, but INPUT has `{found}` there: "
                              "it is not the input of that batch")
