"""Engines that run compiled packs. The durable_rules one lives in ``fundrules.engine``."""

__all__: list[str] = []
