"""Group detection speed and recovery: Clearsight vs whole-graph Leiden vs networkx, same graph, same run.

Usage: python bench/bench_networks.py [--nodes N] [--synth SYNTH_DIR --db WAREHOUSE [--label KEY]
[--link-from-truth] [--skip-planted]]; writes (updates) bench/results/networks.json.

Part 1, planted graph (DESIGN.md's yardstick: 1.07M nodes): offender groups (2-40 suspects, heavy-tailed,
each with victims), lone offenders with their victims, and a few bridging ties that join groups into
components too big to be one group. Three methods on the same arrays: Clearsight's ``groups.detect``
(components, then Leiden only inside oversized components); igraph Leiden over the whole graph (leidenalg's
default two iterations); networkx (connected components, then Louvain inside the same oversized components:
the same strategy in pure Python).
Each is scored on the planted truth with the audit's two measures.

Part 2, the pipeline on a real warehouse (optional): ``networks.run`` timed end to end (SQL graph, detection,
tables) and scored against the synthetic truth (read here, never by the package): default strengths, default
strengths without corroboration of a report by records (the rule before it existed), and with every
unconfirmed intelligence tie.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"


def planted_graph(nodes: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Arrays: edges (source, target), per-node planted group (-1 for lone cases) and whether a suspect."""
    rng = np.random.default_rng(seed)
    sizes_all = np.arange(2, 41)
    weights = sizes_all.astype(float) ** -1.6
    group_sizes = rng.choice(sizes_all, size=max(nodes // 40, 1), p=weights / weights.sum())
    victims = np.maximum(1, rng.poisson(group_sizes * 0.9))
    group_nodes = group_sizes + victims
    keep = np.cumsum(group_nodes) <= nodes * 0.35
    group_sizes, victims, group_nodes = group_sizes[keep], victims[keep], group_nodes[keep]
    start = np.concatenate([[0], np.cumsum(group_nodes)[:-1]])
    n_groups = len(group_sizes)
    # suspects tied to a random earlier suspect (a tree: connected), plus extra co-offending ties
    owner = np.repeat(np.arange(n_groups), group_sizes)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(group_sizes) - group_sizes, group_sizes)
    later = rank > 0
    tree_a = start[owner[later]] + rank[later]
    tree_b = start[owner[later]] + (rng.random(int(later.sum())) * rank[later]).astype(np.int64)
    extra_a = start[owner] + rank
    extra_b = start[owner] + (rng.random(len(owner)) * group_sizes[owner]).astype(np.int64)
    # each victim abused by 1-3 of the group's suspects
    v_owner = np.repeat(np.arange(n_groups), victims)
    v_rank = np.arange(len(v_owner)) - np.repeat(np.cumsum(victims) - victims, victims)
    v_node = start[v_owner] + group_sizes[v_owner] + v_rank
    k = 1 + rng.poisson(0.8, size=len(v_node))
    v_rep = np.repeat(v_node, k)
    v_grp = np.repeat(v_owner, k)
    v_sus = start[v_grp] + (rng.random(len(v_rep)) * group_sizes[v_grp]).astype(np.int64)
    # lone offenders with 1-2 victims fill the rest
    grouped = int(group_nodes.sum())
    lone_n = (nodes - grouped) // 2
    lone = grouped + np.arange(lone_n) * 2
    # bridges: a mislinked person or shared victim joins ~4% of groups to another group
    bridges = max(1, int(n_groups * 0.04))
    ga, gb = rng.integers(0, n_groups, size=(2, bridges))
    source = np.concatenate([tree_a, extra_a, v_rep, lone, start[ga]])
    target = np.concatenate([tree_b, extra_b, v_sus, lone + 1, start[gb]])
    keep_edge = source != target
    group_of = np.full(nodes, -1, dtype=np.int64)
    group_of[:grouped] = np.repeat(np.arange(n_groups), group_nodes)
    suspect = np.zeros(nodes, dtype=bool)
    suspect[start[owner] + rank] = True
    suspect[lone] = True
    return {"source": source[keep_edge], "target": target[keep_edge], "group": group_of, "suspect": suspect,
            "n": np.array(nodes), "groups": np.array(n_groups)}


def score(labels: np.ndarray, planted: dict[str, np.ndarray]) -> dict[str, float]:
    """Recovery (planted groups of 3+ suspects with 80% in one community) and correspondence."""
    group, suspect = planted["group"], planted["suspect"]
    in_group = suspect & (group >= 0)
    pairs = np.unique(np.column_stack([group[in_group], labels[in_group]]), axis=0, return_counts=True)
    (true_group, community), count = pairs[0].T, pairs[1]
    size = np.bincount(group[in_group])
    best = np.zeros(len(size), dtype=np.int64)
    np.maximum.at(best, true_group, count)
    big = size >= 3
    recovery = float((best[big] >= 0.8 * size[big]).mean())
    # predicted groups: communities with 2+ suspects; correspond when most suspects share a planted group
    comm_suspects = np.bincount(labels[suspect])
    candidates = np.flatnonzero(comm_suspects >= 2)
    top = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    np.maximum.at(top, community, count)
    correspondence = float((2 * top[candidates] > comm_suspects[candidates]).mean())
    return {"recovery": round(recovery, 4), "correspondence": round(correspondence, 4),
            "predicted_groups": len(candidates), "planted_groups_3plus": int(big.sum())}


def run_clearsight(planted: dict[str, np.ndarray]) -> tuple[dict[str, object], np.ndarray]:
    from clearsight.networks.groups import detect

    started = time.perf_counter()
    found = detect(int(planted["n"]), planted["source"], planted["target"], np.ones(len(planted["source"])),
                   planted["suspect"])
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "components_split": found.components_split}, found.community


