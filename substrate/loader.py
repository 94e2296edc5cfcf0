"""Loading knowledge files: parse and compile (in worker processes when there are several),
then install each file's elementals all at once, or none of them if anything is wrong.

Work is split so the expensive part runs where it can run in parallel: a worker reads,
parses and compiles a whole file and sends back compact compiled entries; the main process
only builds elementals and installs them, overlapping with the workers still parsing.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable

from lang.clauses import compile_entry
from lang.errors import CompileError, DataError, SeltzerError
from lang.parser import parse_program
from lang.primitives import REGISTRY
from lang.printer import show
from lang.program import Definition, Statement
from lang.terms import Symbol, deref

from .elemental import FactElemental, RuleElemental, index_positions
from .memory import give_back, paused_gc

__all__ = ["LoadResult", "CompiledDefinition", "compile_file", "compile_definitions", "install",
           "load_files", "ELEMENTAL_CLASSES", "read_text"]


@dataclass(slots=True)
class CompiledDefinition:
    """A definition ready to become an elemental: label, properties, compiled entries."""
    label: str
    properties: dict
    entries: list
    procedural: bool
    where: Any = None


@dataclass(slots=True)
class LoadResult:
    """What loading one file did: elementals and statements installed, seconds, or the error."""
    file: str
    elementals: list = field(default_factory=list)
    statements: int = 0
    seconds: float = 0.0
    error: SeltzerError | None = None


def read_text(path: str) -> str:
    """Read a UTF-8 text file, turning every OS or decoding problem into a DataError."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError("no such file", path) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a file", path) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path) from None
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark is not part of the text
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise DataError(f"not UTF-8 text (byte 0x{data[e.start]:02x})", f"{path}:{line}:{col}") from None


def compile_definitions(definitions: list[Definition]) -> list[CompiledDefinition]:
    """Compile parsed definitions (raises CompileError at the first problem)."""
    out = []
    for d in definitions:
        props = {k: deref(v) for k, v in d.properties.items()}
        _check_properties(d, props)
        data = not d.procedural  # statements of a fact elemental: matched as data, no code each
        entries = [_plain(e) or compile_entry(e, REGISTRY, data=data) for e in d.entries]
        out.append(CompiledDefinition(d.label, props, entries, d.procedural, d.loc))
    return out


_ATOMIC = (int, str, float, Symbol)


def _plain(e) -> tuple | None:
    """A statement of atomic literals with truth 1 is its arguments as they are (no
    compiling: the common data-file row); anything else goes through compile_entry."""
    if type(e) is Statement and e.truth == 1.0 and not e.commit:
        args = e.args
        for a in args:
            if type(a) not in _ATOMIC:
                return None
        return args
    return None


def _check_properties(d: Definition, props: dict) -> None:
    cls = props.get("class")
    if cls is not None:
        if type(cls) is not Symbol or cls.name not in ELEMENTAL_CLASSES:
            raise CompileError(f"unknown class {show(cls)} for {d.label}; use one of "
                               + ", ".join(sorted(ELEMENTAL_CLASSES)), d.loc)
        if cls.name == "facts" and d.procedural:
            raise CompileError(f"{d.label}: class facts cannot hold prototypes", d.loc)
        if cls.name in ("store", "tome"):
            if type(props.get("path")) is not str:
                raise CompileError(f"{d.label}: class {cls.name} needs a path = \"...\" property", d.loc)
            if cls.name == "tome" and d.entries:
                raise CompileError(f"{d.label}: a tome elemental holds no entries", d.loc)
            if cls.name == "store" and d.procedural:
                raise CompileError(f"{d.label}: a store holds statements, not prototypes", d.loc)
    if "index" in props:
        index_positions(props["index"], d.loc)
    if "table" in props:  # tabling (lang/tabling.py): answers memoised, left recursion ends
        if props["table"] not in (Symbol("true"), Symbol("false")):
            raise CompileError(f"{d.label}: table must be true or false, found {props['table']!r}", d.loc)
        if props["table"] is Symbol("true") and not d.procedural:
            raise CompileError(f"{d.label}: table = true is for rule definitions (with prototypes)", d.loc)


def compile_file(path: str) -> list[CompiledDefinition]:
    """Read, parse and compile one .kb file (runs in a worker process)."""
    text = read_text(path)
    with paused_gc():
        return compile_definitions(parse_program(text, path))


def _worker(path: str):
    """Worker-process entry: compile a file, returning (result, None) or (None, error)."""
    try:
        return compile_file(path), None
    except SeltzerError as e:
        return None, e


