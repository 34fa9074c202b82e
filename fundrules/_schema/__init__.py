"""The applicant schema's parts, private to :mod:`fundrules.schema` (import from there)."""
