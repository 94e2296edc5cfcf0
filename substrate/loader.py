"""Loading knowledge files: parse and compile (in worker processes when there are several),
then install each file's elementals all at once, or none of them if anything is wrong.

Work is split so the expensive part runs where it can run in parallel: a worker
(substrate/workers.py) reads, parses and compiles a whole file and sends back compact compiled
entries; the main process only builds elementals and installs them, overlapping with the
workers still parsing, and compiles queued files itself while it waits. Progress within each
file (bytes parsed, entries built) is reported as it goes, from workers and from this process.
"""
from __future__ import annotations

import os
import threading
import time
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
from .workers import Pool

__all__ = ["LoadResult", "CompiledDefinition", "compile_file", "compile_reporting", "compile_definitions",
           "install", "load_files", "source_bytes", "ELEMENTAL_CLASSES", "read_text", "PROGRESS_STEP"]


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


DATA_MIN = 1000   # statements with variables in a fact definition longer than this are data


def compile_definitions(definitions: list[Definition]) -> list[CompiledDefinition]:
    """Compile parsed definitions (raises CompileError at the first problem)."""
    out = []
    for d in definitions:
        props = {k: deref(v) for k, v in d.properties.items()}
        _check_properties(d, props)
        # statements of a large fact elemental are matched as data (no code generated for each);
        # a small one (a lexicon, a table a program calls often) gets generated matchers
        data = not d.procedural and len(d.entries) > DATA_MIN
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


def compile_file(path: str, progress: Callable[[int], None] | None = None) -> list[CompiledDefinition]:
    """Read, parse and compile one .kb file; ``progress(bytes)`` is told how far the parse has
    gone, in bytes of the file, every :data:`PROGRESS_STEP` or so."""
    text = read_text(path)
    with paused_gc():
        if progress is None:
            return compile_definitions(parse_program(text, path))
        size = max(1, _size(path))
        scale = size / max(1, len(text))     # characters to bytes (exact for ASCII text)
        defs = parse_program(text, path, lambda pos: progress(int(pos * scale)), PROGRESS_STEP)
        return compile_definitions(defs)


def compile_reporting(path: str, progress: Callable[[int], None] | None = None) -> tuple:
    """Compile a file, returning (result, None) or (None, error); runs in a worker process
    or in the loading process itself."""
    try:
        return compile_file(path, progress), None
    except SeltzerError as e:
        return None, e


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except (OSError, ValueError):
        return 0


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


def install(sub, definitions: list, file: str = "<text>", loaded: bool = False,
            on_built: Callable[[int], None] | None = None) -> list:
    """Compile (if needed), build and install definitions; nothing is installed on error.

    ``loaded``: they come from the file ``file``, so their paths are confined to its directory
    (and the current one) unless the substrate is trusted (substrate/paths.py); ``on_built(i)``
    is called when the i-th elemental has been built (a progress bar)."""
    from .paths import confine_definitions
    compiled = definitions
    if definitions and isinstance(definitions[0], Definition):
        compiled = compile_definitions(definitions)
    confine_definitions(sub, compiled, file if loaded else None)
    made = []
    build = getattr(sub, "build_elemental", build_elemental)
    try:
        for i, cd in enumerate(compiled):
            made.append(build(cd))
            if on_built is not None:
                on_built(i)
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


#: How often (in bytes of source parsed) a parse reports its progress: often enough for a bar
#: to move smoothly (~10 ms of the fast scanner), rare enough to cost nothing measurable.
PROGRESS_STEP = 1 << 16
#: Share of a file's bytes on the bar credited as it is parsed and compiled; the rest is
#: credited as its elementals are built (measured on a 10^6-fact, 28 MB file: parse and
#: compile 5.5 s, building 1.7 s).
PARSE_SHARE = 0.75

_pool: Pool | None = None
_pool_lock = threading.Lock()


def _get_pool(workers: int) -> Pool:
    """The worker pool, kept between loads; remade when its size changes or it broke."""
    global _pool
    if _pool is None or _pool.size != workers or _pool.broken:
        _reset_pool()
        _pool = Pool(workers)
        if not _pool_closed_at_exit:
            _close_at_exit()
    return _pool


_pool_closed_at_exit = False


def _close_at_exit() -> None:
    global _pool_closed_at_exit
    import atexit
    atexit.register(_reset_pool)
    _pool_closed_at_exit = True


def _reset_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


