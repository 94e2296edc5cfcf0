"""List primitives. Positions are 0-based, like str.find and statement positions."""
from __future__ import annotations

from ..errors import ArgumentError
from ..order import sort_terms
from ..printer import show
from ..terms import NIL, Compound, Cons, Var, deref, make_list
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


@primitive("lst.sort", "list", "out")
def _sort(m, items, out):
    """Sort in the standard order of terms, duplicates kept (Prolog's msort/2)."""
    return m.unify(out, make_list(sort_terms(items)))


@primitive("lst.sort.unique", "list", "out")
def _sort_unique(m, items, out):
    """Sort in the standard order of terms, keeping identical terms once (Prolog's sort/2)."""
    return m.unify(out, make_list(sort_terms(items, unique=True)))


@primitive("lst.keysort", "list", "out")
def _keysort(m, items, out):
    """Sort pair(key, value) or [key, value] items by key in the standard order of terms;
    stable: items with identical keys keep their order (Prolog's keysort/2)."""
    keys = []
    for k, x in enumerate(items):
        if type(x) is Compound and x.name == "pair" and len(x.args) == 2:
            keys.append(x.args[0])
            continue
        if type(x) is Cons:
            rest = deref(x.tail)
            if type(rest) is Cons and deref(rest.tail) is NIL:
                keys.append(x.head)
                continue
        if type(x) is Var:
            raise ArgumentError("lst.keysort", 1, f"element {k} is unbound; expected pair(key, value)")
        raise ArgumentError("lst.keysort", 1, f"element {k} is not pair(key, value) or [key, value]: {show(x)}")
    return m.unify(out, make_list(sort_terms(items, keys=keys)))


@primitive("lst.sum", "list", "out")
def _sum(m, items, out):
    """Sum of a list of numbers."""
    for k, x in enumerate(items):
        if type(x) not in (int, float):
            from ..errors import ArgumentError
            from ..printer import show
            raise ArgumentError("lst.sum", 1, f"element {k} is not a number: {show(x)}")
    return m.unify(out, sum(items))
