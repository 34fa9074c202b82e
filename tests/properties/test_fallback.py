"""Where durable_rules cannot load (Python 3.13), fundrules falls back and says why.

It still imports, decides with the python backend, and warns why. Simulated in a fresh
interpreter by making ``import durable`` fail the way a missing or broken module does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_APPLICANT = {"id": "a-1", "submitted_at": "2020-04-20T10:00:00+02:00", "status": "intermittent"}
_SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    APPLICANT = json.loads(sys.argv[1])
    sys.modules["durable"] = None  # `import durable...` now raises ImportError
    import fundrules
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine = fundrules.Engine()
    decision = engine.evaluate(APPLICANT, pack="fr-netflix-audiens")
    print(json.dumps({"backend": engine.backend, "decision": decision.model_dump(mode="json"),
                      "warnings": [(w.category.__name__, str(w.message)) for w in caught],
                      "durable_loaded": "fundrules.engine" in sys.modules}))
""")


def test_without_durable_rules_the_python_backend_is_used_with_a_warning() -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(_APPLICANT)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["backend"] == "python"
    from fundrules import Engine

    durable = Engine().evaluate(_APPLICANT, pack="fr-netflix-audiens")
    assert seen["decision"] == durable.model_dump(mode="json")  # the same decision
    assert not seen["durable_loaded"]
    [(category, message)] = seen["warnings"]
    assert category == "RuntimeWarning"
    assert message.startswith("durable_rules cannot be loaded (")
    assert "import of durable halted" in message  # the reason, as Python gave it
    assert "using the python backend" in message
    assert 'CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject"' in message  # what to do


def test_with_durable_rules_the_default_stays_durable() -> None:
    from fundrules import Engine

    assert Engine().backend == "durable"
