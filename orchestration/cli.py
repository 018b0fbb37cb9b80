"""`pressure-lab`: a thin command line over Dagster's Python API.

Every `run` is a real Dagster run in the instance under `$PRESSURE_LAB_HOME/dagster`, so it
shows in the UI with its logs, checks and lineage. The CLI adds only what a person needs
around it: which days to run, a clear failure message, and the verdict at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

DEMO_START, DEMO_END, DEMO_SEED = "2024-01-01", "2024-12-31", 7


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from exc


def plan_days(landing: Path, start: dt.date | None, end: dt.date | None,
              partition_keys: list[str], bars_only_ok: bool = False,
              calendar_placebo: bool = False) -> tuple[list[str], list[str]]:
    """The partition keys to run and the problems that stop the run before it starts.

    `bars_only_ok`: bars files alone on other days are expected (the previous sessions
    whose close a futures basis is measured at) and are not listed as problems.
    `calendar_placebo`: the partitions are every session (the placebo days included), so
    a run's range needs every session's files."""
    from assets.ingestion.adapters import landing_days

    found = landing_days(landing)
    if bars_only_ok:
        keys = set(partition_keys)
        found = {d: f for d, f in found.items()
                 if d.isoformat() in keys or any(p.parent.name == "chains" for p in f)}
    problems: list[str] = []
    keys = set(partition_keys)
    in_range = {d: f for d, f in found.items()
                if (start is None or d >= start) and (end is None or d <= end)}
    first = min(partition_keys, default=None)
    for day, files in sorted(in_range.items()):
        if day.isoformat() in keys:
            continue
        if first is not None and day.isoformat() < first:
            problems.append(f"{files[0]}: {day} is before the first partition day {first} "
                            "(calendar.partitions_start, or the earliest landing file when "
                            "earlier, as of when the partitions were built)")
        else:
            problems.append(f"{files[0]}: {day} is not an expiration session of the configured "
                            "calendar (weekend, holiday, or not an expiration day under "
                            "calendar.expiration_rule)")
    days = sorted(d for d in in_range if d.isoformat() in keys)
    if not days:
        problems.append(f"no landing files for any expiration day in the range under {landing}")
        return [], problems
    lo, hi = days[0].isoformat(), days[-1].isoformat()
    run_keys = [k for k in partition_keys if lo <= k <= hi]
    missing = [k for k in run_keys if dt.date.fromisoformat(k) not in in_range]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        problems.append(f"{len(missing)} expiration day(s) between {lo} and {hi} have no landing "
                        f"files: {shown}. Add them, narrow --start/--end, or set "
                        "calendar.expiration_rule in the config"
                        + ("; with validation.calendar_placebo every session of the range "
                           "(placebo days included) needs its files" if calendar_placebo
                           else ""))
    return run_keys, problems


def cmd_synth(args: argparse.Namespace) -> int:
    from assets.common.settings import configure_environment
    from assets.synthetic_market.landing_source import (
        LandingConflictError,
        write_synthetic_landing,
    )

    paths = configure_environment()
    try:
        written = write_synthetic_landing(paths.landing, scenario=args.scenario, start=args.start,
                                          end=args.end, seed=args.seed, strength=args.strength,
                                          placebo_days=getattr(args, "placebo_days", False),
                                          placebo_effect=getattr(args, "placebo_effect", False),
                                          fmt=args.format, force=args.force,
                                          underlyings=getattr(args, "underlyings", None),
                                          steer=getattr(args, "steer", None))
    except (LandingConflictError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names, steer = getattr(args, "underlyings", None), getattr(args, "steer", None)
    world = "" if names in (None, ["SPX"]) else f", underlyings={','.join(names)}"
    steer = "" if steer is None else f", steer={steer}"
    print(f"wrote {len(written)} landing files under {paths.landing} "
          f"(scenario={args.scenario}, seed={args.seed}{world}{steer})")
    return 0


def _home_underlyings() -> list[str]:
    """The underlyings of a per-underlying home when the process has no scope, else []."""
    from assets.common.config import instrument_entries
    from assets.common.settings import current_underlying, lab_paths
    from assets.common.underlying_scope import home_underlyings

    if current_underlying() is not None:
        return []
    return home_underlyings(lab_paths().landing_root, instrument_entries())


def _run_argv(args: argparse.Namespace) -> list[str]:
    argv = ["--log-level", args.log_level]
    if args.start:
        argv += ["--start", args.start.isoformat()]
    if args.end:
        argv += ["--end", args.end.isoformat()]
    if getattr(args, "executor", "in_process") == "celery":
        argv += ["--executor", "celery", "--broker", args.broker]
        if args.backend:
            argv += ["--backend", args.backend]
    return argv


def cmd_run(args: argparse.Namespace) -> int:
    from assets.common.instruments import RegistryError

    executor = getattr(args, "executor", "in_process")
    if executor == "celery" and not args.broker:
        print("error: --executor celery needs --broker URL (e.g. redis://127.0.0.1:6379/0)",
              file=sys.stderr)
        return 2
    try:
        underlyings = _home_underlyings()
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if underlyings:  # landing/<U>/ folders: one scoped run per underlying, then the pool
        from orchestration.multi_run import run_underlyings

        jobs = getattr(args, "jobs", None)
        if jobs is None:  # on Celery the runs only orchestrate: submit them all at once
            jobs = len(underlyings) if executor == "celery" else 2
        return run_underlyings(underlyings, _run_argv(args), jobs)
    if executor != "in_process":
        return _run_here(args, executor)
    # The checks and dbt run in this process's run: their imports go on the other core
    # now, and the helpers end with the command (not only with the process: a caller may
    # run several commands).
    from assets.common.settings import DBT_PROJECT_DIR, configure_environment
    from assets.ingestion import gx_worker
    from assets.transform import warm_dbt
    from assets.transform.dbt_args import PARTIAL_PARSE_FILE

    gx_worker.start()
    paths = configure_environment()  # the warm dbt parses in the run's environment
    warm_dbt.start(DBT_PROJECT_DIR, paths.dbt_runtime / PARTIAL_PARSE_FILE)
    try:
        return _run_here(args, executor)
    finally:
        warm_dbt.stop()
        gx_worker.stop()


def _run_here(args: argparse.Namespace, executor: str) -> int:
    """One run of the planned days of this (single-underlying or scoped) home."""
    from assets.common.config import load_config
    from assets.common.settings import configure_environment

    paths = configure_environment()
    from assets.dagster_common.partitions import expiration_partitions
    from orchestration.runner import run_full_graph

    cfg = load_config()
    keys, problems = plan_days(paths.landing, args.start, args.end,
                               expiration_partitions().get_partition_keys(),
                               bars_only_ok=cfg.ingestion.basis_method != "none",
                               calendar_placebo=cfg.validation.calendar_placebo)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    what = _days_text(keys, cfg)
    where = ("its steps on Celery workers" if executor == "celery" else "in this process")
    print(f"running the asset graph over {what} ({keys[0]} .. {keys[-1]}) "
          f"in one Dagster run, {where}; logs: --log-level INFO, or the UI (pressure-lab ui)",
          flush=True)
    outcome = run_full_graph(keys[0], keys[-1], log_level=args.log_level, executor=executor,
                             broker=getattr(args, "broker", None),
                             backend=getattr(args, "backend", None))
    elapsed = time.perf_counter() - started
    if not outcome.success:
        print(f"run {outcome.run_id} FAILED after {elapsed:.1f}s", file=sys.stderr)
        for line in outcome.failures:
            print(f"  - {line}", file=sys.stderr)
        print("The last good evidence package, if any, is untouched.", file=sys.stderr)
        if outcome.stdout_log:
            print(f"dbt and step output: {outcome.stdout_log}", file=sys.stderr)
        return 1
    print(f"run {outcome.run_id} succeeded over {what} "
          f"({keys[0]} .. {keys[-1]}) in {elapsed:.1f}s")
    _print_summary(paths.evidence)
    return 0


def _days_text(keys: list[str], cfg) -> str:
    """"N expiration days", and the calendar placebo days among the keys when the flag is on."""
    if not cfg.validation.calendar_placebo:
        return f"{len(keys)} expiration days"
    from assets.common.calendar import is_expiration_session

    placebo = sum(not is_expiration_session(k, cfg.calendar.expiration_rule,
                                            cfg.calendar.exchange) for k in keys)
    return f"{len(keys) - placebo} expiration days and {placebo} calendar placebo days"


def _print_summary(evidence_dir: Path) -> None:
    pkg_path = evidence_dir / "evidence_package.json"
    if not pkg_path.exists():
        print("no evidence package yet (the graph does not produce one so far)")
        return
    pkg = json.loads(pkg_path.read_text())
    perf = pkg.get("performance_metrics", {})
    stats = pkg.get("statistical_measures", {})

    def fmt(value, spec=".3f"):
        return "n/a" if value is None else format(value, spec)

    ci = perf.get("win_rate_confidence_interval") or [None, None]
    print(f"\nVERDICT: {pkg.get('experimental_validity')}")
    print(f"  trades (out of sample): {perf.get('total_sample_size')}")
    print(f"  win rate: {fmt(perf.get('win_rate'))}  95% CI [{fmt(ci[0])}, {fmt(ci[1])}]")
    print(f"  annualized daily Sharpe: {fmt(perf.get('sharpe_ratio'), '.2f')}")
    print(f"  p-value (matched random-entry null): {fmt(stats.get('p_value'), '.4f')} "
          f"(family-adjusted {fmt(stats.get('p_value_adjusted'), '.4f')})")
    hyp = pkg.get("hypothesis_results", {})
    shown = ("edge_vs_random", "primary") + (
        ("expiration_specific",) if (pkg.get("controls", {}).get("calendar_placebo") or {})
        .get("tested") else ())
    for key in shown:
        if key in hyp:
            print(f"  {key}: {hyp[key].split(' - ')[0]}")
    looks = pkg.get("repeated_looks", {})
    if looks:
        print(f"  looks recorded: {looks.get('n_looks')}")
    print(f"  max drawdown: {fmt(perf.get('maximum_drawdown'), '.2%')} of equity")
    dd = perf.get("drawdown") or {}
    if dd.get("equity_exhausted"):
        print(f"  equity exhausted on {dd.get('equity_exhausted_date')} (sizes are in "
              "contracts, not from equity, so the simulation traded on)")
    print(f"evidence package: {pkg_path}")
    report = evidence_dir / "report.html"
    if report.exists():
        print(f"reviewer report:  {report}")


def cmd_demo(args: argparse.Namespace) -> int:
    synth = argparse.Namespace(scenario=args.scenario, start=args.start, end=args.end,
                               seed=args.seed, strength=args.strength, format="csv",
                               force=args.force, underlyings=args.underlyings, steer=args.steer)
    rc = cmd_synth(synth)
    if rc:
        return rc
    # Several underlyings land in landing/<U>/: run then runs each and writes the pool.
    return cmd_run(argparse.Namespace(start=args.start, end=args.end, log_level=args.log_level,
                                      jobs=2))


def cmd_pool(args: argparse.Namespace) -> int:
    """The pooled package over the per-underlying packages under `evidence/<U>/`."""
    from assets.common.config import load_config
    from assets.common.settings import configure_environment
    from assets.validation.package.pooled import PooledInputError, write_pooled_package

    paths = configure_environment()
    names = args.underlyings or sorted(p.parent.name for p in
                                       paths.evidence.glob("*/evidence_package.json"))
    try:
        pooled = write_pooled_package(paths.evidence, names, load_config())
    except PooledInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"\nPOOLED over {', '.join(names)} (edge over random entries in bp of the "
          "underlying, clustered by date):")
    for row in pooled["underlyings"]:
        print(f"  {row['underlying']:>5} ({row['settlement']}): {row['n_trades']} trades, "
              f"edge {_num(row['edge_bp'])} bp  95% CI [{_num(row['edge_bp_ci'][0])}, "
              f"{_num(row['edge_bp_ci'][1])}]  {row['verdict']}")
    for key in ("edge_vs_random", "settlement_contrast"):
        print(f"  {key}: {pooled['hypothesis_results'][key].split(' - ')[0]}")
    print(f"pooled package: {paths.evidence / 'evidence_package.json'}")
    return 0


def _num(value, spec=".2f"):
    return "n/a" if value is None else format(value, spec)


def _underlyings(text: str) -> list[str]:
    names = [t.strip().upper() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one underlying, e.g. SPX,SPY")
    return names


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print the landing-zone report; exit 1 when a run would stop on an error."""
    import os

    from assets.common.config import load_config
    from assets.common.settings import UNDERLYING_ENV, configure_environment
    from assets.ingestion.landing_report import format_report, inspect_landing

    underlyings = _home_underlyings()
    if underlyings:  # each underlying's folder under its own scope
        errors = 0
        for u in underlyings:
            os.environ[UNDERLYING_ENV] = u
            paths = configure_environment()
            report = inspect_landing(paths.landing, load_config(), args.start, args.end)
            print(f"== {u} ({paths.landing})")
            print(format_report(report, verbose=not args.errors_only))
            errors += report.error_count
        os.environ.pop(UNDERLYING_ENV, None)
        return 1 if errors else 0
    paths = configure_environment()
    report = inspect_landing(paths.landing, load_config(), args.start, args.end)
    print(format_report(report, verbose=not args.errors_only))
    return 1 if report.error_count else 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Plan the sweep (everything checked before any run), evaluate every variant through
    the `sweep` job, and print the overfitting statistics."""
    from assets.common.config import load_config
    from assets.common.settings import configure_environment

    configure_environment()
    from assets.experiments.grid import GridError, load_grid
    from assets.experiments.sweep_run import SweepError, output_dir, plan_sweep

    name = args.name or Path(args.grid).stem
    started = time.perf_counter()
    try:
        grid = load_grid(args.grid)
        plan = plan_sweep(name, grid, load_config(), args.start, args.end,
                          tuple(args.heatmap or ()))
    except (GridError, SweepError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from orchestration.fan_out import run_fan_out

    print(f"sweep {name}: {len(plan.variants)} variants over {len(plan.days)} expiration days "
          f"({plan.days[0]} .. {plan.days[-1]}), executor {args.executor}", flush=True)
    outcome = run_fan_out(
        "sweep_celery" if args.executor == "celery" else "sweep", "sweep_variant",
        "sweep_summary", "sweep_variant", f"{name}:", plan.keys, {"name": name},
        executor=args.executor, runs=args.runs, broker=args.broker)
    elapsed = time.perf_counter() - started
    if not outcome.success:
        print(f"sweep {name} FAILED after {elapsed:.1f}s (runs {', '.join(outcome.run_ids)})",
              file=sys.stderr)
        for line in outcome.failures:
            print(f"  - {line}", file=sys.stderr)
        return 1
    path = output_dir(name) / "sweep.json"
    doc = json.loads(path.read_text())
    best, wf = doc["best"], doc["walk_forward"]

    def fmt(value, spec=".3f"):
        return "n/a" if value is None else format(value, spec)

    print(f"sweep {name}: {doc['n_variants']} variants in {elapsed:.1f}s "
          f"({doc['n_variants'] / elapsed:.2f} variants/s)")
    print(f"  best (chosen in sample): Sharpe {fmt(best['sharpe_ratio'], '.2f')}, deflated "
          f"Sharpe {fmt(best['deflated_sharpe_ratio'])} with N = {best['n_trials']} variants "
          f"tried -> {best['verdict_after_deflation']}")
    print(f"  PBO {fmt(doc['pbo']['value'])} ({doc['pbo']['blocks']} blocks); SPA p-value "
          f"{fmt(doc['spa']['p_value'])} vs random entries")
    print(f"  walk-forward (out of sample): Sharpe {fmt(wf['sharpe_ratio'], '.2f')}, "
          f"p {fmt(wf['p_value'])}")
    print(f"sweep.json: {path}\npage:       {path.with_name('sweep.html')}")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """Open the Dagster UI on 127.0.0.1 only, with the instance under the data home."""
    import os
    import signal

    from assets.common.settings import REPO_ROOT, UNDERLYING_ENV, configure_environment

    if args.underlying:  # that underlying's instance, code location and lineage
        os.environ[UNDERLYING_ENV] = args.underlying.upper()
    configure_environment()
    dagster = str(Path(sys.executable).with_name("dagster"))
    argv = [dagster, "dev", "-h", "127.0.0.1", "-p", str(args.port),
            "-w", str(REPO_ROOT / "workspace.yaml")]
    os.chdir(REPO_ROOT)
    # A backgrounded shell job inherits SIGINT as ignored and dagster dev copies that to
    # SIGTERM; restore the defaults so the server stops when asked.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.execv(dagster, argv)
    return 0  # not reached


def cmd_study(args: argparse.Namespace) -> int:
    """The lab's calibration study on synthetic worlds (in memory, no Dagster run)."""
    import time as _time

    from assets.common.config import load_config
    from assets.common.settings import configure_environment, lab_paths
    from assets.study.run import STUDY_FILE, STUDY_PAGE, run_study

    configure_environment()
    out = Path(args.out) if args.out else lab_paths().evidence
    started = _time.perf_counter()
    study = run_study(load_config(), out, n_null=args.null_worlds,
                      strengths=tuple(args.strengths), ladder_seeds=args.ladder_seeds,
                      start=args.start.isoformat(), end=args.end.isoformat(), jobs=args.jobs,
                      null_replications=args.null_replications,
                      placebo_replications=args.placebo_replications,
                      placebo_worlds=args.calendar_placebo_worlds,
                      n_select=args.select_worlds, ladder_top=args.ladder_top)
    seconds = _time.perf_counter() - started
    fp = study["false_positive_rates"]
    worlds = f"{study['underlying']} worlds, " if "underlying" in study else ""
    print(f"study: {worlds}{study['n_null_worlds']} null worlds + ladder {list(args.strengths)} x "
          f"{args.ladder_seeds} in {seconds:.0f} s -> {out / STUDY_FILE}, {out / STUDY_PAGE}")
    for name, r in fp.items():
        lo, hi = r["clopper_pearson"]
        rate = "n/a" if r["rate"] is None else f"{r['rate']:.3f}"
        ci = "" if lo is None else f" [{lo:.3f}, {hi:.3f}]"
        print(f"  FP {name}: {r['count']}/{r['n']} = {rate}{ci}")
    for scenario, rows in study["power"].items():
        for row in rows:
            c = row["claims"]
            print(f"  power {scenario} x{row['strength']:g}: edge_vs_random "
                  f"{c.get('edge_vs_random', {}).get('rate')}, opposite_direction "
                  f"{c.get('opposite_direction', {}).get('rate')}, VALIDATED "
                  f"{c['verdict_validated']['rate']}, any claim {c['any_claim']['rate']}")
    cp = study["calendar_placebo"]
    for label, key in (("power (steering on expiration days only)", "power_expiration_only"),
                       ("FP (steering on every session)", "false_positive_every_session"),
                       ("FP (no steering)", "false_positive_null")):
        r = cp[key]
        lo, hi = r["clopper_pearson"]
        ci = "" if lo is None else f" [{lo:.3f}, {hi:.3f}]"
        print(f"  calendar placebo x{cp['strength']:g}, expiration_specific {label}: "
              f"{r['count']}/{r['n']}{ci}")
    sel = study.get("selection")
    if sel:
        for name, r in sel["false_positive_rates"].items():
            lo, hi = r["clopper_pearson"]
            print(f"  selection (best of {sel['n_variants']}, {sel['n_worlds']} null worlds) "
                  f"FP {name}: {r['count']}/{r['n']} [{lo:.3f}, {hi:.3f}]")
    reach = study.get("verdict_reach")
    if reach:
        print(f"  verdict's reach: {reach['statement']}")
    return 0


