"""`pressure-lab inspect`: the landing-zone report (pure module) and the command's exit code."""

from __future__ import annotations

import datetime as dt

from assets.common.config import LabConfig
from assets.ingestion.landing_report import format_report, inspect_landing
from tests.support import ingestion_fixtures as fx
from tests.support import vendor_fixtures as vf

CFG = LabConfig()
DAYS = [dt.date(2024, 1, 3), dt.date(2024, 1, 4), fx.DAY]  # Wed, Thu, Fri


def _good_zone(landing):
    for i, day in enumerate(DAYS):
        fx.write_csv(fx.chain_frame(day, seed=i), landing / "chains" / f"{day}.csv")
        fx.write_csv(fx.bar_frame(day, seed=i), landing / "bars" / f"{day}.csv")


def test_clean_zone_reports_counts_per_day(tmp_path):
    landing = tmp_path / "landing"
    _good_zone(landing)
    report = inspect_landing(landing, CFG, workers=1)
    assert report.error_count == 0 and report.missing_days == [] and report.extra_days == []
    day = report.days[-1]
    assert day.day == fx.DAY
    # fixture: 21 strikes x C/P, all expiring that day; 390 bars, none missing
    assert (day.chains.adapter, day.chains.rows, day.chains.expiring, day.chains.strikes) == (
        "canonical", 42, 42, 21)
    assert (day.bars.rows, day.bars.missing_minutes) == (390, 0)
    assert day.bars.instrument == "index SPX" and "known before" in day.chains.oi_timing
    assert "0 error(s)" in format_report(report)


def test_errors_warnings_missing_and_extra_days(tmp_path):
    landing = tmp_path / "landing"
    _good_zone(landing)
    # Thu 2024-01-04 gone (missing), a Saturday delivered (extra), a gap, futures, a stray.
    (landing / "chains" / "2024-01-04.csv").unlink()
    (landing / "bars" / "2024-01-04.csv").unlink()
    sat = dt.date(2024, 1, 6)
    fx.write_csv(fx.chain_frame(sat), landing / "chains" / f"{sat}.csv")
    gappy = fx.bar_frame(dt.date(2024, 1, 3)).drop(index=[100, 101, 102])
    fx.write_csv(gappy, landing / "bars" / "2024-01-03.csv")
    vf.write_canonical_bars(landing / "bars", fx.DAY, vf.index_path(), "ESH4", offset=40.0)
    (landing / "chains" / "notes.txt").write_text("x")
    report = inspect_landing(landing, CFG, workers=1)
    by_day = {d.day: d for d in report.days}
    assert report.missing_days == [dt.date(2024, 1, 4)]
    assert report.extra_days == [sat]
    assert any("3 session minutes without a bar" in w for w in by_day[DAYS[0]].warnings)
    assert any("futures_bars" in e and "ESH4" in e for e in by_day[fx.DAY].errors)
    assert any("no file for this day" in e for e in by_day[sat].errors)
    assert any("notes.txt" in e for e in report.errors)
    text = format_report(report)
    assert "missing: 1 expiration session(s) without files: 2024-01-04" in text
    assert report.error_count >= 4


def test_new_vendors_show_their_adapter_instrument_and_oi_rule(tmp_path):
    landing = tmp_path / "landing"
    vf.write_ivydb(landing / "chains")
    vf.write_theta_bars(landing / "bars")
    day = inspect_landing(landing, CFG, workers=1).days[0]
    assert day.chains.adapter == "optionmetrics" and "IvyDB lags OI" in day.chains.oi_timing
    assert (day.chains.expiring, day.chains.strikes) == (10, 5)
    assert day.bars.adapter == "thetadata" and day.bars.instrument == "index SPX"
    assert not day.errors


def test_cli_exit_code(lab_home, capsys):
    from orchestration.cli import main

    landing = lab_home / "landing"
    _good_zone(landing)
    assert main(["inspect"]) == 0
    assert "3 day(s)" in capsys.readouterr().out
    vf.write_massive_minute_aggs(landing / "chains", name="2024-01-08.csv.gz")
    assert main(["inspect", "--errors-only"]) == 1
    assert "no open interest" in capsys.readouterr().out


def test_bars_alone_are_a_basis_reference_when_a_basis_is_configured(tmp_path):
    from assets.common.config import IngestionConfig

    landing = tmp_path / "landing"
    _good_zone(landing)
    (landing / "chains" / "2024-01-04.csv").unlink()
    cfg = LabConfig(ingestion=IngestionConfig(basis_method="previous_close"))
    thursday = next(d for d in inspect_landing(landing, cfg, workers=1).days
                    if d.day == dt.date(2024, 1, 4))
    assert thursday.errors == [] and any("basis" in w for w in thursday.warnings)
    thursday = next(d for d in inspect_landing(landing, CFG, workers=1).days
                    if d.day == dt.date(2024, 1, 4))
    assert thursday.errors == ["chains: no file for this day"]
