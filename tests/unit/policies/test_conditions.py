"""The condition language: precedence, literals, exact error offsets, limits, round trips."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundrules.policies.conditions import (
    And,
    Arith,
    Bool,
    Call,
    Compare,
    ConditionSyntaxError,
    DateLit,
    Expr,
    ListLit,
    Member,
    Money,
    Name,
    Neg,
    Not,
    Number,
    Or,
    String,
    diagnostic_for,
    names,
    parse,
    same_tree,
    to_source,
    walk,
)
from fundrules.policies.loader import load_text


def n(value: str | int) -> Number:
    return Number(Decimal(value))


def same(text: str, expected: Expr) -> None:
    got = parse(text)
    assert same_tree(got, expected), f"{got!r}\n!=\n{expected!r}"


def error(text: str) -> ConditionSyntaxError:
    with pytest.raises(ConditionSyntaxError) as info:
        parse(text)
    return info.value


# -- structure --------------------------------------------------------------------------

def test_precedence() -> None:
    a, b, c, d = (Name(x) for x in "abcd")
    same("a or b and c", Or((a, And((b, c)))))
    same("a and b or c and d", Or((And((a, b)), And((c, d)))))
    same("not a and b", And((Not(a), b)))
    same("not a == b", Not(Compare("==", a, b)))
    same("a + b * c >= d", Compare(">=", Arith("+", a, Arith("*", b, c)), d))
    same("a - b - c", Arith("-", Arith("-", a, b), c))
    same("-a * b", Arith("*", Neg(a), b))
    same("(a or b) and c", And((Or((a, b)), c)))
    same("a and b and c or d", Or((And((a, b, c)), d)))
    same("not not a", Not(Not(a)))


def test_not_in_versus_not_x_in() -> None:
    x, lst = Name("x"), ListLit((Name("cdd"), Name("cddu")))
    same("x not in [cdd, cddu]", Member(True, x, lst))
    same("not x in [cdd, cddu]", Not(Member(False, x, lst)))
    same("x in [cdd, cddu]", Member(False, x, lst))


def test_literals() -> None:
    same("15000 EUR", Money(Decimal("15000"), "EUR"))
    same("15_000.50  GBP", Money(Decimal("15000.50"), "GBP"))
    same("15000", n("15000"))
    same("15_000", n(15000))
    same("12.5", Number(Decimal("12.5")))
    same("2020-02-29", DateLit(datetime.date(2020, 2, 29)))
    same("'it\\'s' == \"a\\\\b\"", Compare("==", String("it's"), String("a\\b")))
    same("true != false", Compare("!=", Bool(True), Bool(False)))
    same("[]", ListLit(()))
    assert parse("income(2019, gross) <= 15000 EUR") == Compare(
        "<=", Call("income", (Number(Decimal(2019), (7, 11)), Name("gross", (13, 18))), (0, 19)),
        Money(Decimal(15000), "EUR", (23, 32)), (0, 32))


def test_money_needs_three_capitals_after_a_space() -> None:
    assert isinstance(parse("x == 12 EUR"), Compare)
    assert error("12 EURO").offset == 3  # a number then a name: not money
    assert error("12EUR").offset == 2


def test_dotted_names_and_calls() -> None:
    same("stop.cause == covid", Compare("==", Name("stop.cause"), Name("covid")))
    same("greatest(days, cachets)", Call("greatest", (Name("days"), Name("cachets"))))
    same("f()", Call("f", ()))


def test_spans_point_into_the_text() -> None:
    text = "qualifying_days >= 12 and (x in [a, b])"
    e = parse(text)
    assert isinstance(e, And)
    assert [text[s:t] for s, t in (x.span for x in e.operands)] == [
        "qualifying_days >= 12", "(x in [a, b])"]


def test_walk_names_and_equality() -> None:
    e = parse("a > 1 and f(b, [c, 2020-01-01]) or not d.e")
    assert [type(x).__name__ for x in walk(e)][:4] == ["Or", "And", "Compare", "Name"]
    assert names(e) == {"a", "b", "c", "d.e"}
    assert parse("a  ==  1") != parse("a == 1")  # == compares spans ...
    assert same_tree(parse("a  ==  1"), parse("a == 1"))  # ... same_tree does not
    assert not same_tree(parse("a == 1"), parse("a == 2"))
    assert not same_tree(parse("true"), parse("1"))


def test_to_source_keeps_needed_parentheses_only() -> None:
    for text in ["a - (b - c)", "(a or b) and c", "a or b and c", "not (a and b)",
                 "(a < b) == c", "-(a + b) * 2", "x not in [1, 2]", "f(a, 'b\\'c')",
                 "(a and b) and c", "15000.00 EUR"]:
        assert to_source(parse(text)) == text


# -- errors at the exact offending character --------------------------------------------

@pytest.mark.parametrize(("text", "offset", "hint_part"), [
    ("qualifying_days >= >12", 19, "name, a number"),
    ("(a and b", 0, "`)`"),
    ("f(a, b", 1, "`)`"),
    ("[a, b", 0, "`]`"),
    ("a >=", 4, "missing"),
    ("a >=   ", 4, "missing"),
    ("", 0, "such as"),
    ("lambda x: x", 0, "conditions use"),
    ("[x for x in y]", 3, "conditions use"),
    ("a.__class__", 2, "starting with a letter"),
    ("__import__('os')", 0, "starting with a letter"),
    ("x if y else z", 2, "conditions use"),
    ("a ** b", 2, "multiply"),
    ("a @ b", 2, "conditions use"),
    ("a; b", 1, "one expression"),
    ("`a`", 0, "backticks"),
    ("a < b < c", 6, "`and`"),
    ("a == b in c", 7, "`and`"),
    ("a = b", 2, "use `==`"),
    ("2019-02-30", 0, "YYYY-MM-DD"),
    ("d > 2020-1-5", 4, "YYYY-MM-DD"),
    ("12abc", 2, "space"),
    ("a AND b", 2, "lower case"),
    ("x == True", 5, "lower case"),
    ("x == None", 5, "unknown"),
    ("a && b", 2, "`and`"),
    ("a || b", 2, "`or`"),
    ("a ! b", 2, "`not`"),
    ("'abc", 0, "closing"),
    ("'a\\nb'", 2, "backslash"),
    ("a)", 1, "`(`"),
    ("a b", 2, "`and` or `or`"),
    ("a.", 1, "dotted names"),
    ("1.", 1, "space"),
    ("[a,]", 3, "list"),
    ("f(a b)", 4, "`,`"),
    ("x[0]", 1, "`and` or `or`"),
    ("a == b == c", 7, "`and`"),
])
def test_rejections_point_at_the_offending_character(text: str, offset: int,
                                                      hint_part: str) -> None:
    err = error(text)
    assert err.offset == offset, err.message
    assert err.hint is not None and hint_part in err.hint
    assert not err.message[0].isupper() and not err.message.endswith(".")


def test_limits() -> None:
    assert error("x" * 4001).offset == 4000
    parse("x" * 4000)
    long_sum = " + ".join(["x"] * 251)  # 501 tokens
    assert error(long_sum).offset == long_sum.rindex("x")
    parse(" + ".join(["x"] * 250))
    assert error("(" * 51 + "x" + ")" * 51).offset == 50
    parse("(" * 50 + "x" + ")" * 50)
    assert error("not " * 51 + "x").offset == 200
    assert error("[" * 51 + "]" * 51).offset == 50
    assert error("-" * 51 + "x").offset == 50


def test_an_earlier_syntax_error_wins_over_a_later_bad_character() -> None:
    assert error("a >= >12 and b @ c").offset == 5


def test_diagnostic_for_points_into_the_file() -> None:
    root = load_text("rules:\n  - when: qualifying_days >= >12\n", file="p.yaml").root
    assert root is not None
    node = root.value["rules"].value[0].value["when"]  # type: ignore[index]
    try:
        parse(node.value)
    except ConditionSyntaxError as err:
        d = diagnostic_for(err, node, "p.yaml")
    assert (d.code, d.file, d.line, d.column, d.path) == (
        "condition-syntax", "p.yaml", 2, 30, "rules[0].when")
    assert d.format().startswith("p.yaml:2:30: condition-syntax: expected a value after `>=`")


# -- properties -------------------------------------------------------------------------

@settings(max_examples=500)
@given(st.text())
def test_parse_raises_only_condition_syntax_errors(text: str) -> None:
    try:
        parse(text)
    except ConditionSyntaxError as err:
        assert 0 <= err.offset <= len(text)


WORDS = ["a", "b.c", "f", "and", "or", "not", "in", "true", "false", "(", ")", "[", "]", ",",
         "<", "<=", ">", ">=", "==", "!=", "=", "+", "-", "*", "/", "12", "1_0.5", "EUR",
         "2020-01-01", "2019-02-30", "'x'", "'", "\\", "_x", ".", "**", "if", "None", "@", ""]


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(WORDS), max_size=12), st.sampled_from([" ", "", "\n"]))
def test_grammar_fuzz_raises_only_syntax_errors_and_round_trips(words: list[str],
                                                                 sep: str) -> None:
    text = sep.join(words)
    try:
        e = parse(text)
    except ConditionSyntaxError as err:
        assert 0 <= err.offset <= len(text)
        return
    assert same_tree(parse(to_source(e)), e)


NOT_NAMES = {"and", "or", "not", "in", "true", "false", "if", "else", "elif", "for", "while",
             "lambda", "is", "import", "from", "def", "class", "return", "yield", "None",
             "True", "False", "AND", "OR", "NOT", "IN", "exec", "eval"}
NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}(\.[a-z][a-z0-9_]{0,4})?", fullmatch=True) \
    .filter(lambda s: s not in NOT_NAMES)
DECIMALS = st.one_of(st.integers(0, 10**15).map(Decimal),
                     st.decimals(min_value=0, max_value=10**9, places=2))
CURRENCIES = st.from_regex(r"[A-Z]{3}", fullmatch=True).filter(lambda s: s not in NOT_NAMES)
ATOMS = st.one_of(
    NAMES.map(Name), DECIMALS.map(Number), st.builds(Money, DECIMALS, CURRENCIES),
    st.text(max_size=8).map(String), st.dates().map(DateLit), st.booleans().map(Bool))


def _extend(kids: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    pair = st.tuples(kids, kids)
    many = st.lists(kids, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.lists(kids, max_size=3).map(lambda xs: ListLit(tuple(xs))),
        st.builds(lambda f, xs: Call(f, tuple(xs)), NAMES, st.lists(kids, max_size=3)),
        kids.map(Neg), kids.map(Not),
        st.builds(lambda op, p: Arith(op, *p), st.sampled_from("+-*/"), pair),
        st.builds(lambda op, p: Compare(op, *p),
                  st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), pair),
        st.builds(lambda neg, p: Member(neg, *p), st.booleans(), pair),
        many.map(And), many.map(Or),
    )


TREES = st.recursive(ATOMS, _extend, max_leaves=12)


@settings(max_examples=500)
@given(TREES)
def test_to_source_round_trips(tree: Expr) -> None:
    text = to_source(tree)
    assert same_tree(parse(text), tree), text
    assert to_source(parse(text)) == text
