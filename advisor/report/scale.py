"""The report section "Beyond one machine": where the probe fits ran (a Dask cluster),
and ``--confirm-at-scale``'s measured score next to the learning curve's projection."""

from __future__ import annotations

from advisor.report.model import Report
from advisor.report.section_types import Section
from advisor.text import code, md_text


def cluster_section(report: Report) -> Section | None:
    """None for a local run without ``--confirm-at-scale``."""
    executor, check = report.executor, report.scale_check
    on_cluster = executor is not None and executor.kind == "dask"
    if not on_cluster and check is None:
        return None
    sec = Section("Beyond one machine")
    if on_cluster:
        sec.paragraphs.append(
            f"Ran on a Dask cluster of {executor.n_workers} worker(s) at {code(executor.address)}: the probe "
            "fits as tasks, on the same folds and seeds as a local run, and a file over --memory-limit "
            "counted and sampled there."
        )
    if check is not None:
        sec.paragraphs.append(_check_text(check))
        sec.bullets += [md_text(n) for n in check.notes]
    return sec


def _check_text(check) -> str:
    if check.status == "not_applicable":
        return f"Confirm at scale: not run ({md_text(check.reason)})."
    if check.status == "failed":
        return f"Confirm at scale: the full-data fit failed ({md_text(check.reason)}); the verdict stands on the probes."
    where = "on the cluster with lightgbm.dask" if check.engine == "lightgbm.dask" else "in this process"
    text = (
        f"Confirm at scale: {code(check.probe)} trained on {check.n_train:,} rows {where} and scored "
        f"{check.measured:.3f} {check.metric} on {check.n_test:,} held-out rows (measured)."
    )
    if check.projected is None:
        return text + " No projection to check it against (see below)."
    interval = ""
    if check.projected_low is not None and check.projected_high is not None:
        interval = f", {check.interval:.0%} interval {check.projected_low:.3f} to {check.projected_high:.3f}"
    verdict = {
        True: "inside the interval: the projection held",
        False: "outside the interval: treat the curve's other projections with care",
        None: "no interval to compare with",
    }[check.within]
    return (
        f"{text} The learning curve projected {check.projected:.3f} at {check.projected_rows:,} rows "
        f"(an estimate{interval}): {verdict}."
    )
