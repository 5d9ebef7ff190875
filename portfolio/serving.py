"""What ``portfolio serve`` runs in each worker process: the app, and a watchdog that ends the worker when
the supervisor that started it is gone.

Uvicorn's supervisor starts the workers and hands them its listening socket. Killed outright (``kill -9``,
the OOM killer), it cannot stop them; without the watchdog they would go on serving from the old code and
holding the port, and a new ``portfolio serve`` could not start. With it, each worker notices within a
second that its parent has changed and shuts down as on SIGTERM (requests in flight are finished), and is
ended for good if that takes longer than :data:`GRACE_S`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

from fastapi import FastAPI

SUPERVISOR_ENV = "PORTFOLIO_SERVE_SUPERVISOR_PID"
POLL_S = 0.5
GRACE_S = 10.0
_PR_SET_PDEATHSIG = 1


def worker_app() -> FastAPI:
    """The factory ``portfolio serve`` gives Uvicorn: :func:`exit_with_supervisor`, then the app."""
    from portfolio.main import create_app

    exit_with_supervisor()
    return create_app()


def exit_with_supervisor() -> bool:
    """In a worker of ``portfolio serve`` (a process whose supervisor's id is in the environment and is
    not this one): end this process when the supervisor is gone. Returns whether the watchdog runs."""
    supervisor = os.environ.get(SUPERVISOR_ENV, "")
    if not supervisor.isdigit() or int(supervisor) == os.getpid():
        return False
    parent = int(supervisor)
    if sys.platform == "linux":  # the kernel's own notice, at once; the watchdog below covers the rest
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch, args=(parent,), name="exit-with-supervisor", daemon=True).start()
    return True


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)  # Uvicorn's graceful shutdown
    time.sleep(GRACE_S)
    os._exit(1)