def run_whole_leiden(planted: dict[str, np.ndarray]) -> tuple[dict[str, object], np.ndarray]:
    import igraph as ig
    import leidenalg

    started = time.perf_counter()
    graph = ig.Graph(n=int(planted["n"]), edges=np.column_stack([planted["source"], planted["target"]]))
    found = leidenalg.find_partition(graph, leidenalg.RBConfigurationVertexPartition, seed=1)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2)}, np.asarray(found.membership)


def run_networkx(planted: dict[str, np.ndarray], max_suspects: int = 40) -> tuple[dict[str, object], np.ndarray]:
    import networkx as nx

    started = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(range(int(planted["n"])))
    graph.add_edges_from(zip(planted["source"].tolist(), planted["target"].tolist(), strict=True))
    labels = np.zeros(int(planted["n"]), dtype=np.int64)
    suspect = planted["suspect"]
    label = 0
    louvain_nodes = 0
    for component in nx.connected_components(graph):
        members = list(component)
        if int(suspect[members].sum()) > max_suspects:
            louvain_nodes += len(members)
            for community in nx.community.louvain_communities(graph.subgraph(members), seed=1):
                labels[list(community)] = label
                label += 1
        else:
            labels[members] = label
            label += 1
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "louvain_nodes": louvain_nodes}, labels


def _link_from_truth(work: Path, synth: Path) -> None:
    """Fill ``person_link`` from the truth's true_person_id: for warehouses too big to link on this machine."""
    import duckdb

    from clearsight.link.store import DDL

    con = duckdb.connect(str(work))
    con.execute(DDL)
    con.execute("DELETE FROM person_link")
    con.execute(
        "INSERT INTO person_link SELECT p.source, p.submission_id, p.record_id, 'P' || upper(substr(md5("
        "coalesce(t.true_person_id, p.source || ':' || p.record_id)), 1, 16)), 1.0, 1, 'truth', 'truth' "
        "FROM current_person p LEFT JOIN read_csv(?, all_varchar = true) t "
        "ON t.source = p.source AND t.record_id = p.record_id", [str(synth / "truth" / "persons.csv")])
    con.close()


