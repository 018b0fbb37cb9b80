"""The lab's configuration: one pydantic model, one section per stage.

Defaults are the specification's numbers where the specification gives one (they are the
hypothesis under test) and documented, data-independent choices elsewhere. The whole model is
hashed into the evidence package, so any change of config is visible to a reviewer.
Load order: defaults < `$PRESSURE_LAB_HOME/config.json` (optional) < explicit overrides.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from assets.common.home_split import packages_in_home, split_alpha
from assets.common.settings import current_underlying, lab_home


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarConfig(_Section):
    exchange: str = "XNYS"
    expiration_rule: Literal["daily", "mwf", "spxw", "xsp", "spy", "qqq", "iwm", "ndx", "rut",
                             "stock"] = "spxw"
    # First partition day; an earlier landing file moves it back (assets/common/partitions.py).
    partitions_start: str = "2016-01-04"


_OLD_GAP_KEY = "underlying_max_gap_fraction"  # before underlying_max_ratio


class IngestionConfig(_Section):
    underlying: str = "SPX"
    roots: tuple[str, ...] = ("SPXW", "SPX")  # roots kept from vendor files, in order
    strike_grid_points: float = 5.0  # listed strike spacing near the money
    max_missing_minutes_warn: int = 5  # gaps up to this many minutes only warn
    max_missing_fraction_fail: float = 0.02  # more missing than this fraction fails
    # Bars must be the options' underlying. Futures bars are refused unless a basis method
    # says how to move them onto the index (assets/ingestion/underlying.py).
    basis_method: Literal["none", "previous_close"] = "none"
    index_closes_file: str = "index_closes.csv"  # in the landing zone: date,close
    index_ticker: str = "I:SPX"  # the row kept from a Massive index minute-aggregates file
    # An unstamped reference price (the chain's underlying_price, else its strike range) and
    # the bars' prices may differ by at most this factor either way: a market move (-7.5 %
    # on 2020-03-16, +/-20 % on earnings) stays within 1.5, a wrong instrument (SPY for SPX:
    # x10) does not (assets/ingestion/plausibility.py).
    underlying_max_ratio: float = Field(1.5, gt=1.0)
    # When the chain's vendor stamps its underlying_price (Cboe: 15:45 ET), the bars' open at
    # that minute must match it this closely: the same index at the same minute.
    underlying_snapshot_gap_fraction: float = 0.001

    @model_validator(mode="before")
    @classmethod
    def _accept_deprecated_gap_fraction(cls, data: object) -> object:
        """Older config files bound the reference's distance to the bars' range by
        `underlying_max_gap_fraction` f: read as the ratio 1 + f (the same bound to first
        order)."""
        if not isinstance(data, dict) or _OLD_GAP_KEY not in data:
            return data
        data = dict(data)
        fraction = data.pop(_OLD_GAP_KEY)
        if "underlying_max_ratio" in data:
            raise ValueError(f"set underlying_max_ratio or the older {_OLD_GAP_KEY}, not both")
        data["underlying_max_ratio"] = 1.0 + float(fraction)
        return data


class UrgencyRule(_Section):
    name: str
    min_minutes: float  # inclusive lower bound on minutes to expiry
    max_minutes: float  # upper bound on minutes to expiry
    max_inclusive: bool  # whether max_minutes itself is inside the window
    min_total_oi: float  # strictly greater than
    max_distance: float  # strictly less than
    move_magnitude: tuple[float, float]  # points, the specification's expected range
    move_duration: tuple[float, float]  # minutes, the specification's expected range
    win_rate_target: float
    behavior_pattern: str
    size_multiplier: float


# The specification's UrgencyClassificationEngine, verbatim.
SPECIFICATION_URGENCY_RULES: tuple[UrgencyRule, ...] = (
    UrgencyRule(name="ASSIGNMENT_PANIC", min_minutes=0.0, max_minutes=15,
                max_inclusive=False, min_total_oi=1500, max_distance=8,
                move_magnitude=(15, 35), move_duration=(3, 8), win_rate_target=0.85,
                behavior_pattern="EMERGENCY_HEDGING", size_multiplier=2.0),
    UrgencyRule(name="PIN_RISK_MANAGEMENT", min_minutes=30, max_minutes=60,
                max_inclusive=True, min_total_oi=2000, max_distance=20,
                move_magnitude=(10, 20), move_duration=(20, 45), win_rate_target=0.75,
                behavior_pattern="GRADUAL_STEERING", size_multiplier=1.0),
)


# Older config.json files and sweep grids name the specification's model "seed" (deprecated alias).
_DEPRECATED_PROBABILITY_MODELS = {"seed": "specification"}


class PressureConfig(_Section):
    probability_model: Literal["specification", "itm_normal"] = "specification"
    # itm_normal: sigma estimated from the log returns of bars before t (EWMA half-life)
    # The specification model's distance scales (10/20/30 SPX points) x this: an underlying's
    # points scale k (assets/common/scaling.py), 1 on SPX.
    specification_points_scale: float = Field(1.0, gt=0)
    vol_halflife_minutes: float = 30.0
    vol_floor_annual: float = 0.05
    calibration_days: int = 30  # first N expiration days calibrate, never score
    threshold_scope: Literal["per_class", "global"] = "per_class"
    threshold_percentile: float = 75.0  # of calibration-window candidate pressures
    cooldown_minutes: int = 10  # same strike & class: one episode, one alert
    store_within_points: float = 30.0  # pressure cells stored when |price-strike| < this
    urgency_rules: tuple[UrgencyRule, ...] = SPECIFICATION_URGENCY_RULES

    @field_validator("probability_model", mode="before")
    @classmethod
    def _accept_deprecated_model_name(cls, value: object) -> object:
        return _DEPRECATED_PROBABILITY_MODELS.get(value, value) if isinstance(value, str) else value


class TradingConfig(_Section):
    base_size: float = 1.5  # contracts, the specification's
    max_size: float = 4.0  # contracts cap
    # The traded instrument (assets/common/instruments.py): index futures, or shares in
    # units of `point_value` shares for an ETF or a stock.
    contract: Literal["ES", "MES", "NQ", "MNQ", "RTY", "M2K", "shares"] = "ES"
    point_value: float = 50.0  # $ per point (ES 50, MES 5)
    size_rounding: Literal["mes", "fractional"] = "mes"  # round to 0.1 ES = 1 MES
    prior_accuracy: float = 0.5  # recent accuracy before any outcome has closed
    accuracy_window: int = 20  # closed outcomes in the recent-accuracy average
    # "signals": the accuracy of every tradable signal's outcome (as if taken), so one early
    # loss cannot size every later trade to zero for good; "trades": taken trades only.
    accuracy_source: Literal["signals", "trades"] = "signals"
    # pseudo-outcomes at prior_accuracy (0 = the specification's)
    accuracy_prior_weight: float = 0.0
    # Per class stop/target in points; defaults: target = low end of the specification's
    # expected move, stop = the same distance (symmetric), time stop = high end of the duration.
    stop_points: dict[str, float] = Field(default_factory=lambda: {
        "ASSIGNMENT_PANIC": 15.0, "PIN_RISK_MANAGEMENT": 10.0})
    target_points: dict[str, float] = Field(default_factory=lambda: {
        "ASSIGNMENT_PANIC": 15.0, "PIN_RISK_MANAGEMENT": 10.0})
    max_hold_minutes: dict[str, float] = Field(default_factory=lambda: {
        "ASSIGNMENT_PANIC": 8.0, "PIN_RISK_MANAGEMENT": 45.0})
    exit_before_close_minutes: int = 1  # flat by the open of the session's last bar
    commission_per_contract: float = 2.25  # $ per contract per side
    slippage_points: float = 0.25  # per side
    allow_overlap: bool = False
    starting_equity: float = 25_000.0


class ValidationConfig(_Section):
    null_replications: int = 2000
    bootstrap_replications: int = 2000
    seed: int = 20250115
    n_variants_tried: int = 1  # for the Deflated Sharpe Ratio; raise it when you try more
    min_trades: int = 50  # the specification's INSUFFICIENT_DATA rule
    win_rate_threshold: float = 0.75
    sharpe_threshold: float = 2.0
    alpha: float = 0.05
    min_class_trades: int = 10
    pin_half_widths: tuple[float, ...] = (0.5, 1.0, 2.5)  # reported; one KS test claims
    # OI placebo control: R seeded reruns of alerts -> trades with mirrored/shifted OI
    oi_placebo_replications: int = 99
    # Repeated looks: the verdict is made once, on the first N scored expiration days
    # (INSUFFICIENT_DATA before); None = the sample at hand is the single planned look.
    evaluation_horizon_days: int | None = None
    # Calendar placebo (Ni, Pearson & Poteshman's control): also ingest and score the
    # sessions that are not expiration days, as if the next expiration's contracts expired
    # at their close, and test that the edge is specific to expiration days.
    calendar_placebo: bool = False
    # The underlyings of a multi-underlying home (a record, set by the underlying scope;
    # assets/common/home_split.py): `alpha` is the home's, each package tests at
    # `effective_alpha`. Empty in a single-underlying home, and then left out of the dump.
    home_underlyings: tuple[str, ...] = ()

    @property
    def packages_in_home(self) -> int:
        return packages_in_home(self.home_underlyings)

    @property
    def effective_alpha(self) -> float:
        """The level this package's claims family and verdict are controlled at: the
        home's alpha over its packages (the whole alpha in a single-underlying home).
        Confidence intervals stay at 1 - alpha: they describe, they claim nothing."""
        return split_alpha(self.alpha, self.home_underlyings)

    @model_serializer(mode="wrap")
    def _without_an_empty_home(self, handler):
        """No `home_underlyings` key where nothing is split, so a single-underlying
        home's config digest (and every digest made from the dump) is what it was."""
        data = handler(self)
        if not self.home_underlyings and isinstance(data, dict):
            data.pop("home_underlyings", None)
        return data


