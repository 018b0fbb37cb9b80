"""An underlying's config, and which underlyings a home holds.

Under a scope U, `load_config()` returns U's derived config: the user's config (in the
specification's SPX units) with U's registry entry (assets/common/instruments.py, the
user's `instruments.U` overlaid) and the thresholds scaled by U's k (assets/common/
scaling.py). k is fixed before the run and stored in `underlyings/U/scaling.json`
(`record_measured_scale`), so every step of the run and every later process reads the
same k; without that file the registry's nominal ratio is used. In a home of several
underlyings the derived config also records them (`validation.home_underlyings`), so
every package of the home tests at the home's alpha split over its packages
(assets/common/home_split.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from assets.common.config import LabConfig
from assets.common.instruments import RegistryError, from_config, known
from assets.common.scaling import choose_scale, scaled_config
from assets.common.settings import LabPaths


def entry_for(name: str, entries: dict[str, Any]) -> dict[str, Any]:
    for key, value in (entries or {}).items():
        if key.upper() == name.upper():
            if not isinstance(value, dict):
                raise RegistryError(f"instruments.{key} in the config must be an object")
            return value
    return {}


def measured_scale(home: Path, underlying: str) -> dict | None:
    path = LabPaths(home, underlying).scale_file
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); delete it to measure again") from exc


def record_measured_scale(home: Path, underlying: str, points_scale: float,
                          detail: str, window: list[str] | None = None) -> Path:
    """Store k with the days it was measured on (re-measured only when they change)."""
    path = LabPaths(home, underlying).scale_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".scaling.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"points_scale": points_scale, "detail": detail,
                               "window": window or []}, indent=2))
    os.replace(tmp, path)
    return path


def scoped_config(cfg: LabConfig, underlying: str, entries: dict[str, Any],
                  home: Path) -> LabConfig:
    entry = entry_for(underlying, entries)
    inst = from_config(underlying, entry)
    measured = measured_scale(home, inst.underlying)
    scale = choose_scale(inst, override=entry.get("points_scale"),
                         measured=measured and measured.get("points_scale"),
                         measured_detail=(measured or {}).get("detail", ""))
    scoped = scaled_config(cfg, inst, scale)
    home_names = home_underlyings(LabPaths(home).landing_root, entries)
    if len(home_names) < 2:
        return scoped
    return scoped.model_copy(update={"validation": scoped.validation.model_copy(
        update={"home_underlyings": tuple(home_names)})})


def home_underlyings(landing_root: Path, entries: dict[str, Any] | None = None) -> list[str]:
    """The underlyings of a per-underlying landing zone: every `landing/<U>/` folder with
    a `chains/` or `bars/` folder whose name is a registry entry or a config entry (SPX
    first, the rest in name order). Empty for the flat layout."""
    if not landing_root.is_dir():
        return []
    found, flat = [], [landing_root / k for k in ("chains", "bars")
                        if (landing_root / k).is_dir() and any((landing_root / k).iterdir())]
    for child in sorted(landing_root.iterdir()):
        if child.is_dir() and child.name not in ("chains", "bars") and (
                (child / "chains").is_dir() or (child / "bars").is_dir()):
            if not known(child.name, entries):
                raise RegistryError(
                    f"{child}: {child.name!r} is not a known underlying (built-ins and the "
                    "config's instruments); add it to the config's instruments, e.g. "
                    f'"instruments": {{"{child.name}": {{"kind": "stock"}}}}')
            found.append(child.name.upper())
    if found and flat:
        raise RegistryError(
            f"{flat[0]}: files in the flat layout beside per-underlying folders "
            f"({', '.join(found)}): move them into landing/<UNDERLYING>/ (one layout per home)")
    return sorted(found, key=lambda u: (u != "SPX", u))
