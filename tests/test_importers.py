"""/import.txt and /import.csv (SPEC §5 declare/bundle, §7, §12; substrate/importers.py)."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from substrate import Substrate
from substrate.console import Console
from substrate.elemental import FactElemental
from substrate.importers import parse_field, read_lines

from kbgen import isolated_home  # noqa: F401  (autouse fixture)


class Session:
    """A substrate and a console whose output is captured line by line."""

    def __init__(self) -> None:
        self.kb = Substrate()
        self.out: list[str] = []
        self.console = Console(self.kb, out=self.out.append)

    def run(self, line: str) -> str:
        """Run one line; return its output (asserting it did not fail)."""
        self.out.clear()
        ok = self.console.run_line(line)
        text = "\n".join(self.out)
        assert ok, text
        assert "error" not in text, text
        return text

    def fail(self, line: str) -> str:
        """Run one line that must fail with a single one-line error; return the message."""
        self.out.clear()
        assert not self.console.run_line(line)
        assert len(self.out) == 1, self.out
        assert self.out[0].startswith("error: ") and "Traceback" not in self.out[0]
        return self.out[0]

    def rows(self, goal: str, *names: str) -> list:
        return [tuple(a[n] for n in names) for a in self.kb.query(goal)]

    def sizes(self, label: str) -> list[int]:
        return [e.count() for e in self.kb.with_label(label) if isinstance(e, FactElemental)]

    def state(self):
        return [(e.label, e.cls, e.count()) for e in self.kb.elementals.values()]


@pytest.fixture
def s():
    return Session()


@pytest.fixture
def txt(tmp_path):
    p = tmp_path / "five.txt"
    p.write_text("l0\nl1\nl2\nl3\nl4\n")
    return str(p)


def write(tmp_path, name: str, data: bytes | str) -> str:
    p = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    p.write_bytes(data)
    return str(p)


REPORT = re.compile(r"% imported (\d+) (lines|rows) as ([\w.]+)/(\d+), (.*), in [\d.]+ m?s")


def report(text: str) -> tuple:
    m = REPORT.match(text)
    assert m, text
    return int(m.group(1)), m.group(3), int(m.group(4)), m.group(5)


# ---- /import.txt ---------------------------------------------------------------------------------

def test_txt_declares_by_default_and_rules_of_the_label_fire(s, txt):
    s.run('r { (:n, :l) :- sum(:n, 100, :m), assert(seen(:m, :l)); }')
    before = s.kb.stats()["triggers"]
    text = s.run(f'/import.txt("{txt}", r)')
    assert report(text) == (5, "r", 2, "declared")
    assert s.rows("#seen(:m, :l)", "m", "l") == [(100 + i, f"l{i}") for i in range(5)]
    assert s.kb.stats()["triggers"] - before == 5
    assert s.sizes("r") == []                      # declared statements are not stored


def test_txt_declared_without_rules_stores_nothing(s, txt):
    assert report(s.run(f'/import.txt("{txt}", nobody)'))[3] == "declared"
    assert s.kb.elementals == {}


def test_txt_spy_shows_the_declared_statements(s, txt):
    s.run("r { (:n, _) :- gt(:n, 2); }")
    s.run("/spy(r)")
    text = s.run(f'/import.txt("{txt}", r, 2)')
    assert text.splitlines()[:2] == ['spy: r(0, "l0")', 'spy: r(1, "l1")']


def test_txt_bundle_makes_elementals_of_n(s, txt):
    text = s.run(f'/import.txt("{txt}", b, -1, [bundle(2)])')
    assert report(text) == (5, "b", 2, "bundled by 2 into 3 elementals")
    assert s.sizes("b") == [2, 2, 1]
    assert s.rows("#b(:n, :l)", "n", "l") == [(i, f"l{i}") for i in range(5)]
    assert s.kb.stats()["triggers"] == 0


def test_txt_bundle_copies_the_index_of_the_labels_elementals(s, txt):
    s.run("b { index = 0 } { (99, \"x\"); }")
    s.run(f'/import.txt("{txt}", b, -1, [bundle(3)])')
    assert [e.properties.get("index") for e in s.kb.with_label("b")] == [0, 0, 0]


def test_txt_bundle_does_not_run_rules(s, txt):
    s.run("b { (:n, :l) :- assert(seen(:n)); }")
    s.run(f'/import.txt("{txt}", b, -1, [bundle(10)])')
    assert s.rows("#seen(:n)", "n") == []
    assert s.sizes("b") == [5]


def test_txt_assert_makes_one_elemental(s, txt):
    text = s.run(f'/import.txt("{txt}", a, -1, [assert])')
    assert report(text) == (5, "a", 2, "asserted")
    assert s.sizes("a") == [5]
    s.run(f'/import.txt("{txt}", a, 2, [assert])')
    assert s.sizes("a") == [7]                      # the newest writable elemental again


@pytest.mark.parametrize("limit, n", [(-1, 5), (0, 0), (3, 3), (5, 5), (99, 5)])
def test_txt_max_lines(s, txt, limit, n):
    text = s.run(f'/import.txt("{txt}", a, {limit}, [assert])')
    assert report(text)[0] == n
    assert s.rows("#a(:n, :l)", "n") == [(i,) for i in range(n)]


def test_txt_lines_keep_their_text_without_line_ends(s, tmp_path):
    p = write(tmp_path, "x.txt", 'one\r\n\n  "quoted", \\ \ttab\nno newline at end')
    s.run(f'/import.txt("{p}", a, -1, [assert])')
    assert s.rows("#a(:n, :l)", "n", "l") == [(0, "one"), (1, ""), (2, '  "quoted", \\ \ttab'),
                                              (3, "no newline at end")]


def test_txt_empty_file(s, tmp_path):
    p = write(tmp_path, "e.txt", "")
    assert report(s.run(f'/import.txt("{p}", a, -1, [bundle(2)])'))[0] == 0
    assert s.sizes("a") == []


def test_txt_shell_form(s, txt):
    assert report(s.run(f"/import.txt {txt} a 2 [assert]"))[:2] == (2, "a")


def test_read_lines(tmp_path):
    assert read_lines(write(tmp_path, "a.txt", "a\r\nb\n\nc")) == ["a", "b", "", "c"]
    assert read_lines(write(tmp_path, "b.txt", "\n")) == [""]


# ---- /import.csv ---------------------------------------------------------------------------------

CSV = 'a,b,c\n1,2.5,x\n007,1e5,nan\n"q,1","multi\nline",-3\n"say ""hi""",,-0.5\n'


