"""The French criteria as an OpenFisca-core tax-benefit system, vectorised over a population.

One entity (``person``, the applicant), one input variable per figure the criteria test,
one formula per criterion (the call window, FR-C1..C4, the non-renewable rule), then
``eligible`` and ``award`` (900/500). Each variable states its entity and period
(OpenFisca reads them from the class itself, not its bases). OpenFisca has no
list-valued variables, so the applicant's lists are reduced to per-person figures in
Python while the JSON is read (:func:`fr_baselines.flatten_fr`, the two-valued reading:
absent means false or zero), as an OpenFisca user prepares survey data.
:func:`run_file` reads JSON Lines, builds the simulation and calculates; it times the
formulas apart from the rest.
"""

# mypy: disable-error-code="import-untyped,unused-ignore"
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from fr_baselines import flatten_fr
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

__all__ = ["PERIOD", "decisions", "run_file", "system"]

PERIOD = "2020"
Person = build_entity(key="person", plural="persons", label="An applicant", is_person=True)


class Status(Enum):  # type: ignore[misc]
    """The applicant's employment status (absent: ``unknown``)."""

    unknown = "unknown"
    intermittent = "intermittent"
    employee = "employee"
    freelancer = "freelancer"
    self_employed = "self_employed"
    company_director = "company_director"


class status(Variable):  # type: ignore[misc]
    """Employment status."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = Enum
    possible_values = Status
    default_value = Status.unknown
    label = "Employment status"


class covid_hardship(Variable):  # type: ignore[misc]
    """Declared economic hardship."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "Declares economic hardship"


class submitted_in_call(Variable):  # type: ignore[misc]
    """Submitted on or after 2020-04-15T00:00 Europe/Paris."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "Submitted within the call's window"


class annex_benefits_received(Variable):  # type: ignore[misc]
    """Annexe 8/10 benefits being received."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    label = "Annexe 8/10 benefits received"


class annex_rights_lost_2020(Variable):  # type: ignore[misc]
    """Annexe 8/10 rights ended on or after 2020-01-01."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    label = "Annexe 8/10 rights ended since 2020"


class annex_rights_opened_2019(Variable):  # type: ignore[misc]
    """Annexe 8/10 rights opened in 2019."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    label = "Annexe 8/10 rights opened in 2019"


class activity_units(Variable):  # type: ignore[misc]
    """Days or cachets in the window, CDD/CDDU, audiovisual, film or animation production."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    label = "Qualifying days or cachets"


class earlier_awards(Variable):  # type: ignore[misc]
    """Earlier awards of this fund."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    label = "Earlier awards of this fund"


class income_2019(Variable):  # type: ignore[misc]
    """2019 gross income in EUR cents; -1 when none is given."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    default_value = -1
    label = "2019 gross income (cents)"


class call_window(Variable):  # type: ignore[misc]
    """The call's window."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "Within the call's window"

    def formula(person: Any, period: Any) -> Any:
        return person("submitted_in_call", period)


class fr_c1(Variable):  # type: ignore[misc]
    """FR-C1: an intermittent worker."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "FR-C1"

    def formula(person: Any, period: Any) -> Any:
        return person("status", period) == Status.intermittent


class fr_c2(Variable):  # type: ignore[misc]
    """FR-C2: out of Annexe 8/10 benefits."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "FR-C2"

    def formula(person: Any, period: Any) -> Any:
        lost = person("annex_rights_lost_2020", period) >= 1
        none_opened = person("annex_rights_opened_2019", period) == 0
        return (person("annex_benefits_received", period) == 0) * (lost + none_opened)


class fr_c3(Variable):  # type: ignore[misc]
    """FR-C3: at least 12 days or cachets."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "FR-C3"

    def formula(person: Any, period: Any) -> Any:
        return person("activity_units", period) >= 12


class fr_c4(Variable):  # type: ignore[misc]
    """FR-C4: economic hardship."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "FR-C4"

    def formula(person: Any, period: Any) -> Any:
        return person("covid_hardship", period)


class fr_nr(Variable):  # type: ignore[misc]
    """FR-NR: not already helped by this fund."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "FR-NR"

    def formula(person: Any, period: Any) -> Any:
        return person("earlier_awards", period) == 0


class eligible(Variable):  # type: ignore[misc]
    """All criteria met."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = bool
    label = "Eligible"

    def formula(person: Any, period: Any) -> Any:
        return (person("call_window", period) * person("fr_c1", period)
                * person("fr_c2", period) * person("fr_c3", period)
                * person("fr_c4", period) * person("fr_nr", period))


class award(Variable):  # type: ignore[misc]
    """EUR 900 with 2019 resources of at most EUR 15,000, else 500; 0 when not eligible."""

    entity = Person
    definition_period = DateUnit.YEAR
    value_type = int
    label = "Award (EUR)"

    def formula(person: Any, period: Any) -> Any:
        income = person("income_2019", period)
        low = (income >= 0) * (income <= 1_500_000)
        return person("eligible", period) * np.where(low, 900, 500)


_INPUTS = {"status": "status", "covid_hardship": "hardship", "submitted_in_call": "open",
           "annex_benefits_received": "receiving", "annex_rights_lost_2020": "lost",
           "annex_rights_opened_2019": "opened", "activity_units": "units",
           "earlier_awards": "prior", "income_2019": "income"}
_TYPES = {"covid_hardship": bool, "submitted_in_call": bool}


def system() -> TaxBenefitSystem:
    """The tax-benefit system: the person entity and every variable above."""
    tbs = TaxBenefitSystem([Person])
    tbs.add_variables(status, covid_hardship, submitted_in_call, annex_benefits_received,
                      annex_rights_lost_2020, annex_rights_opened_2019, activity_units,
                      earlier_awards, income_2019, call_window, fr_c1, fr_c2, fr_c3, fr_c4,
                      fr_nr, eligible, award)
    return tbs


def decisions(tbs: TaxBenefitSystem, flat: list[dict[str, Any]]
              ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], float, float]:
    """Eligible and award per person, and the wall and CPU seconds the formulas took."""
    sim = SimulationBuilder().build_default_simulation(tbs, count=len(flat))
    for variable, key in _INPUTS.items():
        if variable == "status":
            values = np.array([f[key] or "unknown" for f in flat])
            sim.set_input(variable, PERIOD, Status.encode(values))
        else:
            dtype = _TYPES.get(variable, np.int64)
            sim.set_input(variable, PERIOD, np.fromiter((f[key] for f in flat), dtype=dtype,
                                                        count=len(flat)))
    wall, cpu = time.perf_counter(), time.process_time()
    eligible_now = sim.calculate("eligible", PERIOD)
    award_now = sim.calculate("award", PERIOD)
    return eligible_now, award_now, time.perf_counter() - wall, time.process_time() - cpu


def run_file(path: Path, tbs: TaxBenefitSystem | None = None) -> dict[str, Any]:
    """Read JSON Lines, build the population, calculate: wall and CPU seconds of each part."""
    wall, cpu = time.perf_counter(), time.process_time()
    tbs = tbs or system()
    with path.open(encoding="utf-8") as fh:
        flat = [flatten_fr(json.loads(line)) for line in fh if line.strip()]
    eligible_now, award_now, formula_wall, formula_cpu = decisions(tbs, flat)
    return {"n": len(flat), "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu, "formula_wall": formula_wall,
            "formula_cpu": formula_cpu,
            "eligible": eligible_now, "award": award_now}
