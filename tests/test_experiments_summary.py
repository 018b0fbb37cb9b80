"""sweep.json and its page from known variant series: schema, labels, heat-map cells."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from assets.common.config import LabConfig
from assets.experiments.evaluate import VariantResult
from assets.experiments.summary import build_sweep_document, validate_sweep
from assets.experiments.sweep_page import render_sweep_page, sharpe_table

GRID = {"pressure.threshold_percentile": [60, 90], "trading.slippage_points": [0.25, 0.5, 1.0]}


def _results(rng) -> tuple[list[dt.date], list[VariantResult]]:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(80)]
    out = []
    for i, (q, s) in enumerate((q, s) for q in GRID["pressure.threshold_percentile"]
                               for s in GRID["trading.slippage_points"]):
        daily = rng.normal(0, 100, size=len(days))
        sharpe = float(daily.mean() / daily.std(ddof=1) * np.sqrt(252))
        out.append(VariantResult(f"{i:064x}", {"pressure.threshold_percentile": q,
                                               "trading.slippage_points": s},
                                 40 + i, 0.5, 0.1 * i, sharpe, daily,
                                 rng.normal(-5, 1, size=len(days))))
    return days, out


def test_document_validates_and_labels_the_selection():
    days, results = _results(np.random.default_rng(1))
    base = LabConfig().model_copy(update={"experiments": LabConfig().experiments.model_copy(
        update={"pbo_blocks": 4, "walk_forward_blocks": 4, "spa_replications": 200})})
    doc = build_sweep_document("t", "synthetic | SPX", GRID, base, results, days, n_trials=9)
    validate_sweep({**doc, "timings": {}, "created_at": "x"})
    assert doc["n_variants"] == 6 and doc["best"]["n_trials"] == 9
    best = max(results, key=lambda r: r.daily_pnl.mean() / r.daily_pnl.std(ddof=1))
    assert doc["best"]["config_digest"] == best.digest
    assert "in-sample" in doc["best"]["selection"]
    assert doc["pbo"]["n_combinations"] == 6  # C(4, 2)
    wf = doc["walk_forward"]
    assert len(wf["steps"]) == 3 and wf["first_day"] == days[20].isoformat()
    assert len(wf["equity"]) == len(wf["in_sample_best_equity"]) == 60
    page = render_sweep_page(doc)
    assert page.count("data:image/png;base64") == 3
    assert "best (in-sample choice)" in page

    table = sharpe_table(doc, "trading.slippage_points", "pressure.threshold_percentile")
    assert table.shape == (2, 3)
    assert table[1, 2] == pytest.approx(results[5].sharpe_ratio)  # 90 x 1.0: one variant
    with pytest.raises(ValueError, match="not a path of the grid"):
        render_sweep_page(doc, ["pressure.cooldown_minutes", "trading.slippage_points"])
