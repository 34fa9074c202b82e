"""Run time: an applicant and a compiled call in, an Evaluation out.

``semantics`` (the three-valued tables, written once) at the bottom; ``facts`` (the
applicant's input values) and ``decide`` (statuses to Decision) beside it; the python
backend and the durable_rules form generated from the semantics; ``evaluation`` on top.
Nothing here reads pack text: it starts from :mod:`fundrules.policies.ir`.
"""

__all__: list[str] = []
