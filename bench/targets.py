"""Whether a bench row meets its target: the target text of the row, judged on the row's own figures.

A target is one or more comma-separated clauses; each is judged on its own and the row is `met` only when every
clause is. Clauses understood:

    <= 2.5x  /  <= 2x wall          the median ratio (ours / baseline)
    <= +0.5 s unavailable           the added unavailability (unavailable_added_s)
    peak RSS < 150 MiB              the highest peak RSS of the row (peak_mib or peak_memory)
    ... within 30 s ...             the outage from the bad containers' start (outage_from_start_ours_median_s)
    informational                   no target: `n/a`

A clause it cannot read, or a figure the row lacks, gives `unknown` (never `met`).
"""
from __future__ import annotations

import re

RATIO = re.compile(r"^<=\s*([0-9.]+)x(?:\s+wall)?$")
ADDED = re.compile(r"^<=\s*\+([0-9.]+)\s*s\s+unavailable$")
PEAK = re.compile(r"^peak RSS\s*<\s*([0-9.]+)\s*MiB$")
WITHIN = re.compile(r"\bwithin\s+([0-9.]+)\s*s\b")


def _peak(row):
    if "peak_memory" in row:
        return max(v["peak_mib"] for v in row["peak_memory"].values())
    return row.get("peak_mib")


def clause_verdict(clause, row):
    """(ok, text) for one clause: ok is True, False or None (unknown)."""
    clause = clause.strip()
    match = RATIO.match(clause)
    if match:
        return row["ratio_median"] <= float(match.group(1)), f"{row['ratio_median']}x {clause}"
    match = ADDED.match(clause)
    if match:
        added = row.get("unavailable_added_s")
        if added is None:
            return None, f"no unavailability measured for '{clause}'"
        return added <= float(match.group(1)), f"{added:+.3f} s unavailable {clause}"
    match = PEAK.match(clause)
    if match:
        peak = _peak(row)
        if peak is None:
            return None, f"no peak RSS measured for '{clause}'"
        return peak < float(match.group(1)), f"peak {peak} MiB, {clause}"
    match = WITHIN.search(clause)
    if match and "outage_from_start_ours_median_s" in row:
        outage = row["outage_from_start_ours_median_s"]
        if outage is None:
            return None, f"no outage from the new containers' start measured for '{clause}'"
        return outage <= float(match.group(1)), f"{outage} s, {clause}"
    return None, f"cannot judge '{clause}'"


def target_verdict(row):
    """`met`, `missed`, `n/a` (informational) or `unknown`, and the clauses' texts."""
    target = row["target"].strip()
    if target == "informational":
        return "n/a", []
    results = [clause_verdict(c, row) for c in target.split(",") if c.strip()]
    texts = [text for _, text in results]
    if any(ok is False for ok, _ in results):
        return "missed", texts
    if any(ok is None for ok, _ in results):
        return "unknown", texts
    return "met", texts
