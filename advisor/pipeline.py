"""The main job as a plain Python API: read, profile, rules, probes, verdict.

The CLI is a thin layer over ``recommend``; notebooks call it directly.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from advisor import __version__
from advisor.errors import AdvisorError, InputError
from advisor.facts import Constraints, DatasetProfile
from advisor.progress import NullProgress
from advisor.report.model import ProbeStageSummary, Report

TASKS = ("binary", "multiclass", "regression")
INTERPRETABILITY = ("required", "preferred", "any")
GOALS = ("predict", "explain")
SPLITS = ("auto", "random", "time", "group")
# Share of the probe budget spent re-measuring without leakage suspects.
LEAKAGE_BUDGET_SHARE = 0.25
# Share of the budget (on top of it) the search for the columns behind a near-perfect score may take.
COLLAPSE_SEARCH_SHARE = 0.15
# Pixels a side the images are loaded at: the CNN uses 32 on CPU and 64 on a GPU.
IMAGE_SIZE = {"cpu": 32, "cuda": 64}
MAX_IMAGES = 20_000  # a seeded per-class sample beyond this; the report says so


def _check_choice(name: str, value: str | None, choices: Sequence[str]) -> None:
    if value is not None and value not in choices:
        raise AdvisorError(f"unknown {name} '{value}': use one of {', '.join(choices)}")


def recommend(
    path: str | Path,
    *,
    target: str | None = None,
    task: str | None = None,
    interpretability: str = "any",
    goal: str = "predict",
    budget: float = 60.0,
    device: str = "auto",
    seed: int = 0,
    rules: Sequence[str | Path] = (),
    memory_limit_mb: float | None = None,
    probes: bool = True,
    progress: NullProgress | None = None,
    split: str = "auto",
    time_column: str | None = None,
    group_column: str | None = None,
    rope: float = 0.01,
    target_score: float | None = None,
    weights: str | Path | None = None,
    cluster: str | None = None,
    workers: int | None = None,
    confirm_at_scale: bool = False,
) -> Report:
    """Profile ``path``, apply the rules, run the probes and return the Report.

    ``cluster`` (a Dask scheduler's address) or ``workers`` (a LocalCluster of that many
    processes) runs the probe fits as Dask tasks (``advisor.probing.executor``);
    ``confirm_at_scale`` re-trains the best GBDT on all rows and scores it against its
    learning curve's projection (``advisor.probing.scale_check``).
    Raises ``AdvisorError`` (with a message that says what to do) for unusable
    input or options.
    """
    _check_choice("task", task, TASKS)
    _check_choice("interpretability level", interpretability, INTERPRETABILITY)
    _check_choice("goal", goal, GOALS)
    _check_choice("split", split, SPLITS)
    if budget <= 0:
        raise AdvisorError(f"--budget must be a positive number of seconds, got {budget}")
    if not 0 <= rope < 1:
        raise AdvisorError(f"--rope must be at least 0 and below 1 (a difference in the metric), got {rope}")
    constraints = Constraints(
        interpretability,
        goal,
        float(budget),
        device,
        int(seed),
        split=split,
        time_column=time_column,
        group_column=group_column,
        rope=float(rope),
        target_score=None if target_score is None else float(target_score),
        weights=None if weights is None else str(check_weights_path(weights)),
        confirm_at_scale=bool(confirm_at_scale),
    )
    if workers is not None and workers < 1:
        raise AdvisorError(f"--workers must be at least 1, got {workers}")
    progress = progress or NullProgress()
    from advisor.probing.executor import open_executor

    try:
        with open_executor(cluster, workers) as executor:
            return _run(path, target, task, constraints, rules, memory_limit_mb, probes, progress, executor)
    finally:
        progress.close()  # stop a live display on every path, errors included


def _run(
    path, target, task, constraints: Constraints, rules, memory_limit_mb, probes: bool, progress,
    executor=None,
) -> Report:  # fmt: skip
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    # Rules first: a broken team rule file should fail before any slow work.
    from advisor.engine.loader import load_rules

    rule_set = load_rules(list(rules))

    from advisor.compute import detect_compute

    compute = detect_compute(constraints.device, probe_gpu=probes)

    progress.stage(f"reading {path}")
    t = time.perf_counter()
    profile, data = _load(
        Path(path),
        target=target,
        task=task,
        constraints=constraints,
        memory_limit_mb=memory_limit_mb,
        image_size=IMAGE_SIZE[compute.device],
        probes=probes,
        dask_client=getattr(executor, "client", None),
    )
    timings["read_and_profile"] = time.perf_counter() - t

    from advisor.engine.apply import evaluate
    from advisor.engine.facts import build_facts

    t = time.perf_counter()
    prior = evaluate(rule_set, build_facts(profile, compute, constraints))
    timings["rules"] = time.perf_counter() - t

    results, summary, without = [], None, None
    if probes:
        executor = _fits_executor(executor, data, compute)
        t = time.perf_counter()
        import scipy.linalg  # noqa: F401 - loads scipy's own BLAS, so the limit below reaches it too
        from threadpoolctl import threadpool_limits

        from advisor.compute import blas_threads

        cells = len(data) * max(1, 0 if data.X is None else data.X.shape[1])
        with threadpool_limits(limits=blas_threads(cells), user_api="blas"):
            results, summary, without = _probe(data, profile, constraints, compute, progress, executor)
        timings["probes"] = time.perf_counter() - t

    from advisor.report.verdict_text import write_verdict
    from advisor.verdict import check_leakage, decide

    metric = summary.metric if summary else ""
    partial = bool(summary and summary.partial)
    rec = decide(profile, prior, results, constraints, metric=metric, partial=partial)
    leakage = None
    if without is not None:
        # The headline rests on the run without confirmed suspects; the other run is the evidence.
        rec, leakage, results_headline = check_leakage(
            rec, profile, prior, results, without, constraints, metric=metric, partial=partial
        )
    else:
        results_headline = results
    # The verdict is evidence; the report writes its sentences, once, for every format.
    rec, leakage = write_verdict(
        rec, leakage, profile=profile, prior=prior, compute=compute, constraints=constraints,
        probes=results_headline,
    )  # fmt: skip
    from advisor.verdict.planning import plan_more_data

    planning = plan_more_data(rec, results_headline, compute, constraints.target_score, metric) if probes else None
    scale_check = None
    if constraints.confirm_at_scale and probes and data is not None:
        from advisor.probing.scale_check import confirm_at_scale as check_scale

        progress.stage("confirm at scale: the best GBDT on all rows")
        scale_check = check_scale(data, results_headline, seed=constraints.seed, executor=executor)
    timings["total"] = time.perf_counter() - t0
    return Report(
        dataset=profile,
        compute=compute,
        constraints=constraints,
        prior=prior,
        probes=results_headline,
        probe_stage=summary,
        recommendation=rec,
        leakage=leakage,
        planning=planning,
        scale_check=scale_check,
        executor=getattr(executor, "info", None),
        timings={k: round(v, 3) for k, v in timings.items()},
        advisor_version=__version__,
    )


def _load(
    path: Path,
    *,
    target,
    task,
    constraints: Constraints,
    memory_limit_mb,
    image_size: int,
    probes: bool = True,
    dask_client=None,
):
    """Read and profile ``path`` with the first reader that detects it (``advisor.readers``);
    return (profile, ProbeData or None without probes)."""
    from advisor.readers import ReadOptions, read

    options = ReadOptions(
        constraints=constraints,
        target=target,
        task=task,
        memory_limit_mb=memory_limit_mb,
        image_size=image_size,
        max_items=MAX_IMAGES,
        dask_client=dask_client,
    )
    return read(path, check_input_path(path), options, prepare=probes)


def check_weights_path(path: str | Path) -> Path:
    """``--weights``: an existing regular file (its contents are checked by the probe that loads it)."""
    p = Path(path)
    if not p.is_file():
        what = "is not a regular file" if p.exists() else "does not exist"
        raise InputError(
            f"--weights {path} {what}: pass the .pth file of a torchvision ResNet "
            "(e.g. resnet18-f37072fd.pth from the torch hub cache)"
        )
    return p


def check_input_path(path: str | Path) -> os.stat_result:
    """Stat ``path`` (following links); refuse what is neither a regular file nor a folder.

    Runs before anything opens the path: opening a FIFO would block forever,
    and a pipe or device reads as empty or endless. A glob of shards
    (``data/part-*.parquet``) stats as the folder it starts in, once it matches.
    """
    from advisor.io.shards import glob_folder

    try:
        st = os.stat(glob_folder(path) or path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(
            f"{path} does not exist: check the path (a CSV, TSV or Parquet file, a folder or glob of shards, or a folder of images or audio clips)"
        ) from None
    except PermissionError:
        raise InputError(
            f"cannot access {path} (permission denied): check the permissions of the file and of the folders above it"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot access {path} ({(exc.strerror or str(exc)).lower()}): check the path"
        ) from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise InputError(
            f"{path} is not a regular file (a pipe, socket or device): save the data to a file and pass its path"
        )
    return st


def _fits_executor(executor, data, compute):
    """Where the probe fits run: the cluster asked for (``--cluster``/``--workers``); else,
    on small data, a pool of forked processes, one per usable core (``advisor.probing.pool``;
    for the probes without torch only, where torch sees a GPU); else this process."""
    from advisor.probing.executor import IN_PROCESS

    if (executor is not None and executor is not IN_PROCESS) or data is None:
        return executor
    from advisor.compute import usable_cpus
    from advisor.probing.pool import PoolExecutor, pool_workers

    workers = pool_workers(len(data), usable_cpus())
    return PoolExecutor(workers) if workers else executor


def _probe(data, profile, constraints, compute, progress, executor=None):
    from advisor.probing.stage import INTERRUPTED, run_probes

    progress.stage(f"probing on {compute.device} with a {constraints.budget_seconds:g} s budget")
    leak_share = LEAKAGE_BUDGET_SHARE if profile.leakage_suspects else 0.0
    main_constraints = replace(constraints, budget_seconds=constraints.budget_seconds * (1 - leak_share))
    stage = run_probes(data, constraints=main_constraints, compute=compute, progress=progress, executor=executor)
    plan = stage.plan
    summary = ProbeStageSummary(
        metric=plan.metric,
        n_rows_probed=stage.n_rows_probed,
        sample_note=stage.sample_note,
        n_folds=len(plan.folds),
        curve_fractions=list(plan.curve_fractions),
        seed=plan.seed,
        budget_seconds=constraints.budget_seconds,
        elapsed_seconds=round(stage.elapsed_seconds, 2),
        partial=stage.partial,
        notes=list(stage.notes),
        split=plan.split,
        split_column=plan.split_column,
        n_repeats=plan.n_repeats,
    )
    without = None
    interrupted = any(r.reason == INTERRUPTED for r in stage.results)
    summary.interrupted = interrupted
    if not interrupted and not leak_share and _collapse_search(data, stage, profile, constraints, progress):
        leak_share = LEAKAGE_BUDGET_SHARE
        summary.notes.append(
            "a near-perfect score led to a search for leaked columns and a re-measure without them, "
            f"{LEAKAGE_BUDGET_SHARE:.0%} of the budget on top of it"
        )
    if leak_share and not interrupted:
        without = _remeasure_without(
            data, profile.leakage_suspects, constraints, compute, progress, leak_share, executor
        )
        if any(r.reason == INTERRUPTED for r in without):
            # Half a re-measure confirms nothing: the suspects stay named, the headline keeps every column.
            summary.partial = summary.interrupted = True
            summary.notes.append("the leakage re-measure was interrupted (Ctrl-C); no leakage check was made")
            without = None
    return stage.results, summary, without


def _collapse_search(data, stage, profile: DatasetProfile, constraints, progress) -> bool:
    """A near-perfect held-out score that no profiled suspect explains: search, within a bounded
    time, for the smallest set of columns whose removal collapses it; they become suspects."""
    from advisor.probing.leak_search import find_collapse_set, is_near_perfect
    from advisor.verdict.decide import best_by_family

    if data is None or data.X is None or profile.modality not in ("tabular", "mixed"):
        return False
    best = max(best_by_family(stage.results).values(), key=lambda r: r.score.mean, default=None)
    if best is None or not is_near_perfect(stage.plan.metric, best.score.mean):
        return False
    progress.stage(
        f"leakage search: {best.name} scored {best.score.mean:.4f}; looking for the columns behind it"
    )
    found = find_collapse_set(
        data,
        metric=stage.plan.metric,
        seed=constraints.seed,
        time_limit=constraints.budget_seconds * COLLAPSE_SEARCH_SHARE,
    )
    if found is None or not found.columns:
        return False
    from advisor.facts import LeakageSuspect

    profile.leakage_suspects.extend(c for c in found.columns if c not in profile.leakage_suspects)
    profile.leakage_evidence.append(
        LeakageSuspect(list(found.columns), "collapse", found.metric, round(found.score_with, 4))
    )
    return True


def _remeasure_without(data, cols: list[str], constraints, compute, progress, share: float, executor=None):
    """The classical families re-measured without the leakage suspects, on the same folds."""
    from advisor.probing.registry import discover_probes
    from advisor.probing.stage import run_probes

    progress.stage(f"leakage check: re-measuring without {', '.join(cols)}")
    from advisor.families import leakage_recheck

    probes = [p for p in discover_probes() if p.family in leakage_recheck()]
    sub = replace(constraints, budget_seconds=constraints.budget_seconds * share)
    return run_probes(
        data.drop_columns(cols), constraints=sub, compute=compute, progress=progress, probes=probes,
        executor=executor,
    ).results  # fmt: skip
