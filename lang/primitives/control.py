"""Control primitives the solver runs itself; registered here so /help and completion list them."""
from __future__ import annotations

from ..clauses import OP_ALL, OP_COUNT, OP_FAIL, OP_HUSH, OP_TRUE
from .registry import control

control("true", OP_TRUE, (), "Succeed once.")
control("false", OP_FAIL, (), "Fail.")
control("hush", OP_HUSH, (), "Do not publish this triggered inference's head when it succeeds.",
        group="knowledge")
control("all", OP_ALL, ("template", "goal", ":list"),
        "all(template, goal, :list): the template of every solution of goal, in order ([] if none).")
control("count", OP_COUNT, ("goal", ":n"), "count(goal, :n): the number of solutions of goal.")
