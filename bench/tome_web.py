"""Load benchmark of ``seltzer serve-tome``: bounded memory, threads and latency under many clients.

    python bench/tome_web.py [--rows 2000000] [--cache DIR] [--pictures 20] [--idle 300]

Generates seed-like data (kb/tome/make_data.py, cached), starts ``seltzer serve-tome`` as a real
process on a free loopback port and measures, from /proc/PID/status of that process:

* ``--pictures`` concurrent requests for the largest picture allowed (4096 x 1024, a whole seqid):
  status codes, median and slowest latency, and the server's peak resident memory (VmHWM);
* ``--idle`` idle connections held open: the server's thread count, and the latency of a JSON
  request made while they are open;
* JSON window means with 4 and then 20 concurrent clients: median and p99 latency.

The "before" column quotes issue 15 (measured on main with the wsgiref server, 8192 x 2048 cap);
it is not re-measured here, since reproducing a 7 GB peak on a shared machine helps nobody.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from substrate.tome.tome import Tome, import_tome  # noqa: E402
from substrate.tome.web import MAX_PIXELS, MAX_WIDTH  # noqa: E402


def _proc(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _get(url: str) -> tuple[int, float]:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
    except OSError:
        code = 0
    return code, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", "/tmp"),
                                                    "seltzer-tome-web-bench"))
    ap.add_argument("--pictures", type=int, default=20)
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--requests", type=int, default=400, help="JSON requests per concurrency level")
    args = ap.parse_args()

    folder = Path(args.cache) / f"db-{args.rows}"
    if not (folder / "complete").exists():
        shutil.rmtree(args.cache, ignore_errors=True)
        spec = importlib.util.spec_from_file_location("make_data", ROOT / "kb" / "tome" / "make_data.py")
        make_data = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(make_data)
        paths = make_data.generate(str(Path(args.cache) / "text"), rows=args.rows)
        for seqid, path in paths.items():
            import_tome(path, str(folder), int(seqid))
        (folder / "complete").write_text("ok\n")
    tome = Tome(str(folder))
    seqid = tome.seqids()[0]
    first, last, count = tome.extent(seqid)
    height = MAX_PIXELS // MAX_WIDTH

    server = subprocess.Popen([sys.executable, str(ROOT / "repl.py"), "serve-tome", str(folder), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = re.search(r"(http://\S+/)", server.stdout.readline()).group(1)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        threading.Thread(target=server.stdout.read, daemon=True).start()     # drain the access log
        rss0 = _proc(server.pid, "VmRSS")

        picture = f"{url}?seqid={seqid}&xmin={first}&xmax={last + 1}&width={MAX_WIDTH}&height={height}"
        with ThreadPoolExecutor(args.pictures) as pool:
            results = list(pool.map(_get, [picture] * args.pictures))
        codes = sorted({c for c, _ in results})
        times = sorted(t for _, t in results)
        peak = _proc(server.pid, "VmHWM")

        idle = []
        for _ in range(args.idle):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        time.sleep(1.0)
        threads_idle = _proc(server.pid, "Threads")
        rng = np.random.default_rng(0)

        def window() -> str:
            x = int(rng.integers(first, last - 8192))
            return f"{url}?seqid={seqid}&xmin={x}&xmax={x + 8192}"

        _, idle_latency = _get(window())
        for s in idle:
            s.close()

        latency = {}
        for clients in (4, 20):
            urls = [window() for _ in range(args.requests)]
            with ThreadPoolExecutor(clients) as pool:
                lat = [t for c, t in pool.map(_get, urls) if c == 200]
            latency[clients] = (np.median(lat) * 1e3, np.percentile(lat, 99) * 1e3, len(lat))
    finally:
        server.terminate()
        server.wait(20)

    print(f"serve-tome load benchmark: seqid {seqid}, {count:,} positions, {tome.tissues(seqid)} tissues; "
          f"server RSS at start {rss0 / 1024:.0f} MB")
    print(f"{'measure':52s} {'now':>22s}   before (issue 15, quoted)")
    print(f"{f'{args.pictures} concurrent {MAX_WIDTH}x{height} pictures: statuses':52s} "
          f"{','.join(map(str, codes)):>22s}   3 of 20 answered 500 (8192x2048)")
    print(f"{'  median / slowest latency (s)':52s} {np.median(times):10.2f} / {times[-1]:9.2f}   median 40 s")
    print(f"{'  server peak RSS (MB)':52s} {peak / 1024:22.0f}   7,000")
    print(f"{f'{args.idle} idle connections: server threads':52s} {threads_idle:22d}   300+ (one per connection)")
    print(f"{'  JSON request while they are open (ms)':52s} {idle_latency * 1e3:22.1f}")
    for clients, (p50, p99, n) in latency.items():
        before = "p99 19 ms" if clients == 4 else "p99 1,020 ms (backlog 5)"
        print(f"{f'JSON 8 kbp means, {clients} clients: median / p99 (ms)':52s} {p50:10.1f} / {p99:9.1f}   {before}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
