"""The bench's target verdicts (bench/targets.py), judged on rows of the recorded bench/results.json and on edge rows."""
from __future__ import annotations

import json
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import targets  # noqa: E402  (bench/ is a directory of scripts, not a package)


def row(**kw):
    base = {"operation": "x", "target": "<= 1.5x", "ratio_median": 1.2}
    base.update(kw)
    return base


def test_ratio_clauses():
    assert targets.target_verdict(row())[0] == "met"
    assert targets.target_verdict(row(ratio_median=1.51))[0] == "missed"
    assert targets.target_verdict(row(target="<= 2x wall", ratio_median=2.0))[0] == "met"


def test_every_clause_must_hold_and_a_missing_figure_is_never_met():
    deploy = row(target="<= 2x wall, <= +0.5 s unavailable", ratio_median=1.9, unavailable_added_s=0.6)
    assert targets.target_verdict(deploy)[0] == "missed"
    deploy["unavailable_added_s"] = 0.037
    assert targets.target_verdict(deploy) == ("met", ["1.9x <= 2x wall", "+0.037 s unavailable <= +0.5 s unavailable"])
    assert targets.target_verdict(row(target="<= 1.25x, peak RSS < 150 MiB", ratio_median=1.0))[0] == "unknown"
    assert targets.target_verdict(row(target="faster than light"))[0] == "unknown"
    assert targets.target_verdict(row(target="informational")) == ("n/a", [])


def test_peak_memory_and_outage_clauses():
    sqlite = row(target="<= 1.25x, peak RSS < 150 MiB", ratio_median=1.1,
                 peak_memory={"257 MiB": {"peak_mib": 59.7}, "1028 MiB": {"peak_mib": 151.0}})
    assert targets.target_verdict(sqlite)[0] == "missed"
    bad = row(target="previous version serves within 30 s of the new containers starting", outage_from_start_ours_median_s=12.5)
    assert targets.target_verdict(bad)[0] == "met"
    # the bad containers' start was not seen (no figure): unknown, never met, and no crash of the whole bench
    unseen = row(target="previous version serves within 30 s of the new containers starting", outage_from_start_ours_median_s=None)
    assert targets.target_verdict(unseen)[0] == "unknown"


def table_verdicts(path):
    """{operation: "target met" column} of the results table in a Markdown file."""
    rows = [line.split("|")[1:-1] for line in path.read_text().splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0]]
    return {cells[0].strip(): cells[header.index("target met")].strip() for cells in rows[2:]}


def test_the_recorded_results_read_as_the_performance_page_says():
    """Every row's verdict, judged again from results.json, is what bench/results.md and docs/performance.md print."""
    data = json.loads((REPO / "bench" / "results.json").read_text())
    verdicts = {r["operation"]: targets.target_verdict(r)[0] for r in data["results"]}
    assert verdicts["One module call (ping) vs empty playbook"] == "n/a"
    assert "unknown" not in verdicts.values()
    assert table_verdicts(REPO / "bench" / "results.md") == verdicts
    assert table_verdicts(REPO / "docs" / "performance.md") == verdicts
