"""The runtime: the substrate and its elementals, stores, tomes, importers and console."""
from .substrate import PartialAnswer, Substrate

__all__ = ["Substrate", "PartialAnswer"]
