"""The console (substrate/console.py): its pure helpers (is_complete, classify, split_command,
completions, format_elapsed) and console transcripts -- input lines and the output
they must print (SPEC §7, §10, §12; STYLE "repl.py" and "Tests")."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lang.primitives import REGISTRY
from lang.printer import show
from lang.terms import Symbol
from substrate import Substrate
from substrate.console.commands import COMMANDS
from substrate.units import format_elapsed
from substrate.console import (Console, classify, completions, is_complete,
                               split_command)
from substrate.console.reader import examine

from kbgen import isolated_home  # noqa: F401  (autouse fixture: HOME in a temporary folder)

# ---- is_complete ------------------------------------------------------------------------------

COMPLETE = [
    "",
    "#parent(tom, :x)",
    "parent { (tom, bob); }",
    "parent {\n    (tom, bob);\n}",
    'p { ("}"); }',                       # a brace inside a string does not count
    'p { ("{"); }',
    "p { ('{'); }",                       # nor inside a quoted symbol
    "p { ('a\\'{'); }",                   # escaped quote inside a quoted symbol
    'p { ("a\\"{"); }',                   # escaped quote inside a string
    "p { (1); } // {",                    # nor inside a line comment
    "p { (1); /* { [ ( */ }",              # nor inside a block comment
    "// just a comment {",
    "/* a closed { comment */",
    '#p("(")',
    "/load(\"kb/a.kb\")",
    "/load kb/a.kb",
    "/stats",
    "p { (1); }}",                        # too many closers: already wrong, runs to report it
]

INCOMPLETE = [
    "parent {",
    "parent {\n    (tom, bob);",
    'p { ("}"); ',
    "p { (1); // }\n",
    "p { /* } */ ",
    "p { ('}'); ",
    "'an open symbol",
    "/* an open comment",
    "#p(1,",
    "/load(\"a.kb\"",
    '#p("a\\")',                          # the quote is escaped: the string is still open
]


@pytest.mark.parametrize("text", COMPLETE)
def test_is_complete(text):
    assert is_complete(text)


@pytest.mark.parametrize("text", INCOMPLETE)
def test_is_incomplete(text):
    assert not is_complete(text)


WRONG = [
    ('"an open string', 0),               # a string cannot begin an input
    ("p { ([1, 2); }", 10),               # ')' where ']' must come
    ("bad { (1, ; }", 10),
    ("#p(1, ;", 6),
    ("#p(1) )", 6),
    ("p { (1); }}", 10),
    ("@", 0),
    ('/load("a.kb" x)', 13),
    ("(a);", 3),
]


@pytest.mark.parametrize("text, at", WRONG)
def test_already_wrong_input_is_reported_at_the_offending_token(text, at):
    st = examine(text)
    assert (st.state, st.at) == ("wrong", at)
    assert is_complete(text)  # Enter runs it at once, to report the error


@pytest.mark.parametrize("text, opened", [
    ("parent {", 7), ("#p(1, [2", 6), ("#p(\"ab", 3), ("'sym", 0), ("/* c", 0), ('/load("a.kb"', 5),
    ("#p(1,", 2), ("#a,", None),
])
def test_needs_more_says_what_is_open(text, opened):
    assert examine(text) == ("more", opened, None)


@given(st.text(alphabet='ab(){}[]"\' /*\n\\', max_size=30))
def test_is_complete_never_raises(text):
    assert is_complete(text) in (True, False)


# ---- classify --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("", "empty"), ("   \n  ", "empty"), ("// only a comment", "empty"), ("/* c */", "empty"),
    ("/stats", "command"), ("  /load a.kb", "command"), ("// note\n/stats", "command"),
    ("parent { (tom, bob); }", "definition"), ("gene.find { (1); }", "definition"),
    ("p{ (1); }", "definition"), ("/* doc */ p { (1); }", "definition"),
    ("#parent(tom, :x)", "query"), ("sum(1, 2, :x)", "query"), ("true", "query"), ("#loop", "query"),
])
def test_classify(text, kind):
    assert classify(text) == kind


# ---- split_command -------------------------------------------------------------------------------

def test_split_command_term_form():
    assert split_command('/load("a.kb")') == ("load", ["a.kb"])
    assert split_command('/load("a.kb", "b.kb")') == ("load", ["a.kb", "b.kb"])
    name, args = split_command('/import.csv("g.tsv", gene, -1, [sep("\\t"), header])')
    assert name == "import.csv"
    assert args[:3] == ["g.tsv", Symbol("gene"), -1]
    assert show(args[3]) == '[sep("\\t"), header]'


def test_split_command_without_arguments():
    assert split_command("/stats") == ("stats", [])
    assert split_command("  /stats  ") == ("stats", [])


def test_split_command_shell_form_words_that_are_not_terms_are_strings():
    assert split_command("/load a.kb frag") == ("load", [Symbol("a.kb"), Symbol("frag")])
    assert split_command("/load kb/ecoli/import.kb") == ("load", ["kb/ecoli/import.kb"])
    assert split_command("/load a-b.kb") == ("load", ["a-b.kb"])
    assert split_command('/load "my file.kb"') == ("load", ["my file.kb"])
    assert split_command("/poke frag index 0") == ("poke", [Symbol("frag"), Symbol("index"), 0])
    name, args = split_command("/poke frag index [0, 2]")
    assert show(args[2]) == "[0, 2]"


def test_split_command_rejects_non_commands():
    from lang.errors import CommandError
    for text in ["/", "/ stats", "stats", "/1x"]:
        with pytest.raises(CommandError):
            split_command(text)


# ---- completions -------------------------------------------------------------------------------

LABELS = ["parent", "path", "gene", "gene.find"]


def test_completions_of_commands_at_the_start_of_the_line():
    assert completions("/lo", LABELS, COMMANDS, REGISTRY) == ["/load"]
    assert completions("/s", LABELS, COMMANDS, REGISTRY) == ["/save", "/spy", "/stats"]
    assert completions("  /import.", LABELS, COMMANDS, REGISTRY) == ["/import.csv", "/import.tome", "/import.txt"]
    assert completions("/", LABELS, COMMANDS, REGISTRY) == sorted("/" + c for c in COMMANDS)


def test_completions_of_labels_after_a_hash():
    assert completions("#pa", LABELS, COMMANDS, REGISTRY) == ["#parent", "#path"]
    assert completions("#parent(:x), #gene", LABELS, COMMANDS, REGISTRY) == ["#gene", "#gene.find"]
    assert completions("#gene.", LABELS, COMMANDS, REGISTRY) == ["#gene.find"]
    assert completions("#zz", LABELS, COMMANDS, REGISTRY) == []


def test_completions_of_primitives():
    assert completions("#parent(:x), str.f", LABELS, COMMANDS, REGISTRY) == ["str.find", "str.flip"]
    assert completions("lst.", LABELS, COMMANDS, REGISTRY) == sorted(p for p in REGISTRY if p.startswith("lst."))
    assert completions("", LABELS, COMMANDS, REGISTRY) == []
    assert completions("sum(1, 2, :x) ", LABELS, COMMANDS, REGISTRY) == []


@pytest.mark.parametrize("text", [
    "// su", "sum(1, 2, :x) // su", "#pa(:x) // #pa", "/* lst.", "a { (1); } /* about su",
    '/load("kb/family.kb") // kb/fa', "/* one\ntwo su", "x // str.",
])
def test_nothing_is_offered_inside_a_comment(text):
    assert completions(text, LABELS, COMMANDS, REGISTRY) == []


@pytest.mark.parametrize("text, expected", [
    ("// a comment\nsu", "sum"), ("/* done */ su", "sum"), ('str.concat("//", "/*"), su', "sum"),
    ("'a//b'(1), su", "sum"), ("/* x */ #pa", "#parent"),
])
def test_completion_resumes_after_a_comment(text, expected):
    assert expected in completions(text, LABELS, COMMANDS, REGISTRY)


# ---- format_elapsed ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds, text", [
    (0.0, "0.00 ms"), (0.00041, "0.41 ms"), (0.00999, "9.99 ms"), (0.0123, "12.3 ms"),
    (0.5, "500.0 ms"), (1.523, "1.52 s"), (61.0, "61.00 s"),
])
def test_format_elapsed(seconds, text):
    assert format_elapsed(seconds) == text


def test_format_elapsed_unit_boundaries_after_rounding():
    assert format_elapsed(0.99996) == "1.00 s"
    assert format_elapsed(0.0099999) == "10.0 ms"


# ---- console transcripts ----------------------------------------------------------------------------

_TIME = re.compile(r"\b\d+(?:\.\d+)? (?:ms|s)\b")
_GUID = re.compile(r"\b[0-9a-f]{32}\b")
_MEM = re.compile(r"memory: [0-9.]+ MiB")


def normalise(text: str) -> str:
    return _MEM.sub("memory: M MiB", _GUID.sub("GUID", _TIME.sub("T", text)))


def transcript(lines: list[str], kb: Substrate | None = None) -> str:
    """Run console lines (echoed, as a script does) and return the normalised output."""
    out: list[str] = []
    console = Console(kb or Substrate(), out=out.append, echo=True)
    for line in lines:
        console.run_line(line)
    return normalise("\n".join(out))


def blocks(text: str) -> list[tuple[str, str]]:
    """Split a transcript written as '?- input' followed by its output lines into pairs."""
    pairs = []
    for chunk in re.split(r"^(?=\?- )", text.strip("\n"), flags=re.M):
        if chunk.strip():
            first, _, rest = chunk.partition("\n")
            pairs.append((first[3:], rest))
    return pairs


TRANSCRIPTS = {
    "queries": """
