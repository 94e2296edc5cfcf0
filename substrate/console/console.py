"""The console: runs console lines (queries, commands, definitions) and formats their output.

Scripts, ``-e`` lines, the interactive REPL and ``console.exec`` all go through
:meth:`Console.run_line`. The pure helpers here — :func:`is_complete`, :func:`classify`,
:func:`split_command`, :func:`completions` — are what the REPL wires into prompt-toolkit;
they are tested without a terminal. Only this module writes output, through ``out``.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Iterable

from lang.errors import CommandError, Location, ParseError, SeltzerError
from lang.parser import parse_term
from lang.printer import show
from lang.terms import Compound, Var

from ..units import format_elapsed
from .reader import Splitter, is_complete

__all__ = ["Console", "is_complete", "classify", "split_command", "completions"]

_DEFINITION = re.compile(r"\s*[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\s*\{")
_COMMAND = re.compile(r"/([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*(.*)\Z", re.S)


def classify(text: str) -> str:
    """What a complete input is: 'empty', 'command', 'definition' or 'query'."""
    s = _strip_comments(text).strip()
    if not s:
        return "empty"
    if s.startswith("/"):
        return "command"
    if _DEFINITION.match(s):
        return "definition"
    return "query"


def _strip_comments(text: str) -> str:
    s = text.strip()
    while True:
        if s.startswith("//"):
            j = s.find("\n")
            s = "" if j < 0 else s[j + 1:].strip()
        elif s.startswith("/*"):
            j = s.find("*/")
            s = "" if j < 0 else s[j + 2:].strip()
        else:
            return s


def split_command(text: str, file: str = "<command>", first_line: int = 1) -> tuple[str, list]:
    """Split ``/name(args)`` or ``/name word word`` into the name and its argument terms.

    In the shell-style form a word that does not read as a term is taken as a string.
    ``file`` and ``first_line`` say where the text stands, for the location of a syntax error.
    """
    m = _COMMAND.match(text.strip())
    if not m:
        raise CommandError(f"not a command: {text.strip()!r}")
    name, rest = m.group(1), m.group(2).strip()
    if not rest:
        return name, []
    if rest.startswith("("):
        try:
            term = parse_term("c" + rest, file)
        except ParseError as e:  # point at the text as typed, not at the text parsed
            typed = text.strip()
            where = e.where if isinstance(e.where, Location) else Location(file, 1, 1)
            col = where.col + (len(typed) - len(rest) - 1 if where.line == 1 else 0)
            line = where.line
            lead = text[: len(text) - len(text.lstrip())].count("\n")
            src = typed.split("\n")[line - 1] if line <= typed.count("\n") + 1 else ""
            raise ParseError(e.text, Location(file, first_line + lead + line - 1, col),
                             src + "\n" + " " * (col - 1) + "^") from None
        if type(term) is not Compound:
            raise CommandError(f"/{name}: cannot read the arguments {rest!r}")
        return name, list(term.args)
    args = []
    for word in _words(rest):
        try:
            args.append(parse_term(word, "<command>"))
        except ParseError:
            args.append(word)
    return name, args


def _words(text: str) -> list[str]:
    """Split on white space, keeping quoted and bracketed groups together."""
    words, cur, depth, quote = [], [], 0, None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch.isspace() and depth <= 0:
            if cur:
                words.append("".join(cur))
                cur = []
            continue
        cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


def completions(text: str, labels: Iterable[str], commands: Iterable[str], primitives: Iterable[str]) -> list[str]:
    """Candidate completions for the word before the cursor at the end of ``text``."""
    m = re.search(r"(/|#)?([A-Za-z0-9_.]*)\Z", text)
    if not m:
        return []
    sigil, word = m.group(1) or "", m.group(2)
    at_start = text[: m.start()].strip() == ""
    if sigil == "/" and at_start:
        return sorted("/" + c for c in commands if c.startswith(word))
    if sigil == "#":
        return sorted("#" + lab for lab in labels if lab.startswith(word))
    if not word:
        return []
    return sorted(p for p in primitives if p.startswith(word))



class Console:
    """Runs console lines against a substrate and writes their results through ``out``.

    ``json`` switches to one JSON object per line; ``echo`` prints each line (``?- line``)
    before its answer, as scripts do; ``progress`` makes progress callbacks for long commands.
    """

    def __init__(self, sub, out: Callable[[str], None] | None = None, *, json_mode: bool = False,
                 echo: bool = False, debug: bool = False) -> None:
        self.sub = sub
        self.out = out or sub.output
        self.json = json_mode
        self.echo = echo
        self.debug = debug
        self.progress: Callable[[str, int | None], Any] | None = None
        self._where: tuple[str | None, int] = (None, 1)
        self.quit = False
        sub._console = self
        sub.output = self.emit

    # -- output ------------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        """Program output (console.puts, spy): plain text, or {"output": ...} in JSON mode."""
        self.out(json.dumps({"output": text}) if self.json else text)

    def error(self, err: SeltzerError, line: str = "") -> None:
        """Report an error: one message (with the source line and caret for syntax errors)."""
        if self.json:
            obj = {"error": err.text}
            if err.where:
                obj["where"] = str(err.where)
            self.out(json.dumps(obj))
        else:
            self.out("error: " + err.message().replace("\n", "\n    "))

    # -- running lines ----------------------------------------------------------------------------
    def run_line(self, line: str, file: str | None = None, first_line: int = 1) -> bool:
        """Run one complete input; True unless it failed with an error.

        ``file`` and ``first_line`` say where the input comes from (a script), so that errors
        point into the script rather than at ``<query>``.
        """
        self._where = (file, first_line)
        kind = classify(line)
        if kind == "empty":
            return True
        if self.echo and not self.json:
            self.out("?- " + line.strip())
        sub = self.sub
        outer = sub.in_transaction()
        if not outer:
            sub.begin()
        try:
            if kind == "command":
                ok = self.run_command(line)
            elif kind == "definition":
                ok = self.run_definition(line)
            else:
                ok = self.run_query(line)
        except SeltzerError as e:
            if outer:
                raise  # console.exec inside a line: the outer line fails as a whole
            sub.rollback()
            self.error(e, line)
            return False
        except KeyboardInterrupt:
            if not outer:
                sub.rollback()
            raise
        except RecursionError:
            if outer:
                raise
            sub.rollback()
            self.error(SeltzerError("nested too deeply (Python recursion limit)"), line)
            return False
        except Exception as e:  # a bug of ours: one line (traceback with --debug), nothing kept
            if outer:
                raise
            sub.rollback()
            if self.debug:
                import traceback
                traceback.print_exc()
            self.error(SeltzerError(f"internal error: {type(e).__name__}: {e} (run with --debug for details)"), line)
            return False
        if not outer:
            sub.commit()
        return ok

    def run_script(self, lines: Iterable[str], file: str | None = "<script>") -> int:
        """Run a script's lines as they arrive (an input may span lines; see
        :class:`~substrate.console.reader.Splitter` for where inputs end and how a mistake is
        recovered from); returns the number of failures."""
        failures = 0
        sp = Splitter(file)
        for line in lines:
            for piece in sp.feed(line):
                failures += not self._run_piece(piece, file)
                if self.quit:
                    return failures
        for piece in sp.finish():
            failures += not self._run_piece(piece, file)
            if self.quit:
                break
        return failures

    def run_text(self, text: str, file: str | None = None) -> int:
        """Run console input that may hold several inputs (a pasted block); returns the number
        of failures."""
        return self.run_script(text.split("\n"), file)

    def _run_piece(self, piece, file: str | None) -> bool:
        if piece.error is None:
            return self.run_line(piece.text, file, piece.line)
        if self.echo and not self.json:
            self.out("?- " + piece.text.strip())
        self.error(piece.error, piece.text)
        return False

    def run_query(self, text: str) -> bool:
        """Solve a query and print its solutions and the summary line."""
        from lang.solver import Machine
        sub = self.sub
        m = Machine(sub, sub.ttl)
        t0 = time.perf_counter()
        rows = []
        count = 0
        for answer, truth in sub.solve(self._source(text), machine=m, file=self._where[0] or "<query>"):
            count += 1
            sub.settle(flush=False)  # what this solution triggered finishes before it is printed
            if self.json:
                sol = {k: show(v) for k, v in answer.items()}
                if truth < 1.0:
                    sol["truth"] = truth
                rows.append(sol)
            else:
                self.out(_solution_text(answer, truth))
        elapsed = time.perf_counter() - t0
        warnings = [f"no elemental holds {lab}/{n}" for lab, n in sorted(m.unknown)]
        if m.partial:
            warnings.append("time to live ran out: the answer may be partial")
        if self.json:
            obj = {"query": text.strip(), "solutions": rows, "count": count, "elapsed": round(elapsed, 6),
                   "partial": m.partial}
            if warnings:
                obj["warnings"] = warnings
            self.out(json.dumps(obj))
        else:
            word = "solution" if count == 1 else "solutions"
            summary = f"% {count} {word} in {format_elapsed(elapsed)}"
            if warnings:
                summary += " (warning: " + "; ".join(warnings) + ")"
            self.out(summary)
        return True

    def run_definition(self, text: str) -> bool:
        """Load a knowledge definition typed at the console or written in a script."""
        t0 = time.perf_counter()
        made = self.sub.load_text(self._source(text), self._where[0] or "<console>")
        msg = ", ".join(f"{e.label} ({e.cls}, {e.count()})" for e in made)
        self.report(f"defined {msg} in {format_elapsed(time.perf_counter() - t0)}", "<definition>")
        return True

    def run_command(self, text: str) -> bool:
        """Run a /command."""
        from .commands import COMMANDS
        file, first = self._where
        name, args = split_command(text, file or "<command>", first)
        cmd = COMMANDS.get(name)
        if cmd is None:
            import difflib
            close = difflib.get_close_matches(name, list(COMMANDS), n=1)
            hint = f" (did you mean /{close[0]}?)" if close else " (try /help)"
            raise CommandError(f"unknown command /{name}{hint}")
        cmd.check_arity(len(args))
        result = cmd.fn(self, *args)
        ok = True
        if type(result) is tuple:  # (message, ok): some parts failed and were reported
            result, ok = result
        self.sub.settle()
        if result:
            self.report(result, text.strip())
        return ok

    def _source(self, text: str) -> str:
        """The input padded with blank lines so that parse locations match the script's lines."""
        file, first = self._where
        return ("\n" * (first - 1) + text) if first > 1 else text

    def report(self, message: str, command: str) -> None:
        """Print a command's result message (``% message``, or a JSON object)."""
        if self.json:
            self.out(json.dumps({"command": command, "ok": True, "message": message}))
        else:
            for line in message.splitlines():
                self.out("% " + line if line else "%")


def _solution_text(answer: dict, truth: float) -> str:
    """``:x = b, :y = c`` (variables left unbound are not shown, as in SWI-Prolog), or ``yes``."""
    names: dict = {}
    for k, v in answer.items():  # an unbound answer variable prints by its query name
        if type(v) is Var and id(v) not in names:
            names[id(v)] = ":" + k
    parts = [f":{k} = {show(v, names)}" for k, v in answer.items() if type(v) is not Var]
    text = ", ".join(parts) if parts else "yes"
    if truth < 1.0:
        text += f" := {truth:.2f}"
    return text
