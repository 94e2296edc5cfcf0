"""The standard order of terms, exactly as SWI-Prolog 9 orders them.

    variables < numbers < strings < [] < symbols < compounds

* numbers compare by value; an integer and a float of equal value order the float first,
  and -0.0 comes before 0.0;
* strings and symbols compare by their characters (code points); ``[]`` comes before every
  other symbol (in SWI-Prolog 9 it is a reserved constant, not the atom '[]');
* compounds compare by arity, then name, then arguments left to right; a list cell is the
  compound ``'[|]'(head, tail)``;
* variables compare by identity (stable while both exist, otherwise arbitrary).

Two terms compare equal exactly when they are identical (``same``). Comparison is iterative, so
lists and terms deeper than Python's recursion limit compare fine.
"""
from __future__ import annotations

from functools import cmp_to_key
from math import copysign
from typing import Any

from .terms import NIL, Cons, Symbol, Var, deref

__all__ = ["compare_terms", "sort_terms"]

_LIST_NAME = "[|]"


def _rank(t: Any) -> int:
    tt = type(t)
    if tt is Var:
        return 0
    if tt is int or tt is float:
        return 1
    if tt is str:
        return 2
    if tt is Symbol:
        return 3 if t is NIL else 4
    return 5


def _compare_numbers(x: int | float, y: int | float) -> int:
    if x != y:
        return -1 if x < y else 1
    tx, ty = type(x), type(y)
    if tx is not ty:
        return -1 if tx is float else 1
    if tx is float and x == 0.0:
        sx, sy = copysign(1.0, x), copysign(1.0, y)
        if sx != sy:
            return -1 if sx < sy else 1
    return 0


def compare_terms(a: Any, b: Any) -> int:
    """-1, 0 or 1 as ``a`` comes before, is identical to, or comes after ``b``."""
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
            c = _compare_numbers(x, y)
            if c:
                return c
        elif rx == 2:
            if x != y:
                return -1 if x < y else 1
        elif rx == 4:
            if x.name != y.name:
                return -1 if x.name < y.name else 1
        elif rx == 5:
            nx, ax = (_LIST_NAME, (x.head, x.tail)) if type(x) is Cons else (x.name, x.args)
            ny, ay = (_LIST_NAME, (y.head, y.tail)) if type(y) is Cons else (y.name, y.args)
            if len(ax) != len(ay):
                return -1 if len(ax) < len(ay) else 1
            if nx != ny:
                return -1 if nx < ny else 1
            stack.extend(reversed(list(zip(ax, ay))))
        elif rx == 0:
            return -1 if id(x) < id(y) else 1
    return 0


def _atomic_key(t: Any):
    """A sort key for an atomic term, or None for a variable or a compound."""
    tt = type(t)
    if tt is int:
        return (1, t, 1, 0.0)
    if tt is float:
        return (1, t, 0, copysign(1.0, t))
    if tt is str:
        return (2, t)
    if tt is Symbol:
        return (3, "") if t is NIL else (4, t.name)
    return None


def sort_terms(items: list, unique: bool = False, keys: list | None = None) -> list:
    """``items`` in the standard order of terms; stable, so equal ones keep their order.

    With ``keys`` (terms, one per item) items are ordered by their key instead (keysort).
    With ``unique``, items whose order terms are identical are kept once (Prolog's sort/2).
    """
    terms = items if keys is None else [deref(k) for k in keys]
    fast = [_atomic_key(x) for x in terms]
    if None not in fast:  # atomic terms: one key each, no Python comparison per pair
        order = sorted(range(len(items)), key=fast.__getitem__)
        same = (lambda i, j: fast[i] == fast[j])
    else:
        order = sorted(range(len(items)), key=cmp_to_key(lambda i, j: compare_terms(terms[i], terms[j])))
        same = (lambda i, j: compare_terms(terms[i], terms[j]) == 0)
    if unique:
        order = [i for n, i in enumerate(order) if n == 0 or not same(order[n - 1], i)]
    return [items[i] for i in order]
