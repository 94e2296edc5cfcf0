"""List primitives. Positions are 0-based, like str.find and statement positions."""
from __future__ import annotations

from functools import cmp_to_key

from ..terms import Compound, Cons, Symbol, Var, deref, make_list
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
        from ..errors import ArgumentError
        from ..printer import show
        raise ArgumentError("lst.nth", 1, f"expected an integer or a variable, found {show(i)}")
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


def _rank(t) -> int:
    tt = type(t)
    if tt is Var:
        return 0
    if tt is int or tt is float:
        return 1
    if tt is Symbol:
        return 2
    if tt is str:
        return 3
    if tt is Cons or tt is Compound:
        return 4
    return 5


def compare_terms(a, b) -> int:
    """Standard order of terms, -1/0/1: variables < numbers < symbols < strings < compounds.

    Numbers compare by value (a float before an equal integer); compounds by arity, then name,
    then arguments left to right; a list cell is the compound ``'[|]'(head, tail)``. Iterative,
    so lists and terms deeper than Python's recursion limit compare fine.
    """
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        x = deref(x)
        y = deref(y)
        if x is y:
            continue
        rx, ry = _rank(x), _rank(y)
        if rx != ry:
            return -1 if rx < ry else 1
        if rx == 1:
            if x != y:
                return -1 if x < y else 1
            if type(x) is not type(y):
                return -1 if type(x) is float else 1
        elif rx == 2 or rx == 3:
            kx, ky = (x.name, y.name) if rx == 2 else (x, y)
            if kx != ky:
                return -1 if kx < ky else 1
        elif rx == 4:
            nx, ax = ("[|]", (x.head, x.tail)) if type(x) is Cons else (x.name, x.args)
            ny, ay = ("[|]", (y.head, y.tail)) if type(y) is Cons else (y.name, y.args)
            if len(ax) != len(ay):
                return -1 if len(ax) < len(ay) else 1
            if nx != ny:
                return -1 if nx < ny else 1
            stack.extend(reversed(list(zip(ax, ay))))
        elif rx == 0:
            if id(x) != id(y):
                return -1 if id(x) < id(y) else 1
        else:
            kx, ky = repr(x), repr(y)
            if kx != ky:
                return -1 if kx < ky else 1
    return 0


@primitive("lst.sort", "list", "out")
def _sort(m, items, out):
    """Sort in the standard order of terms (duplicates kept; numbers by value)."""
    kinds = {type(x) for x in items}
    if kinds <= {int} or kinds <= {str}:
        ordered = sorted(items)          # the common cases, without a Python comparison per pair
    else:
        ordered = sorted(items, key=cmp_to_key(compare_terms))
    return m.unify(out, make_list(ordered))


@primitive("lst.sum", "list", "out")
def _sum(m, items, out):
    """Sum of a list of numbers."""
    for k, x in enumerate(items):
        if type(x) not in (int, float):
            from ..errors import ArgumentError
            from ..printer import show
            raise ArgumentError("lst.sum", 1, f"element {k} is not a number: {show(x)}")
    return m.unify(out, sum(items))
