"""Where one console input ends, decided by the language's own grammar.

A console input is a query, a knowledge definition or a /command, and may span lines. Whether
the text typed so far is *complete*, *needs more* or is *already wrong* is decided by feeding
it to Lark's interactive LALR parser built from ``lang/grammar.lark`` (the same grammar the
parser uses, so the two cannot disagree), for both a query and a program:

- complete: one of them accepts the end of input here;
- needs more: no error so far, but the end of input is not acceptable yet (an open bracket,
  a trailing ``,``), or the lexer stops at a string, quoted symbol or block comment that is
  not closed yet (only where such a token may stand);
- already wrong: both reject a token; no added text can make the input valid.

:class:`Splitter` cuts a stream of lines into inputs with this rule, and recovers from a
mistake so that it costs only its own input (docs/decisions.md "Console input"):

- an input that is already wrong ends at the line where it became wrong; the lines after it
  that cannot begin an input on their own (the rest of a broken definition) are skipped;
- an input left open (unclosed bracket, string or comment) that later fails, or is still open
  at the end, is cut before the first following line that *starts an input* — a line that on
  its own is complete or needs more — and reported where the bracket or string was opened;
  the lines from the cut on are read again as new inputs;
- while a bracket is open, a line at the left margin that starts an input begins a new input
  at once: lines continuing a bracket are indented, or begin with what cannot start an input
  (``)``, ``}``, ``(1, a);``, ``"a.kb")``).
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import IO, Any, Iterator, NamedTuple

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

import lang.parser as _lang_parser
from lang.errors import Location, ParseError

__all__ = ["Status", "Piece", "Splitter", "examine", "is_complete", "read_lines"]

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")", "]", "}"}
_QUOTED = {'"': "STRING", "'": "QSYMBOL"}
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_COMMAND = re.compile(r"/(?![/*])([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)?[ \t]*")


class Status(NamedTuple):
    """What a text is as console input.

    ``state``: "empty" (only space and comments), "complete", "more" or "wrong".
    ``opened``: for "more", the offset of the innermost bracket, string or comment still open
    (None when the input is unfinished otherwise, e.g. after a trailing comma).
    ``at``: for "wrong", the offset of the offending token.
    """
    state: str
    opened: int | None = None
    at: int | None = None


_lark: Lark | None = None


def _grammar() -> Lark:
    """The language's grammar without the transformer: only the shape of the input matters."""
    global _lark
    if _lark is None:
        _lark = Lark.open("grammar.lark", rel_to=_lang_parser.__file__, parser="lalr",
                          start=["start", "query", "term"], maybe_placeholders=False, cache=True)
    return _lark


class _Walk(NamedTuple):
    """One start symbol's walk over a text: its status, and what resuming at the end needs
    (``state`` is None when the walk cannot resume: already wrong, or stopped in a string)."""
    status: Status
    state: Any = None
    stack: tuple = ()
    tokens: int = 0


def _walk(text: str, start: str, resume: _Walk | None = None, begin: int = 0) -> _Walk:
    """Feed ``text`` to the interactive parser for ``start`` — or only ``text[begin:]``,
    continuing ``resume``, the walk of ``text[:begin]`` (which ended between tokens)."""
    if resume is None:
        ip = _grammar().parse_interactive(text, start)
        stack, tokens = [], 0
    else:
        ip = _grammar().parse_interactive(text[begin:], start)
        ip.parser_state = resume.state.copy(deepcopy_values=False)
        stack, tokens = list(resume.stack), resume.tokens
    try:
        for tok in ip.iter_parse():
            tokens += 1
            v = tok.value
            if v in _OPENERS:
                stack.append(tok.start_pos + begin)
            elif v in _CLOSERS and stack:
                stack.pop()
    except UnexpectedCharacters as e:
        p = e.pos_in_stream + begin
        if text.startswith("/*", p):
            return _Walk(Status("more", p))
        kind = _QUOTED.get(text[p]) if p < len(text) else None
        if text.startswith("#'", p):
            kind = "HASHLABEL"
        if kind is not None and kind in (e.allowed or ()):
            return _Walk(Status("more", p))  # a string not closed yet, where a string may stand
        return _Walk(Status("wrong", at=p))
    except UnexpectedToken as e:
        return _Walk(Status("wrong", at=(e.token.start_pos or 0) + begin))
    except UnexpectedInput:  # any other rejection is at the end of the text
        return _Walk(Status("wrong", at=len(text)))
    state = ip.parser_state.copy(deepcopy_values=False)
    try:
        ip.feed_eof()
    except UnexpectedToken:
        return _Walk(Status("more", stack[-1] if stack else None), state, tuple(stack), tokens)
    return _Walk(Status("complete" if tokens else "empty"), state, tuple(stack), tokens)