def test_csv_rows_become_statements_numbers_become_numbers(s, tmp_path):
    p = write(tmp_path, "t.csv", CSV)
    text = s.run(f'/import.csv("{p}", c, -1, [header, assert])')
    assert report(text) == (4, "c", 3, "asserted")
    assert s.rows("#c(:a, :b, :c)", "a", "b", "c") == [
        (1, 2.5, "x"), (7, 100000.0, "nan"), ("q,1", "multi\nline", -3), ('say "hi"', "", -0.5)]


def test_csv_without_header_keeps_the_first_row(s, tmp_path):
    p = write(tmp_path, "t.csv", CSV)
    s.run(f'/import.csv("{p}", c, -1, [assert])')
    assert s.rows("#c(:a, :b, :c)", "a", "b", "c")[0] == ("a", "b", "c")


def test_csv_declared_by_default(s, tmp_path):
    p = write(tmp_path, "t.csv", CSV)
    s.run("c { (:a, :b, :c) :- is.num(:c), assert(numeric(:a, :c)); }")
    assert report(s.run(f'/import.csv("{p}", c, -1, [header])'))[3] == "declared"
    assert s.rows("#numeric(:a, :c)", "a", "c") == [("q,1", -3), ('say "hi"', -0.5)]
    assert s.kb.stats()["triggers"] == 4
    assert s.sizes("c") == []


def test_csv_tab_separated_and_bundled(s, tmp_path):
    p = write(tmp_path, "t.tsv", "EG\tGene\tLen\nEG1\tthrL\t66\nEG2\trhsE'\t1,2\nEG3\tinsB-4\t300\n")
    text = s.run(f'/import.csv("{p}", g, -1, [sep("\\t"), header, bundle(2)])')
    assert report(text) == (3, "g", 3, "bundled by 2 into 2 elementals")
    assert s.sizes("g") == [2, 1]
    assert s.rows("#g(:e, :n, :l)", "e", "n", "l") == [("EG1", "thrL", 66), ("EG2", "rhsE'", "1,2"),
                                                       ("EG3", "insB-4", 300)]


