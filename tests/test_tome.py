"""Tests of the memory-mapped transcriptome: import, Tome reads, the web scheme and the data generator."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import struct
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import png
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npformat

from lang.errors import DataError, EvaluationError, StoreError
from substrate.tome import tome as tome_module
from substrate.tome.tome import Tome, _parse_fast, _parse_slow, import_tome
from substrate.tome.web import PALETTE, draw, encode_png, make_app, serve

ROOT = Path(__file__).resolve().parent.parent


def _load_make_data():
    spec = importlib.util.spec_from_file_location("make_data", ROOT / "kb" / "tome" / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_data = _load_make_data()


def reference(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: positions and (n, 2, k) float64 values straight from the text, lone strands filled."""
    table: dict[int, dict[str, list[float]]] = {}
    for line in path.read_text().split("\n"):
        fields = line.split()
        if fields:
            table.setdefault(int(fields[0]), {})[fields[1]] = [float(v) for v in fields[2:]]
    pos = np.array(sorted(table), dtype=np.int64)
    vals = []
    for p in pos:
        strands = table[int(p)]
        plus = strands.get("W", strands.get("C"))
        minus = strands.get("C", strands.get("W"))
        vals.append([plus, minus])
    return pos, np.array(vals, dtype=np.float64)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict:
    """Small generated data (3 seqids, 6000 rows) imported into a tome folder."""
    base = tmp_path_factory.mktemp("tome")
    paths = make_data.generate(str(base / "text"), rows=6000, tissues=4, seqids=3, seed=7)
    folder = base / "db"
    for seqid, path in paths.items():
        import_tome(path, str(folder), int(seqid), chunk_bytes=4096)
    refs = {seqid: reference(Path(path)) for seqid, path in paths.items()}
    return {"folder": str(folder), "paths": paths, "refs": refs}


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# ------------------------------------------------------------------------------------------ import

def test_import_writes_self_describing_arrays(generated) -> None:
    folder = generated["folder"]
    for seqid, (pos, vals) in generated["refs"].items():
        posn = np.load(os.path.join(folder, f"posn.{seqid}.npy"))
        data = npformat.open_memmap(os.path.join(folder, f"data.{seqid}.npy"), mode="r")
        assert posn.dtype == np.int64 and data.dtype == np.float32
        assert data.shape == (len(pos), 2, 4)
        assert np.array_equal(posn, pos)
        assert np.array_equal(data, vals.astype(np.float32))
    assert sorted(os.listdir(folder)) == sorted(f"{k}.{s}.npy" for k in ("posn", "data") for s in "123")


def test_import_returns_rows_and_reports_progress(tmp_path) -> None:
    path = make_data.generate(str(tmp_path / "t"), rows=3000, tissues=2, seqids=1)["1"]
    calls = []
    rows = import_tome(path, str(tmp_path / "db"), "1", lambda *a: calls.append(a), chunk_bytes=1000)
    assert rows == 3000
    assert calls[-1] == (3000, os.path.getsize(path), os.path.getsize(path))
    assert [c[0] for c in calls] == sorted(c[0] for c in calls) and len(calls) > 10


def test_missing_strand_is_filled_from_the_present_one(tmp_path) -> None:
    path = write(tmp_path / "f.txt", "10 W 1.5 2\n10 C 3 4\n20 W 5 6\n30 C 7.25 8\n40 C 9 9\n40 W 1 1\n")
    import_tome(path, str(tmp_path), "x")
    t = Tome(str(tmp_path))
    assert t.rows("x", 0, 100) == [(10, [1.5, 2.0], [3.0, 4.0]), (20, [5.0, 6.0], [5.0, 6.0]),
                                   (30, [7.25, 8.0], [7.25, 8.0]), (40, [1.0, 1.0], [9.0, 9.0])]


@pytest.mark.parametrize("chunk", [7, 40, 64, 1 << 20])
def test_chunking_does_not_change_the_result(tmp_path, chunk) -> None:
    text = make_data.generate(str(tmp_path / "t"), rows=700, tissues=3, seqids=1, seed=3)["1"]
    import_tome(text, str(tmp_path / "a"), 1, chunk_bytes=chunk)
    pos, vals = reference(Path(text))
    t = Tome(str(tmp_path / "a"))
    assert t.extent(1) == (int(pos[0]), int(pos[-1]), len(pos))
    assert np.array_equal(t.window(1, 0, 10**9)[1], vals.astype(np.float32))


