"""The study end to end: units → results → study.json + study.html.

Defaults (`pressure-lab study`): 50 null worlds, 25 selection worlds (the best of a
48-variant sweep on a null world, run as the config), and a ladder of steer and pin worlds
at 0.5, 1, 2 and 4 × the generator's default strength, 5 worlds per rung, each world half
a year of SPXW expirations. The steer ladder then climbs by doubling (8, 16, 32 ×) while
VALIDATED's power is below 0.8 (`assets.study.reach`): the verdict's reach. The Monte
Carlo replication counts are the study's own (named in
the output); they set the p-values' resolution, not their validity (see
`assets.validation.package.study_quote`).

Under an underlying's scope (`pressure-lab --underlying SPY study`) the worlds are that
underlying's and the config its derived one (scaled thresholds); the study is written to
the scope's evidence folder, where its package's validation reads it, and applies only to
a package of the same procedure digest, which names the underlying and its scale.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assets.common.config import LabConfig
from assets.study.page import write_study_page
from assets.study.reach import (
    LADDER_TOP,
    climbing_ladder,
    executor_geometry,
    should_climb,
    verdict_reach,
)
from assets.study.summary import calendar_placebo_summary, summarize
from assets.study.units import (
    calendar_placebo_units,
    load_results,
    run_units,
    rung_units,
    study_units,
)
from assets.validation.package.study_quote import procedure_digest

STUDY_FILE, STUDY_PAGE = "study.json", "study.html"
DEFAULT_STRENGTHS = (0.5, 1.0, 2.0, 4.0)
# The calendar placebo's worlds need sessions that are not expiration days: two years before
# SPXW listed Tuesdays and Thursdays (~300 expiration days, ~200 placebo days; one year
# leaves the claim's power near a coin flip at 4x the default strength).
PLACEBO_SPAN = ("2020-01-02", "2021-12-31")
PLACEBO_STRENGTH = 4.0


def study_config(cfg: LabConfig, null_replications: int, placebo_replications: int,
                 bootstrap_replications: int) -> LabConfig:
    vc = cfg.validation.model_copy(update={
        "null_replications": null_replications,
        "oi_placebo_replications": placebo_replications,
        "bootstrap_replications": bootstrap_replications})
    return cfg.model_copy(update={"validation": vc})


def run_study(cfg: LabConfig, out_dir: str | Path, n_null: int = 50,
              strengths: Sequence[float] = DEFAULT_STRENGTHS, ladder_seeds: int = 5,
              start: str = "2024-01-01", end: str = "2024-06-30", jobs: int = 2,
              null_replications: int = 499, placebo_replications: int = 39,
              bootstrap_replications: int = 200, placebo_worlds: int = 5,
              placebo_strength: float = PLACEBO_STRENGTH,
              placebo_span: Sequence[str] = PLACEBO_SPAN, n_select: int = 25,
              ladder_top: float = LADDER_TOP) -> dict[str, Any]:
    """Run the study and write `study.json` and `study.html` into `out_dir`."""
    from assets.common.scaling import scoped_underlying
    from assets.synthetic_market.generator import DEFAULT_STRENGTH
    from assets.synthetic_market.underlyings import resolve_underlyings

    out_dir = Path(out_dir)
    underlying = scoped_underlying(cfg)
    if underlying is not None:  # stop here, not in a worker: the market must simulate it
        resolve_underlyings([underlying])
    scfg = study_config(cfg, null_replications, placebo_replications, bootstrap_replications)
    units = study_units(n_null, strengths, ladder_seeds, start, end, n_select=n_select)
    # the longest units first, so the pool's last minutes are not one long world
    placebo = calendar_placebo_units(placebo_worlds, placebo_strength, *placebo_span)
    paths = run_units(placebo + units, scfg, out_dir / "study_units", jobs=jobs)
    results = load_results(paths)
    ladder = climb(results, strengths, ladder_seeds, start, end, scfg, out_dir, jobs,
                   ladder_top)
    results += [r for rung in ladder if rung["climbed"] for r in rung["rows"]]
    reach = verdict_reach(ladder, executor_geometry(cfg.trading,
                                                    cfg.validation.win_rate_threshold),
                          cfg.validation.win_rate_threshold, DEFAULT_STRENGTH["steer"])
    meta = {"created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "procedure_digest": procedure_digest(cfg), "config_digest": scfg.digest(),
            "span": [start, end], "strengths": list(strengths), "ladder_seeds": ladder_seeds,
            "steer_strengths": [r["strength"] for r in ladder], "n_select_worlds": n_select,
            "replications": {"null": null_replications, "oi_placebo": placebo_replications,
                             "bootstrap": bootstrap_replications},
            # an underlying's scope: its worlds and derived config (the flat study: SPX's)
            **({"underlying": underlying} if underlying is not None else {})}
    study = summarize(results, meta, cfg.validation.alpha, reach)
    study["family_alpha"] = cfg.validation.effective_alpha  # the worlds' claims' level
    study["calendar_placebo"] = calendar_placebo_summary(
        results, cfg.validation.alpha, placebo_strength, list(placebo_span))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STUDY_FILE).write_text(json.dumps(study, indent=2, sort_keys=True) + "\n")
    write_study_page(study, out_dir / STUDY_PAGE)
    return study


def climb(results, strengths: Sequence[float], ladder_seeds: int, start: str, end: str,
          scfg: LabConfig, out_dir: Path, jobs: int, top: float) -> list[dict[str, Any]]:
    """The steer ladder's rungs ({strength, rows, climbed}): the base rungs, then doubling
    rungs up to `top`, each run only while the highest rung so far has VALIDATED's power
    below the goal."""
    rungs = [{"strength": float(s), "climbed": False,
              "rows": [r for r in results if r["scenario"] == "steer"
                       and float(r["strength"]) == float(s)]} for s in sorted(strengths)]
    for s in climbing_ladder(strengths, top):
        if rungs and not should_climb(rungs[-1]["rows"]):
            break
        paths = run_units(rung_units("steer", s, ladder_seeds, start, end), scfg,
                          out_dir / "study_units", jobs=jobs)
        rungs.append({"strength": s, "climbed": True, "rows": load_results(paths)})
    return rungs


def load_study(evidence_dir: str | Path) -> dict[str, Any] | None:
    path = Path(evidence_dir) / STUDY_FILE
    return json.loads(path.read_text()) if path.exists() else None