class ReportConfig(_Section):
    """The reviewer's pages."""

    # Day pages drawn per run, scored days newest first (~30 ms a page): a night draws its
    # own day and works off any backlog 130 pages at a time; a decade's first run draws its
    # latest half year, `pressure-lab pages` every pending page at once.
    day_pages_per_run: int = Field(130, ge=0)


class ExperimentsConfig(_Section):
    """Sweeps (assets/experiments): how their overfitting statistics are computed."""

    pbo_blocks: int = Field(16, ge=2, multiple_of=2)  # CSCV blocks S (even)
    walk_forward_blocks: int = Field(16, ge=2)  # anchored walk-forward: choose, then score
    spa_replications: int = Field(1000, ge=100)  # Hansen's SPA stationary bootstrap


class ScalingConfig(_Section):
    """The scale the specification's SPX thresholds were run at (assets/common/scaling.py).
    A record, set by the underlying scope's derived config; 1 and 1 on SPX."""

    points_scale: float = Field(1.0, gt=0)
    oi_scale: float = Field(1.0, gt=0)
    source: str = "the specification's units (SPX points and contracts)"
    instrument: dict[str, str | float] | None = None  # kind, settlement, exercise, multiplier


class LabConfig(_Section):
    calendar: CalendarConfig = CalendarConfig()
    ingestion: IngestionConfig = IngestionConfig()
    pressure: PressureConfig = PressureConfig()
    trading: TradingConfig = TradingConfig()
    validation: ValidationConfig = ValidationConfig()
    experiments: ExperimentsConfig = ExperimentsConfig()
    report: ReportConfig = ReportConfig()
    scaling: ScalingConfig = ScalingConfig()

    def digest(self) -> str:
        """sha256 of the canonical JSON form, recorded in the evidence package."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def load_config(path: str | Path | None = None) -> LabConfig:
    """Defaults, overlaid with a JSON file: an explicit path, `PRESSURE_LAB_CONFIG`, or
    `$PRESSURE_LAB_HOME/config.json` when present. Its `instruments` object (registry
    entries, assets/common/instruments.py) is kept apart; under an underlying scope
    (`PRESSURE_LAB_UNDERLYING`) the result is that underlying's derived config."""
    cfg, entries = _load_file(path)
    underlying = current_underlying()
    if underlying is None:
        return cfg
    from assets.common.underlying_scope import scoped_config

    return scoped_config(cfg, underlying, entries, lab_home())


def load_config_for(underlying: str, path: str | Path | None = None) -> LabConfig:
    """The derived config of one underlying, whatever the process's scope."""
    from assets.common.underlying_scope import scoped_config

    cfg, entries = _load_file(path)
    return scoped_config(cfg, underlying, entries, lab_home())


def instrument_entries(path: str | Path | None = None) -> dict:
    """The config's `instruments` object (registry entries), {} when none."""
    return _load_file(path)[1]


def _load_file(path: str | Path | None) -> tuple[LabConfig, dict]:
    path = path or os.environ.get("PRESSURE_LAB_CONFIG")
    candidate = Path(path) if path else lab_home() / "config.json"
    if not candidate.exists():
        if path:
            raise FileNotFoundError(f"config file {candidate} does not exist")
        return LabConfig(), {}
    try:
        data = json.loads(candidate.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{candidate}: not valid JSON ({exc})") from exc
    entries = data.pop("instruments", {}) if isinstance(data, dict) else {}
    if not isinstance(entries, dict):
        raise ValueError(f"{candidate}: 'instruments' must be an object of underlyings")
    return LabConfig.model_validate(data), entries
