"""Text to knowledge: the Lark grammar in ``grammar.lark`` plus one Transformer.

Nothing after this module sees a ``lark.Tree``: :func:`parse_program` returns
:class:`~lang.program.Definition` records, :func:`parse_query` a :class:`~lang.program.Query`,
:func:`parse_term` a term. Every syntax error becomes a :class:`~lang.errors.ParseError`
with ``file:line:col``, the offending line with a caret, and what was expected.
"""
from __future__ import annotations

import io
import re
import threading
from typing import Callable

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import Location, ParseError
from .limits import MAX_INT_DIGITS, TOO_LARGE
from .fastparse import parse_facts, parse_simple_query
from .program import Call, Conj, Cut, Definition, Disj, IfThen, Not, Prim, Prototype, Query, Statement
from .terms import NIL, Compound, Cons, Symbol, Var

__all__ = ["parse_program", "parse_query", "parse_term", "unescape"]

_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)


def unescape(body: str, where: Location | None = None) -> str:
    """Decode the escapes of a string or quoted-symbol body (quotes already removed)."""
    if "\\" not in body:
        return body

    def one(m: re.Match) -> str:
        e = m.group(1)
        if e[0] == "u" and len(e) == 5:
            return chr(int(e[1:], 16))
        ch = _ESCAPES.get(e)
        if ch is None:
            raise ParseError(f"unknown escape '\\{e}' (use \\\" \\' \\\\ \\n \\t \\r or \\uXXXX)", where)
        return ch

    # written piece by piece: re.sub would hold every piece of a long literal at once
    out = io.StringIO()
    pos = 0
    for m in _ESCAPE_RE.finditer(body):
        out.write(body[pos:m.start()])
        out.write(one(m))
        pos = m.end()
    out.write(body[pos:])
    return out.getvalue()


def _loc(tok: Token, file: str) -> Location:
    return Location(file, tok.line, tok.column)


@v_args(inline=True)
class _ToKnowledge(Transformer):
    """Turns parse-tree nodes into terms, goals and definitions as the parser reduces them."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = "<input>"

    # terms
    def var(self, tok):
        return Var(tok.value[1:])

    def wildcard(self, tok):
        return Var(None)

    def symbol(self, tok):
        return Symbol(tok.value)

    def qsymbol(self, tok):
        return Symbol(unescape(tok.value[1:-1], _loc(tok, self.file)))

    def string(self, tok):
        v = tok.value
        return unescape(v[1:-1], _loc(tok, self.file)) if "\\" in v else v[1:-1]

    def int(self, tok):
        if len(tok.value.lstrip("-")) > MAX_INT_DIGITS:
            raise ParseError(TOO_LARGE, _loc(tok, self.file))
        return int(tok.value)

    def float(self, tok):
        return float(tok.value)

    def nil(self):
        return NIL

    def list(self, *items):
        out = NIL
        for item in reversed(items):
            out = Cons(item, out)
        return out

    def list_tail(self, *items):
        out = items[-1]
        for item in reversed(items[:-1]):
            out = Cons(item, out)
        return out

    def compound(self, name, *args):
        return Compound(name.value, args)

    def qcompound(self, name, *args):
        return Compound(unescape(name.value[1:-1], _loc(name, self.file)), args)

    # goals
    def _label(self, tok) -> str:
        v = tok.value[1:]
        return unescape(v[1:-1], _loc(tok, self.file)) if v.startswith("'") else v

    def call0(self, tok):
        return Call(self._label(tok), (), _loc(tok, self.file))

    def call(self, tok, *args):
        return Call(self._label(tok), args, _loc(tok, self.file))

    def prim0(self, tok):
        return Prim(tok.value, (), _loc(tok, self.file))

    def prim(self, tok, *args):
        return Prim(tok.value, args, _loc(tok, self.file))

    def cut(self, tok):
        return Cut(_loc(tok, self.file))

    def neg(self, tok, goal):
        return Not(goal, _loc(tok, self.file))

    def paren(self, tok, body):
        loc = _loc(tok, self.file)
        if len(body) == 1 and type(body[0]) is tuple:
            return Conj(body[0], loc)  # a plain parenthesized conjunction
        return Disj(body, loc)

    def body(self, *branches):
        return branches

    def branch_plain(self, goals):
        return goals

    def branch_ite(self, cond, arrow, then):
        return IfThen(cond, then, _loc(arrow, self.file))

    def goals(self, *goals):
        return goals

    def query(self, goals):
        return goals

    # entries
    def head(self, *terms):
        return terms

    def head_empty(self):
        return ()

    def statement(self, head):
        return Statement(head)

    def statement_truth(self, head, tok, value):
        if type(value) not in (int, float) or not 0 <= value <= 1:
            raise ParseError(f"truth value must be a number in [0, 1], found {value}", _loc(tok, self.file))
        return Statement(head, float(value))

    def statement_commit(self, head, caret):
        return Statement(head, 1.0, True)

    def prototype(self, head, body):
        return Prototype(head, body, False, _body_loc(body))

    def prototype_commit(self, head, caret, body):
        return Prototype(head, body, True, _loc(caret, self.file))

    def entry_list(self, *entries):
        return list(entries)

    def entries(self, entry_list=None):
        return entry_list or []

    # definitions
    def label(self, tok):
        name = tok.value if tok.type == "SYMBOL" else unescape(tok.value[1:-1], _loc(tok, self.file))
        return name, _loc(tok, self.file)

    def prop(self, name, value):
        return (name.value, value)

    def props(self, *pairs):
        return dict(pairs)

    def def_empty(self, label):
        return Definition(label[0], {}, [], label[1])

    def def_noprops(self, label, entries):
        return Definition(label[0], {}, entries, label[1])

    def def_props(self, label, props, entries):
        return Definition(label[0], props, entries, label[1])

    def def_plain(self, label, entries):
        return Definition(label[0], {}, entries, label[1])

    def start(self, *definitions):
        return list(definitions)


def _body_loc(body):
    return getattr(body[0], "loc", None) if body else None


_TOKEN_WORDS = {
    "SYMBOL": "a symbol", "QSYMBOL": "a quoted symbol", "VAR": "a variable", "WILDCARD": "'_'",
    "STRING": "a string", "INT": "an integer", "FLOAT": "a float", "HASHLABEL": "'#label'",
    "TRUTH": "':='", "ARROW": "'->'", "CARET": "'^'", "CUT": "'!'", "NOT": "'~'", "LPAR": "'('", "RPAR": "')'",
    "LBRACE": "'{'", "RBRACE": "'}'", "LSQB": "'['", "RSQB": "']'", "COMMA": "','",
    "SEMICOLON": "';'", "EQUAL": "'='", "VBAR": "'|'", "__ANON_0": "':-'", "$END": "end of input",
}


def _describe(expected) -> str:
    words = sorted({_TOKEN_WORDS.get(e, e) for e in expected})
    return ", ".join(words)


class _Grammar:
    """The compiled Lark parser, built once per process; parsing is serialized by a lock."""

    def __init__(self) -> None:
        self.transformer = _ToKnowledge()
        self.lark = Lark.open(
            "grammar.lark", rel_to=__file__, parser="lalr", start=["start", "query", "term"],
            transformer=self.transformer, maybe_placeholders=False, cache=True,
            lexer_callbacks={"SEMICOLON": self._entry_end},
        )
        self.lock = threading.Lock()
        self.progress: Callable[[int], None] | None = None
        self.step = 1 << 16
        self.mark = 0

    def _entry_end(self, token):
        """Lexer callback at each ';': reports the parse's progress every ``step`` characters."""
        if self.progress is not None and token.start_pos >= self.mark:
            self.mark = token.start_pos + self.step
            self.progress(token.start_pos)
        return token

    def parse(self, text: str, start: str, file: str, progress: Callable[[int], None] | None = None,
              step: int = 1 << 16):
        with self.lock:
            self.transformer.file = file
            self.progress, self.step, self.mark = progress, step, step
            try:
                return self.lark.parse(text, start=start)
            except UnexpectedInput as e:
                raise _syntax_error(e, text, file) from None
            except RecursionError:
                raise ParseError("input nested too deeply", Location(file, 1, 1)) from None
            finally:
                self.progress = None


