"""One error rate for a whole home: the home's alpha split over its evidence packages.

Why: a home with m >= 2 underlyings publishes m + 1 packages (one per underlying and the
pooled one), and each is a claims family with family-wise error control. At alpha each,
a market without any effect would see *some* package make a false claim with a
probability up to (m + 1) x alpha. Bonferroni over the packages (each family, and each
verdict, at alpha / (m + 1)) bounds that probability by alpha, whatever the dependence
between the packages (SPX and SPY share a market, so their p-values are correlated).
A single-underlying home publishes one package and keeps the whole alpha.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

POOLED = "pooled"
HOME_SPLIT_RULE = ("Bonferroni over the home's evidence packages: a home with m >= 2 "
                   "underlyings writes m + 1 packages (one per underlying and the pooled "
                   "one), each claims family and each verdict is controlled at alpha / "
                   "(m + 1), so the probability that any package of the home makes a "
                   "false claim is at most the home's alpha; a home with one underlying "
                   "keeps the whole alpha")


def home_packages(underlyings: Sequence[str]) -> list[str]:
    """The packages the home's alpha is split over: each underlying's and the pooled one
    when there are at least two underlyings, else none (nothing is split)."""
    names = [str(u).upper() for u in underlyings]
    return [*names, POOLED] if len(names) >= 2 else []


def packages_in_home(underlyings: Sequence[str]) -> int:
    return max(1, len(home_packages(underlyings)))


def split_alpha(alpha: float, underlyings: Sequence[str]) -> float:
    """The level each package's family is controlled at: alpha / (m + 1) for m >= 2."""
    return float(alpha) / packages_in_home(underlyings)


def level_text(alpha: float, underlyings: Sequence[str]) -> str:
    """The level as a reviewer reads it: "0.05", or "0.05 / 3" where the home splits."""
    n = packages_in_home(underlyings)
    return f"{alpha}" if n == 1 else f"{alpha} / {n}"


def home_split_block(alpha: float, underlyings: Sequence[str]) -> dict[str, Any] | None:
    """What a package states about the split (None in a home that does not split)."""
    packages = home_packages(underlyings)
    if not packages:
        return None
    return {"home_alpha": float(alpha), "n_packages": len(packages), "packages": packages,
            "alpha": split_alpha(alpha, underlyings), "rule": HOME_SPLIT_RULE,
            "statement": (f"this home's alpha {alpha:g} is split over its {len(packages)} "
                          f"packages ({', '.join(packages)}): this package's claims and "
                          f"verdict are tested at {alpha:g} / {len(packages)}, so the chance "
                          f"that any of them makes a false claim is at most {alpha:g}")}