def test_irregular_layouts_read_like_the_canonical_one(tmp_path) -> None:
    canonical = "5 W 1.00 -2.5\n5 C 0.5 3\n9 C 1000000 0.125\n"
    messy = "5\tW 1e0  -25e-1\r\n\n  5 C .5 3.\r\n9 C 1000000.0 0.125"
    import_tome(write(tmp_path / "a.txt", canonical), str(tmp_path / "db"), "a")
    import_tome(write(tmp_path / "b.txt", messy), str(tmp_path / "db"), "b")
    t = Tome(str(tmp_path / "db"))
    assert t.rows("a", 0, 10) == t.rows("b", 0, 10)
    assert t.rows("a", 0, 10)[0] == (5, [1.0, -2.5], [0.5, 3.0])


@pytest.mark.parametrize("text, line, words", [
    ("1 W 1 2\n2 W 1\n", 2, "expected 4 fields"),
    ("1 W 1 2\n2 W 1 2\n3 X 1 2\n", 3, "strand 'X'"),
    ("1 W 1 2\n2 W 1 abc\n", 2, "value 'abc'"),
    ("1 W 1 2\n1.5 W 1 2\n", 2, "position '1.5'"),
    ("1 W 1 2\n-3 W 1 2\n", 2, "position '-3'"),
    ("5 W 1 2\n7 C 1 2\n6 W 1 2\n", 3, "6 comes after 7"),
    ("5 W 1 2\n5 W 1 2\n", 2, "strand W twice"),
    ("5 W 1 2\n5 C 1 2\n5 W 3 4\n", 3, "strand W twice"),
    ("1 W 1 2\n2 W 1 1e39\n", 2, "not a finite float32"),
    ("\n\n", None, "no data rows"),
])
def test_malformed_input_names_its_line(tmp_path, text, line, words) -> None:
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(DataError) as info:
        import_tome(path, str(tmp_path / "db"), "1")
    assert words in info.value.text
    assert info.value.where == (f"{path}:{line}" if line else path)


def test_error_deep_in_a_large_file_keeps_old_files(tmp_path) -> None:
    path = make_data.generate(str(tmp_path / "t"), rows=5000, tissues=2, seqids=1)["1"]
    folder = tmp_path / "db"
    import_tome(path, str(folder), 1)
    before = {f: (folder / f).read_bytes() for f in os.listdir(folder)}
    lines = Path(path).read_text().split("\n")
    lines[4321] = lines[4321] + " 7"
    Path(path).write_text("\n".join(lines))
    with pytest.raises(DataError) as info:
        import_tome(path, str(folder), 1, chunk_bytes=10_000)
    assert info.value.where == f"{path}:4322"
    assert {f: (folder / f).read_bytes() for f in os.listdir(folder)} == before


def test_unwritable_or_unreadable_paths(tmp_path) -> None:
    with pytest.raises(DataError):
        import_tome(str(tmp_path / "missing.txt"), str(tmp_path), 1)
    path = write(tmp_path / "f.txt", "1 W 1\n")
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError):
        import_tome(path, str(tmp_path / "file" / "db"), 1)
    with pytest.raises(StoreError):
        import_tome(path, str(tmp_path), "../escape")


def test_header_padding_fallback(tmp_path, monkeypatch) -> None:
    """Without numpy's growth padding the header is padded by hand to the placeholder's size."""
    real = npformat.write_array_header_1_0

    def minimal(fp, d):
        buf = io.BytesIO()
        real(buf, d)
        body = buf.getvalue()[10:].rstrip(b" \n")
        body += b" " * (-(10 + len(body) + 1) % 64) + b"\n"
        fp.write(buf.getvalue()[:8] + struct.pack("<H", len(body)) + body)

    monkeypatch.setattr(tome_module.npformat, "write_array_header_1_0", minimal)
    path = write(tmp_path / "f.txt", "1 W 1 2\n2 C 3 4\n")
    import_tome(path, str(tmp_path), 1)
    assert np.array_equal(np.load(tmp_path / "posn.1.npy"), [1, 2])
    assert npformat.open_memmap(str(tmp_path / "data.1.npy"), mode="r").shape == (2, 2, 2)


decimals = st.builds(
    lambda sign, whole, frac: sign + whole + frac,
    st.sampled_from(["", "-"]),
    st.sampled_from(["", "0", "7", "12", "99999999", "123456789", "1234567890123456"]),
    st.sampled_from(["", ".", ".5", ".05", ".25", ".123456789", ".9999999999999999"]),
).filter(lambda s: any(c.isdigit() for c in s))


