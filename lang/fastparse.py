"""A fast path for data files: definitions whose entries are facts (statements without rules).

Saved and generated knowledge (62k genome fragments, gene tables) is mostly statements such
as ``(17, "GATTACA", Clockwise);``. Lark parses them correctly but spends most of its time
on tree machinery (3.3 s for the 62k-fragment file). This scanner recognises only that
subset — definitions with literal properties and entries made of numbers, strings,
symbols, variables, lists and compounds (a row of literals shaped like the row before takes
one regular-expression match) — and gives up (returns None) at the first token outside it,
so the grammar in ``grammar.lark`` stays the single definition of the language: anything
unusual, including every syntax error, is parsed and reported by Lark.
tests/test_parser.py checks that both paths give the same definitions.
"""
from __future__ import annotations

import re

from .errors import Location
from .limits import MAX_INT_DIGITS
from .program import Definition, Statement
from .terms import NIL, Compound, Cons, Symbol, Var

__all__ = ["parse_facts"]

_TOKEN = re.compile(r"""
    (?P<ws>(?:\s+|//[^\n]*|/\*[^*]*+\*++(?:[^/*][^*]*+\*++)*+/)+)
  | (?P<str>"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+")
  | (?P<float>-?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|-?[0-9]+[eE][+-]?[0-9]+)
  | (?P<int>-?[0-9]+)
  | (?P<sym>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<qsym>'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+')
  | (?P<var>:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<wild>_(?![A-Za-z0-9_]))
  | (?P<punct>[{}(),;=\[\]|])
""", re.VERBOSE)
_END = ("end", None, 0)
_MAX_NEST = 200   # deeper terms are left to Lark (this parser recurses per level)


class _GiveUp(Exception):
    """The text uses something outside the fast subset: let Lark parse it."""


def _tokens(text: str, pos: int = 0):
    n = len(text)
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


def parse_facts(text: str, file: str, progress=None, step: int = 1 << 16) -> list[Definition] | None:
    """Definitions of ``text`` if it is all ground literal facts, else None; ``progress(pos)``
    is told how far the scan has gone about every ``step`` characters of rows."""
    try:
        return _parse(text, file, _Ticker(progress, step) if progress is not None else None)
    except (_GiveUp, StopIteration, ValueError):
        return None


class _Ticker:
    """Calls ``progress(pos)`` when ``pos`` has passed ``mark``, then moves the mark a step on."""

    __slots__ = ("progress", "step", "mark")

    def __init__(self, progress, step: int) -> None:
        self.progress, self.step, self.mark = progress, step, step

    def __call__(self, pos: int) -> None:
        if pos >= self.mark:
            self.mark = pos + self.step
            self.progress(pos)


def _parse(text: str, file: str, tick: _Ticker | None = None) -> list[Definition]:
    toks = _tokens(text)
    out: list[Definition] = []
    while True:
        t = next(toks, None)  # ``toks`` is replaced after a run of fast rows: no for loop
        if t is None:
            break
        kind, val, pos = t
        if kind != "sym":
            raise _GiveUp
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        d = Definition(val, {}, [], Location(file, line, col))
        k, v, _ = next(toks)
        if v != "{":
            raise _GiveUp
        k, v, p = next(toks)
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
            k, v, p = next(toks)
        elif v == "}":
            k, v, _ = next(toks, ("end", None, 0))
            if v == "{":
                k, v, p = next(toks)
            else:
                out.append(d)
                if k == "end":
                    break
                # v starts the next definition: handle it by restarting the loop on it
                raise _GiveUp
        entries = d.entries
        row = None
        while v == "(":
            if row is not None:  # rows shaped like the previous one: one regex match each
                end = _rows(text, p, row, entries, tick)
                if end != p:
                    toks = _tokens(text, end)
                    k, v, p = next(toks)
                    continue
            args = tuple(_terms(toks, ")"))
            entries.append(Statement(args))
            row = _row_pattern(args)
            k, v, p = next(toks)
            if v == ";":
                k, v, p = next(toks)
            elif v != "}":
                raise _GiveUp
        if v != "}":
            raise _GiveUp
        out.append(d)
        if tick is not None:
            tick(p)
    return out


_LIT = {
    int: r"(-?[0-9]+)(?![0-9.eE])",
    float: r"(-?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|-?[0-9]+[eE][+-]?[0-9]+)",
    str: r'"([^"\\\n]*)"',
    Symbol: r"([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)",
}
_VAR = r"(:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)"
_CONV = {int: int, float: float, str: None, Symbol: Symbol}
_MAX_SHAPE = 64   # nodes: a row with a bigger term is read token by token
_ROW_CACHE: dict[tuple, tuple] = {}


def _row_pattern(args: tuple):
    """A compiled regex matching a whole entry shaped like ``args`` (the same literal kinds,
    variables, lists and compounds; no escapes, no comments inside), with what turns its
    groups into arguments; None if ``args`` holds something else. Data files repeat one
    shape, so most rows take one match."""
    try:
        shape = tuple(_shape(a, [0]) for a in args)
    except _GiveUp:
        return None
    got = _ROW_CACHE.get(shape)
    if got is None:
        if not shape:
            return None
        body = r"\s*,\s*".join(_regex(s) for s in shape)
        rx = re.compile(r"\(\s*" + body + r"\s*\)\s*;\s*")
        if all(s in _LIT for s in shape):           # literals only: converters per group
            got = (rx, tuple(_CONV[s] for s in shape), None)
        else:
            got = (rx, None, tuple(_builder(s) for s in shape))
        _ROW_CACHE[shape] = got
    return got