def test_csv_shell_form_options(s, tmp_path):
    p = write(tmp_path, "t.tsv", "1\t2\n3\t4\n")
    s.run(f'/import.csv {p} g -1 [sep("\\t"), assert]')
    assert s.rows("#g(:a, :b)", "a", "b") == [(1, 2), (3, 4)]


def test_csv_crlf_and_blank_lines(s, tmp_path):
    p = write(tmp_path, "t.csv", "x,y\r\n1,2\r\n\r\n3,4\r\n")
    s.run(f'/import.csv("{p}", g, -1, [header, assert])')
    assert s.rows("#g(:a, :b)", "a", "b") == [(1, 2), (3, 4)]


@pytest.mark.parametrize("limit, n", [(-1, 4), (1, 1), (2, 2), (4, 4), (10, 4)])
def test_csv_max_rows(s, tmp_path, limit, n):
    p = write(tmp_path, "t.csv", CSV)
    assert report(s.run(f'/import.csv("{p}", c, {limit}, [header, assert])'))[0] == n
    assert len(s.rows("#c(:a, :b, :c)", "a")) == n


def test_csv_max_zero_imports_nothing(s, tmp_path):
    p = write(tmp_path, "t.csv", CSV)
    assert report(s.run(f'/import.csv("{p}", c, 0, [header, assert])'))[0] == 0
    assert s.rows("#c(:a, :b, :c)", "a") == []


@pytest.mark.parametrize("field, value", [
    ("1", 1), ("-3", -3), ("007", 7), ("0", 0), ("12345678901234567890", 12345678901234567890),
    ("2.5", 2.5), ("-0.5", -0.5), ("1e5", 100000.0), ("1E5", 100000.0), ("-2.5e-3", -0.0025),
    ("nan", "nan"), ("inf", "inf"), ("NaN", "NaN"), ("+3", "+3"), (".5", ".5"), ("1.", "1."),
    (" 42", " 42"), ("42 ", "42 "), ("1_000", "1_000"), ("0x10", "0x10"), ("1.5.2", "1.5.2"), ("", ""),
    ("None", "None"), ("EG10001", "EG10001"),
])
def test_parse_field(field, value):
    """Fields that read as the language's integers or floats (§2) become numbers; others stay strings."""
    got = parse_field(field)
    assert got == value and type(got) is type(value)


def test_parse_field_leading_non_ascii_digit_is_text():
    assert parse_field("٣") == "٣" and parse_field("１２") == "１２"


def test_parse_field_only_ascii_digits_are_numbers():
    assert parse_field("1٣") == "1٣"
    assert parse_field("-٣") == "-٣"
    assert parse_field("2.٥") == "2.٥"


@pytest.mark.parametrize("data", ["\na,b\n1,2\n", '"a\nb",c\n1,2\n'])
def test_csv_header_is_the_first_row_not_line_1(s, tmp_path, data):
    p = write(tmp_path, "t.csv", data)
    s.run(f'/import.csv("{p}", g, -1, [header, assert])')
    assert s.rows("#g(:a, :b)", "a", "b") == [(1, 2)]


def test_csv_utf8_bom_is_dropped(s, tmp_path):
    p = write(tmp_path, "t.csv", b"\xef\xbb\xbf1,2\n3,4\n")
    s.run(f'/import.csv("{p}", g, -1, [assert])')
    assert s.rows("#g(:a, :b)", "a", "b") == [(1, 2), (3, 4)]


def test_csv_empty_file_imports_nothing(s, tmp_path):
    p = write(tmp_path, "e.csv", "")
    s.run(f'/import.csv("{p}", g, -1, [assert])')
    assert s.kb.elementals == {}


# ---- bad input: one clear message, nothing imported ------------------------------------------------

