"""The instrument registry: what each underlying's options and bars are, and what is traded.

The specification's mechanism is assignment, so an underlying's settlement decides whether
it can operate: SPX, XSP, NDX and RUT options are European and cash-settled (nothing is
ever delivered); SPY, QQQ, IWM and single-stock options are American and physically
settled (assignment delivers shares). Every entry carries what the lab needs to run on it:
its listing history (assets/common/expiration_calendars.py, with the exchange sources),
the strike grid near the money and the contract multiplier, the bar symbols (and the
futures roots whose bars a basis may move onto it), the option roots kept from vendor
files, and the instrument a trade is priced in with its point value and costs.

A single stock is one short config entry, e.g. `"instruments": {"AAPL": {"kind": "stock"}}`:
`from_config` fills the rest with a stock's defaults (physical, American, $1 strikes,
Friday weeklies and third-Friday monthlies, traded as shares). Any field may be given to
override a built-in entry the same way.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["index", "etf", "stock"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TradedInstrument(_Frozen):
    """What a trade is priced in: `point_value` dollars per point of the underlying per
    unit of size; costs per unit per side."""

    contract: Literal["ES", "MES", "NQ", "MNQ", "RTY", "M2K", "shares"]
    point_value: float = Field(gt=0)
    commission_per_contract: float = Field(ge=0)
    slippage_points: float = Field(ge=0)  # in the underlying's points
    note: str = ""


class Instrument(_Frozen):
    underlying: str
    kind: Kind
    settlement: Literal["cash", "physical"]
    exercise: Literal["european", "american"]
    strike_grid: float = Field(gt=0)  # listed spacing near the money, the underlying's points
    multiplier: float = Field(100.0, gt=0)
    expiration_rule: str  # a calendar rule (assets/common/calendar.py EXPIRATION_RULES)
    # Third-Friday monthlies AM-settled (index roots SPX/NDX/RUT) vs the PM weeklies read.
    am_settled_monthly: bool = False
    option_roots: tuple[str, ...]
    bar_symbols: tuple[str, ...]  # bare symbols the bars may carry (vendor prefixes removed)
    futures_roots: tuple[str, ...] = ()  # futures whose bars a basis may move onto it
    traded: TradedInstrument
    alternatives: tuple[TradedInstrument, ...] = ()
    # The underlying's price over SPX's, for the points scale when SPX is not in the home
    # (None: the scale must come from the data or the config).
    nominal_spx_ratio: float | None = None

    @property
    def physically_settled(self) -> bool:
        return self.settlement == "physical"


def _shares(price_ratio: float) -> TradedInstrument:
    """Shares in units notional-equivalent to one ES at the nominal ratio: 50/ratio shares,
    so a unit's dollars per SPX-equivalent point equal an ES's; $0.005 a share commission,
    one cent of slippage."""
    shares = round(50.0 / price_ratio)
    return TradedInstrument(contract="shares", point_value=float(shares),
                            commission_per_contract=0.005 * shares, slippage_points=0.01,
                            note=f"one unit = {shares} shares")


_ES = TradedInstrument(contract="ES", point_value=50.0, commission_per_contract=2.25,
                       slippage_points=0.25)
_MES = TradedInstrument(contract="MES", point_value=5.0, commission_per_contract=0.62,
                        slippage_points=0.25)
_NQ = TradedInstrument(contract="NQ", point_value=20.0, commission_per_contract=2.25,
                       slippage_points=0.25)
_MNQ = TradedInstrument(contract="MNQ", point_value=2.0, commission_per_contract=0.62,
                        slippage_points=0.25)
_RTY = TradedInstrument(contract="RTY", point_value=50.0, commission_per_contract=2.25,
                        slippage_points=0.1)
_M2K = TradedInstrument(contract="M2K", point_value=5.0, commission_per_contract=0.62,
                        slippage_points=0.1)
# XSP is SPX / 10: an MES ($5 per SPX point) is $50 per XSP point, a tick 0.025 XSP points.
_MES_ON_XSP = TradedInstrument(contract="MES", point_value=50.0, commission_per_contract=0.62,
                               slippage_points=0.025, note="MES priced in XSP points")

BUILT_IN: dict[str, Instrument] = {i.underlying: i for i in (
    Instrument(underlying="SPX", kind="index", settlement="cash", exercise="european",
               strike_grid=5.0, expiration_rule="spxw", am_settled_monthly=True,
               option_roots=("SPXW", "SPX"), bar_symbols=("SPX",), futures_roots=("ES", "MES"),
               traded=_ES, alternatives=(_MES,), nominal_spx_ratio=1.0),
    Instrument(underlying="XSP", kind="index", settlement="cash", exercise="european",
               strike_grid=1.0, expiration_rule="xsp", option_roots=("XSP",),
               bar_symbols=("XSP",), traded=_MES_ON_XSP, nominal_spx_ratio=0.1),
    Instrument(underlying="NDX", kind="index", settlement="cash", exercise="european",
               strike_grid=10.0, expiration_rule="ndx", am_settled_monthly=True,
               option_roots=("NDXP", "NDX"), bar_symbols=("NDX",), futures_roots=("NQ", "MNQ"),
               traded=_NQ, alternatives=(_MNQ,), nominal_spx_ratio=3.5),
    Instrument(underlying="RUT", kind="index", settlement="cash", exercise="european",
               strike_grid=5.0, expiration_rule="rut", am_settled_monthly=True,
               option_roots=("RUTW", "RUT"), bar_symbols=("RUT",), futures_roots=("RTY", "M2K"),
               traded=_RTY, alternatives=(_M2K,), nominal_spx_ratio=0.4),
    Instrument(underlying="SPY", kind="etf", settlement="physical", exercise="american",
               strike_grid=1.0, expiration_rule="spy", option_roots=("SPY",),
               bar_symbols=("SPY",), traded=_shares(0.1), nominal_spx_ratio=0.1),
    Instrument(underlying="QQQ", kind="etf", settlement="physical", exercise="american",
               strike_grid=1.0, expiration_rule="qqq", option_roots=("QQQ",),
               bar_symbols=("QQQ",), traded=_shares(0.085), nominal_spx_ratio=0.085),
    Instrument(underlying="IWM", kind="etf", settlement="physical", exercise="american",
               strike_grid=1.0, expiration_rule="iwm", option_roots=("IWM",),
               bar_symbols=("IWM",), traded=_shares(0.04), nominal_spx_ratio=0.04),
)}

_STOCK_DEFAULTS: dict[str, Any] = {
    "settlement": "physical", "exercise": "american", "strike_grid": 1.0,
    "expiration_rule": "stock", "traded": {"contract": "shares", "point_value": 100.0,
                                           "commission_per_contract": 0.5,
                                           "slippage_points": 0.01,
                                           "note": "one unit = 100 shares"}}


class RegistryError(ValueError):
    pass


def from_config(name: str, entry: dict[str, Any] | None = None) -> Instrument:
    """The registry's entry for `name`, overlaid with a config entry (a built-in's fields
    overridden; an unknown name needs at least `kind`, a stock's defaults fill the rest)."""
    name = name.upper()
    entry = dict(entry or {})
    entry.pop("points_scale", None)  # a scaling override, not an instrument field
    base = BUILT_IN.get(name)
    if base is None:
        if entry.get("kind") != "stock" and not {"option_roots", "traded"} <= set(entry):
            raise RegistryError(
                f"instrument {name!r} is not built in (built-ins: {', '.join(BUILT_IN)}); "
                f'give it a config entry, e.g. "instruments": {{"{name}": {{"kind": "stock"}}}}')
        data: dict[str, Any] = {**_STOCK_DEFAULTS, "underlying": name, "option_roots": (name,),
                                "bar_symbols": (name,), **entry}
    else:
        data = {**base.model_dump(), **entry}
    try:
        return Instrument.model_validate(data)
    except ValueError as exc:
        raise RegistryError(f"instruments.{name} in the config: {exc}") from exc


def known(name: str, entries: dict[str, Any] | None = None) -> bool:
    return name.upper() in BUILT_IN or name.upper() in {k.upper() for k in (entries or {})}
