"""The Pygments lexer (lang/highlight.py): it agrees with the Lark grammar on every token of the
example files, never fails on text being typed, is found through the ``pygments.lexers`` entry point
(``pygmentize -l seltzer``) and colours the console through prompt-toolkit's PygmentsLexer."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Text

from lang.highlight import SeltzerLexer, tokens

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted([*ROOT.glob("kb/**/*.kb"), *ROOT.glob("tests/programs/*.kb")])
SCRIPTS = sorted(ROOT.glob("kb/**/*.ses"))

# the grammar's own lexer, independent of the highlighter's
LARK = Lark.open(str(ROOT / "lang" / "grammar.lark"), parser="lalr", lexer="basic",
                 start=["start", "query", "term"])
LITERALS = {t.pattern.value: t.name for t in LARK.terminals if t.pattern.type == "str"}

# which grammar terminal each Pygments token stands for (literals: the terminal of that text)
NAMED = {Name.Function: "HASHLABEL", Name.Variable: "VAR", Name.Variable.Anonymous: "WILDCARD",
         String.Symbol: "QSYMBOL", String.Double: "STRING", Number.Integer: "INT",
         Number.Float: "FLOAT", Name: "SYMBOL", Name.Class: "SYMBOL", Name.Attribute: "SYMBOL",
         Name.Builtin: "SYMBOL"}


def _terminal(token, text: str) -> str:
    if token in NAMED:
        return NAMED[token]
    assert token in (Punctuation, Operator, Keyword), (token, text)
    return LITERALS[text]


def _significant(text: str) -> list[tuple[str, str]]:
    """The highlighter's tokens as (grammar terminal, text), white space and comments left out."""
    return [(_terminal(tok, piece), piece) for _, tok, piece in tokens(text)
            if not (tok in Text or tok in Comment)]


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 10 and SCRIPTS


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_lexer_agrees_with_the_grammar_on_example_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = [(t.type, str(t)) for t in LARK.lex(text)]
    assert expected, path
    assert _significant(text) == expected


def test_lexer_agrees_on_the_queries_of_example_scripts() -> None:
    checked = 0
    for path in SCRIPTS:
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip() and not line.lstrip().startswith(("/", "//")):
                assert _significant(line) == [(t.type, str(t)) for t in LARK.lex(line)], line
                checked += 1
    assert checked >= 5


def test_roles_of_symbols_commands_and_unfinished_input() -> None:
    text = 'gene { class = store } { (:x) :- sum(1, -2.5, :y), parent(a), #q(_, "s"), ~ !; }'
    kinds = {piece: tok for _, tok, piece in tokens(text)}
    assert kinds["gene"] is Name.Class
    assert kinds["class"] is Name.Attribute
    assert kinds["store"] is Name
    assert kinds["sum"] is Name.Builtin
    assert kinds["parent"] is Name                            # a compound term, not a primitive
    assert kinds["#q"] is Name.Function and kinds[":x"] is Name.Variable
    assert kinds["_"] is Name.Variable.Anonymous and kinds['"s"'] is String.Double
    assert kinds["-2.5"] is Number.Float and kinds["1"] is Number.Integer
    assert kinds[":-"] is Operator and kinds["~"] is Operator and kinds["{"] is Punctuation

    assert list(tokens("/load a.kb b.kb"))[:2] == [(0, Keyword, "/load"), (5, Text, " a.kb b.kb")]
    assert [tok for _, tok, _ in tokens('/save("x.kb")')][:3] == [Keyword, Punctuation, String.Double]
    assert list(tokens("  /stats"))[1] == (2, Keyword, "/stats")
    assert (Keyword, "/load") in [(t, p) for _, t, p in tokens("#p(1)\n/load a.kb")]
    assert Keyword not in [t for _, t, _ in tokens("#p(1) /load")]  # only at the start of a line
    # text still being typed: open strings and comments run to the end, strays are one Error each
    assert list(tokens('#p("abc'))[-1] == (3, String.Double, '"abc')
    assert list(tokens("#p('ab"))[-1] == (3, String.Symbol, "'ab")
    assert list(tokens("/* note\nmore"))[0] == (0, Comment.Multiline, "/* note\nmore")
    assert [(t, p) for _, t, p in tokens("#p(@)")][2] == (Error, "@")


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80),
                 st.text(alphabet='#:/*"\'\\(){}[];,.^!~-=_| azAZ09e\n\t', max_size=80)))
def test_any_text_lexes_losslessly(text: str) -> None:
    pieces = list(tokens(text))
    assert "".join(p for _, _, p in pieces) == text
    offset = 0
    for at, _, piece in pieces:
        assert at == offset and piece
        offset += len(piece)


def test_found_through_the_entry_point_by_pygmentize(tmp_path: Path) -> None:
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    assert isinstance(get_lexer_by_name("seltzer"), SeltzerLexer)
    assert isinstance(get_lexer_for_filename("family.kb"), SeltzerLexer)
    source = tmp_path / "f.kb"
    source.write_text('parent { (tom, bob); }\n#parent(:x, bob) // who\n')
    html = subprocess.run([sys.executable, "-m", "pygments", "-l", "seltzer", "-f", "html", str(source)],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert '<span class="nc">parent</span>' in html          # Name.Class
    assert '<span class="nf">#parent</span>' in html         # Name.Function
    assert '<span class="nv">:x</span>' in html              # Name.Variable
    assert '<span class="c1">// who</span>' in html


def test_console_colours_input_through_pygments() -> None:
    from prompt_toolkit.document import Document
    from prompt_toolkit.lexers import PygmentsLexer
    get_line = PygmentsLexer(SeltzerLexer).lex_document(Document('#parent(:x, "s")\n/stats'))
    first = dict((text, style) for style, text in get_line(0))
    assert first["#parent"] == "class:pygments.name.function"
    assert first[":x"] == "class:pygments.name.variable"
    assert first['"s"'] == "class:pygments.literal.string.double"
    assert ("class:pygments.keyword", "/stats") in get_line(1)


def test_a_failing_scan_colours_nothing_rather_than_failing(monkeypatch) -> None:
    import lang.highlight as highlight

    def broken(text):
        raise RuntimeError("grammar changed under us")

    monkeypatch.setattr(highlight, "tokens", broken)
    assert list(SeltzerLexer().get_tokens_unprocessed("#p(:x)")) == [(0, Text, "#p(:x)")]