?- parent { (tom, bob); (bob, ann); (bob, liz); }
% defined parent (facts, 3) in T
?- #parent(tom, :x)
:x = bob
% 1 solution in T
?- #parent(bob, :x)
:x = ann
:x = liz
% 2 solutions in T
?- #parent(ann, :x)
% 0 solutions in T
?- #parent(tom, bob)
yes
% 1 solution in T
?- #parnet(tom, :x)
% 0 solutions in T (warning: no elemental holds parnet/2)
""",
    "commands": """
?- p { index = 0 } { (1, a); (2, b); }
% defined p (facts, 2) in T
?- /peek(p)
% GUID facts p { index = 0 }
?- /poke(p, index, 1)
% index = 1 on 1 elemental of p
?- /poke p tag blue
% tag = blue on 1 elemental of p
?- /list
% GUID  facts  p  2  { index = 1, tag = blue }
% 1 elemental
?- /ttl(5)
% time to live: T
?- /spy(p)
% spying on p
?- /spy(off)
% spying stopped
?- /drop p
% dropped 1 elemental
?- /list
% 0 elementals
?- /stats
% elementals: 0 (none)
% statements: 0
% prototypes: 0
% queries: 0
% inferences: 0
% triggers: 0
% memory: M MiB
?- /quit
% bye
""",
    "errors are one line": """
