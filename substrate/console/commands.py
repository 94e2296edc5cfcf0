"""Console commands: one registry of name, usage, help text and implementation.

``/help`` and the REPL's completion read :data:`COMMANDS`, so the documentation cannot drift
from the code. An implementation gets the console and the argument terms and returns the
message to report (or raises a SeltzerError).
"""
from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable

from lang.errors import CommandError
from lang.printer import show
from lang.terms import NIL, Symbol, deref, list_items

__all__ = ["Command", "COMMANDS", "command", "text_arg", "int_arg"]


@dataclass(slots=True)
class Command:
    """A console command: ``usage`` shows its arguments, ``doc`` is its help."""
    name: str
    usage: str
    doc: str
    fn: Callable
    min_args: int
    max_args: int

    def check_arity(self, n: int) -> None:
        """Raise CommandError unless the command takes ``n`` arguments."""
        if not self.min_args <= n <= self.max_args:
            raise CommandError(f"/{self.name} takes {self._count()} argument(s), found {n}: {self.usage}")

    def _count(self) -> str:
        if self.min_args == self.max_args:
            return str(self.min_args)
        if self.max_args > 99:
            return f"at least {self.min_args}"
        return f"{self.min_args} to {self.max_args}"


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, min_args: int = 0, max_args: int = 0) -> Callable:
    """Decorator: register a console command; the function's docstring is its help."""

    def register(fn: Callable) -> Callable:
        COMMANDS[name] = Command(name, usage, inspect.cleandoc(fn.__doc__ or ""), fn, min_args, max_args)
        return fn

    return register


def text_arg(cmd: str, i: int, x: Any) -> str:
    """A command argument that must be text (a string, or a symbol taken as its name)."""
    x = deref(x)
    if type(x) is str:
        return x
    if type(x) is Symbol and x is not NIL:
        return x.name
    raise CommandError(f"/{cmd}: argument {i}: expected a string, found {show(x)}")


def int_arg(cmd: str, i: int, x: Any) -> int:
    """A command argument that must be an integer."""
    x = deref(x)
    if type(x) is not int:
        raise CommandError(f"/{cmd}: argument {i}: expected an integer, found {show(x)}")
    return x


