"""Faults injected half-way through the load (a worker killed, PostgreSQL restarted), and what was seen."""

from __future__ import annotations

import asyncio
import math
import os
import shlex
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.load_scenarios import Call, World
from benchmarks.server import Server, uvicorn_workers


@dataclass
class Fault:
    kind: str
    at: float = math.nan  # seconds since the load started
    ended: float = math.nan
    detail: dict[str, Any] = field(default_factory=dict)


async def inject(fault: Fault, server: Server, world: World, at: float, restart_cmd: str | None) -> None:
    await asyncio.sleep(max(0.0, at - world.now()))
    if fault.kind == "kill-worker":
        workers = uvicorn_workers(server.pid)
        if not workers:
            fault.detail["error"] = "no uvicorn worker process found"
            return
        victim = workers[0]
        fault.at = world.now()
        os.kill(victim, signal.SIGKILL)
        fault.detail.update({"supervisor_pid": server.pid, "workers_before": workers, "killed_pid": victim})
        # uvicorn's supervisor notices a dead worker within about half a second and spawns a new one.
        while world.now() - fault.at < 30:
            await asyncio.sleep(0.25)
            new = [pid for pid in uvicorn_workers(server.pid) if pid not in workers]
            if new:
                fault.detail["replacement_pid"] = new[0]
                fault.detail["replacement_seen_after_s"] = world.now() - fault.at
                break
        started = time.monotonic()
        while time.monotonic() - started < 30 and "replacement_pid" in fault.detail:
            if f"Started server process [{fault.detail['replacement_pid']}]" in server.log_path.read_text(
                errors="replace"
            ):
                fault.detail["replacement_serving_after_s"] = world.now() - fault.at
                break
            await asyncio.sleep(0.25)
        fault.detail["supervisor_alive"] = server.alive()
    elif fault.kind == "restart-postgres":
        assert restart_cmd is not None
        fault.at = world.now()
        # Output to a file, not a pipe: a server started by the command may keep a pipe open for ever.
        output_path = server.log_path.with_name("restart.log")
        with output_path.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                *shlex.split(restart_cmd), stdout=sink, stderr=asyncio.subprocess.STDOUT
            )
            await process.wait()
        fault.ended = world.now()
        fault.detail["restart_exit_code"] = process.returncode
        output = output_path.read_bytes()
        fault.detail["restart_output"] = " | ".join(output.decode(errors="replace").split("\n"))[-300:]


def fault_findings(fault: Fault, calls: list[Call]) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": fault.kind, "at_s": fault.at, **fault.detail}
    if fault.kind == "kill-worker":
        dropped = [c for c in calls if c.error.startswith("connection")]
        found["connection_errors"] = len(dropped)
        found["connection_errors_by_op"] = dict(Counter(c.op for c in dropped))
        found["writes_in_doubt"] = sum(1 for c in dropped if c.sent is not None)
        found["connection_error_kinds"] = dict(Counter(c.error.split(":")[1].strip() for c in dropped))
        after = [c for c in calls if c.started >= fault.at and c.status is not None and c.status < 500]
        found["successes_after_kill"] = sum(1 for c in after if c.status is not None and c.status < 400)
    if fault.kind == "restart-postgres" and not math.isnan(fault.at):
        down, up = fault.at, fault.ended
        unavailable = [c for c in calls if c.status == 503]
        found["restart_command_s"] = up - down
        found["responses_503"] = len(unavailable)
        found["responses_503_problem_json"] = sum(
            1 for c in unavailable if c.content_type.startswith("application/problem+json")
        )
        found["responses_500"] = sum(1 for c in calls if c.status == 500)
        overlapping = [c for c in calls if c.started <= up and c.started + c.latency >= down]
        found["requests_overlapping_outage"] = len(overlapping)
        found["longest_latency_during_outage_s"] = max((c.latency for c in overlapping), default=0.0)
        if unavailable:
            found["first_503_s"] = min(c.started + c.latency for c in unavailable)
            found["last_503_s"] = max(c.started + c.latency for c in unavailable)
        success_after = [
            c.started + c.latency
            for c in calls
            if c.started >= up and c.status is not None and c.status < 400 and c.op != "login"
        ]
        found["first_success_after_restart_s"] = (min(success_after) - up) if success_after else None
        last_503 = found.get("last_503_s")
        if last_503 is not None:
            later = [t for t in success_after if t >= last_503] or [
                c.started + c.latency
                for c in calls
                if c.started + c.latency >= last_503 and c.status is not None and c.status < 400
            ]
            found["first_success_after_last_503_s"] = (min(later) - last_503) if later else None
    return found
