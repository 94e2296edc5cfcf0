"""A fast path for data files: definitions whose entries are ground facts of literals.

Saved and generated knowledge (62k genome fragments, gene tables) is mostly statements such
as ``(17, "GATTACA", Clockwise);``. Lark parses them correctly but spends most of its time
on tree machinery (3.3 s for the 62k-fragment file). This scanner recognises only that
subset — definitions with literal properties and entries made of numbers, strings and
symbols — with one regular expression, and gives up (returns None) at the first token
outside it, so the grammar in ``grammar.lark`` stays the single definition of the language:
anything unusual, including every syntax error, is parsed and reported by Lark.
tests/test_parser.py checks that both paths give the same definitions.
"""
from __future__ import annotations

import re

from .errors import Location
from .limits import MAX_INT_DIGITS
from .program import Definition, Statement
from .terms import NIL, Cons, Symbol

__all__ = ["parse_facts"]

_TOKEN = re.compile(r"""
    (?P<ws>(?:\s+|//[^\n]*|/\*(?:.|\n)*?\*/)+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<float>-?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|-?[0-9]+[eE][+-]?[0-9]+)
  | (?P<int>-?[0-9]+)
  | (?P<sym>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<qsym>'(?:[^'\\\n]|\\.)*')
  | (?P<punct>[{}(),;=\[\]])
""", re.VERBOSE)


class _GiveUp(Exception):
    """The text uses something outside the fast subset: let Lark parse it."""


def _tokens(text: str):
    pos, n = 0, len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            raise _GiveUp
        kind = m.lastgroup
        if kind != "ws":
            yield kind, m.group(kind), pos
        pos = m.end()


def _value(kind: str, text: str):
    if kind == "int":
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise _GiveUp  # the full parser reports it with its location
        return int(text)
    if kind == "str":
        if "\\" in text:
            raise _GiveUp  # escapes: leave to the full parser
        return text[1:-1]
    if kind == "float":
        return float(text)
    if kind == "sym":
        return Symbol(text)
    raise _GiveUp


def parse_facts(text: str, file: str) -> list[Definition] | None:
    """Definitions of ``text`` if it is all ground literal facts, else None."""
    try:
        return _parse(text, file)
    except (_GiveUp, StopIteration, ValueError):
        return None


def _parse(text: str, file: str) -> list[Definition]:
    toks = _tokens(text)
    out: list[Definition] = []
    for kind, val, pos in toks:
        if kind != "sym":
            raise _GiveUp
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        d = Definition(val, {}, [], Location(file, line, col))
        k, v, _ = next(toks)
        if v != "{":
            raise _GiveUp
        k, v, _ = next(toks)
        if k == "sym":  # properties
            while True:
                name = v
                if next(toks)[1] != "=":
                    raise _GiveUp
                d.properties[name], closing = _prop_value(toks)
                if closing == "}":
                    break
                k, v, _ = next(toks)
                if k != "sym":
                    raise _GiveUp
            if next(toks)[1] != "{":
                raise _GiveUp
            k, v, _ = next(toks)
        elif v == "}":
            k, v, _ = next(toks, ("end", None, 0))
            if v == "{":
                k, v, _ = next(toks)
            else:
                out.append(d)
                if k == "end":
                    break
                # v starts the next definition: handle it by restarting the loop on it
                raise _GiveUp
        entries = d.entries
        while v == "(":
            entries.append(Statement(tuple(_literals(toks, ")"))))
            k, v, _ = next(toks)
            if v == ";":
                k, v, _ = next(toks)
            elif v != "}":
                raise _GiveUp
        if v != "}":
            raise _GiveUp
        out.append(d)
    return out


def _literals(toks, close: str) -> list:
    """Literals separated by ',' up to ``close`` (the opening bracket already read)."""
    items = []
    k, v, _ = next(toks)
    if v != close:
        while True:
            items.append(_value(k, v))
            k, v, _ = next(toks)
            if v == close:
                break
            if v != ",":
                raise _GiveUp
            k, v, _ = next(toks)
    return items


def _prop_value(toks):
    """A property value: a literal or a list of literals; returns (value, ',' or '}')."""
    k, v, _ = next(toks)
    if v == "[":
        items = _literals(toks, "]")
        value = NIL
        for item in reversed(items):
            value = Cons(item, value)
    else:
        value = _value(k, v)
    k, v, _ = next(toks)
    if v not in (",", "}"):
        raise _GiveUp
    if v == ",":
        # a trailing comma before '}' is allowed by the grammar
        return value, ","
    return value, "}"


_QTOKEN = re.compile(r"""\s*(?:
    (?P<call>\#[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<var>:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<wild>_(?![A-Za-z0-9_]))
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<float>-?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|-?[0-9]+[eE][+-]?[0-9]+)
  | (?P<int>-?[0-9]+)
  | (?P<sym>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<punct>[(),])
)""", re.VERBOSE)


def parse_simple_query(text: str, file: str):
    """Goals of a query made only of ``#label(literal | :var | _, ...)`` calls, or None.

    The common API query (``#frag(1000, :s)``) costs ~70 µs in Lark and ~5 µs here.
    """
    from .program import Call
    from .terms import Var
    pos, n = 0, len(text.rstrip())
    goals = []
    try:
        while True:
            m = _QTOKEN.match(text, pos)
            if m is None or m.lastgroup != "call":
                return None
            start = m.start("call")
            label = m.group("call")[1:]
            pos = m.end()
            args = []
            m = _QTOKEN.match(text, pos)
            if m is not None and m.group("punct") == "(":
                pos = m.end()
                while True:
                    m = _QTOKEN.match(text, pos)
                    if m is None:
                        return None
                    kind = m.lastgroup
                    if kind == "var":
                        args.append(Var(m.group(kind)[1:]))
                    elif kind == "wild":
                        args.append(Var(None))
                    elif kind in ("str", "float", "int", "sym"):
                        args.append(_value(kind, m.group(kind)))
                    else:
                        return None
                    pos = m.end()
                    m = _QTOKEN.match(text, pos)
                    if m is None or m.lastgroup != "punct":
                        return None
                    pos = m.end()
                    if m.group("punct") == ")":
                        break
                    if m.group("punct") != ",":
                        return None
                m = _QTOKEN.match(text, pos)
            line = text.count("\n", 0, start) + 1
            col = start - (text.rfind("\n", 0, start) + 1) + 1
            goals.append(Call(label, tuple(args), Location(file, line, col)))
            if m is None or m.end() > n and pos >= n:
                return tuple(goals) if pos >= n else None
            if m.group("punct") != ",":
                return None
            pos = m.end()
    except _GiveUp:
        return None