def _combine(q: Status, p: Status | None) -> Status:
    """One status from the walks as a query (``q``) and as definitions (``p``)."""
    if q.state == "complete" or p is None:
        return q
    if p.state in ("complete", "empty"):
        return p
    if q.state == "more":
        return q
    if p.state == "more":
        return p
    return q if q.at >= p.at else p


def _command(text: str) -> Status | None:
    """The status of a /command (None when ``text`` is not one)."""
    m = _SPACE.match(text)
    c = _COMMAND.match(text, m.end())
    if c is None:
        return None
    rest = c.end()
    if not text.startswith("(", rest):
        return Status("complete")  # "/name" or "/name word ...": a command is one line
    st = _walk("c" + text[rest:], "term").status
    shift = rest - 1
    if st.state == "wrong":
        return Status("wrong", at=max(rest, st.at + shift))
    if st.opened is not None:
        return Status(st.state, opened=st.opened + shift)
    return st


def examine(text: str) -> Status:
    """Decide whether ``text`` is a complete console input, needs more, or is already wrong."""
    st = _command(text)
    if st is not None:
        return st
    q = _walk(text, "query").status
    return _combine(q, None if q.state == "complete" else _walk(text, "start").status)


class _Growing:
    """:func:`examine` for a text that grows line by line: each start symbol's walk resumes
    where the previous line left it, so reading an input of n lines costs O(n), not O(n²)."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.walks: dict[str, _Walk] = {}

    def examine(self, text: str) -> Status:
        st = _command(text)
        if st is not None:
            self.text = None
            return st
        prev, walks = self.text, {}
        for start in ("query", "start"):
            w = self.walks.get(start) if prev is not None and text.startswith(prev) else None
            if w is not None and w.status.state == "wrong":
                walks[start] = w  # no added text can mend it
            elif w is not None and w.state is not None:
                walks[start] = _walk(text, start, w, len(prev))
            else:
                walks[start] = _walk(text, start)
        self.text, self.walks = text, walks
        return _combine(walks["query"].status, walks["start"].status)


def is_complete(text: str) -> bool:
    """True when pressing Enter after ``text`` should run it (rather than start a new line):
    every input in it is complete or already wrong (see :class:`Splitter`)."""
    sp = Splitter(None)
    for line in text.split("\n"):
        sp.feed(line)
    return not sp.pending


@dataclass(slots=True)
class Piece:
    """One input cut from a stream of lines: its text, the number of its first line, and,
    for an input that was left open, the error to report instead of running it."""
    text: str
    line: int
    error: ParseError | None = None


class Splitter:
    """Cuts lines into console inputs (see the module docstring); feed lines, then finish."""

    def __init__(self, file: str | None = "<script>", first_line: int = 1) -> None:
        self.file = file
        self._buf: list[str] = []        # lines of the input being read
        self._start = first_line          # line number of _buf[0]
        self._next = first_line           # line number of the next line fed
        self._skipping = False            # after a wrong input: skip lines that cannot start one
        self._queue: deque = deque()      # (line, number) to read (again)
        self._grow = _Growing()           # the grammar walk of _buf, resumed line by line
        self._open = Status("more")       # the status of _buf (needs more)

    @property
    def pending(self) -> bool:
        """True while an unfinished input waits for more lines."""
        return bool(self._buf)

    def feed(self, line: str) -> list[Piece]:
        """Read one line (without its line break); return the inputs it finished."""
        self._queue.append((line, self._next))
        self._next += 1
        out: list[Piece] = []
        self._drain(out)
        return out

    def finish(self) -> list[Piece]:
        """End of the stream: return what is left (an unfinished input is reported)."""
        out: list[Piece] = []
        while self._buf:
            self._cut(examine("\n".join(self._buf)), out, at_end=True)
            self._drain(out)
        return out

    def _drain(self, out: list[Piece]) -> None:
        while self._queue:
            line, n = self._queue.popleft()
            self._take(line, n, out)

    def _take(self, line: str, n: int, out: list[Piece]) -> None:
        if not self._buf:
            self._grow = _Growing()
            st = self._grow.examine(line)
            if st.state == "empty":
                return
            if self._skipping:
                if st.state == "wrong":
                    return
                self._skipping = False
            if st.state == "more":
                self._buf, self._start, self._open = [line], n, st
                return
            out.append(Piece(line, n))
            self._skipping = st.state == "wrong"
            return
        head = self._open
        if (line[:1] not in (" ", "\t") and head.opened is not None and "\n".join(self._buf)[head.opened] in _OPENERS
                and examine(line).state in ("complete", "more")):
            # a bracket is open, and a line at the margin can begin an input by itself: the open
            # input ends before it (or before an earlier line that starts an input), so that it
            # cannot close the bracket and vanish into the broken input
            at = len("\n".join(self._buf)) + 1
            self._buf.append(line)
            self._cut(Status("wrong", at=at), out, at_end=False)
            return
        self._buf.append(line)
        text = "\n".join(self._buf)
        st = self._grow.examine(text)
        if st.state == "more":
            self._open = st
            return
        if st.state == "wrong":
            self._cut(st, out, at_end=False)
            return
        if st.state == "complete":
            out.append(Piece(text, self._start))
        self._buf = []

    def _cut(self, st: Status, out: list[Piece], at_end: bool) -> None:
        """The buffered input failed (or the stream ended inside it): cut it before the first
        later line that starts an input, or report it whole."""
        lines, start = self._buf, self._start
        self._buf = []
        fail_line = None
        if st.state == "wrong":
            before = "\n".join(lines)[: st.at]
            if before.rsplit("\n", 1)[-1].strip() == "":  # the failing token begins its line
                fail_line = before.count("\n")
        for j in range(1, len(lines)):
            if examine(lines[j]).state not in ("complete", "more"):
                continue
            prefix = "\n".join(lines[:j])
            head = examine(prefix)
            if head.state == "more" and (head.opened is not None or j == fail_line):
                out.append(Piece(prefix, start, self._unfinished(prefix, head, start)))
                self._queue.extendleft(reversed([(x, start + j + k) for k, x in enumerate(lines[j:])]))
                return
        text = "\n".join(lines)
        if st.state == "wrong":
            out.append(Piece(text, start))  # running it reports the parser's own error
            self._skipping = True
        else:
            out.append(Piece(text, start, self._unfinished(text, st, start)))

    def _unfinished(self, text: str, st: Status, start: int) -> ParseError:
        """The error for an input left open: where its bracket or string was opened, or where
        it stops."""
        file = self.file or "<query>"
        if st.opened is not None:
            at = st.opened
            opener = text[at]
            if text.startswith("/*", at):
                what = "block comment '/*' is not closed"
            elif opener == '"':
                what = "string is not closed"
            elif opener == "'" or text.startswith("#'", at):
                what = "quoted symbol is not closed"
            else:
                what = f"'{opener}' is not closed (expected '{_OPENERS.get(opener, '?')}')"
        else:  # e.g. after a trailing ',': the parser's own message says what was expected
            return _parser_error(text, file, start)
        line = text.count("\n", 0, at)
        line_start = text.rfind("\n", 0, at) + 1
        col = at - line_start + 1
        src = text[line_start:].split("\n", 1)[0]
        return ParseError(what, Location(file, start + line, col), src + "\n" + " " * (col - 1) + "^")


def read_lines(stream: IO[str]) -> Iterator[str]:
    """The lines of a text stream as they arrive, split on ``\\n`` and ``\\r\\n`` only (not on
    the other line breaks ``str.splitlines`` knows, which may stand inside a string literal).

    Open the stream with ``newline="\\n"`` (no translation) so that a ``\\r`` is seen here.
    """
    for line in stream:
        if line.endswith("\n"):
            line = line[:-1]
            if line.endswith("\r"):
                line = line[:-1]
        yield line


def _parser_error(text: str, file: str, start: int) -> ParseError:
    """The language parser's error for an unfinished ``text`` (as a query or as definitions,
    whichever got further)."""
    from lang.parser import parse_program, parse_query
    source = "\n" * (start - 1) + text
    errors = []
    for parse in (parse_query, parse_program):
        try:
            parse(source, file)
        except ParseError as e:
            errors.append(e)
    if not errors:
        return ParseError("unfinished input", Location(file, start, 1))
    return max(errors, key=lambda e: (e.where.line, e.where.col) if isinstance(e.where, Location) else (0, 0))
