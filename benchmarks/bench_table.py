"""What the benchmarks share to print their tables (imported from beside them)."""

from __future__ import annotations


def print_table_head(head: str) -> None:
    """A table's header line, then a rule of dashes as wide as it."""
    print(head)
    print("-" * len(head))
