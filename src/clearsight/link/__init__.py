"""Linkage: the same child or suspect across agencies, under one pseudonymous ``person_id``.

``run`` links the warehouse's current person records (identifiers decrypted from the vault in-process) and
writes ``person_link`` and ``link_evidence``; ``link_file`` links a standalone CSV (DESIGN.md's contract)
and is how linkage is evaluated on public benchmarks. The work is in ``pipeline``; names load lazily so
that the CLI starts without importing Splink.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_THRESHOLD", "LinkSummary", "link_file", "model_dir_for", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from clearsight.link import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'clearsight.link' has no attribute {name!r}")
