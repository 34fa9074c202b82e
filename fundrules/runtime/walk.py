"""Walking compiled conditions: the comparisons and facts they read, in reading order."""

from __future__ import annotations

from collections.abc import Iterator

from fundrules.policies.ir import CAnd, CFact, CLeaf, CNot, Cond, COr

__all__ = ["facts", "leaves", "positive_leaves"]


def leaves(cond: Cond | None) -> Iterator[CLeaf]:
    """Every comparison of a condition, left to right."""
    match cond:
        case CLeaf():
            yield cond
        case CNot(operand=operand):
            yield from leaves(operand)
        case CAnd(operands=ops) | COr(operands=ops):
            for op in ops:
                yield from leaves(op)
        case _:
            return


def facts(cond: Cond | None) -> Iterator[CFact]:
    """Every fact a condition reads, left to right."""
    match cond:
        case CFact():
            yield cond
        case CNot(operand=operand):
            yield from facts(operand)
        case CAnd(operands=ops) | COr(operands=ops):
            for op in ops:
                yield from facts(op)
        case _:
            return


def positive_leaves(cond: Cond) -> list[CLeaf]:
    """Comparisons not under a `not`: those whose being met helps the condition."""
    match cond:
        case CLeaf():
            return [cond]
        case CAnd(operands=ops) | COr(operands=ops):
            return [leaf for op in ops for leaf in positive_leaves(op)]
        case _:
            return []