def _bad_input_case(s, line: str, *expected: str) -> None:
    s.run("g { (:a, :b) :- assert(seen(:a)); }")
    s.run("keep { (1); }")
    before, triggers = s.state(), s.kb.stats()["triggers"]
    msg = s.fail(line)
    for part in expected:
        assert part in msg, msg
    assert s.state() == before
    assert s.kb.stats()["triggers"] == triggers
    assert s.rows("#seen(:a)", "a") == []


@pytest.mark.parametrize("flags", ["", ", -1, [assert]", ", -1, [bundle(1)]"])
def test_missing_file(s, tmp_path, flags):
    p = str(tmp_path / "nope.csv")
    _bad_input_case(s, f'/import.csv("{p}", g{flags})', "no such file", p)
    _bad_input_case(s, f'/import.txt("{p}", g{flags})', "no such file", p)


def test_a_directory(s, tmp_path):
    _bad_input_case(s, f'/import.txt("{tmp_path}", g)', "is a directory", str(tmp_path))


@pytest.mark.parametrize("flags", ["", ", -1, [assert]", ", -1, [bundle(1)]"])
def test_ragged_csv_row_names_path_and_line(s, tmp_path, flags):
    p = write(tmp_path, "r.csv", "1,2\n3,4\n5\n6,7\n")
    _bad_input_case(s, f'/import.csv("{p}", g{flags})', f"{p}:3:", "1 field", "expected 2")


def test_ragged_row_after_a_multiline_field_counts_physical_lines(s, tmp_path):
    p = write(tmp_path, "r.csv", '1,"two\nlines"\n3,4,5\n')
    _bad_input_case(s, f'/import.csv("{p}", g)', f"{p}:3:")


def test_malformed_csv_quote(s, tmp_path):
    p = write(tmp_path, "q.csv", '1,2\n3,"unclosed\n')
    _bad_input_case(s, f'/import.csv("{p}", g)', p, "malformed CSV")


@pytest.mark.parametrize("cmd", ["import.txt", "import.csv"])
def test_invalid_utf8_names_the_line(s, tmp_path, cmd):
    p = write(tmp_path, "bad.txt", b"1,ok\n2,ok\n3,\xff\xfe bad\n")
    _bad_input_case(s, f'/{cmd}("{p}", g)', f"{p}:3:", "not UTF-8")


@pytest.mark.parametrize("cmd", ["import.txt", "import.csv"])
def test_binary_file(s, tmp_path, cmd):
    p = write(tmp_path, "bin.dat", b"1,ok\n2,o\x00k\n3,ok\n")
    _bad_input_case(s, f'/{cmd}("{p}", g)', p, "binary file (NUL byte)")
    p = write(tmp_path, "bin.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\n\x00\x00")
    _bad_input_case(s, f'/{cmd}("{p}", g)', p)


def test_a_failing_trigger_imports_nothing(s, tmp_path):
    p = write(tmp_path, "t.txt", "1\n2\nx\n4\n")
    s.run('n { (:n, :l) :- assert(num(:n)), eq(:l, "x"), sum(:l, 1, _); }')
    before = s.state()
    msg = s.fail(f'/import.txt("{p}", n)')
    assert "sum: argument 1" in msg
    assert s.state() == before and s.rows("#num(:n)", "n") == []


@pytest.mark.parametrize("line, expected", [
    ('/import.txt("{p}", g, -1, [foo])', "/import.txt: unknown flag foo (known: bundle(n), assert)"),
    ('/import.txt("{p}", g, -1, [header])', "/import.txt: unknown flag header (known: bundle(n), assert)"),
    ('/import.csv("{p}", g, -1, [foo(1)])',
     '/import.csv: unknown flag foo(1) (known: bundle(n), assert, header, sep("\\t"))'),
    ('/import.csv("{p}", g, -1, [sep("ab")])', '/import.csv: sep needs a one-character string, found sep("ab")'),
    ('/import.csv("{p}", g, -1, [bundle(0)])', "/import.csv: bundle(n) needs a positive integer, found bundle(0)"),
    ('/import.txt("{p}", g, -1, bundle(2))', "/import.txt: the flags must be a list"),
    ('/import.txt("{p}", g, all)', "/import.txt: argument 3: expected an integer, found all"),
    ('/import.txt("{p}")', "/import.txt takes 2 to 4 argument(s), found 1"),
])
def test_flag_and_argument_errors(s, txt, line, expected):
    assert s.fail(line.replace("{p}", txt)).startswith("error: " + expected)
    assert s.kb.elementals == {}