def _make_facts(cd: CompiledDefinition):
    return FactElemental(cd.label, cd.entries, cd.properties)


def _make_rules(cd: CompiledDefinition):
    return RuleElemental(cd.label, cd.entries, cd.properties)


def _make_store(cd: CompiledDefinition):
    from .store.elemental import StoreElemental
    return StoreElemental.from_definition(cd)


def _make_tome(cd: CompiledDefinition):
    from .tome.elemental import TomeElemental
    return TomeElemental.from_definition(cd)


ELEMENTAL_CLASSES: dict[str, Callable] = {
    "facts": _make_facts, "rules": _make_rules, "store": _make_store, "tome": _make_tome,
}


def build_elemental(cd: CompiledDefinition):
    """Make the elemental a compiled definition describes."""
    cls = cd.properties.get("class")
    name = cls.name if type(cls) is Symbol else ("rules" if cd.procedural else "facts")
    return ELEMENTAL_CLASSES[name](cd)


def install(sub, definitions: list, file: str = "<text>", loaded: bool = False) -> list:
    """Compile (if needed), build and install definitions; nothing is installed on error.

    ``loaded``: they come from the file ``file``, so their paths are confined to its directory
    (and the current one) unless the substrate is trusted (substrate/paths.py)."""
    from .paths import confine_definitions
    compiled = definitions
    if definitions and isinstance(definitions[0], Definition):
        compiled = compile_definitions(definitions)
    confine_definitions(sub, compiled, file if loaded else None)
    made = []
    build = getattr(sub, "build_elemental", build_elemental)
    try:
        for cd in compiled:
            made.append(build(cd))
        for e in made:
            if hasattr(e, "ready"):  # hosted elsewhere (substrate/cluster/): wait for the builds
                e.ready()
    except BaseException:
        for e in made:
            getattr(e, "discard", e.close)()   # a store made by this file is removed again
        raise
    for e in made:
        sub.add(e)
    return made


_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _get_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool for parsing, created once (forkserver: no open store is inherited)."""
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["lang.parser", "lang.primitives", "substrate.loader"])
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)
        _pool_size = workers
    return _pool


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the console (which cancels the load): no traceback from them."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _reset_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _collect(future, path: str):
    """A worker's result; if the pool broke (a worker died, or a script without an
    ``if __name__ == "__main__"`` guard re-ran itself in the worker), compile here instead."""
    try:
        return future.result()
    except (BrokenProcessPool, OSError, RuntimeError):
        _reset_pool()
        return _worker(path)


def _submit_all(workers: int, paths: list[str]) -> dict:
    try:
        pool = _get_pool(workers)
        return {p: pool.submit(_worker, p) for p in paths}
    except (BrokenProcessPool, OSError, RuntimeError):
        _reset_pool()
        return {}


def load_files(sub, paths: list[str], progress: Callable[[int, int], None] | None = None) -> list[LoadResult]:
    """Load files in order, each all-or-nothing.

    Several .kb files are compiled concurrently: they are queued to the worker pool, and
    while the workers run, this process compiles the queued files they have not started
    (taken from the end of the queue), so even one worker gives two files at a time.
    Results are installed in the order the files were given.
    """
    from .paths import plain_path, regular_file
    from .snapshot import load_kbz
    results: list[LoadResult] = []
    kb_paths = [p for p in paths if not p.endswith(".kbz") and p and "\0" not in p and os.path.isfile(p)]
    done: dict[str, tuple] = {}
    futures: dict = {}
    if len(kb_paths) > 1:
        futures = _submit_all(min(sub.workers, len(kb_paths)), kb_paths)
        for path in reversed(kb_paths[1:]):
            f = futures.get(path)
            if f is not None and f.cancel():
                done[path] = _worker(path)
    for k, path in enumerate(paths):
        t0 = time.perf_counter()
        res = LoadResult(path)
        try:
            plain_path(path, "/load")
            regular_file(path)       # not a FIFO (blocks) or /dev/zero (never ends)
            if path.endswith(".kbz"):
                compiled = load_kbz(path)
            else:
                if path in done:
                    compiled, err = done[path]
                elif path in futures:
                    compiled, err = _collect(futures[path], path)
                else:
                    compiled, err = _worker(path)
                if err is not None:
                    raise err
            res.elementals = install(sub, compiled, path, loaded=True)
            res.statements = sum(e.count() for e in res.elementals)
        except SeltzerError as e:
            res.error = e
        res.seconds = time.perf_counter() - t0
        results.append(res)
        if progress:
            progress(k + 1, len(paths))
    give_back()
    return results