def _world_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--underlyings", type=_underlyings, default=None,
                        help="comma-separated, e.g. SPX,SPY (default SPX alone, landing flat; "
                             "several land in landing/<U>/)")
    parser.add_argument("--steer", default=None,
                        help="plant the force on these only: names or settlement types, "
                             "e.g. SPY or physical (the force: --scenario, steer when null)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pressure-lab", description=__doc__.splitlines()[0])
    parser.add_argument("--underlying", default=None, dest="scope",
                        help="several underlyings (landing/<U>/): work on this one only "
                             "(its landing folder, warehouse, instance and evidence)")
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="write a synthetic market into the landing zone")
    synth.add_argument("--scenario", choices=("null", "steer", "pin"), default="null")
    synth.add_argument("--start", type=_date, default=_date(DEMO_START))
    synth.add_argument("--end", type=_date, default=_date(DEMO_END))
    synth.add_argument("--seed", type=int, default=DEMO_SEED)
    synth.add_argument("--strength", type=float, default=None)
    synth.add_argument("--format", choices=("csv", "parquet"), default="csv")
    synth.add_argument("--placebo-days", action="store_true",
                       help="also write every non-expiration session (the calendar placebo's "
                            "days: the next expiration's chain); run them with "
                            "validation.calendar_placebo: true")
    synth.add_argument("--placebo-effect", action="store_true",
                       help="plant the scenario's steering on the placebo days too (default: "
                            "none there)")
    synth.add_argument("--force", action="store_true",
                       help="overwrite landing files that differ from the ones generated")
    _world_arguments(synth)
    synth.set_defaults(func=cmd_synth)

    run = sub.add_parser("run", help="materialize the whole asset graph in one Dagster run")
    run.add_argument("--start", type=_date, default=None)
    run.add_argument("--end", type=_date, default=None)
    run.add_argument("--log-level", default="CRITICAL",
                     choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
                     help="Dagster's console log level (default: only the summary)")
    run.add_argument("--jobs", type=int, default=None,
                     help="several underlyings (landing/<U>/): how many run at once "
                          "(default 2; with --executor celery, all of them)")
    run.add_argument("--executor", choices=("in_process", "celery"), default="in_process",
                     help="in_process (default): each run's steps in its own process; "
                          "celery: every step on a Celery worker (job full_graph_celery), "
                          "the underlyings' runs submitted together, so their steps share "
                          "the broker's workers (start them with `celery -A "
                          "orchestration.celery_worker ... worker -Q dagster`; see "
                          "docs/operations.md)")
    run.add_argument("--broker", default=None,
                     help="Celery broker URL, e.g. redis://127.0.0.1:6379/0 (executor celery)")
    run.add_argument("--backend", default=None,
                     help="Celery result backend URL (default: the broker)")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="synth + run on the embedded synthetic market")
    demo.add_argument("--scenario", choices=("null", "steer", "pin"), default="null")
    demo.add_argument("--start", type=_date, default=_date(DEMO_START))
    demo.add_argument("--end", type=_date, default=_date(DEMO_END))
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.add_argument("--strength", type=float, default=None)
    demo.add_argument("--force", action="store_true")
    demo.add_argument("--log-level", default="CRITICAL",
                      choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
    _world_arguments(demo)
    demo.set_defaults(func=cmd_demo)

    pool = sub.add_parser("pool", help="the pooled package over the per-underlying packages "
                                       "under evidence/<U>/")
    pool.add_argument("--underlyings", type=_underlyings, default=None,
                      help="comma-separated (default: every evidence/<U>/ with a package)")
    pool.set_defaults(func=cmd_pool)

    study = sub.add_parser("study", help="measure the lab's false-positive rates and power "
                                         "on seeded synthetic worlds (with --underlying U: "
                                         "U's worlds and derived config, into U's evidence "
                                         "folder)")
    study.add_argument("--null-worlds", type=int, default=50)
    study.add_argument("--strengths", type=float, nargs="*", default=[0.5, 1.0, 2.0, 4.0])
    study.add_argument("--ladder-seeds", type=int, default=5)
    study.add_argument("--start", type=_date, default=_date("2024-01-01"))
    study.add_argument("--end", type=_date, default=_date("2024-06-30"))
    study.add_argument("--jobs", type=int, default=2)
    study.add_argument("--select-worlds", type=int, default=25,
                       help="null worlds on which the best of a 48-variant sweep is run")
    study.add_argument("--ladder-top", type=float, default=32.0,
                       help="the steer ladder climbs by doubling up to this multiple")
    study.add_argument("--null-replications", type=int, default=499)
    study.add_argument("--placebo-replications", type=int, default=39)
    study.add_argument("--calendar-placebo-worlds", type=int, default=5,
                       help="worlds per calendar placebo scenario (2020-2021, every session)")
    study.add_argument("--out", default=None, help="directory (default: the evidence folder)")
    study.set_defaults(func=cmd_study)

    inspect = sub.add_parser("inspect", help="report on the landing zone before a run: "
                             "adapters, instruments, OI timing, counts, warnings, errors")
    inspect.add_argument("--start", type=_date, default=None)
    inspect.add_argument("--end", type=_date, default=None)
    inspect.add_argument("--errors-only", action="store_true",
                         help="print only the days with errors or warnings")
    inspect.set_defaults(func=cmd_inspect)

    sweep = sub.add_parser("sweep", help="evaluate a grid of config variants, counting each "
                           "one, with DSR, PBO, SPA and a walk-forward")
    sweep.add_argument("grid", help='JSON object: {"dotted.config.path": [values], ...}')
    sweep.add_argument("--name", default=None, help="default: the grid file's name")
    sweep.add_argument("--start", type=_date, default=None)
    sweep.add_argument("--end", type=_date, default=None)
    sweep.add_argument("--executor", choices=("in_process", "multiprocess", "celery"),
                       default="in_process")
    sweep.add_argument("--runs", type=int, default=1,
                       help="split the variants over this many runs (default: one step)")
    sweep.add_argument("--broker", default=None, help="Celery broker URL (executor celery)")
    sweep.add_argument("--heatmap", nargs=2, metavar="PATH", default=None,
                       help="the two grid paths of the page's Sharpe heat map")
    sweep.set_defaults(func=cmd_sweep)

    from orchestration.replay_cli import add_parser as add_replay

    add_replay(sub, _date)

    from orchestration.pages_cli import add_parser as add_pages

    add_pages(sub)

    ui = sub.add_parser("ui", help="open the Dagster UI on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--underlying", default=None,
                    help="several underlyings: the one whose instance and lineage to show")
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.scope:  # every command then reads and writes that underlying's scope only
        import os

        from assets.common.settings import UNDERLYING_ENV

        os.environ[UNDERLYING_ENV] = args.scope.upper()
    from assets.common.instruments import RegistryError

    try:
        return int(args.func(args) or 0)
    except RegistryError as exc:  # e.g. an unknown landing folder beside the scope's own
        print(f"error: {exc}", file=sys.stderr)
        return 2


def entry() -> None:
    """The console script: `main`, then a quick exit.

    After a run the process holds a large heap (the engine's units, pandas frames, the
    code location, dbt's manifest), and the interpreter's teardown frees it object by
    object: one to two seconds a night spent after the work is done and committed. So
    once `main` has returned, the exit handlers run (the GX worker is stopped, logs are
    flushed), the standard streams are flushed, and the process ends without that
    teardown. An exception still leaves through the normal path, with its traceback."""
    import atexit
    import os

    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
