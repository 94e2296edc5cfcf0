"""Printing terms in the language's own syntax, so that what is printed reads back the same.

``show(t)`` is iterative: a list of a million elements or a deeply nested compound prints
without touching Python's recursion limit.
"""
from __future__ import annotations

import re
from typing import Any

from .terms import NIL, Compound, Cons, Symbol, Var, deref

__all__ = ["show", "show_symbol", "show_string", "show_number", "show_goal", "show_entry", "BARE_SYMBOL"]

BARE_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\Z")

_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_SYMBOL_ESCAPES = {"'": "\\'", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(text: str, table: dict[str, str]) -> str:
    out = []
    for ch in text:
        e = table.get(ch)
        if e is not None:
            out.append(e)
        elif ch < " " or ch == "\x7f" or "\ud800" <= ch <= "\udfff":  # control chars, lone surrogates
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def show_string(s: str) -> str:
    """A string literal: double quotes, escapes for quotes, backslashes, control chars and lone
    surrogates (which no UTF-8 file or terminal can hold), so it always reads back as the same string."""
    return '"' + _escape(s, _STRING_ESCAPES) + '"'


def show_symbol(s: Symbol) -> str:
    """A symbol, bare when it matches the bare form, else single-quoted."""
    if s is NIL:
        return "[]"
    name = s.name
    if BARE_SYMBOL.match(name):
        return name
    return "'" + _escape(name, _SYMBOL_ESCAPES) + "'"


def show_number(n: int | float) -> str:
    """A number literal; floats always show a '.' or an exponent so they read back as floats."""
    if type(n) is float:
        r = repr(n)
        if r in ("inf", "-inf", "nan"):
            return r  # not readable back: the language has no literal for them
        return r
    return str(n)


def show(t: Any, names: dict | None = None, source: bool = False) -> str:
    """Render term ``t``; unbound variables print as ``:_N`` numbered by identity.

    With ``source``, variables print by their own name (``:x``, or ``_`` when anonymous), as
    in the text they were parsed from.
    """
    names = {} if names is None else names
    out: list[str] = []
    stack: list = [t]
    while stack:
        x = stack.pop()
        if type(x) is _Lit:
            out.append(x)
            continue
        x = deref(x)
        tx = type(x)
        if tx is str:
            out.append(show_string(x))
        elif tx is int or tx is float:
            out.append(show_number(x))
        elif tx is Symbol:
            out.append(show_symbol(x))
        elif tx is Var and source:
            out.append(":" + x.name if x.name else "_")
        elif tx is Var:
            n = names.get(id(x))
            if n is None:
                n = f":_{len(names)}"
                names[id(x)] = n
            out.append(n)
        elif tx is list:  # Python API values (lang.terms.to_python) print as lists
            stack.append(_Lit("]"))
            for i in range(len(x) - 1, -1, -1):
                stack.append(x[i])
                if i:
                    stack.append(_Lit(", "))
            out.append("[")
        elif tx is Cons:
            items = []
            cur = x
            while type(cur) is Cons:
                items.append(cur.head)
                cur = deref(cur.tail)
            stack.append(_Lit("]"))
            if cur is not NIL:
                stack.append(cur)
                stack.append(_Lit(" | "))
            for i in range(len(items) - 1, -1, -1):
                stack.append(items[i])
                if i:
                    stack.append(_Lit(", "))
            out.append("[")
        elif tx is Compound:
            out.append(("'[]'" if x.name == "[]" else show_symbol(Symbol(x.name))) + "(")
            stack.append(_Lit(")"))
            args = x.args
            for i in range(len(args) - 1, -1, -1):
                stack.append(args[i])
                if i:
                    stack.append(_Lit(", "))
        else:
            out.append(f"<{tx.__name__}>")
    return "".join(out)


class _Lit(str):
    """Punctuation pushed on the printer's stack (distinguished from string terms by class)."""

    __slots__ = ()


def show_goal(g: Any) -> str:
    """Render a parsed goal (lang.program) in source syntax."""
    from .program import Call, Conj, Cut, Disj, Not, Prim
    tg = type(g)
    if tg is Call:
        name = "#" + show_symbol(Symbol(g.label))
        return name + ("(" + ", ".join(_arg(a) for a in g.args) + ")" if g.args else "")
    if tg is Prim:
        return show_symbol(Symbol(g.name)) + ("(" + ", ".join(_arg(a) for a in g.args) + ")" if g.args else "")
    if tg is Cut:
        return "!"
    if tg is Not:
        return "~" + show_goal(g.goal)
    if tg is Conj:
        return "(" + ", ".join(show_goal(x) for x in g.goals) + ")"
    if tg is Disj:
        return "(" + " | ".join(_branch(b) for b in g.branches) + ")"
    return show(g, source=True)


def _branch(b: Any) -> str:
    """One branch of a disjunction: goals, or ``cond -> then``."""
    if type(b) is tuple:
        return ", ".join(show_goal(x) for x in b)
    return ", ".join(show_goal(x) for x in b.cond) + " -> " + ", ".join(show_goal(x) for x in b.then)


def _arg(a: Any) -> str:
    from .program import Call, Conj, Cut, Disj, Not, Prim
    if type(a) in (Call, Prim, Cut, Not, Conj, Disj):
        return show_goal(a)
    return show(a, source=True)


def show_entry(e: Any) -> str:
    """Render a parsed statement or prototype (without the trailing ';')."""
    from .program import Prototype
    head = "(" + ", ".join(show(a, source=True) for a in (e.head if type(e) is Prototype else e.args)) + ")"
    if type(e) is Prototype:
        return head + ("^" if e.commit else "") + " :- " + ", ".join(show_goal(g) for g in e.body)
    if e.commit:
        return head + "^"
    if e.truth != 1.0:
        return head + " := " + show_number(e.truth)
    return head
