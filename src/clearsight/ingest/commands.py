"""CLI commands of the ingest stage beyond `clearsight ingest`: quality scorecards, returns, outliers."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main CLI."""
