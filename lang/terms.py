"""Terms: the values the language manipulates.

A term is one of
  * ``int`` / ``float``  - numbers (``bool`` is never a term);
  * ``str``              - strings;
  * :class:`Symbol`      - interned symbols (``nil``, ``Clockwise``); ``NIL`` is the empty list ``[]``;
  * :class:`Cons`        - a list cell ``[head | tail]``;
  * :class:`Compound`    - ``name(a1, ..., an)`` with n >= 1;
  * :class:`Var`         - a logic variable; bound in place, unbound through the trail.

Everything here is plain data with ``__slots__``; the engine state lives in :mod:`lang.solver`.
"""
from __future__ import annotations

import sys
from typing import Any, Iterator

# Integers have arbitrary precision in the language; lift Python's guard on converting
# very long ones to and from text.
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

__all__ = [
    "Symbol", "NIL", "Cons", "Compound", "Var", "sym",
    "deref", "occurs", "forget_ground", "resolve", "rebuild", "make_list", "list_items", "term_depth_safe",
    "to_python", "from_python",
]


class Symbol:
    """An interned symbol: two symbols with the same name are the same object."""

    __slots__ = ("name", "__weakref__")
    _table: dict[str, "Symbol"] = {}

    def __new__(cls, name: str) -> "Symbol":
        s = cls._table.get(name)
        if s is None:
            s = object.__new__(cls)
            s.name = name
            cls._table[name] = s
        return s

    def __reduce__(self):  # re-intern when crossing a process boundary
        return (Symbol, (self.name,))

    def __repr__(self) -> str:
        return f"Symbol({self.name!r})"

    def __str__(self) -> str:
        return self.name

    def __lt__(self, other: "Symbol") -> bool:
        return self.name < other.name


sym = Symbol
NIL = Symbol("[]")


class Cons:
    """A list cell: ``[head | tail]``."""

    __slots__ = ("head", "tail")

    def __init__(self, head: Any, tail: Any) -> None:
        self.head = head
        self.tail = tail

    def __eq__(self, other: object) -> bool:
        return _equal(self, other)

    def __hash__(self) -> int:
        return hash(tuple(list_items(self)[0])) ^ 0x5EED

    def __repr__(self) -> str:
        from .printer import show
        return show(self)


