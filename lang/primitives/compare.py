"""Comparison primitives: numbers by value; strings and symbols lexicographically."""
from __future__ import annotations

from ..errors import EvaluationError
from ..terms import Symbol
from .registry import primitive


def _key(a, b, name):
    ta, tb = type(a), type(b)
    num = (int, float)
    if ta in num and tb in num:
        return a, b
    if ta in (str, Symbol) and tb in (str, Symbol):
        return str(a), str(b)
    raise EvaluationError(f"{name}: cannot compare {a!r} with {b!r}; both must be numbers, or both strings/symbols")


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
