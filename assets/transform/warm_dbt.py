"""dbt started before it is needed: a warm process that forks one child per dbt command.

A night's dbt step spends about two seconds before dbt does any work: a fresh interpreter
imports dbt-core, its adapter and Jinja. That import does not depend on the command, so
whoever starts a run (the CLI) calls `start()` first: a server process imports dbt on the
idle core while the run's process loads Dagster and ingests. dagster-dbt still starts its
subprocess and reads its structured log from the pipe, unchanged; only the program it
starts is `pressure-lab-dbt` (`assets.transform.warm_dbt_client`), which hands its
arguments, environment, working directory and standard streams to the server. The server
forks (dbt is imported, no thread is running), and the child runs dbt's own command line on
those streams, exactly as `dbt` would, and exits with dbt's exit code, which the server
sends back. A fresh fork per command: no dbt state outlives a command.

Started with the lab's project, the server also parses it once dbt is imported, so a
night's `dbt build` runs on that manifest (dbt's programmatic runner takes one) instead of
parsing again: its models are compiled when they run, in the request's environment, so
the day window is the night's (`_prepared_for` says which commands qualify).

Without a server (the UI, the daemon, another executor) the client runs the real `dbt`.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOCKET_ENV = "PRESSURE_LAB_WARM_DBT"  # the server's socket, for the client
CLIENT_NAME = "pressure-lab-dbt"  # the console script beside the interpreter
HEADER = struct.Struct("!Q")  # payload length, sent with the client's stdout/stderr
PID = struct.Struct("!q")
STATUS = struct.Struct("!i")

_server: subprocess.Popen | None = None


def client_executable() -> str | None:
    """The client's path when a server was started by this process tree, else None."""
    if not os.environ.get(SOCKET_ENV):
        return None
    path = Path(sys.executable).with_name(CLIENT_NAME)
    return str(path) if path.exists() else None


def start(project_dir: str | Path | None = None, parse_state: str | Path | None = None) -> None:
    """Start the server (idempotent). Its socket goes into the environment, which
    dagster-dbt copies into the client's.

    With `project_dir`, the server also parses that project once it has imported dbt
    (from `parse_state`, dbt's partial-parse file, when there is one), in this process's
    environment, and runs the project's build-like commands on that manifest (see
    `_prepared_for`)."""
    global _server
    if _server is not None:
        return
    folder = tempfile.mkdtemp(prefix="pressure-lab-dbt-")
    sock_path = os.path.join(folder, "dbt.sock")
    spec = json.dumps({"project_dir": str(project_dir) if project_dir else None,
                       "parse_state": str(parse_state) if parse_state else None})
    # Bound and listening here, before the server's interpreter starts: a client that
    # comes at once waits in the backlog instead of finding no socket (and parsing alone).
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(8)
    # stdin is the server's lifeline: it exits when this process ends, however it ends.
    with listener:
        _server = subprocess.Popen(
            [sys.executable, "-u", "-m", __name__, sock_path, str(listener.fileno()), spec],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(listener.fileno(),))
    os.environ[SOCKET_ENV] = sock_path
    atexit.register(stop)


STOP_GRACE_SECONDS = 10.0


def stop() -> None:
    """End the server: closing its stdin ends its loop once no command is running. One
    still busy after the grace period (a command its client abandoned) is killed."""
    global _server
    if _server is not None:
        server, _server = _server, None
        sock_path = os.environ.pop(SOCKET_ENV, None)
        server.stdin.close()
        try:
            server.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if sock_path:  # what a server that ended well has removed itself
            shutil.rmtree(os.path.dirname(sock_path), ignore_errors=True)


def receive_exactly(conn: socket.socket, size: int) -> bytes:
    """`size` bytes from the connection (server and client both read fixed-size parts)."""
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the other end of the warm dbt connection closed it")
        data += chunk
    return bytes(data)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _, _ = socket.recv_fds(conn, HEADER.size, 2)
    if not header:
        raise ConnectionError("a warm dbt client connected and left without a request")
    (size,) = HEADER.unpack(header + receive_exactly(conn, HEADER.size - len(header)))
    return json.loads(receive_exactly(conn, size)), fds


# Commands that may run on the manifest parsed at start: they compile the models at run
# time with the request's own environment (the day window), so the manifest's parse-time
# renders do not reach their SQL.
PREPARED_COMMANDS = frozenset({"build", "run", "test", "compile"})


@dataclass(frozen=True)
class _Prepared:
    """The project parsed when the server started, and the project directory it is of."""

    project_dir: Path
    manifest: Any


