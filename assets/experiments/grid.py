"""Sweep grids: dotted config paths mapped to value lists, expanded into variants.

A grid is checked whole before anything runs: every path must name an existing field of
`LabConfig` (a dict key or a list index counts as a step), every value must pass the config
model's own validation, and no path may change what every variant must share (the data,
the calibration split, the evaluation settings). Otherwise variants would not be compared
on the same days, which is what PBO, SPA and the walk-forward assume.

A variant's identity is `strategy_digest`: the sha256 of the sections that decide its
trades (pressure and trading). Changing the number of bootstrap replications or the random
seed of the validation is not a new trial of the strategy, so it is not a new variant.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assets.common.config import LabConfig

STRATEGY_SECTIONS: tuple[str, ...] = ("pressure", "trading")
# Paths inside the strategy sections that every variant must share.
SHARED_PATHS: dict[str, str] = {
    "pressure.calibration_days": "it moves the calibration split, so variants would be "
                                "scored on different out-of-sample days",
}


class GridError(ValueError):
    """A grid that cannot run; the message names the path (and value) at fault."""


@dataclass(frozen=True)
class Variant:
    overrides: dict[str, Any]
    config: LabConfig = field(repr=False)
    digest: str


def strategy_digest(cfg: LabConfig) -> str:
    """sha256 of the canonical JSON of the sections that decide the trades."""
    dumped = cfg.model_dump(mode="json")
    part = {name: dumped[name] for name in STRATEGY_SECTIONS}
    return hashlib.sha256(json.dumps(part, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def strategy_overrides(cfg: LabConfig, reference: LabConfig | None = None) -> dict[str, Any]:
    """The dotted paths where `cfg`'s strategy sections differ from `reference` (default:
    the built-in defaults): how a run's config is recorded as a variant."""
    def flat(node: Any, prefix: str) -> dict[str, Any]:
        if isinstance(node, dict):
            return {k: v for key, child in node.items()
                    for k, v in flat(child, f"{prefix}.{key}").items()}
        if isinstance(node, list):
            return {k: v for i, child in enumerate(node)
                    for k, v in flat(child, f"{prefix}.{i}").items()}
        return {prefix: node}

    ours = cfg.model_dump(mode="json")
    theirs = (reference or LabConfig()).model_dump(mode="json")
    out: dict[str, Any] = {}
    for section in STRATEGY_SECTIONS:
        a, b = flat(ours[section], section), flat(theirs[section], section)
        out.update({k: v for k, v in a.items() if b.get(k, object()) != v})
    return out


def load_grid(path: str | Path) -> dict[str, list[Any]]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise GridError(f"grid file {path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise GridError(f"{path}: not valid JSON ({exc})") from exc
    return parse_grid(data, source=str(path))


def parse_grid(data: Any, source: str = "grid") -> dict[str, list[Any]]:
    """The grid's shape: a non-empty object of path -> non-empty list of distinct values."""
    if not isinstance(data, Mapping) or not data:
        raise GridError(f"{source}: a grid is a non-empty JSON object of "
                        '"dotted.config.path": [values]')
    grid: dict[str, list[Any]] = {}
    for path, values in data.items():
        if not isinstance(values, list) or not values:
            raise GridError(f"{source}: {path!r} must map to a non-empty list of values")
        canonical = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(canonical)) != len(canonical):
            raise GridError(f"{source}: {path!r} lists the same value twice")
        grid[str(path)] = list(values)
    return grid


def _set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    steps = path.split(".")
    section = steps[0]
    if section not in STRATEGY_SECTIONS:
        known = ", ".join(STRATEGY_SECTIONS)
        raise GridError(f"path {path!r}: only the strategy sections ({known}) may vary; "
                        f"{section!r} is shared by every variant" if section in tree else
                        f"path {path!r}: unknown config section {section!r} (known: {known})")
    if path in SHARED_PATHS:
        raise GridError(f"path {path!r} cannot vary in a sweep: {SHARED_PATHS[path]}")
    node: Any = tree
    for depth, step in enumerate(steps[:-1] if len(steps) > 1 else []):
        node = _child(node, step, ".".join(steps[:depth + 1]), path)
    last = steps[-1]
    if isinstance(node, list):
        index = _index(node, last, path)
        node[index] = value
    elif isinstance(node, dict) and last in node:
        node[last] = value
    else:
        raise GridError(f"path {path!r}: unknown config field {last!r}")


def _child(node: Any, step: str, walked: str, path: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, step, path)]
    if isinstance(node, dict) and step in node:
        return node[step]
    raise GridError(f"path {path!r}: {walked!r} is not a config field")


def _index(node: list, step: str, path: str) -> int:
    if not step.isdigit() or int(step) >= len(node):
        raise GridError(f"path {path!r}: {step!r} is not an index of a {len(node)}-item list")
    return int(step)


def apply_overrides(base: LabConfig, overrides: Mapping[str, Any]) -> LabConfig:
    """`base` with each dotted path set; the config model validates the result."""
    tree = copy.deepcopy(base.model_dump(mode="json"))
    for path, value in overrides.items():
        _set_path(tree, path, value)
    try:
        return LabConfig.model_validate(tree)
    except ValidationError as exc:
        shown = ", ".join(f"{p} = {json.dumps(v)}" for p, v in overrides.items())
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise GridError(f"the config model refuses {shown}: {where}: {first['msg']}") from exc


def expand_grid(base: LabConfig, grid: Mapping[str, list[Any]]) -> list[Variant]:
    """Every combination of the grid's values, in the grid's order; invalid values are
    reported one path and value at a time before any variant is built."""
    for path, values in grid.items():
        for value in values:
            apply_overrides(base, {path: value})  # names the single value at fault
    paths = list(grid)
    variants: list[Variant] = []
    seen: dict[str, dict[str, Any]] = {}
    for combo in itertools.product(*(grid[p] for p in paths)):
        overrides = dict(zip(paths, combo, strict=True))
        cfg = apply_overrides(base, overrides)
        digest = strategy_digest(cfg)
        if digest in seen:
            raise GridError(f"variants {seen[digest]} and {overrides} are the same strategy "
                            "configuration; drop the value that changes nothing")
        seen[digest] = overrides
        variants.append(Variant(overrides, cfg, digest))
    return variants