def _syntax_error(e: UnexpectedInput, text: str, file: str) -> ParseError:
    line = getattr(e, "line", None) or 1
    col = getattr(e, "column", None) or 1
    at_end = isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END")
    if line < 1 or at_end:  # end of input: point just past the last character
        lines = text.rstrip().splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
        context = lines[-1] + "\n" + " " * (col - 1) + "^"
    else:
        try:
            context = e.get_context(text).rstrip("\n")
        except Exception:  # context is best effort
            context = ""
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        what = f"unexpected character {ch!r}"
        expected = e.allowed or set()
    elif isinstance(e, UnexpectedToken):
        tok = e.token
        what = "unexpected end of input" if tok.type == "$END" else f"unexpected {tok.value!r}"
        expected = e.accepts or e.expected
    elif isinstance(e, UnexpectedEOF):
        what = "unexpected end of input"
        expected = e.expected
    else:
        what, expected = "syntax error", set()
    msg = what + (f"; expected {_describe(expected)}" if expected else "")
    return ParseError(msg, Location(file, line, col), context)


_grammar: _Grammar | None = None
_grammar_lock = threading.Lock()


def _get() -> _Grammar:
    global _grammar
    if _grammar is None:
        with _grammar_lock:
            if _grammar is None:
                _grammar = _Grammar()
    return _grammar


def parse_program(text: str, file: str = "<input>", progress: Callable[[int], None] | None = None,
                  step: int = 1 << 16) -> list[Definition]:
    """Parse a knowledge file's text into its definitions (raises ParseError).

    Files made only of ground literal facts take a fast scanner (lang.fastparse) that
    falls back to the grammar at the first thing it does not know. ``progress(pos)`` is
    told, about every ``step`` characters, how far the parse has gone (a progress bar); it
    never goes back, even when the grammar starts again where the scanner gave up.
    """
    if progress is not None:
        progress = _forward_only(progress)
    defs = parse_facts(text, file, progress, step)
    if defs is not None:
        return defs
    return _get().parse(text, "start", file, progress, step)


def _forward_only(progress: Callable[[int], None]) -> Callable[[int], None]:
    furthest = [0]

    def report(pos: int) -> None:
        if pos > furthest[0]:
            furthest[0] = pos
            progress(pos)
    return report


def parse_query(text: str, file: str = "<query>") -> Query:
    """Parse a console query (a conjunction of goals); simple calls take a fast scanner."""
    goals = parse_simple_query(text, file)
    if goals is None:
        goals = _get().parse(text, "query", file)
    return Query(goals, text.strip())


def parse_term(text: str, file: str = "<term>"):
    """Parse one term, e.g. a command argument or a property value."""
    return _get().parse(text, "term", file)
