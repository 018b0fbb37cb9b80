"""The synthetic market's underlyings: which ones it can simulate, how each is tied to the
others, and which of them carry the planted steering.

Why a table of its own: the synthetic market is a world with a known truth, so it needs
each underlying's level, its tie to a parent and its round strikes to plant an effect that
the lab's scaled thresholds can find (or not) on it. Its root, kind, settlement and strike
grid are the lab's instrument registry's (`assets.common.instruments`).

The scaling rule (the same one the lab applies to the specification's SPX units):
`points_scale` k is an underlying's level over SPX's (SPY ~ 0.1, NDX ~ 3.5), fixed per
underlying here. A planted force on an underlying is the SPX force at k: its push is
`strength x k` points per minute at the close, its reach (the kernel width) `5 x k`
points, and its reference open interest `10,000 x oi_scale` contracts, where `oi_scale`
is 1 / k by notional (equal multipliers: one SPX contract is worth 1 / k contracts of
the underlying). An underlying tied to a parent (`parent`) shares the parent's path: its
log increments are the parent's plus a small mean-reverting tracking noise, and its open
is the parent's open times `ratio` (with a small daily tracking error); a planted force
on the child moves the child only.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assets.common.instruments import BUILT_IN as INSTRUMENTS
from assets.common.instruments import Instrument

SETTLEMENTS: tuple[str, ...] = ("cash", "physical")
SPX_LEVEL = 5000.0  # the generator's default SPX level before the first day


@dataclass(frozen=True)
class SyntheticUnderlying:
    """One simulated underlying (see the module docs for the scaling rule)."""

    name: str
    round_strikes: tuple[tuple[float, float], ...]  # (multiple, extra OI factor)
    parent: str | None = None
    ratio: float = 1.0  # level relative to the parent (tied underlyings)
    level: float = SPX_LEVEL  # the close before the first day (own-path underlyings)
    annual_vol: float = 0.15  # own-path underlyings; tied ones share their parent's

    @property
    def instrument(self) -> Instrument:
        """The lab's registry entry: root, kind, settlement and strike grid are its facts."""
        return INSTRUMENTS[self.name]

    @property
    def root(self) -> str:  # the chain's option root
        return self.instrument.option_roots[0]

    @property
    def kind(self) -> str:
        return self.instrument.kind

    @property
    def settlement(self) -> str:
        return self.instrument.settlement

    @property
    def strike_grid(self) -> float:
        return self.instrument.strike_grid

    @property
    def code(self) -> int:
        """A stable number of the name, for the underlying's own random streams."""
        return zlib.crc32(self.name.encode())


SPX_ROUND = ((25.0, 1.0), (50.0, 1.5), (100.0, 2.5))
ETF_ROUND = ((5.0, 1.5), (10.0, 2.5))

BUILT_IN: dict[str, SyntheticUnderlying] = {u.name: u for u in (
    SyntheticUnderlying("SPX", SPX_ROUND),
    SyntheticUnderlying("SPY", ETF_ROUND, "SPX", 0.1),
    SyntheticUnderlying("XSP", ETF_ROUND, "SPX", 0.1),
    SyntheticUnderlying("NDX", ((50.0, 1.0), (100.0, 1.5), (500.0, 2.5)), level=17500.0,
                        annual_vol=0.20),
    SyntheticUnderlying("QQQ", ETF_ROUND, "NDX", 0.0245),
    SyntheticUnderlying("RUT", SPX_ROUND, level=2000.0, annual_vol=0.20),
    SyntheticUnderlying("IWM", ETF_ROUND, "RUT", 0.1),
)}


def resolve_underlyings(names: Iterable[str],
                        table: Mapping[str, SyntheticUnderlying] = BUILT_IN
                        ) -> list[SyntheticUnderlying]:
    """The named underlyings in generation order (every parent before its children);
    a parent not named is simulated too (its path is needed) but not written."""
    wanted = [str(n).strip().upper() for n in names if str(n).strip()]
    if not wanted:
        raise ValueError("no underlying named")
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"an underlying is named twice: {wanted}")
    unknown = [n for n in wanted if n not in table]
    if unknown:
        raise ValueError(f"unknown synthetic underlying(s) {unknown}; the synthetic market "
                         f"simulates {sorted(table)}")
    order: list[SyntheticUnderlying] = []

    def add(name: str, seen: tuple[str, ...] = ()) -> None:
        if name in seen:
            raise ValueError(f"synthetic underlyings tied in a cycle: {seen + (name,)}")
        u = table[name]
        if u.parent is not None:
            add(u.parent, seen + (name,))
        if u not in order:
            order.append(u)

    for name in wanted:
        add(name)
    return order


def points_scale(u: SyntheticUnderlying,
                 table: Mapping[str, SyntheticUnderlying] = BUILT_IN) -> float:
    """k: the underlying's level over SPX's (the product of the ratios up to its root)."""
    k = 1.0
    while u.parent is not None:
        k *= u.ratio
        u = table[u.parent]
    return k * u.level / SPX_LEVEL


def oi_scale(u: SyntheticUnderlying,
             table: Mapping[str, SyntheticUnderlying] = BUILT_IN) -> float:
    """Contracts of the underlying per SPX contract of equal notional: 1 / k."""
    return 1.0 / points_scale(u, table)


def steering_targets(spec: str | None, names: Iterable[str],
                     table: Mapping[str, SyntheticUnderlying] = BUILT_IN) -> list[str]:
    """The underlyings a `--steer` list selects: names (`SPY`) and settlement types
    (`physical`, `cash`), comma-separated; an entry that selects nothing is an error."""
    names = [str(n).upper() for n in names]
    if spec is None:
        return []
    chosen: list[str] = []
    for token in (t.strip() for t in spec.split(",")):
        if not token:
            continue
        if token.lower() in SETTLEMENTS:
            hit = [n for n in names if table[n].settlement == token.lower()]
        else:
            hit = [n for n in names if n == token.upper()]
        if not hit:
            raise ValueError(f"--steer {token!r} selects none of the underlyings {names} "
                             f"(name one of them, or one of {SETTLEMENTS})")
        chosen += [n for n in hit if n not in chosen]
    return chosen


__all__ = ["BUILT_IN", "SETTLEMENTS", "SPX_LEVEL", "SyntheticUnderlying", "oi_scale",
           "points_scale", "resolve_underlyings", "steering_targets"]