def pipeline(db: Path, synth: Path, link_from_truth: bool = False) -> dict[str, object]:
    """``networks.run`` on a warehouse copy, timed and scored, default strengths and with unconfirmed."""
    import shutil
    import tempfile

    import duckdb

    from clearsight import networks
    from clearsight.networks.evaluate import evaluate
    from clearsight.networks.export import GROUPS_COLUMNS, groups_rows

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "w.duckdb"
        shutil.copy(db, work)
        if Path(f"{db}.wal").exists():
            shutil.copy(f"{db}.wal", f"{work}.wal")
        if link_from_truth:
            _link_from_truth(work, synth)
        for name, strengths, by_records in (
                ("default", ("confirmed", "tentative"), True),
                ("default_without_record_corroboration", ("confirmed", "tentative"), False),
                ("with_unconfirmed", ("confirmed", "tentative", "unconfirmed"), True)):
            started = time.perf_counter()
            summary = networks.run(work, strengths=strengths, record_corroboration=by_records)
            seconds = time.perf_counter() - started
            con = duckdb.connect(str(work), read_only=True)
            rows = [dict(zip(GROUPS_COLUMNS, row, strict=True)) for row in groups_rows(con)]
            visible = set(con.execute(
                "SELECT source, record_id FROM person_link WHERE person_id IN "
                "(SELECT person_a FROM network_edge UNION SELECT person_b FROM network_edge)").fetchall())
            con.close()
            strict = evaluate(rows, synth / "truth" / "groups.csv", synth / "truth" / "persons.csv")
            tied = evaluate(rows, synth / "truth" / "groups.csv", synth / "truth" / "persons.csv", visible=visible)
            out[name] = {"seconds": round(seconds, 2), "nodes": summary.nodes, "edges": summary.edges,
                         "groups": summary.groups, "strengths_used": summary.strengths_used,
                         "metrics": vars(strict), "metrics_offenders_with_a_tie": vars(tied)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_070_000)
    parser.add_argument("--skip-networkx", action="store_true")
    parser.add_argument("--skip-whole-leiden", action="store_true")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--synth", type=Path)
    parser.add_argument("--link-from-truth", action="store_true", help="person_link from the truth, not Splink")
    parser.add_argument("--label", default="pipeline", help="key for the --db figures in networks.json")
    parser.add_argument("--skip-planted", action="store_true", help="only the --db figures")
    args = parser.parse_args()
    target = RESULTS / "networks.json"
    previous = json.loads(target.read_text()) if target.exists() else {}
    if args.skip_planted:
        if args.db and args.synth:
            previous[args.label] = {**pipeline(args.db, args.synth, args.link_from_truth), "warehouse": str(args.db),
                                    "linkage": "truth" if args.link_from_truth else "clearsight link"}
        target.write_text(json.dumps(previous, indent=1, default=str) + "\n")
        return
    planted = planted_graph(args.nodes)
    result: dict[str, object] = {"planted_graph": {"nodes": int(planted["n"]), "edges": len(planted["source"]),
                                                   "planted_groups": int(planted["groups"])}}
    methods = [("clearsight_components_then_leiden", run_clearsight)]
    if not args.skip_whole_leiden:
        methods.append(("igraph_leiden_whole_graph", run_whole_leiden))
    if not args.skip_networkx:
        methods.append(("networkx_components_then_louvain", run_networkx))
    for name, method in methods:
        figures, labels = method(planted)
        result[name] = {**figures, **score(labels, planted)}
        print(name, result[name], flush=True)
    ours = result["clearsight_components_then_leiden"]["seconds"]
    # a method skipped this time keeps its earlier figures and ratio (measured against that run's Clearsight)
    result["ratios"] = {**previous.get("ratios", {}),
                        **{f"{name}_vs_clearsight": round(result[name]["seconds"] / max(ours, 1e-3), 1)
                           for name, _ in methods[1:]}}
    if args.db and args.synth:
        result[args.label] = {**pipeline(args.db, args.synth, args.link_from_truth), "warehouse": str(args.db),
                              "linkage": "truth" if args.link_from_truth else "clearsight link"}
    result["peak_rss_mib_whole_run"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    RESULTS.mkdir(exist_ok=True)
    target.write_text(json.dumps({**previous, **result}, indent=1, default=str) + "\n")
    print(json.dumps(result.get("ratios"), indent=1))


if __name__ == "__main__":
    main()
