"""``flags-file``: harm indicators for a standalone CSV of referrals, without a warehouse.

Why: a council analyst can check an extract before submitting it, and the text indicators can be
evaluated on any labelled set of case notes. Only ``record_id`` and ``summary`` are required; ``age``
(years) is used when present; of the other referral columns, ``recorded_status`` decides whether an
indicator is a flag (HARMED is not; a missing status counts as NR). Other columns are ignored: the
structured rules need the child's linked records (missing episodes, crimes, intelligence, placements),
which only a warehouse holds, so they run through ``clearsight flags``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from clearsight.errors import ClearsightError
from clearsight.flags.pipeline import NOT_HARMED
from clearsight.flags.rules import RuleSet, load_rules
from clearsight.flags.text import find_indicators
from clearsight.safe_output import write_csv

OUTPUT_COLUMNS = ("record_id", "flagged", "indicators", "evidence")
REQUIRED_COLUMNS = ("record_id", "summary")


def _age(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def flags_file(referrals: Path | str, out: Path | str, rules: RuleSet | None = None) -> dict[str, int]:
    """Write ``record_id, flagged, indicators, evidence`` for every row of ``referrals``; returns counts."""
    rules = rules or load_rules()
    path = Path(referrals)
    if not path.is_file():
        raise ClearsightError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ClearsightError(f"{path}: missing column(s) {', '.join(missing)}; required: record_id, summary")
        rows = []
        for raw in reader:
            row = {(k or "").strip(): v for k, v in raw.items()}
            hits = find_indicators(row.get("summary") or "", _age(row.get("age")), rules)
            if all(hit.rule_id in rules.supporting for hit in hits):
                hits = []  # a supporting indicator never stands alone
            status = (row.get("recorded_status") or "NR").strip().upper() or "NR"
            flagged = bool(hits) and status in NOT_HARMED
            evidence = [
                {"indicator": h.indicator, "rule": h.rule_id, "record": row["record_id"], "table": "referral",
                 "field": "summary", "span": {"start": h.start, "end": h.end}}
                for h in hits
            ]
            rows.append(
                {
                    "record_id": row["record_id"],
                    "flagged": "true" if flagged else "false",
                    "indicators": ";".join(h.indicator for h in hits),
                    "evidence": json.dumps(evidence, sort_keys=True),
                }
            )
    write_csv(out, rows, OUTPUT_COLUMNS)
    return {"rows": len(rows), "flagged": sum(r["flagged"] == "true" for r in rows)}