def _prepare(spec: dict) -> _Prepared | None:
    """Parse the project as `dbt parse` would (partial parse from the kept state), into a
    scratch target. Any failure leaves the commands to parse for themselves."""
    if not spec.get("project_dir"):
        return None
    from dbt.cli.main import dbtRunner

    from assets.transform.dbt_args import PARTIAL_PARSE_FILE

    project_dir = Path(spec["project_dir"]).resolve()
    scratch = tempfile.mkdtemp(prefix="pressure-lab-dbt-parse-")
    try:
        state = spec.get("parse_state")
        if state and Path(state).is_file():
            shutil.copyfile(state, Path(scratch) / PARTIAL_PARSE_FILE)
        result = dbtRunner().invoke(["--quiet", "--log-path", scratch, "parse",
                                     "--project-dir", str(project_dir), "--profiles-dir",
                                     str(project_dir), "--target-path", scratch])
    except Exception:  # noqa: BLE001 - the command parses for itself instead
        return None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not result.success or result.result is None:
        return None
    return _Prepared(project_dir, result.result)


def _prepared_for(request: dict, prepared: _Prepared | None) -> object | None:
    """The prepared manifest when the request is a build-like command of its project with
    no command-line vars (vars change what dbt parses), else None."""
    argv = request["argv"]
    if prepared is None or not argv or argv[0] not in PREPARED_COMMANDS or "--vars" in argv:
        return None
    project = request["env"].get("DBT_PROJECT_DIR")
    if "--project-dir" in argv:
        position = argv.index("--project-dir") + 1
        project = argv[position] if position < len(argv) else None
    if not project:
        return None
    project_path = Path(request["cwd"], project).resolve()
    return prepared.manifest if project_path == prepared.project_dir else None


def _run_dbt(request: dict, fds: list[int], manifest=None) -> int:
    """In the forked child: dbt's command line on the client's streams, env and cwd (on
    the prepared manifest when given, as dbt's programmatic runner takes it)."""
    from dbt.cli.main import cli, dbtRunner

    for fd, target in zip(fds, (1, 2), strict=True):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = ["dbt", *request["argv"]]  # what dbt records as the invocation command
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if manifest is not None:
            result = dbtRunner(manifest=manifest).invoke(request["argv"])
            # dbt's command line: 0 success, 1 a failed node or test, 2 an error
            code = 0 if result.success else (2 if result.exception is not None else 1)
        else:
            cli.main(args=request["argv"], prog_name="dbt")
            code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def _handle(conn: socket.socket, prepared: _Prepared | None, server_files: list) -> None:
    """Fork a child that runs the command, wait for it and report its exit code."""
    request, fds = _receive(conn)
    child = os.fork()
    if child == 0:
        for item in (conn, *server_files):  # the child serves nobody
            item.close()
        code = 1
        try:
            code = _run_dbt(request, fds, _prepared_for(request, prepared))
        finally:
            # The exit handlers release what dbt took (its pools' semaphores); the
            # interpreter's teardown is skipped, as a dbt process's would not matter either.
            atexit._run_exitfuncs()
            os._exit(code)
    for fd in fds:
        os.close(fd)
    conn.sendall(PID.pack(child))
    _, status = os.waitpid(child, 0)
    conn.sendall(STATUS.pack(os.waitstatus_to_exitcode(status)))


def serve(sock_path: str, listener_fd: int, spec: dict) -> None:
    """Serve on the listening socket `start()` bound at `sock_path` (clients that came
    before the import and the parse wait in its backlog); remove it at the end."""
    listener = socket.socket(fileno=listener_fd)
    import dbt.adapters.duckdb  # noqa: F401 - importing dbt is the point of the server
    import dbt.cli.main  # noqa: F401
    import dbt.task.build  # noqa: F401

    prepared = _prepare(spec)
    # Ctrl-C reaches the whole process group: dbt's children take it, the server stays.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "parent":  # EOF: the run that started the server has ended
                    return
                # One command at a time (a run has one dbt step; others wait in the
                # backlog): a waiting copy of the server per command would hold its memory.
                conn, _ = listener.accept()
                try:
                    _handle(conn, prepared, [selector, listener])
                except (OSError, ValueError):  # a client that went away mid-request
                    pass
                finally:
                    conn.close()
    finally:
        listener.close()
        os.unlink(sock_path)
        os.rmdir(os.path.dirname(sock_path))


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]))
    atexit._run_exitfuncs()  # releases what the parse took (its semaphores) ...
    os._exit(0)  # ... without the teardown of dbt's imported heap
