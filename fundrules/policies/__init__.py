"""Policy packs: YAML loading with positions, the pack model, checks and the compiler."""

__all__: list[str] = []
