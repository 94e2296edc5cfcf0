"""List primitives. Positions are 0-based, like str.find and statement positions."""
from __future__ import annotations

from ..terms import NIL, Compound, Cons, Symbol, Var, deref, make_list
from .registry import primitive


@primitive("lst.len", "list", "out")
def _len(m, items, n):
    """Number of elements of a proper list."""
    return m.unify(n, len(items))


@primitive("lst.append", "list", "any", "out")
def _append(m, a, b, out):
    """Concatenate: lst.append([1], [2, 3], :l) gives [1, 2, 3]."""
    return m.unify(out, make_list(a, b))


@primitive("lst.member", "any", "list")
def _member(m, x, items):
    """Succeed once for each element of the list that unifies with x (in order)."""
    mark = m.mark()
    for item in items:
        if m.unify(x, item):
            yield True
        m.undo(mark)


@primitive("lst.nth", "any", "list", "out")
def _nth(m, i, items, x):
    """The element at 0-based position i; with i unbound, enumerates positions."""
    if type(i) is int:
        return 0 <= i < len(items) and m.unify(x, items[i])
    if type(i) is not Var:
        from ..errors import EvaluationError
        raise EvaluationError(f"lst.nth: argument 1: expected an integer, found {i!r}")
    return _nth_enum(m, i, items, x)


def _nth_enum(m, i, items, x):
    mark = m.mark()
    for k, item in enumerate(items):
        if m.unify(i, k) and m.unify(x, item):
            yield True
        m.undo(mark)


@primitive("lst.reverse", "list", "out")
def _reverse(m, items, out):
    """Reverse a list."""
    return m.unify(out, make_list(items[::-1]))


def order_key(t):
    """Standard order of terms: variables < numbers < symbols < strings < lists and compounds."""
    t = deref(t)
    tt = type(t)
    if tt is Var:
        return (0, id(t))
    if tt is int or tt is float:
        return (1, t)
    if tt is Symbol:
        return (2, t.name)
    if tt is str:
        return (3, t)
    if tt is Cons:
        items = []
        while type(t) is Cons:
            items.append(order_key(t.head))
            t = deref(t.tail)
        return (4, 2, ".", tuple(items), order_key(t))
    if tt is Compound:
        return (4, len(t.args), t.name, tuple(order_key(a) for a in t.args))
    return (5, repr(t))


@primitive("lst.sort", "list", "out")
def _sort(m, items, out):
    """Sort in the standard order of terms (duplicates kept; numbers by value)."""
    return m.unify(out, make_list(sorted(items, key=order_key)))


@primitive("lst.sum", "list", "out")
def _sum(m, items, out):
    """Sum of a list of numbers."""
    for k, x in enumerate(items):
        if type(x) not in (int, float):
            from ..errors import EvaluationError
            raise EvaluationError(f"lst.sum: element {k} is not a number: {x!r}")
    return m.unify(out, sum(items))
