"""A warehouse's linkage (``person_link``) scored against a synthetic set's truth: pairwise and B-cubed.

Usage: python bench/eval_link_warehouse.py WAREHOUSE.duckdb SYNTH_DIR
SYNTH_DIR is the ``clearsight synth`` output the warehouse was ingested from; its truth is read here, never by
the package. A source record sent in several submissions counts once; the output says how many such records
were given more than one ``person_id`` (it should be 0).
"""

from __future__ import annotations

import json
import sys

import duckdb

from clearsight.link.evaluate import bcubed, pairwise


def main() -> None:
    db, synth = sys.argv[1], sys.argv[2]
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT source, record_id, min(person_id), count(DISTINCT person_id) FROM person_link "
                       "GROUP BY 1, 2").fetchall()
    con.close()
    truth = {f"{s}:{r}": t for s, r, t in duckdb.connect().execute(
        "SELECT source, record_id, true_person_id FROM read_csv(?, all_varchar = true)",
        [f"{synth}/truth/persons.csv"]).fetchall()}
    predicted = {f"{s}:{r}": p for s, r, p, _ in rows if f"{s}:{r}" in truth}
    precision, recall, f1 = bcubed(predicted, truth)
    print(json.dumps({"records": len(predicted), "truth_records": len(truth),
                      "records_with_two_person_ids": sum(1 for *_, n in rows if n > 1),
                      "pairwise": pairwise(predicted, truth).__dict__,
                      "bcubed": {"precision": precision, "recall": recall, "f1": f1}}, indent=1))


if __name__ == "__main__":
    main()
