"""`pressure-lab-dbt`: the `dbt` that dagster-dbt starts when a warm server is running.

Standard library only, so it starts in milliseconds: it hands its arguments, environment,
working directory, stdout and stderr to the server (assets.transform.warm_dbt), forwards
interrupts to the dbt child the server forked, and exits with that child's exit code.
Without a reachable server it becomes the real `dbt` beside this interpreter.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path

from assets.transform.warm_dbt import HEADER, PID, SOCKET_ENV, STATUS, receive_exactly


def _real_dbt(argv: list[str]) -> None:
    dbt = str(Path(sys.executable).with_name("dbt"))
    os.execv(dbt, [dbt, *argv])


def main() -> int:
    argv = sys.argv[1:]
    sock_path = os.environ.get(SOCKET_ENV)
    if not sock_path:
        _real_dbt(argv)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    payload = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    try:
        conn.connect(sock_path)
        socket.send_fds(conn, [HEADER.pack(len(payload))], [1, 2])
        conn.sendall(payload)
        (child,) = PID.unpack(receive_exactly(conn, PID.size))
    except OSError:  # no server, or one that ended before starting this command
        conn.close()
        _real_dbt(argv)

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except ProcessLookupError:  # it has just ended: its exit code is on the way
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    (code,) = STATUS.unpack(receive_exactly(conn, STATUS.size))
    return code


if __name__ == "__main__":
    sys.exit(main())