short_decimals = st.builds(
    lambda sign, whole, frac: sign + whole + frac,
    st.sampled_from(["", "-"]),
    st.sampled_from(["", "0", "7", "12", "9999"]),
    st.sampled_from(["", ".", ".5", ".05", ".125", ".0625"]),
).filter(lambda s: any(c.isdigit() for c in s))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**15), st.sampled_from("WC"),
                          st.lists(decimals | short_decimals, min_size=3, max_size=3)),
                min_size=1, max_size=30)
       | st.lists(st.tuples(st.integers(0, 10**8), st.sampled_from("WC"),
                            st.lists(short_decimals, min_size=3, max_size=3)), min_size=1, max_size=30))
def test_fast_parser_agrees_with_python(rows) -> None:
    """Both the one-word path (short values) and the two-word path (long values) match float()."""
    text = "".join(f"{p} {s} {' '.join(v)}\n" for p, s, v in rows).encode()
    fast = _parse_fast(text, 3)
    assert fast is not None
    slow = _parse_slow(text, 3, 1, "t")
    assert np.array_equal(fast[0], slow.pos) and np.array_equal(fast[1], slow.minus)
    assert np.array_equal(fast[2].astype(np.float32), slow.vals)


@pytest.mark.parametrize("text", [b"1 W 1 2\n2 W 1  2\n", b"1 W 1 2\n2 W 1 2 3\n", b"1 W 1 2\n2 WC 1 2\n",
                                  b"1 W 1 2\n2 W 1.2.3 4\n", b"1 W 1 2\n2 W 1e5 4\n", b"1 W 1 -\n",
                                  b"1 W 1 2\n2 W 1 2-\n", b"1 W - 2\n", b"+1 W 1 2\n"])
def test_fast_parser_declines_what_it_does_not_check(text) -> None:
    assert _parse_fast(text, 2) is None


# ------------------------------------------------------------------------------------------- reads

@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seqid=st.sampled_from(["1", "2", "3"]), a=st.integers(-100, 1_400_000),
       span=st.integers(0, 300_000), tissue=st.none() | st.integers(0, 3))
def test_mean_matches_brute_force(generated, seqid, a, span, tissue) -> None:
    t = Tome(generated["folder"])
    pos, vals = generated["refs"][seqid]
    inside = (pos >= a) & (pos < a + span)
    got = t.mean(int(seqid) if seqid == "2" else seqid, a, a + span, tissue)
    if not inside.any():
        assert got is None
        return
    want = vals[inside].mean(axis=0)
    if tissue is None:
        assert np.allclose(got[0], want[0], rtol=1e-6) and np.allclose(got[1], want[1], rtol=1e-6)
        assert all(type(x) is float for x in got[0] + got[1])
    else:
        assert np.allclose(got, want[:, tissue], rtol=1e-6) and all(type(x) is float for x in got)


def test_rows_give_the_text_values(generated) -> None:
    t = Tome(generated["folder"])
    pos, vals = generated["refs"]["3"]
    got = t.rows(3, int(pos[10]), int(pos[60]))
    assert [r[0] for r in got] == pos[10:60].tolist()
    assert [r[1] for r in got] == vals[10:60, 0].tolist()
    assert [r[2] for r in got] == vals[10:60, 1].tolist()
    assert all(type(r[0]) is int for r in got)


def test_empty_inverted_and_out_of_bounds_ranges(generated) -> None:
    t = Tome(generated["folder"])
    first, last, count = t.extent(1)
    assert t.mean(1, first + 1, first + 1) is None           # empty
    assert t.mean(1, first + 1, first + 20) is None          # between probes (25 bp apart)
    assert t.mean(1, last, first) is None                    # inverted
    assert t.mean(1, last + 1, last + 10**6) is None         # beyond the end
    assert t.mean(1, -10**6, first) is None                  # before the start
    assert t.rows(1, last, first) == []
    everything = t.mean(1, -10**12, 10**12)
    pos, vals = generated["refs"]["1"]
    assert np.allclose(everything[0], vals[:, 0].mean(axis=0), rtol=1e-6)
    assert t.mean(1, last, last + 1) == tuple(x.tolist() for x in vals[-1].astype(np.float32))


def test_tome_errors(generated, tmp_path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Tome(str(tmp_path / "nope"))
    t = Tome(generated["folder"])
    assert t.seqids() == ["1", "2", "3"]
    with pytest.raises(StoreError, match=r"no seqid '9'.*seqids: 1, 2, 3"):
        t.mean(9, 0, 10)
    with pytest.raises(EvaluationError, match="tissue 4"):
        t.mean(1, 0, 10, 4)
    with pytest.raises(EvaluationError, match="xmin must be a number"):
        t.mean(1, "0", 10)


def test_concurrent_readers_agree(generated) -> None:
    folder = generated["folder"]
    t = Tome(folder)                                          # shared, opened lazily by the threads
    windows = [(str(1 + i % 3), 25 * i, 25 * i + 8192) for i in range(300)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda w: t.mean(*w), windows))
    alone = Tome(folder)
    assert together == [alone.mean(*w) for w in windows]


