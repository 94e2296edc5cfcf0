"""The console shared by scripts, ``-e`` lines, the interactive REPL and ``console.exec``:
running lines, the command registry, completion and colouring."""

from .console import Console, classify, completions, is_complete, split_command

__all__ = ["Console", "classify", "completions", "is_complete", "split_command"]
