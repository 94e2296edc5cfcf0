"""Query results as tables (substrate/results.py): rows and columns, pandas / Arrow / CSV exports,
the text and HTML views, and the console's /export command."""
from __future__ import annotations

import csv
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lang.errors import ParseError
from lang.printer import show_string
from lang.terms import Symbol
from substrate import Substrate
from substrate.results import SHOWN_ROWS, QueryTable

from kbgen import isolated_home  # noqa: F401  (autouse fixture: HOME in a temporary folder)

FAMILY = "parent { (tom, bob); (tom, liz); (bob, ann); (bob, pat); (pat, jim); }"


@pytest.fixture
def kb():
    sub = Substrate()
    sub.load_text(FAMILY)
    yield sub
    sub.close()


def test_rows_columns_and_iteration_match_the_query_api(kb) -> None:
    table = kb.table("#parent(:p, :c), neq(:c, liz)")
    assert isinstance(table, QueryTable)
    assert table.columns == ["p", "c"]
    assert list(table) == list(kb.query("#parent(:p, :c), neq(:c, liz)"))
    assert table.rows[0] == (Symbol("tom"), Symbol("bob")) and len(table) == 4
    assert table[1] == {"p": Symbol("bob"), "c": Symbol("ann")}
    assert table.column(":c") == [Symbol(n) for n in ("bob", "ann", "pat", "jim")]
    with pytest.raises(KeyError):
        table.column("nope")


def test_columns_without_solutions_and_queries_without_variables(kb) -> None:
    empty = kb.table("#parent(nobody, :child), sum(1, :child, :n)")
    assert (empty.columns, empty.rows) == (["child", "n"], [])
    assert empty.to_csv() == "child,n\r\n"
    yes = kb.table("#parent(tom, _)")
    assert (yes.columns, len(yes)) == ([], 2)
    assert repr(yes).splitlines()[0] == "yes"
    assert repr(kb.table("#parent(liz, _)")) == "% 0 solutions"
    assert "warning: no elemental holds nope/1" in repr(kb.table("#nope(:x)"))


def test_a_bad_query_raises_the_projects_error_with_its_location(kb) -> None:
    with pytest.raises(ParseError) as e:
        kb.table("#parent(:x")
    assert e.value.where.line == 1 and e.value.where.col == 11


def test_truth_values_become_a_column_only_when_some_are_below_one() -> None:
    sub = Substrate()
    sub.load_text("bird { (tweety) := 0.9; (sam); }  t { (a); }")
    fuzzy = sub.table("#bird(:x)")
    assert fuzzy.truths == [0.9, 1.0]
    assert fuzzy.to_csv() == "x,truth\r\ntweety,0.9\r\nsam,1.0\r\n"
    assert ":=" in repr(fuzzy).splitlines()[0] and "0.90" in repr(fuzzy)
    clash = sub.table("#bird(:truth)")
    assert clash.to_csv().splitlines()[0] == "truth,:="
    assert sub.table("#t(:x)").to_csv() == "x\r\na\r\n"


def test_cells_flatten_for_exports() -> None:
    sub = Substrate()
    table = sub.table('eq(:s, sym), eq(:t, "a,\\"b\\"\\n"), eq(:l, [1, 2.5, x]), eq(:f, f(y, "q")), '
                      "eq(:n, -7), eq(:r, 1.5e300)")
    rows = list(csv.reader(io.StringIO(table.to_csv(), newline="")))
    assert rows == [["s", "t", "l", "f", "n", "r"],
                    ["sym", 'a,"b"\n', "[1, 2.5, x]", 'f(y, "q")', "-7", "1.5e+300"]]


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(texts, st.integers(-10**12, 10**12)), min_size=0, max_size=8, unique_by=lambda r: r[0]))
def test_csv_round_trips_any_strings_and_numbers(rows) -> None:
    sub = Substrate()
    body = "".join(f"({show_string(s)}, {n});" for s, n in rows)
    sub.load_text(f"r {{ {body} }}" if rows else "r {}")
    text = sub.table("#r(:s, :n)").to_csv()
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == ["s", "n"]
    assert [(s, int(n)) for s, n in read[1:]] == rows
    sub.close()


def test_to_pandas(kb) -> None:
    pd = pytest.importorskip("pandas")
    frame = kb.table("#parent(:p, :c), lst.len([:p, :c], :n)").to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["p", "c", "n"]
    assert frame["p"].tolist() == ["tom", "tom", "bob", "bob", "pat"]
    assert frame["n"].tolist() == [2] * 5 and str(frame["n"].dtype) == "int64"


def test_to_arrow(kb) -> None:
    pa = pytest.importorskip("pyarrow")
    table = kb.table("#parent(:p, :c), str.len(:c, :n)").to_arrow()
    assert table.column_names == ["p", "c", "n"]
    assert table.column("c").to_pylist() == ["bob", "liz", "ann", "pat", "jim"]
    assert table.schema.field("n").type == pa.int64()
    mixed = Substrate()
    mixed.load_text('m { (1); ("one"); (f(x)); }')
    column = mixed.table("#m(:v)").to_arrow().column("v")
    assert column.type == pa.string() and column.to_pylist() == ["1", '"one"', "f(x)"]


def test_exports_name_the_missing_package(kb, monkeypatch) -> None:
    import builtins
    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name in ("pandas", "pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        kb.table("#parent(:p, _)").to_pandas()
    with pytest.raises(ImportError, match="pip install pyarrow"):
        kb.table("#parent(:p, _)").to_arrow()


def test_text_and_html_views(kb) -> None:
    text = repr(kb.table("#parent(:parent, :c)"))
    assert text.splitlines()[:3] == [":parent | :c", "--------+----", "tom     | bob"]
    assert text.splitlines()[-1] == "% 5 solutions"
    sub = Substrate()
    sub.load_text('x { ("<b>&"); }')
    page = sub.table("#x(:v)")._repr_html_()
    assert "<th>:v</th>" in page and "<td>&quot;&lt;b&gt;&amp;&quot;</td>" in page and "<b>" not in page
    many = Substrate()
    many.load_text("n { " + "".join(f"({i});" for i in range(SHOWN_ROWS + 7)) + " }")
    big = many.table("#n(:i)")
    assert len(big.rows) == SHOWN_ROWS + 7 and big._repr_html_().count("<tr>") == SHOWN_ROWS + 2
    assert "7 more rows" in repr(big) and "7 more rows" in big._repr_html_()


def test_export_command_writes_csv_and_a_failure_writes_nothing(kb, tmp_path) -> None:
    out: list[str] = []
    kb.output = out.append
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    path = tmp_path / "parents.csv"
    assert kb.run(f'/export("{path}", "#parent(:p, :c)")')
    assert path.read_bytes() == b"p,c\r\ntom,bob\r\ntom,liz\r\nbob,ann\r\nbob,pat\r\npat,jim\r\n"
    assert out[-1] == f"% exported 5 solutions to {path}"
    bad = tmp_path / "bad.csv"
    assert not kb.run(f'/export("{bad}", "#parent(:p")')
    assert "<export>:1:11" in out[-1] and not bad.exists()
    assert not kb.run(f'/export("{tmp_path}/no/dir.csv", "#parent(:p, _)")')
    assert out[-1].startswith("error: cannot write") and os.listdir(tmp_path) == ["parents.csv"]
