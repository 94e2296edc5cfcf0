"""The console: runs console lines (queries, commands, definitions) and formats their output.

Scripts, ``-e`` lines, the interactive REPL and ``console.exec`` all go through
:meth:`Console.run_line`. The pure helpers here — :func:`is_complete`, :func:`classify`,
:func:`split_command`, :func:`completions` — are what the REPL wires into prompt-toolkit;
they are tested without a terminal. Only this module writes output, through ``out``.
"""
from __future__ import annotations

import gc
import json
import re
import time
from typing import Any, Callable, Iterable

from lang.errors import CommandError, EvaluationError, Location, ParseError, SeltzerError
from lang.parser import parse_term
from lang.printer import show
from lang.terms import Compound, Var, to_python

from ..units import format_elapsed
from .reader import Splitter, is_complete
from .result import RunResult

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
    """Candidate completions (as listed) for the word before the cursor at the end of ``text``;
    see :func:`~substrate.console.completion.complete`."""
    from .completion import complete
    return [c.display for c in complete(text, labels, commands, primitives)]



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
        self._record: RunResult | None = None  # what run_capture collects
        self.page: int | None = None  # the interactive console shows this many answers, then /more
        self._more: tuple[list[str], int] = ([], 0)  # answers held back, and those not even kept
        sub._console = self
        sub.output = self.emit

    # -- output ------------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        """Program output (console.puts, spy): plain text, or {"output": ...} in JSON mode."""
        self.out(json.dumps({"output": text}) if self.json else text)

    def error(self, err: SeltzerError, line: str = "") -> None:
        """Report an error: one message (with the source line and caret for syntax errors)."""
        if self._record is not None and self._record.error is None:
            self._record.error = err
        if self.json:
            obj = {"error": err.text}
            if err.where:
                obj["where"] = str(err.where)
            self.out(json.dumps(obj))
        else:
            self.out("error: " + err.message().replace("\n", "\n    "))

    # -- running lines ----------------------------------------------------------------------------
    def run_line(self, line: str, file: str | None = None, first_line: int = 1) -> bool:
        """Run one complete input as one transaction; True unless it failed with an error.

        ``file`` and ``first_line`` say where the input comes from (a script), so that errors
        point into the script rather than at ``<query>``. Lines from several threads run one
        at a time (the substrate's lock): each is its own transaction.
        """
        with self.sub.lock:
            return self._run_locked(line, file, first_line)

    def run_capture(self, line: str) -> RunResult:
        """Run one line and return what it did (printed lines, solutions, error); the output
        still goes to ``out`` as well."""
        rec = RunResult(line)
        with self.sub.lock:
            out, outer_rec = self.out, self._record

            def tee(text: str) -> None:
                rec.output.extend(text.split("\n"))
                out(text)

            self.out, self._record = tee, rec
            try:
                rec.ok = self._run_locked(line, None, 1)
            finally:
                self.out, self._record = out, outer_rec
        if not rec.ok and rec.error is None:
            rec.error = SeltzerError("the line failed")
        return rec

    def _run_locked(self, line: str, file: str | None, first_line: int) -> bool:
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
        failure: SeltzerError | None = None
        oom = False
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
            failure = e
        except KeyboardInterrupt:
            if not outer:
                sub.rollback()
            raise
        except RecursionError:
            if outer:
                raise
            failure = EvaluationError("nested too deeply (Python recursion limit)")
        except MemoryError:
            if outer:
                raise
            oom = True  # leaving the handler drops the traceback, and with it what the line built
            failure = EvaluationError("out of memory: the line's work was undone")
        except Exception as e:  # a bug of ours: one line (traceback with --debug), nothing kept
            if outer:
                raise
            if self.debug:
                import traceback
                traceback.print_exc()
            failure = SeltzerError(f"internal error: {type(e).__name__}: {e} (run with --debug for details)")
        if failure is not None:
            if oom:
                gc.collect()
            sub.rollback()
            self.error(failure, line)
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
        page = None if self.json else self.page
        held: list[str] = []
        for answer, truth in sub.solve(self._source(text), machine=m, file=self._where[0] or "<query>"):
            count += 1
            sub.settle(flush=False)  # what this solution triggered finishes before it is printed
            if self._record is not None:
                self._record.solutions.append({k: to_python(v) for k, v in answer.items()})
            if self.json:
                sol = {k: show(v) for k, v in answer.items()}
                if truth < 1.0:  # a query variable named :truth keeps its key; the value moves aside
                    sol["$truth" if "truth" in answer else "truth"] = truth
                rows.append(sol)
            elif page is None or count <= page:
                self.out(_solution_text(answer, truth))
            elif len(held) < _HELD:
                held.append(_solution_text(answer, truth))
        elapsed = time.perf_counter() - t0
        if page is not None:
            self._more = (held, count - page - len(held))
            if count > page:
                self.out(self._more_text())
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

    def more(self) -> str:
        """Print the next page of the last query's answers; the message after them."""
        held, dropped = self._more
        if not held:
            return "no more answers" + (f" ({dropped} not kept: -e or --script show all)" if dropped else "")
        step = self.page or len(held)
        for line in held[:step]:
            self.out(line)
        del held[:step]
        return self._more_text() if held or dropped else "end of the answers"

    def _more_text(self) -> str:
        held, dropped = self._more
        n = len(held) + dropped
        return f"% … {n} more; /more or -e/--script show all"

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
            self.report(result, text.strip(), ok)
        return ok

    def _source(self, text: str) -> str:
        """The input padded with blank lines so that parse locations match the script's lines."""
        file, first = self._where
        return ("\n" * (first - 1) + text) if first > 1 else text

    def report(self, message: str, command: str, ok: bool = True) -> None:
        """Print a command's result message (``% message``, or a JSON object whose ``ok`` is
        False when some part of the command failed and was reported)."""
        if self.json:
            self.out(json.dumps({"command": command, "ok": ok, "message": message}))
        else:
            for line in message.splitlines():
                self.out("% " + line if line else "%")


_HELD = 100_000  # answers kept for /more after the first page; the rest are only counted


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