# --------------------------------------------------------------------------------------------- web

def test_draw_places_strands_and_colours() -> None:
    pos = np.array([0, 10], dtype=np.int64)
    vals = np.zeros((2, 2, 2), dtype=np.float32)
    vals[:, 0, 1] = 4.0                                       # tissue 1 up on + strand
    vals[:, 1, 0] = 2.0                                       # tissue 0 down on - strand, half height
    image = draw(pos, vals, 0, 20, width=4, height=21)
    axis = 10
    assert (image[:axis, 0] == PALETTE[1]).all()              # full height above the axis
    assert (image[axis + 1:axis + 6, 0] == PALETTE[0]).all()  # half height below
    assert (image[axis + 6:, 0] == 255).all()
    blank = draw(pos[:0], vals[:0], 0, 20, width=4, height=21)
    assert (blank[axis] != 255).any() and (np.delete(blank, axis, axis=0) == 255).all()


def _fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_served_over_real_http(generated) -> None:
    ready: list = []
    started = threading.Event()

    def on_ready(server) -> None:
        ready.append(server)
        started.set()

    thread = threading.Thread(target=serve, args=(generated["folder"], 0), kwargs={"on_ready": on_ready},
                              daemon=True)
    thread.start()
    assert started.wait(10)
    server = ready[0]
    base = server.url
    try:
        t = Tome(generated["folder"])
        status, kind, body = _fetch(base + "?seqid=1&xmin=1000&xmax=9192")
        assert (status, kind) == (200, "application/json")
        plus, minus = t.mean(1, 1000, 9192)
        assert json.loads(body) == {"+": plus, "-": minus}
        status, _, body = _fetch(base + "?seqid=1&xmin=1000&xmax=9192&tissue=2")
        assert json.loads(body) == dict(zip("+-", t.mean(1, 1000, 9192, 2)))
        status, _, body = _fetch(base + "?seqid=1&xmin=5&xmax=5")
        assert (status, json.loads(body)) == (200, {"+": None, "-": None})

        status, kind, body = _fetch(base + "?seqid=2&xmin=0&xmax=50000&width=321&height=77")
        assert (status, kind) == (200, "image/png")
        assert body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR"
        assert struct.unpack(">II", body[16:24]) == (321, 77)
        width, height, rows, _ = png.Reader(bytes=body).read()
        assert (width, height, len(list(rows))) == (321, 77, 77)

        for query, code in [("?xmin=1&xmax=2", 400), ("?seqid=1&xmin=x&xmax=2", 400),
                            ("?seqid=1&xmin=9&xmax=2", 400), ("?seqid=1&xmin=1&xmax=2&tissue=9", 400),
                            ("?seqid=1&xmin=1&xmax=2&width=0", 400), ("?seqid=8&xmin=1&xmax=2", 404)]:
            status, kind, body = _fetch(base + query)
            assert (status, kind) == (code, "application/json"), query
            assert "error" in json.loads(body)
    finally:
        server.shutdown()
        thread.join(10)
    assert not thread.is_alive()


def test_make_app_needs_the_folder(tmp_path) -> None:
    with pytest.raises(StoreError):
        make_app(str(tmp_path / "nope"))


def test_encode_png_round_trips() -> None:
    image = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    width, height, rows, _ = png.Reader(bytes=encode_png(image)).read()
    assert np.array_equal(np.array([list(r) for r in rows], dtype=np.uint8).reshape(5, 7, 3), image)


# --------------------------------------------------------------------------------------- generator

def test_generator_is_deterministic_and_shaped_like_the_seed(tmp_path) -> None:
    a = make_data.generate(str(tmp_path / "a"), rows=4000, tissues=5, seqids=2, seed=1)
    b = make_data.generate(str(tmp_path / "b"), rows=4000, tissues=5, seqids=2, seed=1)
    texts = [Path(a[s]).read_bytes() for s in a]
    assert texts == [Path(b[s]).read_bytes() for s in b]
    assert sum(t.count(b"\n") for t in texts) == 4000
    lines = texts[0].decode().splitlines()
    assert lines[0].startswith("26 ")
    fields = [line.split() for line in lines]
    assert all(len(f) == 7 and f[1] in "WC" and all(len(v.split(".")[1]) == 2 for v in f[2:])
               for f in fields)
    pos = [int(f[0]) for f in fields]
    assert pos == sorted(pos) and all(p % 25 == 1 for p in pos)
    counts = np.unique(pos, return_counts=True)[1]
    assert 0.005 < (counts == 1).mean() < 0.08 and counts.max() == 2
