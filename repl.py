"""seltzer's command line: load files, run scripts and -e lines, or open the interactive console.

    seltzer [FILE.kb|FILE.kbz ...] [--script FILE] [-e LINE]... [--json] [--ttl S] [--workers N] [--ray [ADDRESS]]
    seltzer serve-tome FOLDER [--host H] [--port N] [--cors ORIGIN] [--threads N]
    seltzer check STORE [--quick] [--json]

Everything but argument handling and prompt-toolkit wiring lives in substrate.console.
"""
from __future__ import annotations

import gc
import io
import os
import sys
from typing import Callable

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    import argparse
    commands = "\n".join(f"  {name:12s}{text}" for name, text in _COMMAND_HELP.items())
    p = argparse.ArgumentParser(prog="seltzer", description="A rule-based knowledge engine.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=f"commands (seltzer COMMAND --help for each):\n{commands}")
    p.add_argument("files", nargs="*", metavar="FILE", help=".kb or .kbz files to load first")
    p.add_argument("--script", metavar="FILE", help="run the lines of FILE")
    p.add_argument("-e", dest="lines", action="append", default=[], metavar="LINE", help="run LINE (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object per line")
    p.add_argument("--ttl", type=float, default=60.0, metavar="S", help="time to live of a query (default 60)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes for loading (default: half the cores)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    p.add_argument("--version", action="version", version=f"seltzer {_version()}")
    p.add_argument("--trust", action="store_true",
                   help="let loaded knowledge touch any path (see docs/security.md)")
    p.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                   help="host fact and store elementals on Ray actors: a local Ray instance, or the "
                        "cluster at ADDRESS (e.g. auto, 10.0.0.5:6379); needs pip install 'seltzer[ray]'")
    return p


_COMMAND_HELP = {
    "serve-tome": "serve transcriptome data (JSON means, PNG pictures) over HTTP",
    "check": "check an LMDB store's health",
}


def _commands() -> argparse.ArgumentParser:
    """The sub-commands, each a real argparse sub-parser with its own ``--help``; ``seltzer --help``
    lists them (see :func:`_parser`)."""
    import argparse
    p = argparse.ArgumentParser(prog="seltzer")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from substrate.tome.web import add_serve_arguments, serve_command
    serve = sub.add_parser("serve-tome", help=_COMMAND_HELP["serve-tome"],
                           description="Serve a tome folder with the seed's URL scheme: "
                                       "?seqid=S&xmin=A&xmax=B[&tissue=T][&width=W[&height=H][&axes=1]]")
    add_serve_arguments(serve)
    serve.set_defaults(run=serve_command)
    check = sub.add_parser("check", help=_COMMAND_HELP["check"], description="Check an LMDB store's health.")
    check.add_argument("path")
    check.add_argument("--quick", action="store_true", help="checksums and pages only, no cross-checks")
    check.add_argument("--json", action="store_true", help="print the report as one JSON object")
    check.set_defaults(run=_check)
    return p


def _check(a: argparse.Namespace) -> int:
    """``seltzer check PATH [--quick] [--json]``: a store's health, read in a child process."""
    if "\0" in a.path:
        print("error: a store path cannot contain a NUL byte", file=sys.stderr)
        return 2
    import json
    from substrate.store.check import check_in_child, format_report
    report = check_in_child(a.path, quick=a.quick)
    print(json.dumps(report) if a.json else format_report(report))
    return 0 if report["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``seltzer`` command; returns the exit status (130 after Ctrl-C,
    wherever it lands: while the modules load, a file loads or a line runs)."""
    started = _quit_on_ctrl_c_while_starting()
    try:
        return _main(sys.argv[1:] if argv is None else argv, started)
    except KeyboardInterrupt:
        return 130
    finally:
        started()


def _quit_on_ctrl_c_while_starting():
    """Until the modules are imported, Ctrl-C ends the program at once with status 130 (there
    is nothing to undo yet): a KeyboardInterrupt raised inside an import can come out as
    another exception or as an "Exception ignored" traceback. Returns the function that puts
    the usual Ctrl-C handling back."""
    import signal
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: os._exit(130))
    except ValueError:  # not the main thread: signals are not ours to handle
        return lambda: None
    return lambda: signal.signal(signal.SIGINT, previous)


def _main(argv: list[str], started: Callable[[], object]) -> int:
    if argv[:1] and argv[0] in _COMMAND_HELP:
        commands = _commands()
        started()
        command = commands.parse_args(argv)
        return command.run(command)
    args = _parser().parse_args(argv)
    if not 0 < args.ttl <= 1e9 or (args.workers is not None and args.workers < 1):   # (refuses nan)
        _parser().error("--ttl must be a positive number of seconds up to 1e9, and --workers positive")
    from substrate import Substrate
    from substrate.console import Console
    from substrate.console.reader import read_lines
    started()

    # The engine allocates many short-lived objects; Python's default generation-0 threshold
    # (700) makes the collector the largest single cost of a proof (bench/classic.py --profile).
    gc.set_threshold(100_000, 50, 100)
    for stream in (sys.stdout, sys.stderr):  # text with lone surrogates (console.puts) prints escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")

    def out(text: str) -> None:
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (| head): stop quietly, as other tools do
            _stdout_to_devnull()
            raise SystemExit(141) from None

    from lang.errors import SeltzerError
    try:
        sub = Substrate(ttl=args.ttl, workers=args.workers, cluster=args.ray, trust=args.trust)
    except SeltzerError as e:  # ray missing or the cluster unreachable
        print(f"seltzer: {e.message()}", file=sys.stderr)
        return 2
    interactive = not args.script and not args.lines and sys.stdin.isatty() and sys.stdout.isatty()
    console = Console(sub, out, json_mode=args.json, echo=not interactive, debug=args.debug)
    failures = 0
    try:
        if args.files:
            cmd = "/load(" + ", ".join(_quote(f) for f in args.files) + ")"
            failures += not console.run_line(cmd)
            gc.freeze()  # what was loaded stays: keep it out of every later collection
        if args.script:
            try:
                f = open(args.script, encoding="utf-8", newline="\n")
            except OSError as e:
                print(f"seltzer: cannot read script {args.script}: {e.strerror or e}", file=sys.stderr)
                return 2
            with f:
                try:
                    failures += console.run_script(read_lines(f), args.script)
                except UnicodeDecodeError:
                    print(f"seltzer: cannot read script {args.script}: not UTF-8 text", file=sys.stderr)
                    return 2
        for line in args.lines:
            if console.quit:
                break
            failures += console.run_text(line)
        if not args.script and not args.lines:
            if interactive:
                run_interactive(console)
            else:  # piped: each input runs as soon as its last line has arrived
                stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="\n")
                try:
                    failures += console.run_script(read_lines(stdin), "<stdin>")
                except UnicodeDecodeError:
                    print("seltzer: cannot read <stdin>: not UTF-8 text", file=sys.stderr)
                    return 2
    except KeyboardInterrupt:
        return 130
    finally:
        sub.close()
    return 1 if failures else 0


# ---- the interactive console: prompt-toolkit wiring around substrate.console ----------------

def run_interactive(console) -> None:
    """Run the prompt-toolkit console until /quit or Ctrl-D."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.lexers import PygmentsLexer
    from prompt_toolkit.styles.pygments import style_from_pygments_dict

    from lang.primitives import REGISTRY
    from substrate.console.commands import COMMANDS
    from lang.highlight import STYLE, SeltzerLexer
    from substrate.console import is_complete
    from substrate.console.completion import complete

    class _Completer(Completer):
        def get_completions(self, document, complete_event):
            for c in complete(document.text_before_cursor, console.sub.labels(), COMMANDS, REGISTRY):
                yield Completion(c.text, start_position=-c.replace)

    keys = KeyBindings()

    @keys.add("enter")
    def _enter(event):
        buf = event.current_buffer
        if is_complete(buf.text):
            buf.validate_and_handle()
        else:
            buf.insert_text("\n")

    history = _history(os.path.expanduser("~/.seltzer_history"))
    session = PromptSession(history=history, completer=_Completer(), lexer=PygmentsLexer(SeltzerLexer),
                            key_bindings=keys, multiline=True, style=style_from_pygments_dict(STYLE), prompt_continuation="..  ")
    console.progress = _progress_bars
    console.page = 100
    console.out("seltzer: /help lists commands and primitives; Ctrl-D quits")
    while not console.quit:
        try:
            text = session.prompt("?- ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            console.run_text(text)
        except KeyboardInterrupt:
            console.out("% interrupted")
        except Exception as e:  # the console never dies: one line, a traceback only with --debug
            if console.debug:
                import traceback
                traceback.print_exc()
            console.out(f"error: internal error: {type(e).__name__}: {e}")


def _history(path: str):
    """History in ``path``, or kept in memory when that file cannot be written."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    try:
        with open(path, "ab"):
            pass
    except OSError:
        return InMemoryHistory()
    return FileHistory(path)


def _progress_bars(label: str, total: int | None):
    """A prompt-toolkit progress bar: returns ``update(done)``; ``update(None)`` closes it,
    drawn full only when everything was done (not after Ctrl-C or an error).

    While the bar is open its own thread reads the keyboard, and turns Ctrl-C into a SIGINT
    for this process. A KeyboardInterrupt raised inside prompt-toolkit (say, while closing the
    bar joins its thread) could leave that thread running the terminal, so a Ctrl-C that comes
    while this process is inside the bar's code is held and raised when it leaves it."""
    import signal
    from prompt_toolkit.shortcuts import ProgressBar
    from prompt_toolkit.shortcuts.progress_bar import formatters
    held = {"inside": True, "ctrl_c": False}

    def on_sigint(signum, frame):
        if held["inside"]:
            held["ctrl_c"] = True
        else:
            raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: Ctrl-C is not ours to handle
        previous = None
    formats = [_count_formatter() if type(f) is formatters.Progress else f
               for f in formatters.create_default_formatters()]
    bar = ProgressBar(formatters=formats)  # the counter's label is the only title: printed once
    bar.__enter__()
    counter = bar(label=label, total=total)
    held["inside"] = False

    def update(done):
        held["inside"] = True
        try:
            if done is None:
                if total is not None and counter.items_completed >= total and not held["ctrl_c"]:
                    counter.done = True
                else:
                    counter.stopped = True
                bar.__exit__(None, None, None)
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            else:
                counter.items_completed = done
                bar.invalidate()
        finally:
            held["inside"] = False
        if held["ctrl_c"]:
            held["ctrl_c"] = False
            raise KeyboardInterrupt

    return update


def _counts(done: int, total: int | None) -> tuple[str, str]:
    """``done`` and ``total`` as a bar shows them: 60000/60000, or 21.3M/28.4M when the total
    reaches a million (a /load counts bytes of source)."""
    if total is None:
        return str(done), "?"
    if total < 1_000_000:
        return str(done), str(total)
    return f"{done / 1e6:.1f}M", f"{total / 1e6:.1f}M"


def _count_formatter():
    from prompt_toolkit.formatted_text import HTML
    from prompt_toolkit.layout.dimension import D
    from prompt_toolkit.shortcuts.progress_bar import formatters

    class Count(formatters.Progress):
        """``done/total`` with large counts shortened (prompt-toolkit's Progress shows every digit)."""

        def format(self, progress_bar, progress, width):
            done, total = _counts(progress.items_completed, progress.total)
            return HTML("<current>{}</current>/<total>{}</total>").format(done.rjust(len(total)), total)

        def get_width(self, progress_bar):
            widths = [len(_counts(0, c.total)[1]) for c in progress_bar.counters]
            return D.exact(max(widths + [1]) * 2 + 1)

    return Count()


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null so that the final flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("seltzer")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    sys.exit(main())
