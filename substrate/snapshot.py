"""Saving elementals: ``.kb`` text that loads back to the same knowledge, or ``.kbz``
msgpack snapshots that load far faster.

Both are written to a temporary file in the target's folder and renamed over it, so an
interrupted save never leaves a broken file. A ``.kbz`` keeps ground statements as msgpack
(through :mod:`substrate.codec`, shared with the LMDB store) and everything else — rules,
statements with variables or truth values, store and tome definitions — as source text.
"""
from __future__ import annotations

import os
import stat
import tempfile
from typing import Iterable

import msgpack

from lang.errors import DataError, SeltzerError
from lang.printer import show, show_entry, show_symbol
from lang.terms import Symbol

from .loader import CompiledDefinition, compile_definitions

__all__ = ["save", "save_kb", "save_kbz", "load_kbz", "definition_text"]

KBZ_MAGIC = "seltzer.kbz"
KBZ_VERSION = 2


def _label_text(label: str) -> str:
    return show_symbol(Symbol(label))


def _props_text(props: dict) -> str:
    return ", ".join(f"{k} = {show(v)}" for k, v in props.items())


def _entry_text(entry) -> str:
    if type(entry) is tuple:
        return "(" + ", ".join(show(a) for a in entry) + ")"
    return show_entry(entry.source)


def definition_text(e, entries: Iterable | None = None) -> str:
    """The source text of one elemental: ``label { props } { entries }``."""
    head = _label_text(e.label) + " "
    props = dict(e.properties)
    if props:
        head += "{ " + _props_text(props) + " } "
    if entries is None:
        entries = e.entries() if e.cls in ("facts", "rules") else []
    lines = [head + "{"]
    lines += ["    " + _entry_text(x) + ";" for x in entries]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _save_target(path: str) -> tuple[str, int]:
    """Where saving to ``path`` writes, and with which mode: through a symlink to the file it
    points to; an existing file keeps its mode, a new one follows the umask; anything that is
    not a regular file (a device, a directory, a FIFO) is refused."""
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, 0o666 & ~_umask()
    except OSError as e:
        raise DataError(f"cannot write {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"cannot write {path}: not a regular file")
    return target, stat.S_IMODE(st.st_mode)


def _umask() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it (and put it back)
    os.umask(mask)
    return mask


def _atomic_write(path: str, write) -> None:
    target, mode = _save_target(path)
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".save-", dir=folder)
    except OSError as e:
        raise DataError(f"cannot write {path}: {e.strerror}") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise DataError(f"cannot write {path}: {e.strerror}") from None
        raise


def save(path: str, elementals: list, progress=None) -> int:
    """Write elementals to ``path`` (.kbz snapshot or .kb text); returns the entries written.
    ``progress(done)`` is called after each elemental."""
    if path.endswith(".kbz"):
        return save_kbz(path, elementals, progress)
    return save_kb(path, elementals, progress)


def save_kb(path: str, elementals: list, progress=None) -> int:
    """Write elementals as readable knowledge text."""
    count = 0
    chunks = [f"// saved by seltzer: {len(elementals)} elementals\n"]
    for k, e in enumerate(elementals):
        entries = e.entries() if e.cls in ("facts", "rules") else []
        count += len(entries)
        chunks.append(definition_text(e, entries))
        if progress:
            progress(k + 1)
    data = "\n".join(chunks).encode("utf-8")
    _atomic_write(path, lambda f: f.write(data))
    return count


def save_kbz(path: str, elementals: list, progress=None) -> int:
    """Write elementals as a snapshot: a header, then one msgpack object per elemental —
    fact elementals as their column arrays (:mod:`substrate.facts.snapshot`), everything
    else (rules, statements with variables or truth values, stores, tomes) as source text."""
    from .facts.snapshot import encode_facts
    count = 0
    pack = msgpack.Packer(use_bin_type=True, unicode_errors="surrogatepass").pack
    parts = [pack({"magic": KBZ_MAGIC, "version": KBZ_VERSION, "count": len(elementals)})]
    for k, e in enumerate(elementals):
        if progress:
            progress(k)
        if e.cls == "facts" and hasattr(e, "tables"):
            item = encode_facts(e, _props_text(e.properties))
            if item is not None:
                parts.append(pack(item))
                count += e.count()
                continue
        entries = e.entries() if e.cls in ("facts", "rules") else []
        count += len(entries)
        parts.append(pack({"text": definition_text(e, entries)}))
    _atomic_write(path, lambda f: f.writelines(parts))
    return count


def load_kbz(path: str) -> list[CompiledDefinition]:
    """Read a .kbz snapshot into compiled definitions, all or nothing: anything that does
    not decode to terms is refused with the byte offset of the elemental it is in."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror}") from None
    up = msgpack.Unpacker(raw=False, strict_map_key=False, unicode_errors="surrogatepass", max_buffer_size=max(len(data), 1 << 20))
    up.feed(data)
    offset = 0
    try:
        header = up.unpack()
        if not isinstance(header, dict) or header.get("magic") != KBZ_MAGIC:
            raise ValueError("not a seltzer snapshot")
        version = header.get("version")
        if version == 1:
            items = header.get("elementals")
            if type(items) is not list:
                raise ValueError("no elementals")
            out = [cd for item in items for cd in _kbz_item(item, path, 1)]
        elif version == KBZ_VERSION:
            count = header.get("count")
            if type(count) is not int or count < 0:
                raise ValueError("no elemental count")
            out = []
            for _ in range(count):
                offset = up.tell()
                out.extend(_kbz_item(up.unpack(), path, 2))
        else:
            raise ValueError(f"snapshot version {version} is not supported")
        offset = up.tell()
        if offset != len(data):
            raise ValueError("data after the last elemental")
        return out
    except SeltzerError as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"not a readable .kbz snapshot: {e.message if hasattr(e, 'message') else e} "
                        f"(elemental at byte {offset})", path) from None
    except Exception as e:  # msgpack/format problems: one clear message
        raise DataError(f"not a readable .kbz snapshot ({e}; elemental at byte {offset})", path) from None


def _kbz_item(item, path: str, version: int) -> list[CompiledDefinition]:
    from lang.parser import parse_program
    from .codec import unpack_many
    from .facts.snapshot import FactColumns, check_term
    if not isinstance(item, dict):
        raise ValueError("an elemental is not a map")
    if "text" in item:
        if type(item["text"]) is not str:
            raise ValueError("an elemental's text is not text")
        return compile_definitions(parse_program(item["text"], path))
    label, props_src = item.get("label"), item.get("props")
    if type(label) is not str or type(props_src) is not str:
        raise ValueError("an elemental has no label")
    defs = parse_program(f"x {{ {props_src} }} {{ }}" if props_src else "x { }", path)
    props = compile_definitions(defs)[0].properties
    if version == 1:
        facts = [args for args, _truth in unpack_many(item["facts"])]
        for args in facts:
            if type(args) is not tuple:
                raise ValueError("a statement is not a tuple")
            for a in args:
                check_term(a)
    else:
        facts = FactColumns(item)
    return [CompiledDefinition(label, props, facts, False, path)]