class _Compiler:
    """Compiles the .kb files of one load. Workers take files from the front of the queue;
    this process, when it waits for a file a worker has, compiles the last queued file itself,
    so even one worker gives two files at a time. Progress (parse) is kept per file."""

    def __init__(self, jobs: dict[int, str], workers: int, on_progress: Callable[[], None]) -> None:
        self.queue = list(jobs)          # job keys not started, in order
        self.paths = jobs
        self.results: dict[int, tuple] = {}
        self.parsed: dict[int, int] = {}   # bytes parsed so far, per job
        self.on_progress = on_progress
        self.pool = None
        # One load at a time uses the workers; a load from another thread meanwhile (or one
        # nested in this load) compiles in its own thread.
        if len(jobs) > 1 and _pool_lock.acquire(blocking=False):
            self.pool = _get_pool(workers)
        try:
            self._dispatch()
        except BaseException:
            self.close()
            raise

    def _dispatch(self) -> None:
        pool = self.pool
        while pool is not None and self.queue and pool.idle():
            if not pool.start(self.queue[0], self.paths[self.queue[0]]):
                break
            self.queue.pop(0)

    def pump(self, timeout: float | None = 0.0) -> None:
        """Take in what the workers sent (waiting up to ``timeout`` for something) and give
        idle workers the next files."""
        if self.pool is None:
            return
        moved = False
        for key, kind, payload in self.pool.poll(timeout):
            if kind == "progress":
                self.parsed[key] = payload
                moved = True
            elif kind == "done":
                self.results[key] = payload
            else:                      # the worker died or could not send: redo it here
                self.parsed.pop(key, None)
                self.queue.insert(0, key)
        self._dispatch()
        if moved:
            self.on_progress()

    def get(self, key: int) -> tuple:
        """The (compiled, error) of a job, compiling here whatever helps most meanwhile."""
        while key not in self.results:
            if key in self.queue:
                self.queue.remove(key)
                self._here(key)
            elif self.queue:
                self._here(self.queue.pop())
            else:
                self.pump(0.1)
        return self.results.pop(key)

    def _here(self, key: int) -> None:
        def progress(done: int) -> None:
            self.parsed[key] = done
            self.pump()
            self.on_progress()
        self.results[key] = compile_reporting(self.paths[key], progress)

    def close(self) -> None:
        """Stop workers still busy for this load (it was interrupted or failed half-way) and
        let the next load use the pool."""
        if self.pool is not None:
            self.pool.cancel()
            self.pool = None
            _pool_lock.release()


def source_bytes(paths: list[str]) -> int:
    """The total size of the files a load reads (its progress bar's length)."""
    return sum(_size(p) for p in paths if p and "\0" not in p)


def load_files(sub, paths: list[str], progress: Callable[[int, int], None] | None = None) -> list[LoadResult]:
    """Load files in order, each all-or-nothing.

    Several .kb files are compiled concurrently (see :class:`_Compiler`); results are
    installed in the order the files were given. ``progress(done, total)`` is told how far
    the load has gone, in bytes of source (:func:`source_bytes`): a file's bytes count
    :data:`PARSE_SHARE` as it is parsed and the rest as its elementals are built.
    """
    from .paths import plain_path, regular_file
    from .snapshot import load_kbz
    results: list[LoadResult] = []
    sizes = [_size(p) if p and "\0" not in p else 0 for p in paths]
    total = sum(sizes)
    built = [0] * len(paths)            # bytes credited for elementals built, per file
    last = [-1]

    def report() -> None:
        if progress is None:
            return
        done = sum(built) + int(PARSE_SHARE * sum(min(sizes[k], b) for k, b in compiler.parsed.items()))
        done = min(total, done)
        if done != last[0]:
            last[0] = done
            progress(done, total)

    jobs = {k: p for k, p in enumerate(paths)
            if not p.endswith(".kbz") and p and "\0" not in p and os.path.isfile(p)}
    compiler = _Compiler(jobs, sub.workers, report)
    try:
        for k, path in enumerate(paths):
            t0 = time.perf_counter()
            res = LoadResult(path)
            try:
                plain_path(path, "/load")
                regular_file(path)       # not a FIFO (blocks) or /dev/zero (never ends)
                if path.endswith(".kbz"):
                    compiled = load_kbz(path)
                else:
                    compiled, err = compiler.get(k) if k in jobs else compile_reporting(path)
                    if err is not None:
                        raise err
                compiler.parsed[k] = sizes[k]
                report()
                res.elementals = install(sub, compiled, path, loaded=True,
                                         on_built=_crediting(compiled, sizes[k], built, k, report))
                res.statements = sum(e.count() for e in res.elementals)
            except SeltzerError as e:
                res.error = e
            compiler.parsed[k] = sizes[k]
            built[k] = sizes[k] - int(PARSE_SHARE * sizes[k])
            report()
            res.seconds = time.perf_counter() - t0
            results.append(res)
    finally:
        compiler.close()
    give_back()
    return results


def _crediting(compiled: list, size: int, built: list, k: int, report: Callable[[], None]) -> Callable:
    """``on_built(i)`` for :func:`install`: credit the file's build share by entries built."""
    share = size - int(PARSE_SHARE * size)
    counts = [len(getattr(cd, "entries", ())) + 1 for cd in compiled]
    whole = sum(counts) or 1
    acc = [0]

    def on_built(i: int) -> None:
        acc[0] += counts[i]
        built[k] = share * acc[0] // whole
        report()
    return on_built
