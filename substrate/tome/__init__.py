"""Transcriptome data: the memory-mapped tome, its ``class = tome`` elemental and its web service."""

from .tome import Tome, import_tome

__all__ = ["Tome", "import_tome"]
