"""Walking compiled conditions: the comparisons and facts they read, in reading order."""

from __future__ import annotations

from collections.abc import Iterator

from fundrules.policies.ir import CAnd, CFact, CLeaf, CNot, Cond, COr

__all__ = ["facts", "leaves", "positive_leaves"]


def _nodes(cond: Cond | None) -> Iterator[Cond]:
    """Every node of a condition, left to right (depth first)."""
    if cond is None:
        return
    yield cond
    match cond:
        case CNot(operand=operand):
            yield from _nodes(operand)
        case CAnd(operands=ops) | COr(operands=ops):
            for op in ops:
                yield from _nodes(op)
        case _:
            return


def leaves(cond: Cond | None) -> Iterator[CLeaf]:
    """Every comparison of a condition, left to right."""
    return (node for node in _nodes(cond) if isinstance(node, CLeaf))


def facts(cond: Cond | None) -> Iterator[CFact]:
    """Every fact a condition reads, left to right."""
    return (node for node in _nodes(cond) if isinstance(node, CFact))


def positive_leaves(cond: Cond) -> list[CLeaf]:
    """Comparisons not under a `not`: those whose being met helps the condition."""
    match cond:
        case CLeaf():
            return [cond]
        case CAnd(operands=ops) | COr(operands=ops):
            return [leaf for op in ops for leaf in positive_leaves(op)]
        case _:
            return []