?- /lod(a)
error: unknown command /lod (did you mean /load?)
?- /frobnicate
error: unknown command /frobnicate (try /help)
?- /stats extra
error: /stats takes 0 argument(s), found 1: /stats
?- /poke frag index
error: /poke takes 3 argument(s), found 2: /poke(label, property, value)
?- /ttl(0)
error: /ttl: expected a positive number of seconds, found 0
?- /spy(1)
error: /spy: argument 1: expected a string, found 1
?- /peek(nothing)
error: /peek: no elemental holds nothing
?- /help(frobnicate)
error: /help: no command or primitive named frobnicate
?- /load nofile.kb
error: nofile.kb: no such file
?- sum("a", 1, :x)
error: <query>:1:1: sum: argument 1: expected a number, found "a"
?- str.flip(1, :x)
error: <query>:1:1: str.flip: argument 1: expected a string or symbol, found 1
?- div(1, 0, :x)
error: <query>:1:1: div: division by zero
?- p { (:x) :- nosuch(:x); }
error: <console>:1:13: unknown primitive nosuch/1 (a call to knowledge needs '#': #nosuch)
?- #p(1, , 2)
error: <query>:1:7: unexpected ','; expected '!', '#label', '(', '[', '_', '~', a float, a quoted symbol, a string, a symbol, a variable, an integer
    #p(1, , 2)
          ^
""",
}


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
def test_transcript(name):
    pairs = blocks(TRANSCRIPTS[name])
    kb = Substrate()
    out: list[str] = []
    console = Console(kb, out=out.append, echo=True)
    for line, expected in pairs:
        out.clear()
        console.run_line(line)
        got = normalise("\n".join(out[1:]))          # out[0] is the echo
        assert out[0] == "?- " + line
        assert got == expected.rstrip("\n"), f"for {line!r}"


def test_errors_are_never_tracebacks_and_the_console_goes_on():
    bad = ["/lod(a)", "#p(", "p { (1) :- ; }", "sum(a, 1, :x)", "/load(1)", "/import.txt(1, 2)",
           "/save(\"/no/such/dir/x.kb\")", "/drop(zzz)", "lst.nth(-1, [1], :x)", "str.sub(\"abc\", 5, 9, :x)",
           "console.exec(\"/nosuch\")", "console.exec(1)", "/optimize(p)", "/import.tome(\"/nope\", \"/tmp\", 1)",
           "#p(1))", "p { (1); } extra", "/help(1)", "/load(\"a.kb\" x)"]
    kb = Substrate()
    out: list[str] = []
    console = Console(kb, out=out.append, echo=True)
    for line in bad:
        out.clear()
        ok = console.run_line(line)
        text = "\n".join(out)
        assert "Traceback" not in text and "internal error" not in text, (line, text)
        errors = [o for o in out if o.startswith("error: ")]
        if not ok:
            assert len(errors) == 1, (line, out)
    out.clear()
    assert console.run_line("sum(1, 2, :x)")
    assert out[-2:][0] == ":x = 3"


def test_syntax_errors_show_the_line_with_a_caret():
    _, pieces = "", transcript(["#parent(tom"]).splitlines()
    assert pieces[1] == "error: <query>:1:12: unexpected end of input; expected ')', ','"
    assert pieces[2] == "    #parent(tom"
    assert pieces[3] == "               ^"  # just past the end of the input


def test_syntax_errors_in_command_arguments_point_into_the_typed_line():
    lines = transcript(['/load("a.kb" x)']).splitlines()
    assert lines[1].startswith("error: <command>:1:14: unexpected 'x'")
    assert lines[2] == '    /load("a.kb" x)'
    assert lines[3] == "    " + " " * 13 + "^"


def test_help_lists_every_command_and_primitive():
    out = transcript(["/help"])
    words = set(re.findall(r"[^\s(|]+", out))
    for name in COMMANDS:
        assert "/" + name in words, name
    for name in REGISTRY:
        assert name in words, name


def test_help_of_one_primitive_shows_its_docstring():
    out = transcript(["/help(str.flip)"]).splitlines()
    assert out[1] == "% " + REGISTRY["str.flip"].signature()
    assert out[2] == "% " + REGISTRY["str.flip"].doc.splitlines()[0]
    assert "Reverse a string" in out[2]


def test_help_of_one_command_shows_usage_and_doc():
    for form in ["/help(load)", "/help load", "/help(\"/load\")"]:
        out = transcript([form]).splitlines()
        assert out[1] == "% /load(path, ...)", form
        assert out[2].startswith("% Load .kb")


def test_help_text_is_dedented():
    out = transcript(["/help(load)"]).splitlines()
    assert all(not line.startswith("%  ") for line in out[1:]), out


# ---- a failing line leaves the knowledge base unchanged ---------------------------------------------

def _state(kb: Substrate):
    return [(e.label, e.cls, e.count(), dict(e.properties)) for e in kb.elementals.values()]


@pytest.mark.parametrize("line", [
    "q { (1); }\nr { (:x) :- nosuch(:x); }",                   # second definition of a line fails
    "p { (9, z); (:x) :- nosuch(:x); }",                        # unknown primitive
    "assert(p(3, c)), sum(\"a\", 1, :x)",                       # asserts, then a type error
    "retract(p(1, a)), assert(fresh(1)), div(1, 0, :z)",       # retract + new elemental, then an error
    "bundle(p(4, d), 1), bundle(p(5, e), 1), sum(a, 1, :x)",    # bundles, then an error
    "console.exec(\"/poke(p, index, 1)\"), sum(a, 1, :x)",     # a nested command, then an error
    "console.exec(\"/drop(p)\"), sum(a, 1, :x)",
    "console.exec(\"/nosuch\")",
])
def test_a_failing_line_leaves_the_knowledge_base_unchanged(line):
    kb = Substrate()
    out: list[str] = []
    console = Console(kb, out=out.append)
    assert console.run_line("p { index = 0 } { (1, a); (2, b); }")
    before = _state(kb)
    answers = list(kb.query("#p(:x, :y)"))
    out.clear()
    assert not console.run_line(line)
    assert any(o.startswith("error: ") for o in out), out
    assert _state(kb) == before
    assert list(kb.query("#p(:x, :y)")) == answers
    assert list(kb.query("#q(:x)")) == [] and list(kb.query("#fresh(:x)")) == []


def test_a_failing_trigger_undoes_the_line():
    kb = Substrate()
    out: list[str] = []
    console = Console(kb, out=out.append)
    console.run_line("r { (:x) :- assert(seen(:x)), sum(:x, \"a\", _); }")
    assert not console.run_line("declare(r(5))")
    assert "error: " in "\n".join(out) and "sum: argument 2" in "\n".join(out)
    assert list(kb.query("#seen(:x)")) == []


def test_triggered_inferences_finish_before_the_answer_is_printed():
    out = transcript(['r { (:x) :- console.puts("trig ", :x); }', "declare(r(1))"]).splitlines()
    assert out[-3:] == ["trig 1", "yes", "% 1 solution in T"]


def test_script_definitions_span_lines_and_failures_are_counted():
    kb = Substrate()
    out: list[str] = []
    console = Console(kb, out=out.append, echo=True)
    script = ["// a comment line", "parent {", "  (tom, bob);", "}", "", "#parent(tom, :x)", "/nosuch", "#p(1))",
              "q {"]
    failures = console.run_script(script, "s.ses")
    text = normalise("\n".join(out))
    assert failures == 3
    assert "% defined parent (facts, 1) in T" in text
    assert ":x = bob" in text
    assert "error: unknown command /nosuch (try /help)" in text
    assert out[-1].startswith("error: s.ses:9:3: '{' is not closed")


def test_json_mode():
    import json
    kb = Substrate()
    out: list[str] = []
    console = Console(kb, out=out.append, json_mode=True)
    console.run_line("p { (1); (2) := 0.5; }")
    console.run_line("#p(:x)")
    console.run_line("/nosuch")
    console.run_line("sum(a, 1, :x)")
    objs = [json.loads(o) for o in out]
    assert objs[0]["command"] == "<definition>" and objs[0]["ok"] is True
    q = objs[1]
    assert q["query"] == "#p(:x)" and q["count"] == 2 and q["partial"] is False
    assert q["solutions"] == [{"x": "1"}, {"x": "2", "truth": 0.5}]
    assert objs[2] == {"error": "unknown command /nosuch (try /help)"}
    assert objs[3]["where"] == "<query>:1:1" and "sum: argument 1" in objs[3]["error"]
