"""Hypothesis profiles of the property tests (selected by ``FUNDRULES_HYPOTHESIS_PROFILE``).

``ci`` (the default) is derandomized, so every run tries the same applicants and CI
is reproducible; ``thorough`` tries ten times as many; ``random`` draws new ones each
run (with a printed seed, and ``--hypothesis-seed=N`` to replay). The profiles are
applied by the tests here (``tests/properties/_support.py``), never loaded globally,
so other test folders keep their own hypothesis settings.
"""

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.large_base_example]

settings.register_profile("fundrules-ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=_QUIET, print_blob=False)
settings.register_profile("fundrules-thorough", parent=settings.get_profile("fundrules-ci"))
settings.register_profile("fundrules-random", derandomize=False, database=None, deadline=None,
                          suppress_health_check=_QUIET)
