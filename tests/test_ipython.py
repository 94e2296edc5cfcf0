"""The IPython/Jupyter extension (substrate/ipython.py), tested by executing a real notebook in a
real kernel (nbclient + ipykernel), headless, and reading the outputs the notebook saved."""
from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = [
    "%load_ext substrate.ipython",
    "%%kb\n"
    "parent { (tom, bob); (tom, liz);\n"
    "         (bob, ann); (bob, pat); }\n"
    "grandparent { (:x, :z) :- #parent(:x, :y), #parent(:y, :z); }\n"
    "#grandparent(tom, :who)\n"
    "/list(parent)",
    "%kb #parent(:parent, :child)",
    "grand = %kb #grandparent(:g, :c)\n"
    "print(grand.columns, len(grand), [row['c'].name for row in grand])\n"
    "print(kb.table('#parent(bob, :c)').to_csv().split())",
    "%%kb\n"
    "#parent(tom, :x\n"
    "#parent(:x, ann)",
    "%kb #parent(:x",
    "%kb #parent(nobody, _)",
]


def _text(output: dict) -> str:
    if output["output_type"] == "stream":
        return output["text"]
    if output["output_type"] == "error":
        return output["ename"] + ": " + output["evalue"]
    return output["data"].get("text/plain", "")


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    for i in (4, 5):       # cells that must fail (and not stop the run)
        nb.cells[i].metadata["tags"] = ["raises-exception"]
    folder = tmp_path_factory.mktemp("notebook")
    status: dict[int, str] = {}

    def executed(cell, cell_index, execute_reply) -> None:
        status[cell_index] = execute_reply["content"]["status"]

    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", on_cell_executed=executed,
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    nbformat.write(nb, str(folder / "executed.ipynb"))          # what a user would open
    executed_nb = nbformat.read(str(folder / "executed.ipynb"), as_version=4)
    executed_nb.metadata["statuses"] = [status[i] for i in range(len(CELLS))]
    return executed_nb


def test_every_cell_ran_and_only_the_failing_ones_failed(notebook) -> None:
    assert notebook.metadata["statuses"] == ["ok"] * 4 + ["error"] * 2 + ["ok"]


def test_load_ext_and_a_cell_of_knowledge(notebook) -> None:
    assert notebook.cells[0].outputs == []
    lines = "".join(_text(o) for o in notebook.cells[1].outputs).splitlines()
    assert lines[0].startswith("% defined parent (facts, 4) in ")
    assert lines[1].startswith("% defined grandparent (rules, 1) in ")
    assert lines[2:4] == [":who = ann", ":who = pat"] and lines[4].startswith("% 2 solutions in ")
    assert any("parent" in line and "facts" in line for line in lines[5:])        # /list


def test_query_magic_shows_an_html_table_and_text(notebook) -> None:
    (result,) = notebook.cells[2].outputs
    assert result["output_type"] == "execute_result"
    page = result["data"]["text/html"]
    assert page.startswith('<table class="seltzer-table">')
    assert "<th>:parent</th><th>:child</th>" in page
    assert page.count("<tr><td>") == 4 and "<td>liz</td>" in page
    text = result["data"]["text/plain"].splitlines()
    assert text[0].split() == [":parent", "|", ":child"] and text[-1] == "% 4 solutions"


def test_query_results_are_python_values_in_the_same_substrate(notebook) -> None:
    printed = "".join(_text(o) for o in notebook.cells[3].outputs).splitlines()
    assert printed == ["['g', 'c'] 2 ['ann', 'pat']", "['c', 'ann', 'pat']"]


def test_a_failing_line_reports_and_the_cell_fails_without_a_traceback(notebook) -> None:
    outputs = notebook.cells[4].outputs                 # the line's error, then the cell's
    printed = "".join(o["text"] for o in outputs if o["name"] == "stdout")
    (error,) = [o["text"] for o in outputs if o["name"] == "stderr"]
    assert printed.startswith("error: <cell>:1:")
    assert error.startswith("UsageError: 1 line of this cell failed") and "Traceback" not in error
    (error,) = notebook.cells[5].outputs
    assert error["text"].splitlines() == ["UsageError: <query>:1:11: unexpected end of input; expected ')', ','",
                                          "#parent(:x", "          ^"]
    assert "Traceback" not in error["text"]
    (result,) = notebook.cells[6].outputs
    assert result["data"]["text/plain"] == "% 0 solutions"
    assert "<td>no</td>" in result["data"]["text/html"]