# ---- progress ---------------------------------------------------------------------------------------

def test_large_imports_report_progress_and_close_the_bar(s, tmp_path):
    p = write(tmp_path, "big.txt", "".join(f"{i}\n" for i in range(25000)))
    calls = []

    def progress(label, total):
        calls.append(("open", label, total))
        return lambda done: calls.append(("update", done))

    s.console.progress = progress
    s.run(f'/import.txt("{p}", big, -1, [bundle(10000)])')
    assert calls[0] == ("open", "import.txt", 25000)
    assert calls[-1] == ("update", None)
    done = [c[1] for c in calls[1:-1]]
    assert done == sorted(done) and done[-1] == 25000
    assert s.sizes("big") == [10000, 10000, 5000]


# ---- the two CSV readers agree with parse_field row by row ------------------------------------------

_FIELD = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["007", "-0", "-", "--5", "5-", "1_000", " 5", "nan", "1.5", "-2.5e3", "x", "w12",
                     "٣", "", "9223372036854775807", "-9223372036854775808", "9223372036854775808"]),
    st.text(st.characters(blacklist_characters=',"\r\n\x00', blacklist_categories=("Cs",)), max_size=4),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_FIELD, min_size=2, max_size=2), min_size=1, max_size=40),
       blanks=st.sets(st.integers(0, 40), max_size=3), header=st.booleans(),
       limit=st.sampled_from([-1, 0, 1, 7]))
def test_plain_and_csv_module_readers_agree_with_parse_field(tmp_path, rows, blanks, header, limit):
    """The fast plain reader (str.split, numpy integer columns) and the csv-module reader give the
    statements parse_field gives, in order, skipping blank lines, header and rows over the limit."""
    from substrate.importers import ImportMode, _csv_batches
    lines = [",".join(r) for r in rows]
    for b in sorted(blanks, reverse=True):
        lines.insert(min(b, len(lines)), "")
    p = tmp_path / "m.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = [r for r in ([",".join(["h", "h"])] if header else []) + lines if r]
    if header:
        p.write_text("h,h\n" + p.read_text(), encoding="utf-8")
        data = data[1:]
    want = [tuple(parse_field(f) for f in r.split(",")) for r in data]
    if limit >= 0:
        want = want[:limit]
    mode = ImportMode(header=header)
    for plain in (True, False):
        got = [row for batch, _ in _csv_batches(str(p), limit, mode, plain) for row in batch.rows()]
        assert got == want, plain
        assert all(type(x) is type(y) for g, w in zip(got, want) for x, y in zip(g, w))


def test_plain_csv_ragged_row_after_blank_lines_and_header_names_its_line(s, tmp_path):
    p = write(tmp_path, "r.csv", "a,b\n\n1,2\n\n3,4,5\n")
    _bad_input_case(s, f'/import.csv("{p}", g, -1, [header, bundle(5)])', f"{p}:5:", "3 fields", "expected 2")


def test_a_failing_line_undoes_an_asserted_import_into_existing_facts(s, tmp_path, monkeypatch):
    """Undo is by position, so it costs what the import cost (by value it was quadratic: a
    Ctrl-C half-way through a large [assert] import held the console for minutes)."""
    write(tmp_path, "many.txt", "".join(f"line {i}\n" for i in range(30000)))
    monkeypatch.chdir(tmp_path)           # what knowledge may touch (console.exec)
    s.run('k { index = 0 } { (0, "kept"); (1, "also kept"); }')
    assert s.rows('#k(0, :l)', "l") == [("kept",)]
    s.out.clear()
    assert not s.console.run_line('console.exec("/import.txt(\\"many.txt\\", k, -1, [assert])"), sum(a, 1, :x)')
    assert s.out[0].startswith("% imported 30000 lines as k/2, asserted") and "sum" in s.out[-1], s.out
    assert s.sizes("k") == [2]
    assert s.rows('#k(:n, :l)', "n", "l") == [(0, "kept"), (1, "also kept")]
    assert s.rows('#k(5, :l)', "l") == []
