import fundrules.backends.python as P
orig = P.PythonBackend.run
def run(self, pack, values):
    statuses, trace = orig(self, pack, values)
    v = values.get("income:2019:gross")
    if v is not None and v.lo == 1500001 and "tier:FR-AWARD-900" in statuses:
        statuses["tier:FR-AWARD-900"] = "met"
    return statuses, trace
P.PythonBackend.run = run
from tests.properties.test_differential import *  # noqa
