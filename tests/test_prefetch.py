"""The imports done while dbt builds: they name real modules below the wiring, they load
the stack the later steps need, and the dbt step waits for them before it ends."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from assets.transform.dbt_assets import _alongside
from orchestration.prefetch import DOWNSTREAM_MODULES


def _fresh_interpreter(code: str) -> str:
    """What `code` prints in a new interpreter (nothing imported before it)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    return out.stdout.strip()


def test_prefetched_modules_exist_below_the_wiring_and_load_the_later_steps_stack():
    assert all(name.startswith("assets.") for name in DOWNSTREAM_MODULES)
    code = ("import sys\n"
            "from orchestration.prefetch import DOWNSTREAM_MODULES, prefetch_downstream_imports\n"
            "prefetch_downstream_imports()\n"
            "missing = [m for m in DOWNSTREAM_MODULES if m not in sys.modules]\n"
            "stack = [m for m in ('statsmodels', 'scipy.stats', 'matplotlib') "
            "if m not in sys.modules]\n"
            "print(missing, stack)\n")
    assert _fresh_interpreter(code) == "[] []"


def test_alongside_runs_in_another_thread_and_is_waited_for():
    seen: list[str] = []

    def work() -> None:
        time.sleep(0.3)
        seen.append(threading.current_thread().name)

    with _alongside(work):
        assert seen == []  # the build goes on meanwhile
    assert seen == ["alongside-dbt"]
    with _alongside(None):
        pass


def test_during_the_build_the_gx_worker_ends_and_the_imports_load():
    code = ("import sys\n"
            "from assets.ingestion import gx_worker\n"
            "from orchestration.prefetch import during_dbt_build\n"
            "gx_worker.start()\n"
            "pid = gx_worker.worker_pid()\n"
            "during_dbt_build()\n"
            "import os\n"
            "try:\n"
            "    os.kill(pid, 0); alive = True\n"
            "except ProcessLookupError:\n"
            "    alive = False\n"
            "print(gx_worker.worker_pid(), alive, 'assets.engine.warehouse' in sys.modules)\n")
    assert _fresh_interpreter(code) == "None False True"
