"""Comparison primitives: numbers by value; strings and symbols lexicographically."""
from __future__ import annotations

from ..errors import ArgumentError
from ..printer import show
from ..terms import NIL, Symbol, Var
from .registry import primitive

_NUM = (int, float)


def _is_text(x) -> bool:
    return type(x) is str or (type(x) is Symbol and x is not NIL)


def _found(x) -> str:
    if type(x) is Var:
        return "it is unbound"
    text = show(x)
    return "found " + (text if len(text) <= 40 else text[:37] + "...")


def _key(a, b, name):
    """The two values to compare, or an ArgumentError naming the argument that does not fit."""
    if type(a) in _NUM:
        if type(b) in _NUM:
            return a, b
        raise ArgumentError(name, 2, f"expected a number to compare with {show(a)}, {_found(b)}")
    if _is_text(a):
        if _is_text(b):
            return str(a), str(b)
        raise ArgumentError(name, 2, f"expected a string or symbol to compare with {show(a)}, {_found(b)}")
    raise ArgumentError(name, 1, f"expected a number, a string or a symbol, {_found(a)}")


def _comparison(name: str, test, doc: str) -> None:
    def impl(m, a, b):
        x, y = _key(a, b, name)
        return test(x, y)
    impl.__doc__ = doc
    primitive(name, "any", "any", group="compare")(impl)


_comparison("lt", lambda x, y: x < y, "Less than: lt(a, b) succeeds when a < b.")
_comparison("lte", lambda x, y: x <= y, "Less than or equal.")
_comparison("gt", lambda x, y: x > y, "Greater than.")
_comparison("gte", lambda x, y: x >= y, "Greater than or equal.")


@primitive("eq", "any", "any")
def _eq(m, a, b):
    """Unify two terms: eq(:x, f(1)) binds :x."""
    return m.unify(a, b)


@primitive("neq", "any", "any")
def _neq(m, a, b):
    """Succeed when the two terms do not unify (no bindings are kept)."""
    return not m.unifiable(a, b)


@primitive("num.eq", "num", "num")
def _num_eq(m, a, b):
    """Numbers equal by value (Prolog's =:=): num.eq(1, 1.0) succeeds, while eq(1, 1.0) fails."""
    return a == b


@primitive("num.neq", "num", "num")
def _num_neq(m, a, b):
    """Numbers different by value (Prolog's =\\=)."""
    return a != b
