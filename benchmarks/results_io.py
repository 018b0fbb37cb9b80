"""Where every benchmark leaves its figures: one JSON file per benchmark under
benchmarks/results/, committed, so a change in speed shows up in review as a diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, payload: Any) -> Path:
    """Write `results/<name>.json` (pretty, newline-terminated) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
