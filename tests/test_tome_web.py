"""The tome pictures and the tome web service (substrate/tome/picture.py, figure.py, web.py):
the labelled picture, bounded memory and concurrency, CORS, the access log and the serve-tome
command run as a real process."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import png
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npformat

from substrate.tome import figure, picture, web
from substrate.tome.picture import PALETTE, column_means, draw
from substrate.tome.tome import Tome
from substrate.tome.web import TomeServer, make_app

ROOT = Path(__file__).resolve().parent.parent
TISSUES = 4


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    """A tome folder written directly: seqid 1 with 40,000 positions every 25 bp, 4 tissues whose +
    strand rises with the tissue number and whose - strand falls with it (so no two coincide)."""
    base = tmp_path_factory.mktemp("tomeweb")
    n = 40_000
    pos = np.arange(n, dtype=np.int64) * 25 + 26
    data = np.empty((n, 2, TISSUES), dtype=np.float32)
    wave = 1.0 + 0.5 * np.sin(np.arange(n) / 900.0)
    for t in range(TISSUES):
        data[:, 0, t] = (t + 1) * 10 * wave
        data[:, 1, t] = (TISSUES - t) * 7 * wave
    np.save(base / "posn.1.npy", pos)
    np.save(base / "data.1.npy", data)
    return str(base)


def _call(app, query: str, method: str = "GET") -> tuple[str, dict, bytes]:
    """Call a WSGI app in-process: (status, headers, body)."""
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"REQUEST_METHOD": method, "QUERY_STRING": query, "PATH_INFO": "/",
                         "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}, start_response))
    return seen["status"], seen["headers"], body


def _image(body: bytes) -> np.ndarray:
    width, height, rows, _ = png.Reader(bytes=body).read()
    return np.array([list(r) for r in rows], dtype=np.uint8).reshape(height, width, 3)


def _near(image: np.ndarray, colour: np.ndarray, tolerance: int = 60) -> np.ndarray:
    return np.abs(image.astype(np.int32) - colour.astype(np.int32)).sum(axis=2) < tolerance


# ------------------------------------------------------------------------------------------ pictures

def test_the_labelled_picture_has_axes_both_strands_and_a_legend(folder) -> None:
    pytest.importorskip("matplotlib")
    pos, values = Tome(folder).window(1, 0, 1_000_000)
    image = figure.draw_axes(pos, values, 0, 1_000_000, 640, 320, seqid="1")
    assert image.shape == (320, 640, 3) and image.dtype == np.uint8
    black = (image.sum(axis=2) < 60)
    plot = slice(figure._TOP, 320 - figure._BOTTOM)
    rows = np.arange(320)[plot]
    zero = rows[np.argmax(black[plot, 200:600].sum(axis=1))]        # the zero line across the plot
    assert black[zero, 200:600].mean() > 0.9
    assert abs(zero - (figure._TOP + (320 - figure._TOP - figure._BOTTOM) / 2)) <= 3
    for t in range(TISSUES):
        hue = _near(image, PALETTE[t])
        above, below = hue[figure._TOP:zero - 2, figure._LEFT:], hue[zero + 3:320 - figure._BOTTOM, figure._LEFT:]
        assert above.sum() > 100 and below.sum() > 100, f"tissue {t} missing from a strand"
        assert hue[:figure._TOP].sum() > 5, f"tissue {t} missing from the legend"
    # + values grow with the tissue, - values shrink: tissue 3 is highest above, tissue 0 lowest below
    top_rows = [np.flatnonzero(_near(image, PALETTE[t])[figure._TOP:zero, 200:400].any(axis=1)).min()
                for t in range(TISSUES)]
    assert top_rows == sorted(top_rows, reverse=True)
    bottom_rows = [np.flatnonzero(_near(image, PALETTE[t])[zero + 1:320 - figure._BOTTOM, 200:400].any(axis=1)).max()
                   for t in range(TISSUES)]
    assert bottom_rows == sorted(bottom_rows, reverse=True)
    # tick labels and axis titles are drawn in the margins
    assert (image[320 - figure._BOTTOM + 4:, figure._LEFT:] < 128).any()
    assert (image[plot, :figure._LEFT - 4] < 128).any()


def test_axes_variant_differs_from_the_bare_strip(folder) -> None:
    pytest.importorskip("matplotlib")
    app = make_app(folder)
    query = "seqid=1&xmin=0&xmax=1000000&width=480&height=240"
    status, headers, bare = _call(app, query)
    status2, headers2, labelled = _call(app, query + "&axes=1")
    assert status == status2 == "200 OK" and headers2["Content-Type"] == "image/png"
    a, b = _image(bare), _image(labelled)
    assert a.shape == b.shape == (240, 480, 3)
    assert (a != b).any(axis=2).mean() > 0.1
    # the bare strip keeps the seed's look: no margins, bars from the middle line to the edges
    assert (a[119] != 255).any() and (a[:, :2] != 255).any()


def test_axes_needs_matplotlib_and_says_how_to_install_it(folder, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)           # import matplotlib now fails
    assert not figure.available()
    status, _, body = _call(make_app(folder), "seqid=1&xmin=0&xmax=9000&width=400&height=200&axes=1")
    assert status == "400 Bad Request"
    assert "pip install 'seltzer[plot]'" in json.loads(body)["error"]
    status, _, _ = _call(make_app(folder), "seqid=1&xmin=0&xmax=9000&width=400&height=200")
    assert status == "200 OK"


@pytest.mark.parametrize("query, words", [
    ("seqid=1&xmin=0&xmax=99999999999999999999999999&width=800", "must be in"),
    ("seqid=1&xmin=-99999999999999999999&xmax=5", "must be in"),
    ("seqid=1&xmin=0&xmax=" + "9" * 5000, "must be an integer"),
    ("seqid=1&xmin=0&xmax=10&width=4096&height=1025", "larger than"),
    ("seqid=1&xmin=0&xmax=10&width=100&height=100&axes=1", "at least"),
    ("seqid=1&xmin=0&xmax=10&axes=1", "needs 'width'"),
    ("seqid=1&xmin=0&xmax=10&width=300&axes=maybe", "must be 1 or 0"),
])
def test_bad_requests_answer_400_with_a_message(folder, query, words) -> None:
    status, headers, body = _call(make_app(folder), query)
    assert status == "400 Bad Request" and headers["Content-Type"] == "application/json"
    assert words in json.loads(body)["error"]


NUMBERS = st.one_of(st.integers(-10**30, 10**30).map(str), st.integers(-5, 2_000_000).map(str),
                    st.floats(allow_nan=True).map(str), st.text(max_size=8))
SMALL = st.one_of(st.integers(-3, 300).map(str), st.text(max_size=5))
PARAMS = st.fixed_dictionaries({}, optional={
    "seqid": st.sampled_from(["1", "2", "", "../1", "1\x00"]), "xmin": NUMBERS, "xmax": NUMBERS,
    "tissue": SMALL, "width": SMALL, "height": SMALL, "vmax": NUMBERS, "axes": st.sampled_from(["0", "no", "2"])})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PARAMS)
def test_any_query_string_answers_without_an_internal_error(folder, params) -> None:
    from urllib.parse import urlencode
    status, headers, body = _call(make_app(folder), urlencode(params))
    assert status.split()[0] in ("200", "400", "404"), (params, body)
    if headers["Content-Type"] == "application/json":
        assert isinstance(json.loads(body), dict)


def test_column_means_read_in_bounded_chunks(tmp_path, monkeypatch) -> None:
    n, tissues = 1_000_000, 5
    pos = np.arange(n, dtype=np.int64) * 10
    data = npformat.open_memmap(str(tmp_path / "d.npy"), mode="w+", dtype=np.float32, shape=(n, 2, tissues))
    data[:] = 1.0
    data[n // 2:, 0, 2] = 3.0
    data.flush()
    values = npformat.open_memmap(str(tmp_path / "d.npy"), mode="r")
    whole_window_float64 = n * 2 * tissues * 8                       # 80 MB: what a naive mean copies
    tracemalloc.start()
    means = column_means(pos, values, 0, n * 10, 1000, list(range(tissues)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < whole_window_float64 / 3
    assert means.shape == (1000, 2, tissues)
    assert np.allclose(means[:500, 0, 2], 1.0) and np.allclose(means[500:, 0, 2], 3.0)
    assert np.allclose(np.delete(means, 2, axis=2), 1.0)
    # chunking does not change the answer
    monkeypatch.setattr(picture, "CHUNK_ROWS", 7777)
    assert np.array_equal(column_means(pos, values, 0, n * 10, 1000, list(range(tissues))), means)
    # and the largest picture allowed stays far below the data's size
    tracemalloc.start()
    image = draw(pos, values, 0, n * 10, 4096, 1024)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert image.shape == (1024, 4096, 3) and peak < 80e6


def test_renders_are_bounded_and_the_rest_wait_or_get_503(folder, monkeypatch) -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def slow_draw(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return np.full((3, 3, 3), 255, dtype=np.uint8)

    monkeypatch.setattr(web, "draw", slow_draw)
    app = make_app(folder, renders=web._Renders(limit=2, wait=0.1))
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(_call(app, "seqid=1&xmin=0&xmax=5000&width=3")))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    statuses = sorted(status for status, _, _ in results)
    assert most[0] == 2
    assert statuses.count("200 OK") == 2 and statuses.count("503 Service Unavailable") == 4
    assert all(h.get("Retry-After") == "2" for s, h, _ in results if s.startswith("503"))
    # JSON answers are not pictures and do not wait for them
    assert _call(app, "seqid=1&xmin=0&xmax=5000")[0] == "200 OK"


# -------------------------------------------------------------------------------------- the server

def _fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


COMMON_LOG = re.compile(r'127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] '
                        r'"(GET|HEAD|POST) (/\S*) HTTP/1\.[01]" (\d{3}) (\d+)\Z')


def test_server_cors_access_log_and_idle_connections(folder) -> None:
    lines: list[str] = []
    server = TomeServer(folder, 0, access_log=lines.append)
    runner = threading.Thread(target=server.serve_forever, daemon=True)
    runner.start()
    idle: list[socket.socket] = []
    try:
        status, headers, body = _fetch(server.url + "?seqid=1&xmin=0&xmax=5000", {"Origin": "https://evil.example"})
        assert status == 200 and "Access-Control-Allow-Origin" not in headers
        assert _fetch(server.url + "?seqid=1&xmin=0&xmax=99999999999999999999999999&width=800")[0] == 400
        status, headers, _ = _fetch(server.url + "?seqid=1&xmin=0&xmax=5000&width=64&height=32")
        assert status == 200 and headers["Content-Type"] == "image/png"
        before = threading.active_count()
        for _ in range(60):                       # idle clients hold a socket, not a thread
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        t0 = time.perf_counter()
        assert _fetch(server.url + "?seqid=1&xmin=0&xmax=5000")[0] == 200
        assert time.perf_counter() - t0 < 5
        assert threading.active_count() <= before + 1
    finally:
        for s in idle:
            s.close()
        server.shutdown()
        runner.join(10)
    assert not runner.is_alive()
    assert len(lines) == 4
    parsed = [COMMON_LOG.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m.group(3), m.group(2)[:8]) for m in parsed] == [("200", "/?seqid="), ("400", "/?seqid="),
                                                              ("200", "/?seqid="), ("200", "/?seqid=")]
    assert int(parsed[0].group(4)) == len(body)

    allowed = TomeServer(folder, 0, cors="https://maps.example.org")
    runner = threading.Thread(target=allowed.serve_forever, daemon=True)
    runner.start()
    try:
        _, headers, _ = _fetch(allowed.url + "?seqid=1&xmin=0&xmax=5000")
        assert headers["Access-Control-Allow-Origin"] == "https://maps.example.org"
    finally:
        allowed.shutdown()
        runner.join(10)


def _seltzer(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "repl.py"), *args], capture_output=True, text=True,
                          timeout=60, cwd=str(ROOT), **kwargs)


def test_serve_tome_is_a_sub_command_with_its_own_help() -> None:
    top = _seltzer("--help")
    assert top.returncode == 0 and re.search(r"^\s+serve-tome\s+serve transcriptome", top.stdout, re.M)
    own = _seltzer("serve-tome", "--help")
    assert own.returncode == 0 and own.stdout.startswith("usage: seltzer serve-tome")
    for option in ("--host", "--port", "--cors", "--threads", "FOLDER"):
        assert option in own.stdout


@pytest.mark.parametrize("args, words", [
    (["--port", "80000"], "port must be in 0..65535"),
    (["--port", "http"], "not a port number"),
    (["--threads", "0"], "threads must be in 1..64"),
])
def test_serve_tome_checks_its_arguments(folder, args, words) -> None:
    result = _seltzer("serve-tome", folder, *args)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_serve_tome_serves_logs_and_reports_a_busy_port(folder) -> None:
    process = subprocess.Popen([sys.executable, str(ROOT / "repl.py"), "serve-tome", folder, "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        first = process.stdout.readline()
        match = re.match(r"serving .* on (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C stops\)$", first.strip())
        assert match, first
        url, port = match.group(1), match.group(2)
        status, _, body = _fetch(url + "?seqid=1&xmin=26&xmax=126&tissue=0")
        assert status == 200 and json.loads(body) == {"+": pytest.approx(10 * 1.0055, rel=1e-2),
                                                      "-": pytest.approx(28 * 1.0055, rel=1e-2)}
        assert COMMON_LOG.match(process.stdout.readline().rstrip("\n"))
        busy = _seltzer("serve-tome", folder, "--port", port)
        assert busy.returncode == 1 and "Traceback" not in busy.stderr
        assert busy.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0 and "Traceback" not in err


def test_serve_tome_reports_a_missing_folder_and_a_bad_host(tmp_path) -> None:
    missing = _seltzer("serve-tome", str(tmp_path / "nope"), "--port", "0")
    assert missing.returncode == 1 and missing.stderr.startswith("error: tome folder") and "Traceback" not in missing.stderr
    os.makedirs(tmp_path / "empty")
    bad = _seltzer("serve-tome", str(tmp_path / "empty"), "--host", "no such host", "--port", "0")
    assert bad.returncode == 1 and bad.stderr.startswith("error: cannot listen on no such host:0")