def _shape(t, size: list):
    """A hashable description of a parsed argument's structure (see :func:`_row_pattern`)."""
    size[0] += 1
    if size[0] > _MAX_SHAPE:
        raise _GiveUp
    tt = type(t)
    if tt in _LIT:
        return tt
    if tt is Var:
        return "var" if t.name is not None else "_"
    if t is NIL:
        return "[]"
    if tt is Cons:
        items = []
        while type(t) is Cons:
            items.append(_shape(t.head, size))
            t = t.tail
        return ("list", tuple(items), _shape(t, size))
    if tt is Compound:
        return ("f", t.name, tuple(_shape(a, size) for a in t.args))
    raise _GiveUp


def _regex(shape) -> str:
    if shape in _LIT:
        return _LIT[shape]
    if shape == "var":
        return _VAR
    if shape == "_":
        return r"_(?![A-Za-z0-9_])"
    if shape == "[]":
        return r"\[\s*\]"
    if shape[0] == "list":
        body = r"\[\s*" + r"\s*,\s*".join(_regex(s) for s in shape[1])
        if shape[2] != "[]":
            body += r"\s*\|\s*" + _regex(shape[2])
        return body + r"\s*\]"
    return re.escape(shape[1]) + r"\s*\(\s*" + r"\s*,\s*".join(_regex(s) for s in shape[2]) + r"\s*\)"


def _builder(shape):
    """A function taking the regex groups of ``shape`` from an iterator and making the term,
    as the grammar's transformer would (a new variable per occurrence)."""
    if shape in _LIT:
        conv = _CONV[shape]
        return (lambda it: conv(next(it))) if conv is not None else (lambda it: next(it))
    if shape == "var":
        return lambda it: Var(next(it)[1:])
    if shape == "_":
        return lambda it: Var(None)
    if shape == "[]":
        return lambda it: NIL
    if shape[0] == "list":
        items = [_builder(s) for s in shape[1]]
        tail = _builder(shape[2])

        def build_list(it):
            values = [f(it) for f in items]
            t = tail(it)
            for v in reversed(values):
                t = Cons(v, t)
            return t
        return build_list
    name = shape[1]
    args = [_builder(s) for s in shape[2]]
    return lambda it: Compound(name, tuple([f(it) for f in args]))


def _rows(text: str, pos: int, row: tuple, entries: list, tick: _Ticker | None = None) -> int:
    """Append the entries starting at ``pos`` that ``row`` matches; return where they stop."""
    rx, conv, builders = row
    match = rx.match
    append = entries.append
    plain = conv is not None and all(c is None or c is int for c in conv)
    mark = tick.mark if tick is not None else len(text) + 1
    while True:
        m = match(text, pos)
        if m is None:
            return pos
        g = m.groups()
        if builders is not None:
            it = iter(g)
            append(Statement(tuple([b(it) for b in builders])))
        elif plain:
            append(Statement(tuple([int(x) if c is int else x for c, x in zip(conv, g)])))
        else:
            append(Statement(tuple([x if c is None else c(x) for c, x in zip(conv, g)])))
        pos = m.end()
        if pos >= mark:
            tick(pos)
            mark = tick.mark


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


def _terms(toks, close: str) -> list:
    """Terms separated by ',' up to ``close`` (the opening bracket already read): literals,
    variables, lists and compounds, as the grammar's ``term`` rule builds them."""
    k, v, _ = next(toks)
    if v == close:
        return []
    items, (k, v, _) = _sequence(k, v, toks, 0)
    if v != close:
        raise _GiveUp
    return items


def _sequence(k: str, v: str, toks, depth: int) -> tuple[list, tuple]:
    """Terms separated by ',' from token ``(k, v)`` on, and the token after the last."""
    items = []
    while True:
        t, after = _term(k, v, toks, depth)
        items.append(t)
        if after[1] != ",":
            return items, after
        k, v, _ = next(toks)


def _term(k: str, v: str, toks, depth: int):
    """The term starting with token ``(k, v)``, and the token after it."""
    if depth > _MAX_NEST:
        raise _GiveUp
    if k == "punct":
        if v != "[":
            raise _GiveUp
        k, v, _ = next(toks)
        if v == "]":
            return NIL, next(toks, _END)
        items, (k, v, _) = _sequence(k, v, toks, depth + 1)
        tail = NIL
        if v == "|":
            k, v, _ = next(toks)
            tail, (k, v, _) = _term(k, v, toks, depth + 1)
        if v != "]":
            raise _GiveUp
        for item in reversed(items):
            tail = Cons(item, tail)
        return tail, next(toks, _END)
    if k == "sym":
        after = next(toks, _END)
        if after[1] != "(":
            return Symbol(v), after
        k, v2, _ = next(toks)
        args, after = _sequence(k, v2, toks, depth + 1)
        if after[1] != ")":
            raise _GiveUp
        return Compound(v, tuple(args)), next(toks, _END)
    if k == "var":
        return Var(v[1:]), next(toks, _END)
    if k == "wild":
        return Var(None), next(toks, _END)
    return _value(k, v), next(toks, _END)


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
