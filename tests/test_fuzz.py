"""Fuzzing the console (issue 16 §4): thousands of generated lines — primitive calls with hostile
arguments, asserts and retracts into facts and a store, every command with random arguments,
definitions, and random mutations of all of these (NUL bytes, huge integers, unbalanced text) —
must each give an answer or one of the project's own errors, never an internal error.

The generator is seeded (deterministic) and cheap, so the run stays within CI time."""
from __future__ import annotations

import random

from lang.primitives import REGISTRY
from substrate import Substrate
from substrate.console import Console
from substrate.console.commands import COMMANDS

from kbgen import isolated_home  # noqa: F401  (autouse fixture)

LINES = 10_000
_SKIP_COMMANDS = {"check", "quit"}     # /check starts a child process per store: too slow for this

ATOMS = ["0", "1", "-7", "3.5", "-0.0", "1e308", "1" + "0" * 400, "-" + "9" * 60, "a", "tom", "'A b'",
         '""', '"x"', '"ACGT"', '"\\u0000"', '"é🙂"', '"a\\nb"', "[]", "[1, 2, 3]",
         "f(1)", "g(VAR, [1])", "VAR", "VAR", "_", "nan", "inf", '"1.5"', '"12"', "[VAR, VAR]", "f(f(f(f(a))))",
         "[a | VAR]"]
# Each VAR becomes a variable of its own: a variable shared between an input and an output makes a
# cyclic term (lst.reverse([:x], :x)), which is the language's business (issue: cyclic terms).
LABELS = ["p", "q", "st", "r", "nosuch"]
PATHS = ['"data.txt"', '"rows.csv"', '"nope.txt"', '""', '"a\\u0000b"', '"../x.kb"', '"."', '"out.kb"',
         '"out.kbz"', '"sub/deep/x.kb"', '"st.lmdb"', '"' + "x" * 300 + '"']
JUNK = ["\\u0000", "\x00", "(", ")", "[", "]", "{", "}", ":", "#", '"', "'", ",", ";", "^", "/", "\n", "é",
        "9" * 30, " ", "\\", "~", ":-"]


_fresh_var = iter(range(1 << 62))


def _term(rng: random.Random, depth: int = 0) -> str:
    if depth < 2 and rng.random() < 0.2:
        return f"[{', '.join(_term(rng, depth + 1) for _ in range(rng.randint(0, 3)))}]"
    if depth < 2 and rng.random() < 0.1:
        return f"h({', '.join(_term(rng, depth + 1) for _ in range(rng.randint(1, 2)))})"
    atom = rng.choice(ATOMS)
    while "VAR" in atom:
        atom = atom.replace("VAR", f":v{next(_fresh_var)}", 1)
    return atom


def _goal(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        p = rng.choice(list(REGISTRY.values()))
        n = len(p.kinds) if hasattr(p, "kinds") else rng.randint(0, 3)
        n = max(0, n + rng.choice([0, 0, 0, 0, 1, -1]))
        if p.name in ("console.exec",):
            return f'console.exec("{rng.choice(["/stats", "/list", "/spy(p)", "/ttl(0.3)", "/drop(q)"])}")'
        if p.name in ("all", "count"):
            return f"{p.name}(:z, #{rng.choice(LABELS)}(:z), :l)" if p.name == "all" else \
                f"count(#{rng.choice(LABELS)}(_), :n)"
        return f"{p.name}({', '.join(_term(rng) for _ in range(n))})" if n else p.name
    if r < 0.75:
        lab = rng.choice(LABELS)
        return f"#{lab}({', '.join(_term(rng) for _ in range(rng.randint(0, 3)))})"
    op = rng.choice(["assert", "retract", "declare", "bundle"])
    lab = rng.choice(LABELS)
    stmt = f"{lab}({', '.join(_term(rng) for _ in range(rng.randint(1, 2)))})"
    return f"bundle({stmt}, {rng.choice(['2', '0', '-1', 'x'])})" if op == "bundle" else f"{op}({stmt})"


def _command(rng: random.Random) -> str:
    name = rng.choice([n for n in COMMANDS if n not in _SKIP_COMMANDS])
    pool = PATHS + LABELS + ATOMS
    args = [rng.choice(pool) for _ in range(rng.randint(0, 4))]
    if name.startswith("import") and rng.random() < 0.5:
        args = [rng.choice(PATHS), rng.choice(LABELS), rng.choice(["-1", "5", "0"]),
                rng.choice(["[]", "[assert]", "[bundle(2)]", "[header, sep(\";\")]", "[bogus]", "x"])]
    return f"/{name}({', '.join(args)})" if args or rng.random() < 0.5 else f"/{name}"


def _definition(rng: random.Random) -> str:
    lab = rng.choice(["p", "q", "r", "d"])
    if rng.random() < 0.3:
        return f"{lab} {{ (:head) :- {_goal(rng)}; }}"
    props = rng.choice(["", "index = [0]", "class = facts", "class = store, path = \"st2.lmdb\"",
                        "class = tome, path = \"tome\"", "class = bogus", "index = x"])
    body = "; ".join(f"({_term(rng)})" for _ in range(rng.randint(0, 3)))
    return f"{lab} {{ {props} }} {{ {body}{';' if body else ''} }}"


def generate(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        line = ", ".join(_goal(rng) for _ in range(rng.randint(1, 3)))
    elif r < 0.7:
        line = _command(rng)
    else:
        line = _definition(rng)
    if rng.random() < 0.3:                       # mutate
        chars = list(line)
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(chars) + 1)
            what = rng.random()
            if what < 0.4:
                chars.insert(k, rng.choice(JUNK))
            elif what < 0.7 and chars:
                del chars[min(k, len(chars) - 1)]
            elif chars:
                chars[min(k, len(chars) - 1)] = rng.choice(JUNK)
        line = "".join(chars)
    return line


def _fresh() -> tuple[Substrate, Console, list]:
    kb = Substrate(ttl=0.3)
    out: list[str] = []
    c = Console(kb, out=out.append)
    assert c.run_line('st { class = store, path = "st.lmdb", index = [0] } {}')
    assert c.run_line("p { (1); (2, b); } r { (:x) :- #p(:x); }")
    # Every line runs as if from knowledge: its paths are confined to the test's folder (a mutated
    # line must never /save over a file elsewhere, and the fuzzer may run as root).
    kb.from_knowledge = 1
    return kb, c, out


def test_fuzzed_console_lines_give_no_internal_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.txt").write_text("line one\nline two\n")
    (tmp_path / "rows.csv").write_text("1,a\n2,b\n")
    rng = random.Random(16)
    found = []
    kb = None
    try:
        for i in range(LINES):
            if i % 400 == 0:         # a fresh knowledge base now and then: /save and /load stay small
                if kb is not None:
                    kb.close()
                kb, c, out = _fresh()
            line = generate(rng)
            out.clear()
            try:
                c.run_line(line)
            except Exception as e:                 # escaped the console altogether
                found.append((line, f"{type(e).__name__}: {e}"))
                continue
            bad = [o for o in out if "internal error" in o]
            if bad:
                found.append((line, bad[0]))
            if kb.ttl > 0.3:
                kb.ttl = 0.3
            c.quit = False
    finally:
        kb.close()
    assert not found, f"{len(found)} internal errors, e.g.:\n" + "\n".join(f"{ln!r}\n    {e}" for ln, e in found[:15])
