"""The GX validations in the warm worker process: the same report as in the caller, the
caller never imports GX, and a dead worker falls back to validating in the caller."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, os, signal, sys
from assets.common.config import LabConfig
from assets.ingestion import gx_worker
from assets.ingestion.contract import normalize_chains
from assets.ingestion.gx_validation import validate_chains
from tests.support import ingestion_fixtures as fx

frame = normalize_chains(fx.chain_frame(), source_file="landing/chains/x.csv", day=fx.DAY)
frame.loc[3, "open_interest"] = -7  # one offending row
gx_worker.start()
report = gx_worker.run(validate_chains, frame, LabConfig(), [fx.DAY])
caller_has_gx = "great_expectations" in sys.modules
os.kill(gx_worker.worker_pid(), signal.SIGKILL)
fallback = gx_worker.run(validate_chains, frame, LabConfig(), [fx.DAY])
here = validate_chains(frame, LabConfig(), [fx.DAY])
strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "elapsed_seconds"}
print(json.dumps({"caller_has_gx_before_fallback": caller_has_gx,
                  "same": strip(report) == strip(here),
                  "fallback_same": strip(fallback) == strip(here),
                  "failed": [r.rule for r in report.errors],
                  "rows": [o.source_row for r in report.errors for o in r.first_rows]}))
"""


def test_worker_report_equals_the_callers_and_a_dead_worker_falls_back():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["caller_has_gx_before_fallback"] is False
    assert result["same"] and result["fallback_same"]
    assert result["failed"] == ["chains_counts_integral_nonnegative"]
    assert result["rows"] == [4]  # 1-based data row of the offending contract
