"""Plugin predicates: named Python functions that installed packages register.

A pack may need a test that conditions cannot express. It never embeds code: an
installed package registers a function under the ``fundrules.predicates`` entry-point
group, and a condition names it like a function of no arguments
(``lives_in_overseas_department()``). The function receives the validated
:class:`~fundrules.schema.Applicant` and returns ``True``, ``False`` or ``None``
(unknown); it may declare ``reads = ("residence_country", ...)``, the field paths listed
in ``missing`` when it returns ``None``. A pack naming a predicate that no installed
package registers fails to load with ``unknown-plugin``.
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Callable

from fundrules.schema import Applicant

__all__ = ["ENTRY_POINT_GROUP", "Predicate", "predicates", "reload_predicates"]

ENTRY_POINT_GROUP = "fundrules.predicates"

Predicate = Callable[[Applicant], "bool | None"]

_lock = threading.Lock()
_loaded: dict[str, Predicate] | None = None


def predicates() -> dict[str, Predicate]:
    """The registered predicates by name (entry points are read once per process)."""
    global _loaded
    with _lock:
        if _loaded is None:
            found: dict[str, Predicate] = {}
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                target = ep.load()
                if callable(target):
                    found[ep.name] = target
            _loaded = found
        return _loaded


def reload_predicates() -> None:
    """Forget the registered predicates, so that newly installed ones are found."""
    global _loaded
    with _lock:
        _loaded = None