class Compound:
    """A compound term ``name(a1, ..., an)``; ``args`` is a tuple."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: tuple) -> None:
        self.name = name
        self.args = args

    def __eq__(self, other: object) -> bool:
        return _equal(self, other)

    def __hash__(self) -> int:
        return hash((self.name, len(self.args)))

    def __repr__(self) -> str:
        from .printer import show
        return show(self)


class Var:
    """A logic variable. ``ref`` is ``None`` while unbound, else the bound term.

    ``stamp`` says how old the variable is, for conditional trailing (lang.solver): the
    solver's clock when the clause frame it belongs to was made. A binding needs recording
    on the trail only when the variable is older than the newest choicepoint; 0, the
    default, is the oldest age, so variables made outside the solver are always recorded.
    """

    __slots__ = ("ref", "name", "stamp")

    def __init__(self, name: str | None = None, stamp: int = 0) -> None:
        self.ref = None
        self.name = name
        self.stamp = stamp

    def __repr__(self) -> str:
        if self.ref is not None:
            return repr(deref(self))
        return f"_{self.name or id(self) % 100000}"


def deref(t: Any) -> Any:
    """Follow variable bindings to the representative term."""
    while type(t) is Var:
        r = t.ref
        if r is None:
            return t
        t = r
    return t


def occurs(v: "Var", t: Any) -> bool:
    """True when the unbound variable ``v`` occurs in ``t`` (iterative).

    Unification checks it before binding a variable to a list or compound, so no cyclic
    term is ever made: printing, copying and comparing terms always terminate. A compound
    found to hold no variable at all is remembered (:data:`_GROUND`), so scanning the same
    ground subterm again (a derivative's input, say) costs one lookup.
    """
    while type(t) is Var:
        if t is v:
            return True
        r = t.ref
        if r is None:
            return False
        t = r
    tt = type(t)
    if tt is not Compound and tt is not Cons:
        return False
    if _GROUND.get(id(t)) is t:
        return False
    ground = True
    stack = [t]
    while stack:
        x = stack.pop()
        while type(x) is Var:
            if x is v:
                return True
            ground = False
            r = x.ref
            if r is None:
                break
            x = r
        tx = type(x)
        if tx is Cons:
            stack.append(x.tail)
            stack.append(x.head)
        elif tx is Compound:
            if _GROUND.get(id(x)) is not x:
                stack.extend(x.args)
    if ground:
        if len(_GROUND) >= _GROUND_MAX:
            _GROUND.clear()
        _GROUND[id(t)] = t  # holding t keeps its id from being reused while remembered
    return False


# id -> compound or list cell known to contain no variable (bounded; cleared when full)
_GROUND: dict[int, Any] = {}
_GROUND_MAX = 1 << 16


def forget_ground() -> None:
    """Drop the occurs check's memory of ground terms (so it holds no term past a query)."""
    _GROUND.clear()


def _equal(a: Any, b: Any) -> bool:
    """Structural, type-strict equality of two (resolved) terms; iterative."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        x = deref(x)
        y = deref(y)
        if x is y:
            continue
        tx = type(x)
        if tx is not type(y):
            return False
        if tx is Cons:
            stack.append((x.tail, y.tail))
            stack.append((x.head, y.head))
        elif tx is Compound:
            if x.name != y.name or len(x.args) != len(y.args):
                return False
            stack.extend(zip(x.args, y.args))
        elif tx is Var or tx is Symbol:
            return False
        elif x != y or (tx is float and x == 0.0 and str(x) != str(y)):
            return False
    return True


def make_list(items, tail: Any = NIL) -> Any:
    """Build a list term from a Python sequence (and an optional tail)."""
    out = tail
    for item in reversed(items):
        out = Cons(item, out)
    return out


def list_items(t: Any) -> tuple[list, Any]:
    """Split a list term into its items and its dereferenced tail (``NIL`` for a proper list)."""
    items = []
    t = deref(t)
    while type(t) is Cons:
        items.append(t.head)
        t = deref(t.tail)
    return items, t


def rebuild(t: Any, leaf, make_list_=None, make_compound=None) -> Any:
    """Rebuild term ``t`` bottom-up without recursion: ``leaf(x)`` maps every dereferenced
    non-list, non-compound subterm; ``make_list_(items, tail)`` and ``make_compound(name,
    args)`` build lists and compounds from their rebuilt parts (default: list cells, Compound).
    """
    make_list_ = make_list_ or make_list
    make_compound = make_compound or Compound
    result: list = []
    stack: list = [(t, None)]
    while stack:
        node, state = stack.pop()
        if state is None:
            node = deref(node)
            tn = type(node)
            if tn is Cons:
                items = []
                cur = node
                while type(cur) is Cons:
                    items.append(cur.head)
                    cur = deref(cur.tail)
                stack.append((None, len(items)))
                stack.append((cur, None))
                for item in reversed(items):
                    stack.append((item, None))
            elif tn is Compound:
                stack.append((node.name, -len(node.args) - 1))
                for arg in reversed(node.args):
                    stack.append((arg, None))
            else:
                result.append(leaf(node))
        elif state >= 0:  # a list of ``state`` items, then its tail
            n = state
            tail = result.pop()
            vals = result[len(result) - n:]
            del result[len(result) - n:]
            result.append(make_list_(vals, tail))
        else:
            n = -state - 1
            vals = tuple(result[len(result) - n:])
            del result[len(result) - n:]
            result.append(make_compound(node, vals))
    return result[0]


def _same(x: Any) -> Any:
    return x


def resolve(t: Any) -> Any:
    """Copy ``t`` with every bound variable replaced by its value (unbound ones kept).

    Iterative, so terms deeper than Python's recursion limit are fine. Atomic terms are
    returned as they are.
    """
    t = deref(t)
    tt = type(t)
    if tt is Compound:  # the common case, a flat statement such as frag(:n, :line): no stack
        args = []
        for a in t.args:
            while type(a) is Var:
                r = a.ref
                if r is None:
                    break
                a = r
            ta = type(a)
            if ta is Cons or ta is Compound:
                return rebuild(t, _same)
            args.append(a)
        return Compound(t.name, tuple(args))
    if tt is not Cons:
        return t
    return rebuild(t, _same)


def term_depth_safe(t: Any) -> Iterator[Any]:
    """Yield every subterm of ``t`` (dereferenced), iteratively, in pre-order."""
    stack = [t]
    while stack:
        x = deref(stack.pop())
        yield x
        if type(x) is Cons:
            stack.append(x.tail)
            stack.append(x.head)
        elif type(x) is Compound:
            stack.extend(reversed(x.args))


def to_python(t: Any) -> Any:
    """Convert a term to Python values for the API: proper lists become Python lists.

    Numbers and strings stay as they are, symbols stay :class:`Symbol`, compounds stay
    :class:`Compound` (with converted arguments), unbound variables stay :class:`Var`.
    """
    return rebuild(t, lambda x: [] if x is NIL else x, _py_list)


def _py_list(items: list, tail: Any) -> Any:
    if type(tail) is list:  # a converted proper list (terms never hold Python lists)
        return items + tail
    return make_list(items, tail)


def from_python(v: Any) -> Any:
    """Convert a Python value (int, float, str, Symbol, list, tuple, term) to a term."""
    if isinstance(v, bool):
        raise TypeError("booleans are not terms; use the symbols true/false")
    if isinstance(v, (list, tuple)):
        return make_list([from_python(x) for x in v])
    if isinstance(v, (int, float, str, Symbol, Cons, Compound, Var)):
        return v
    raise TypeError(f"cannot convert {type(v).__name__} to a term")
