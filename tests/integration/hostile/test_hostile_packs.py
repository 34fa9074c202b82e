"""Hostile policy packs are refused with a located error (file:line:col), quickly, never run.

A pack may come from someone careless or hostile. Each case is loaded in a child process
under a guard that only catches hangs (``benchmarks/hostile.py`` prints the time and peak
memory each takes: every one is well under 1 s and 100 MB there). The tests assert the
diagnostic code, that it is located, and that ``fundrules check`` prints it as
``file:line:col: code: message`` and exits 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PACKS

from ._isolated import run_isolated

_BASE_FILE = PACKS / "fr-netflix-audiens.yaml"
_RULE = "when: status == intermittent"


def _base() -> str:
    text = _BASE_FILE.read_text(encoding="utf-8")
    assert _RULE in text, "the French pack changed: update the hostile pack tests"
    return text


def _condition(cond: str) -> Callable[[], str]:
    """The French pack with its first condition replaced (single-quoted YAML)."""
    return lambda: _base().replace(_RULE, "when: '" + cond.replace("'", "''") + "'", 1)


_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi",
                                                                  strict=True))

#: name -> (pack text, or None for the 100 MB file; the diagnostic codes accepted)
CATALOGUE: dict[str, tuple[Callable[[], str] | None, frozenset[str]]] = {
    "YAML alias bomb (billion laughs, 9^9)": (lambda: _BOMB, frozenset({"yaml-limit"})),
    "!!python/object/apply:os.system as the whole pack": (
        lambda: "pack: !!python/object/apply:os.system ['echo pwned']\n",
        frozenset({"yaml-tag"})),
    "!!python/object/apply:os.system inside a valid pack": (
        lambda: _base().replace("budget: 1000000",
                                "budget: !!python/object/apply:os.system ['echo pwned']", 1),
        frozenset({"yaml-tag"})),
    "!!python/name tag on a key": (lambda: "? !!python/name:os.system\n: 1\n",
                                   frozenset({"yaml-tag"})),
    "100 MB file": (None, frozenset({"yaml-limit"})),
    "2 MB of one flat list (a million values)": (
        lambda: "pack: [" + ",".join(["0"] * 1_000_000) + "]\n", frozenset({"yaml-limit"})),
    "10,000 nested flow lists": (lambda: "pack: x\nmeta: " + "[" * 10_000 + "]" * 10_000 + "\n",
                                 frozenset({"yaml-limit"})),
    "10,000 nested block lists": (lambda: "pack: x\nmeta:\n  " + "- " * 10_000 + "x\n",
                                  frozenset({"yaml-limit"})),
    "10,000 nested flow mappings": (lambda: "pack: x\nmeta: " + "{a: " * 10_000 + "1"
                                    + "}" * 10_000 + "\n", frozenset({"yaml-limit"})),
    "condition: __import__('os').system('x')": (_condition("__import__('os').system('x')"),
                                                frozenset({"condition-syntax"})),
    "condition: attribute access a.__class__": (_condition("status.__class__ == 1"),
                                                frozenset({"condition-syntax"})),
    "condition: __class__.__mro__ chain": (_condition("a.__class__.__mro__"),
                                           frozenset({"condition-syntax"})),
    "condition: lambda": (_condition("(lambda: True)()"), frozenset({"condition-syntax"})),
    "condition: bare lambda": (_condition("lambda x: x"), frozenset({"condition-syntax"})),
    "condition: list comprehension": (_condition("[x for x in engagements]"),
                                      frozenset({"condition-syntax"})),
    "condition: generator in a call": (_condition("any(x.netflix for x in engagements)"),
                                       frozenset({"condition-syntax"})),
    "condition: eval(...)": (_condition("eval('1 == 1')"), frozenset({"condition-syntax"})),
    "condition: exec(...)": (_condition("exec(\"import os\")"),
                             frozenset({"condition-syntax"})),
    "condition: getattr(...)": (_condition("getattr(status, '__class__')"),
                                frozenset({"condition-syntax", "unknown-name", "type-mismatch",
                                           "unknown-plugin"})),
    "condition: statement after ;": (_condition("status == intermittent; import os"),
                                     frozenset({"condition-syntax"})),
    "condition: walrus": (_condition("(x := 1) == 1"), frozenset({"condition-syntax"})),
    "condition: subscript": (_condition("engagements[0].days >= 1"),
                             frozenset({"condition-syntax"})),
    "condition: f-string": (_condition("f'{status}' == 'x'"), frozenset({"condition-syntax"})),
    "condition: 5,000 nested parentheses": (_condition("(" * 5000 + "covid_hardship"
                                                       + ")" * 5000),
                                            frozenset({"condition-syntax", "invalid-value"})),
    "condition: 60 nested parentheses (under the length limit)": (
        _condition("(" * 60 + "covid_hardship" + ")" * 60), frozenset({"condition-syntax"})),
    "condition: 601 words (under the length limit)": (_condition(" and ".join(["x"] * 301)),
                             frozenset({"condition-syntax"})),
}


def write_case(tmp_path: Path, name: str) -> Path:
    """Write one catalogue entry as `pack.yaml` in `tmp_path` and return its path."""
    make, _ = CATALOGUE[name]
    path = tmp_path / "pack.yaml"
    if make is None:
        with open(path, "wb") as fh:  # sparse: the size is refused before anything is read
            fh.truncate(100 * 2**20)
    else:
        path.write_text(make(), encoding="utf-8")
    return path



@pytest.mark.parametrize("name", list(CATALOGUE))
def test_hostile_pack_is_refused_with_a_located_error(name: str, tmp_path: Path) -> None:
    path = write_case(tmp_path, name)
    codes = CATALOGUE[name][1]
    got = run_isolated("pack", path)
    assert got["unexpected"] is None
    assert got["error"] == "PackError" and got["fundrules_error"]
    found = [(c, located) for c, located in zip(got["codes"], got["located"], strict=True)
             if c in codes]
    assert found, got["codes"]
    assert all(located for _, located in found)
    assert got["exit"] == 1
    assert any(line.startswith(f"{path}:") and line.split(":")[1].isdigit()
               and line.split(":")[2].isdigit() and any(f": {c}: " in line for c in codes)
               for line in got["output"].splitlines()), got["output"]


def test_the_base_pack_loads_so_each_refusal_is_the_injection() -> None:
    got = run_isolated("pack", _BASE_FILE)
    assert got["error"] is None and got["unexpected"] is None and got["exit"] == 0
