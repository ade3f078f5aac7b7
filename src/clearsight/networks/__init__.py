"""Offender networks: the person graph over linked records, offender groups, roles and the group-based finding.

``run`` builds the graph (offences: co-suspects and victims; intelligence: subjects named together and
shared vehicles, phones, addresses, places), finds groups (components, then Leiden inside oversized ones)
and writes ``network_edge``, ``offender_group``, ``offender_group_member``, ``offender_group_offence`` and
``network_offence_flag``. ``export`` writes GROUPS.csv (DESIGN.md's contract), GraphML and i2 ``.anx``;
``query`` answers analysts' questions; ``aggregate`` gives the report its counts. Names load lazily so that
the CLI starts without importing igraph.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NetworkSummary", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from clearsight.networks import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'clearsight.networks' has no attribute {name!r}")
