"""The primitive families; importing this package fills :data:`REGISTRY`."""
from . import arith, compare, console, control, knowledge, lists, strings, terms, types  # noqa: F401
from .registry import REGISTRY, PrimitiveSpec, control as register_control, primitive

__all__ = ["REGISTRY", "PrimitiveSpec", "primitive", "register_control"]
