"""Choosing an inference engine by name, with the one fallback the product allows.

``durable`` is durable_rules (the default, :mod:`fundrules.engine`); ``python`` is the
plain-Python backend compiled from the same semantics. Where durable_rules cannot be
loaded, the python backend takes over with one warning that says how to get durable back.
"""

from __future__ import annotations

import warnings
from typing import Literal, get_args

from fundrules.diagnostics import Diagnostic
from fundrules.errors import InvalidArgument
from fundrules.runtime.evaluation import Backend
from fundrules.runtime.python_backend import PythonBackend

__all__ = ["BACKEND_NAMES", "BackendName", "backend_named"]

BackendName = Literal["durable", "python"]
BACKEND_NAMES: tuple[str, ...] = get_args(BackendName)


def backend_named(name: BackendName) -> Backend:
    """The backend of that name (durable_rules' is shared by every Engine of a process)."""
    if name == "python":
        return PythonBackend()
    if name != "durable":
        raise InvalidArgument([Diagnostic(
            "invalid-argument", f"backend must be 'durable' or 'python', not {name!r}",
            hint="pass backend='durable' (the default) or backend='python'", path="backend")])
    try:
        from fundrules.engine import DurableBackend
    except ImportError as exc:  # pitfall 1: durable_rules does not load on Python 3.13
        warnings.warn(
            f"durable_rules cannot be loaded ({exc}); using the python backend, which gives "
            "the same decisions. To decide with durable_rules, rebuild it (a C compiler is "
            'needed): CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject" pip install '
            "--no-cache-dir --force-reinstall durable-rules==2.0.28 (see "
            "docs/engines.md#installing-durable_rules)", RuntimeWarning, stacklevel=4)
        return PythonBackend()
    return DurableBackend.shared()
