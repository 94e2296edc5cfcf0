"""A Pygments lexer for seltzer (``.kb`` files, ``.ses`` scripts and console input).

The lexer is built from ``grammar.lark`` itself: its terminals, in the order Lark's own lexer tries
them, so a token added to the grammar is highlighted without touching this module, and the lexer
and the parser cannot disagree on where a token starts or ends (tests/test_highlight.py checks it
over the example files).  On top of the grammar's tokens it adds what a highlighter needs and a
parser does not:

* a symbol's role from what follows it: a definition's label (``parent {``) is ``Name.Class``, a
  property name (``class =``) is ``Name.Attribute``, a primitive called with arguments
  (``sum(``) is ``Name.Builtin``; other symbols are plain ``Name``;
* console commands (``/load``) at the start of a line are ``Keyword``; their shell-style words
  (``/load a.kb``) are ``Text``;
* text being typed never fails: an unclosed string, quoted symbol or block comment runs to the end
  of the input as that kind, and a character no terminal accepts is one ``Error`` token.

Registered as the ``seltzer`` lexer through the ``pygments.lexers`` entry point, so
``pygmentize -l seltzer file.kb``, Sphinx, MkDocs and Jupyter find it; the console colours its input
through it (prompt-toolkit's ``PygmentsLexer``).
"""
from __future__ import annotations

import functools
import os
import re
from typing import Iterator

from pygments.lexer import Lexer
from pygments.token import (Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace, _TokenType)

__all__ = ["SeltzerLexer", "TERMINAL_TOKENS", "STYLE", "tokens"]

#: the Pygments token of each named terminal of grammar.lark; anonymous terminals (``"{"``, ``":-"``)
#: are Punctuation when they are brackets or separators, Keyword when they are words, else Operator
TERMINAL_TOKENS: dict[str, _TokenType] = {
    "HASHLABEL": Name.Function, "SYMBOL": Name, "QSYMBOL": String.Symbol, "VAR": Name.Variable,
    "WILDCARD": Name.Variable.Anonymous, "STRING": String.Double, "INT": Number.Integer,
    "FLOAT": Number.Float, "COMMENT": Comment.Single, "BLOCK_COMMENT": Comment.Multiline,
    "WS": Whitespace,
}

#: colours for the console (prompt-toolkit reads Pygments tokens through this table)
STYLE: dict[_TokenType, str] = {
    Comment: "#888888 italic", String: "#2e8b57", Keyword: "#b8860b bold", Name.Function: "#1e90ff bold",
    Name.Variable: "#c71585", Number: "#cd5c5c", Name.Builtin: "#008b8b", Name.Class: "#1e90ff",
    Name.Attribute: "#6a5acd", Operator: "#b8860b", Error: "bg:#ffd7d7",
}

_PUNCTUATION = set("(){}[],;|")
_GRAMMAR = os.path.join(os.path.dirname(__file__), "grammar.lark")
# what a highlighter accepts beyond the grammar: input still being typed, and console commands
_UNCLOSED = re.compile(r'"(?:\\.|[^"\\])*\\?\Z|\'(?:\\.|[^\'\\])*\\?\Z|/\*[\s\S]*\Z')
_COMMAND = re.compile(r"/[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_WORDS = re.compile(r"[^\n]*")
_ANY = re.compile(r"[\s\S]")
_BLANKS = re.compile(r"[ \t]*")


@functools.cache
def _scanner() -> tuple[re.Pattern, dict[str, _TokenType]]:
    """One regular expression over all of the grammar's terminals, tried in Lark's own order."""
    from lark import Lark
    lark = Lark.open(_GRAMMAR, parser="lalr", lexer="basic", start=["start", "query", "term"])
    terminals = sorted(lark.terminals, key=lambda t: (-t.priority, -t.pattern.max_width,
                                                       -len(t.pattern.value), t.name))
    kinds: dict[str, _TokenType] = {}
    for t in terminals:
        if t.name in TERMINAL_TOKENS:
            kinds[t.name] = TERMINAL_TOKENS[t.name]
        elif t.pattern.type == "str" and set(t.pattern.value) <= _PUNCTUATION:
            kinds[t.name] = Punctuation
        elif t.pattern.type == "str" and t.pattern.value.isalpha():
            kinds[t.name] = Keyword
        elif t.pattern.type == "str":
            kinds[t.name] = Operator
        else:
            kinds[t.name] = Name.Other
    pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
    return re.compile(pattern), kinds


def _primitives() -> frozenset[str]:
    from .primitives import REGISTRY
    return frozenset(REGISTRY)


def tokens(text: str) -> Iterator[tuple[int, _TokenType, str]]:
    """``(offset, token, text)`` for all of ``text``: the pieces concatenate back to ``text``."""
    scanner, kinds = _scanner()
    primitives = _primitives()
    raw: list[list] = []                # [offset, token, text, terminal name]
    pos, n = 0, len(text)
    line_start = True                   # only white space since the last newline
    while pos < n:
        if line_start and text.startswith("/", pos) and (m := _COMMAND.match(text, pos)):
            raw.append([pos, Keyword, m.group(), "COMMAND"])
            pos = m.end()
            gap = _BLANKS.match(text, pos).end()
            if gap < n and text[gap] not in "(\n":                  # shell-style words
                words = _WORDS.match(text, pos)
                raw.append([pos, Text, words.group(), "WORDS"])
                pos = words.end()
            line_start = False
            continue
        m = scanner.match(text, pos)
        if m is not None and m.end() > pos:
            name = m.lastgroup
            raw.append([pos, kinds[name], m.group(), name])
        else:
            m = _UNCLOSED.match(text, pos)
            if m is not None:
                kind = Comment.Multiline if m.group().startswith("/*") else \
                    String.Double if m.group().startswith('"') else String.Symbol
                raw.append([pos, kind, m.group(), "UNCLOSED"])
            else:
                m = _ANY.match(text, pos)
                raw.append([pos, Error, m.group(), "ERROR"])
        piece = m.group()
        if "\n" in piece:
            line_start = piece[piece.rindex("\n") + 1:].strip() == ""
        elif piece.strip():
            line_start = False
        pos = m.end()
    _refine_symbols(raw, primitives)
    for offset, token, piece, _ in raw:
        yield offset, token, piece


def _refine_symbols(raw: list[list], primitives: frozenset[str]) -> None:
    """Give each symbol its role from the next token that is not white space or a comment."""
    following = None
    for item in reversed(raw):
        name = item[3]
        if name == "SYMBOL" and following is not None:
            if following == "{":
                item[1] = Name.Class
            elif following == "=":
                item[1] = Name.Attribute
            elif following == "(" and item[2] in primitives:
                item[1] = Name.Builtin
        if item[1] not in (Whitespace, Comment.Single, Comment.Multiline):
            following = item[2]


class SeltzerLexer(Lexer):
    """Pygments lexer for seltzer knowledge files, scripts and console input (see module doc)."""

    name = "seltzer"
    aliases = ["seltzer", "kb"]
    filenames = ["*.kb", "*.ses"]
    mimetypes = ["text/x-seltzer"]

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        try:
            return iter(list(tokens(text)))
        except Exception:       # colouring must never take the console down: plain text instead
            return iter([(0, Text, text)])