def path_arg(console, cmd: str, i: int, x: Any) -> str:
    """A command argument that is a path: text, no NUL byte, and (for a line run from
    knowledge) one that knowledge may touch (substrate/paths.py)."""
    from ..paths import allowed
    return allowed(console.sub, text_arg(cmd, i, x), f"/{cmd}: argument {i}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _elementals_for(console, label_or_guid: str) -> list:
    sub = console.sub
    if label_or_guid in sub.elementals:
        return [sub.elementals[label_or_guid]]
    return list(sub.with_label(label_or_guid))


# ---- knowledge files --------------------------------------------------------------------------

@command("load", "/load(path, ...)", 1, 999)
def _load(console, *paths):
    """Load .kb (text) or .kbz (snapshot) files; several files are parsed concurrently.
    A file with an error loads nothing; the other files still load."""
    from ..units import format_elapsed
    files = []
    for i, p in enumerate(paths):
        items, tail = list_items(p)
        if tail is NIL and items:  # /load(["a.kb", "b.kb"]) - e.g. built by a rule
            files.extend(path_arg(console, "load", i + 1, x) for x in items)
        else:
            files.append(path_arg(console, "load", i + 1, p))
    from ..loader import load_files
    t0 = time.perf_counter()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            if time.perf_counter() - t0 < _LOAD_BAR_AFTER:
                return
            bar = console.progress("load", total)
        bar(done)

    try:
        results = load_files(console.sub, files, progress=progress if console.progress else None)
    finally:
        if bar is not None:
            bar(None)
    lines, failed = [], []
    for r in results:
        if r.error is not None:
            failed.append(r.error)
        else:
            lines.append(f"loaded {r.file}: {_plural(len(r.elementals), 'elemental')}, "
                         f"{_plural(r.statements, 'entry')} in {format_elapsed(r.seconds)}".replace("entrys", "entries"))
    if len(files) > 1:
        lines.append(f"{len(files) - len(failed)} of {len(files)} files in {format_elapsed(time.perf_counter() - t0)}")
    if failed:
        for e in failed:
            console.error(e)
        return "\n".join(lines), False
    return "\n".join(lines)


#: /load shows its progress bar (counting bytes of source) once it has run this long (seconds):
#: how long a file takes depends on what it holds (rules parse ~15x slower than data rows).
_LOAD_BAR_AFTER = 0.5


@command("save", "/save(path) | /save(path, label) | /save(path, [guid, ...])", 1, 2)
def _save(console, path, which=None):
    """Write elementals to a .kb (readable text) or .kbz (msgpack snapshot) file, atomically."""
    from ..units import format_elapsed
    from ..snapshot import save
    p = path_arg(console, "save", 1, path)
    sub = console.sub
    if which is None:
        els = list(sub.elementals.values())
    else:
        which = deref(which)
        items, tail = list_items(which)
        if type(which) in (str, Symbol) and which is not NIL:
            els = _elementals_for(console, text_arg("save", 2, which))
            if not els:
                raise CommandError(f"/save: no elemental holds {text_arg('save', 2, which)}")
        elif tail is NIL:
            els = []
            for g in items:
                g = text_arg("save", 2, g)
                if g not in sub.elementals:
                    raise CommandError(f"/save: no elemental has GUID {g}")
                els.append(sub.elementals[g])
        else:
            raise CommandError(f"/save: argument 2: expected a label or a list of GUIDs, found {show(which)}")
    t0 = time.perf_counter()
    bar = console.progress("save", len(els)) if console.progress and len(els) > 1 else None
    try:
        n = save(p, els, bar)
    finally:
        if bar:
            bar(None)
    return f"saved {_plural(len(els), 'elemental')} ({n} entries) to {p} in {format_elapsed(time.perf_counter() - t0)}"


# ---- importers ----------------------------------------------------------------------------------

@command("export", '/export(path, "query")', 2, 2)
def _export(console, path, query):
    """Write the solutions of a query to a CSV file, atomically: a header of the query's variable
    names, then one line per solution (a symbol by its name, lists and compounds as the language
    writes them, a `truth` column when some solution is not fully true)."""
    from ..results import QueryTable
    p = text_arg("export", 1, path)
    table = QueryTable.run(console.sub, text_arg("export", 2, query), file="<export>")
    table.to_csv(p)
    return f"exported {table.summary()} to {p}"


@command("import.txt", "/import.txt(path, label[, max[, flags]])", 2, 4)
def _import_txt(console, path, label, limit=-1, flags=NIL):
    """Each line of a text file becomes label(n, "line"), n from 0; at most max lines (-1: all).
    Without flags the statements are declared (rules of the label are triggered);
    [bundle(n)] stores them in fact elementals of n statements; [assert] in one elemental."""
    from ..importers import import_txt
    lab = text_arg("import.txt", 2, label)
    before = console.sub.counters["triggers"]
    msg = import_txt(console.sub, path_arg(console, "import.txt", 1, path), lab, int_arg("import.txt", 3, limit),
                     flags, console.progress)
    return _unheard(console, msg, lab, flags, before)


@command("import.csv", "/import.csv(path, label[, max[, options]])", 2, 4)
def _import_csv(console, path, label, limit=-1, options=NIL):
    """Each CSV/TSV row becomes label(f1, ..., fk); numbers become numbers. Options:
    sep("\\t"), header (skip the first row), bundle(n), assert."""
    from ..importers import import_csv
    lab = text_arg("import.csv", 2, label)
    before = console.sub.counters["triggers"]
    msg = import_csv(console.sub, path_arg(console, "import.csv", 1, path), lab, int_arg("import.csv", 3, limit), options,
                     console.progress)
    return _unheard(console, msg, lab, options, before)


def _unheard(console, msg, label: str, flags, triggers_before: int):
    """Add a warning to an import's message when its statements were declared (no bundle or
    assert flag) but no rule received any of them: they are gone."""
    items, _tail = list_items(deref(flags))
    stored = any(getattr(deref(f), "name", None) in ("bundle", "assert") for f in items)
    text = msg[0] if type(msg) is tuple else msg
    if stored or console.sub.counters["triggers"] != triggers_before or " 0 " in f" {text.split(' as ')[0]} ":
        return msg
    text += (f"\nwarning: no rule received the statements of {label} (declared statements are not kept; "
             f"[assert] or [bundle(n)] keeps them)")
    return (text, msg[1]) if type(msg) is tuple else text


@command("import.tome", "/import.tome(path, folder, seqid)", 3, 3)
def _import_tome(console, path, folder, seqid):
    """Convert one sequence's transcriptome text file into posn/data .npy files in folder."""
    from ..units import format_elapsed
    from ..tome.elemental import import_tome_command
    t0 = time.perf_counter()
    seq = deref(seqid)
    seq = seq if type(seq) is int else text_arg("import.tome", 3, seq)
    rows = import_tome_command(path_arg(console, "import.tome", 1, path), path_arg(console, "import.tome", 2, folder), seq,
                               console.progress)
    dt = time.perf_counter() - t0
    return f"imported {rows} rows of sequence {seq} into {text_arg('import.tome', 2, folder)} in {format_elapsed(dt)}"


# ---- elementals ----------------------------------------------------------------------------------

@command("poke", "/poke(label, property, value)", 3, 3)
def _poke(console, label, prop, value):
    """Set a property on every elemental with that label; index changes rebuild indexes."""
    from ..elemental import index_positions
    lab = text_arg("poke", 1, label)
    name = text_arg("poke", 2, prop)
    value = deref(value)
    if name == "index":
        index_positions(value)
    if name in ("class", "path"):
        raise CommandError(f"/poke: {name} cannot be changed on a live elemental")
    els = _elementals_for(console, lab)
    if not els:
        raise CommandError(f"/poke: no elemental holds {lab}")
    sub = console.sub
    for e in els:
        old = e.properties.get(name, _MISSING)
        e.set_property(name, value)
        sub.journal(lambda e=e, old=old: _unpoke(e, name, old))
    sub.changed()
    if name == "index":
        sub.prepare(lab)
    return f"{name} = {show(value)} on {_plural(len(els), 'elemental')} of {lab}"


_MISSING = object()


def _unpoke(e, name, old) -> None:
    if old is _MISSING:
        e.properties.pop(name, None)
        if name == "index":
            e.set_property("index", NIL)
            e.properties.pop("index", None)
    else:
        e.set_property(name, old)


def _props_text(e) -> str:
    return ", ".join(f"{k} = {show(v)}" for k, v in e.properties.items())


@command("peek", "/peek(label)", 1, 1)
def _peek(console, label):
    """Show the properties of the elementals with that label (or one GUID)."""
    lab = text_arg("peek", 1, label)
    els = _elementals_for(console, lab)
    if not els:
        raise CommandError(f"/peek: no elemental holds {lab}")
    return "\n".join(f"{e.guid} {e.cls} {e.label}" + (f" {{ {_props_text(e)} }}" if e.properties else "")
                     for e in els)


@command("list", "/list | /list(label)", 0, 1)
def _list(console, label=None):
    """One row per elemental: GUID, class, label, count, properties, and where it lives when
    hosted on a Ray actor (@ ray:host@node)."""
    sub = console.sub
    els = list(sub.elementals.values()) if label is None else _elementals_for(console, text_arg("list", 1, label))
    rows = [f"{e.guid}  {e.cls:<5}  {e.label}  {e.count()}" + (f"  {{ {_props_text(e)} }}" if e.properties else "")
            + (f"  @ {e.where}" if hasattr(e, "where") else "") for e in els]
    rows.append(_plural(len(els), "elemental"))
    return "\n".join(rows)


@command("stats", "/stats", 0, 0)
def _stats(console):
    """Elementals by class, statements, prototypes, queries, inferences, triggers, memory."""
    s = console.sub.stats()
    by_class = ", ".join(f"{k} {v}" for k, v in sorted(s["elementals"].items())) or "none"
    return "\n".join([
        f"elementals: {sum(s['elementals'].values())} ({by_class})",
        f"statements: {s['statements']}",
        f"prototypes: {s['prototypes']}",
        f"queries: {s['queries']}",
        f"inferences: {s['inferences']}",
        f"triggers: {s['triggers']}",
        f"memory: {s['memory'] / 2**20:.1f} MiB",
    ])


@command("spy", "/spy(label) | /spy(off)", 1, 1)
def _spy(console, label):
    """Print each statement published on the substrate with that label; /spy(off) stops."""
    lab = text_arg("spy", 1, label)
    sub = console.sub
    old = set(sub.spies)
    sub.journal(lambda: (sub.spies.clear(), sub.spies.update(old)))   # a failing line undoes it
    if lab == "off":
        sub.spies.clear()
        return "spying stopped"
    sub.spies.add(lab)
    return f"spying on {lab}"


@command("drop", "/drop(label) | /drop(guid)", 1, 1)
def _drop(console, which):
    """Remove elementals (a store's data stays on disk)."""
    lab = text_arg("drop", 1, which)
    els = _elementals_for(console, lab)
    if not els:
        raise CommandError(f"/drop: no elemental holds {lab}")
    for e in els:
        console.sub.remove(e.guid)
    return f"dropped {_plural(len(els), 'elemental')}"


@command("host", "/host(label, ray | local)", 2, 2)
def _host(console, label, where):
    """Move a label's fact and store elementals onto Ray actors (ray) or back into this
    process (local); a dead host's store is reopened from its path. Same GUIDs, same order."""
    from ..cluster.placement import move
    lab = text_arg("host", 1, label)
    n = move(console.sub, lab, text_arg("host", 2, where))
    return f"moved {_plural(n, 'elemental')} of {lab} to {text_arg('host', 2, where)}"


@command("optimize", "/optimize(label)", 1, 1)
def _optimize(console, label):
    """Compact the LMDB store(s) with that label (compacting copy, then atomic swap)."""
    from ..units import format_elapsed
    lab = text_arg("optimize", 1, label)
    stores = [e for e in _elementals_for(console, lab) if e.cls == "store"]
    if not stores:
        raise CommandError(f"/optimize: no store elemental holds {lab}")
    t0 = time.perf_counter()
    bar = console.progress("optimize", len(stores)) if console.progress else None
    try:
        for k, e in enumerate(stores):
            e.optimize()
            if bar:
                bar(k + 1)
    finally:
        if bar:
            bar(None)
    return f"optimized {_plural(len(stores), 'store')} in {format_elapsed(time.perf_counter() - t0)}"


@command("check", "/check(label) | /check(label, quick)", 1, 2)
def _check(console, label, form=None):
    """Check the health of the store(s) with that label in a child process (a damaged page
    cannot crash the console): pages, records, checksum failures, index consistency."""
    from ..store.check import check_in_child, format_report
    lab = text_arg("check", 1, label)
    quick = form is not None and text_arg("check", 2, form) == "quick"
    if form is not None and not quick:
        raise CommandError(f"/check: argument 2: expected quick, found {show(deref(form))}")
    stores = [e for e in _elementals_for(console, lab) if e.cls == "store"]
    if not stores:
        raise CommandError(f"/check: no store elemental holds {lab}")
    reports = []
    for e in stores:
        e.flush()
        reports.append(check_in_child(e.store.path, quick=quick))
    text = "\n".join(format_report(r) for r in reports)
    if not all(r["ok"] for r in reports):
        from lang.errors import StoreError
        raise StoreError(f"/check({lab}): damage found\n" + text)
    return text


@command("ttl", "/ttl(seconds)", 1, 1)
def _ttl(console, seconds):
    """Set the default time to live of queries, in seconds."""
    s = deref(seconds)
    if type(s) not in (int, float) or not s > 0:     # (not s > 0: also refuses nan)
        raise CommandError(f"/ttl: expected a positive number of seconds, found {_short(show(s))}")
    if s > _MAX_TTL:
        raise CommandError(f"/ttl: at most {_MAX_TTL:.0e} seconds, found {_short(show(s))}")
    sub = console.sub
    old = sub.ttl
    sub.journal(lambda: setattr(sub, "ttl", old))   # a failing line undoes it
    sub.ttl = float(s)
    return f"time to live: {s} s"


_MAX_TTL = 1e9   # seconds (~32 years): larger numbers (or inf) overflow the clock arithmetic


def _short(text: str, n: int = 40) -> str:
    """``text`` cut to ``n`` characters (a 400-digit number is not repeated whole)."""
    return text if len(text) <= n else text[:n] + f"... ({len(text)} characters)"


@command("help", "/help | /help(command)", 0, 1)
def _help(console, topic=None):
    """List the commands and primitives, or explain one."""
    from lang.primitives import REGISTRY
    if topic is not None:
        name = text_arg("help", 1, topic).lstrip("/")
        if name in COMMANDS:
            c = COMMANDS[name]
            return f"{c.usage}\n{c.doc}"
        if name in REGISTRY:
            p = REGISTRY[name]
            return f"{p.signature()}\n{p.doc}"
        raise CommandError(f"/help: no command or primitive named {name}")
    lines = ["commands:"]
    lines += [f"  {c.usage}" for c in COMMANDS.values()]
    groups: dict[str, list] = {}
    for p in REGISTRY.values():
        groups.setdefault(p.group, []).append(p.name)
    lines.append("primitives:")
    lines += [f"  {g}: {' '.join(sorted(names))}" for g, names in sorted(groups.items())]
    lines.append("/help(name) explains one command or primitive")
    return "\n".join(lines)


@command("more", "/more", 0, 0)
def _more(console):
    """Show the next page of the last query's answers (the interactive console shows the first
    100; scripts, -e lines and --json show all)."""
    text = console.more()
    return (text[2:] if text.startswith("% ") else text)


@command("quit", "/quit", 0, 0)
def _quit(console):
    """Leave the console."""
    console.quit = True
    return "bye"
