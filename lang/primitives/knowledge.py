"""Knowledge primitives: they change or inspect what the knowledge base holds, through ``m.kb``."""
from __future__ import annotations

from ..terms import Compound, make_list, resolve
from .registry import primitive


def split(t) -> tuple[str, tuple]:
    """A statement term as (label, args): ``frag(1, "AC")`` -> ("frag", (1, "AC"))."""
    t = resolve(t)
    if type(t) is Compound:
        return t.name, t.args
    return t.name, ()


@primitive("assert", "term")
def _assert(m, stmt):
    """Add a statement to the newest writable elemental of its label: assert(frag(1, "AC"))."""
    m.kb.assert_statement(*split(stmt))
    return True


@primitive("retract", "term")
def _retract(m, stmt):
    """Remove the first statement that unifies with the argument, binding its variables;
    fails if there is none."""
    label, args = split(stmt)
    removed = m.kb.retract_statement(label, args)
    if removed is None:
        return False
    return m.unify(Compound("s", args), Compound("s", tuple(removed))) if args else True


@primitive("bundle", "term", "int")
def _bundle(m, stmt, n):
    """Collect the statement into its label's pending bundle; every n statements become an elemental."""
    from ..errors import EvaluationError
    if n < 1:
        raise EvaluationError(f"bundle: the bundle size must be at least 1, found {n}")
    m.kb.bundle_statement(*split(stmt), n)
    return True


@primitive("declare", "term")
def _declare(m, stmt):
    """Publish a statement without storing it: rules of its label are triggered."""
    m.kb.declare_statement(*split(stmt))
    return True


@primitive("sub.elementals", "text", "out")
def _elementals(m, label, out):
    """The GUIDs (as strings) of the elementals holding a label, in creation order."""
    return m.unify(out, make_list(m.kb.elemental_ids(label)))
