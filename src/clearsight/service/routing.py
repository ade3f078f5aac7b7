"""Routing a report to the child's council, and to the police force covering that council.

Why a table: production will read the ONS postcode directory (postcode -> local authority); until it is
licensed in, ``data/outward_codes.csv`` maps *synthetic* outward codes (the synthetic generator's
geography for seed 1, so demo data routes) to councils. Some outward codes straddle councils: then the
council the reporter chose on the form decides, else the first candidate, and the triage page says the
routing was ambiguous. A report whose postcode is unknown and whose reporter chose no council is kept
"unrouted" for the national team to route: never dropped. The force is the council's ``group`` in the
standard's ``local_authority`` code list.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from clearsight.standard import load_standard

OUTWARD_CODES = Path(__file__).parent / "data" / "outward_codes.csv"
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


@dataclass(frozen=True)
class Routing:
    """Where a report goes and why: ``routed_by`` is postcode, postcode-ambiguous, form or unrouted."""

    council_code: str | None
    force_code: str | None
    routed_by: str


def normalise_postcode(postcode: str) -> str | None:
    """'bd7 1aa ' -> 'BD7 1AA'; None when it is not shaped like a UK postcode."""
    compact = re.sub(r"\s+", "", postcode or "").upper()
    match = _POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None


@cache
def councils() -> dict[str, tuple[str, str]]:
    """Council code -> (name, covering force code), from the standard."""
    return {code.code: (code.label, code.group) for code in load_standard().codelist("local_authority").codes}


@cache
def _outward_lookup() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    with OUTWARD_CODES.open(newline="") as handle:
        for row in csv.DictReader(handle):
            table.setdefault(row["outward_code"], []).append(row["council_code"])
    return {outward: tuple(sorted(codes)) for outward, codes in table.items()}


def candidates(postcode: str | None) -> tuple[str, ...]:
    """Councils whose area holds the postcode's outward code (none, one, or several)."""
    normal = normalise_postcode(postcode or "")
    return _outward_lookup().get(normal.split(" ")[0], ()) if normal else ()


def route(postcode: str | None, chosen_council: str | None) -> Routing:
    """Council and force for a report, from the child's postcode first and the reporter's choice second."""
    known = councils()
    chosen = chosen_council if chosen_council in known else None
    found = candidates(postcode)
    if len(found) == 1:
        council, routed_by = found[0], "postcode"
    elif found:
        council, routed_by = (chosen, "postcode") if chosen in found else (found[0], "postcode-ambiguous")
    elif chosen:
        council, routed_by = chosen, "form"
    else:
        return Routing(None, None, "unrouted")
    return Routing(council, known[council][1], routed_by)
