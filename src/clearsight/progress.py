"""One progress display for long work: stages report ``(step, done, total)`` and never import Rich."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ProgressCallback = Callable[[str, int, int], None]


def silent(step: str, done: int, total: int) -> None:
    """A progress callback that shows nothing (library use, tests)."""


@contextmanager
def rich_progress(console: Console | None = None, enabled: bool = True) -> Iterator[ProgressCallback]:
    """Yield a callback that drives one Rich progress bar per named step."""
    if not enabled:
        yield silent
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console or Console(stderr=True), transient=False) as bar:
        tasks: dict[str, int] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))

        yield report
