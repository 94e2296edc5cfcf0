"""Terms as data: take a compound apart and build one, identity, and the standard order.

Names follow Prolog's functor/3, arg/3, =../2, ==, \\==, compare/3 and @</@=</@>/@>= with the
language's conventions: dotted names, results last. A list cell is the compound
``'[|]'(head, tail)`` as in SWI-Prolog 9 (building ``'[|]'`` with two arguments gives a list
cell); argument positions are 1-based, like Prolog's arg/3, so that they run from 1 to the
arity that term.functor gives.
"""
from __future__ import annotations

from ..errors import ArgumentError
from ..order import compare_terms
from ..printer import show
from ..terms import NIL, Compound, Cons, Symbol, Var, _equal, deref, make_list
from .registry import primitive

_LIST = Symbol("[|]")
MAX_ARITY = 1_000_000  # a compound's Var cells cost memory: bound what term.functor builds


def _found(x) -> str:
    text = show(x)
    return "found " + (text if len(text) <= 40 else text[:37] + "...")


def _make(name: Symbol, args: list):
    """The compound ``name(args)``; ``'[|]'`` with two arguments is a list cell."""
    if name is _LIST and len(args) == 2:
        return Cons(args[0], args[1])
    return Compound(name.name, tuple(args))


def _parts(t):
    """(name, args) of a compound or list cell, else None."""
    if type(t) is Compound:
        return Symbol(t.name), t.args
    if type(t) is Cons:
        return _LIST, (t.head, t.tail)
    return None


@primitive("term.functor", "any", "any", "any", group="terms")
def _functor(m, t, name, arity):
    """Name and arity of a term: term.functor(f(a, b), :n, :a) gives f and 2; an atomic term is
    its own name with arity 0. With the term unbound it builds one from name and arity:
    term.functor(:t, f, 2) gives f(:_1, :_2)."""
    if type(t) is not Var:
        parts = _parts(t)
        if parts is None:
            return m.unify(name, t) and m.unify(arity, 0)
        return m.unify(name, parts[0]) and m.unify(arity, len(parts[1]))
    if type(arity) is Var or type(name) is Var:
        raise ArgumentError("term.functor", 2 if type(name) is Var else 3,
                            "is unbound while the term (argument 1) is unbound too")
    if type(arity) is not int or arity < 0:
        raise ArgumentError("term.functor", 3, f"expected a non-negative integer, {_found(arity)}")
    if arity == 0:
        if type(name) in (Compound, Cons):
            raise ArgumentError("term.functor", 2, f"expected an atomic term for arity 0, {_found(name)}")
        return m.unify(t, name)
    if type(name) is not Symbol:
        raise ArgumentError("term.functor", 2, f"expected a symbol, {_found(name)}")
    if arity > MAX_ARITY:
        raise ArgumentError("term.functor", 3, f"arity {arity} is over the limit of {MAX_ARITY:,}")
    return m.unify(t, _make(name, [Var() for _ in range(arity)]))


@primitive("term.arg", "any", "any", "any", group="terms")
def _arg(m, n, t, a):
    """Argument n (1-based) of a compound: term.arg(2, f(a, b), :x) gives b; fails when n is
    out of range; with n unbound it enumerates the arguments with their positions."""
    parts = _parts(t)
    if parts is None:
        if type(t) is Var:
            raise ArgumentError("term.arg", 2, "is unbound; expected a compound")
        raise ArgumentError("term.arg", 2, f"expected a compound, {_found(t)}")
    args = parts[1]
    if type(n) is int:
        return 1 <= n <= len(args) and m.unify(a, args[n - 1])
    if type(n) is not Var:
        raise ArgumentError("term.arg", 1, f"expected an integer or a variable, {_found(n)}")
    return _arg_enum(m, n, args, a)


def _arg_enum(m, n, args, a):
    mark = m.mark()
    for k, x in enumerate(args, 1):
        if m.unify(n, k) and m.unify(a, x):
            yield True
        m.undo(mark)


@primitive("term.univ", "any", "any", group="terms")
def _univ(m, t, lst):
    """A term as a list, name first: term.univ(f(a, b), :l) gives [f, a, b]; an atomic term
    gives [t]. With the term unbound it builds it from the list: term.univ(:t, [g, 1]) gives g(1)."""
    if type(t) is not Var:
        parts = _parts(t)
        if parts is None:
            return m.unify(lst, Cons(t, NIL))
        return m.unify(lst, Cons(parts[0], make_list(list(parts[1]))))
    items = []
    x = lst
    while type(x) is Cons:
        items.append(deref(x.head))
        x = deref(x.tail)
    if x is not NIL:
        what = "is a partial list" if type(x) is Var else _found(lst)
        raise ArgumentError("term.univ", 2, f"expected a proper list [name, arg, ...] when the term is unbound; {what}")
    if not items:
        raise ArgumentError("term.univ", 2, "is the empty list; expected [name, arg, ...]")
    head = items[0]
    if len(items) == 1:
        if type(head) in (Compound, Cons, Var):
            raise ArgumentError("term.univ", 2, f"a one-element list must hold an atomic term, {_found(head)}")
        return m.unify(t, head)
    if type(head) is not Symbol:
        raise ArgumentError("term.univ", 2, f"the name must be a symbol, {_found(head)}")
    return m.unify(t, _make(head, items[1:]))


@primitive("same", "any", "any", group="terms")
def _same(m, a, b):
    """Structural identity without binding (Prolog's ==): same(f(:x), f(:x)) succeeds,
    same(:x, :y) and same(1, 1.0) fail."""
    return _equal(a, b)


@primitive("nsame", "any", "any", group="terms")
def _nsame(m, a, b):
    """Not identical (Prolog's \\==): the negation of same."""
    return not _equal(a, b)


_ORDER = {-1: Symbol("<"), 0: Symbol("="), 1: Symbol(">")}


@primitive("compare", "out", "any", "any", group="terms")
def _compare(m, order, a, b):
    """compare(:o, a, b): :o is '<', '=' or '>' as a comes before, is identical to, or comes
    after b in the standard order of terms."""
    return m.unify(order, _ORDER[compare_terms(a, b)])


def _order_test(name: str, test, doc: str) -> None:
    def impl(m, a, b):
        return test(compare_terms(a, b))
    impl.__doc__ = doc
    primitive(name, "any", "any", group="terms")(impl)


_order_test("term.lt", lambda c: c < 0, "Before in the standard order of terms (Prolog's @<).")
_order_test("term.lte", lambda c: c <= 0, "Before or identical in the standard order (Prolog's @=<).")
_order_test("term.gt", lambda c: c > 0, "After in the standard order of terms (Prolog's @>).")
_order_test("term.gte", lambda c: c >= 0, "After or identical in the standard order (Prolog's @>=).")
