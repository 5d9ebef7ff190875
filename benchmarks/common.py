"""What every case shares: the run's settings, one result row, and small timing helpers."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Console

console = Console(stderr=True, highlight=False)

SECRET_KEY = "benchmark-secret-key-not-for-production-0123456789"  # noqa: S105 - throw-away databases
PASSWORD = "demo-password"  # noqa: S105 - the sample accounts' documented password
STAFF = "staff@example.org"
# Argon2 as cheap as the settings allow: logins are not what is measured.
ARGON2_TIME_COST = 1
ARGON2_MEMORY_KIB = 1024

Op = Literal["<=", ">="]


@dataclass(frozen=True)
class Config:
    projects: int
    pledges: int
    repeat: int
    warmup: int
    quick: bool
    pg_url: str | None
    curve_max: int
    throughput_seconds: float
    concurrency: int
    import_projects: int
    import_pledges: int
    import_budget_s: float
    latency_budget_s: float
    seed: int
    cases: frozenset[str]
    fuzz_examples: int | None
    keep_going: bool = True


@dataclass
class Result:
    """One row of the table: a measured median against the median of the limit beneath it."""

    case: str
    database: str
    unit: str  # "s", "req/s", "B"
    measured: float | None
    baseline: float | None
    target_op: Op | None
    target: float | None
    note: str = ""
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    verdict: bool | None = None  # for a row judged otherwise than by its ratio (e.g. a test run)

    @property
    def ratio(self) -> float | None:
        if self.measured is None or self.baseline is None or self.baseline == 0:
            return None
        return self.measured / self.baseline

    @property
    def meets(self) -> bool | None:
        if self.verdict is not None:
            return self.verdict
        ratio = self.ratio
        if ratio is None or self.target is None or self.target_op is None:
            return None
        return ratio <= self.target if self.target_op == "<=" else ratio >= self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "database": self.database,
            "unit": self.unit,
            "measured": self.measured,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": None if self.target is None else f"{self.target_op} {self.target:g}",
            "meets_target": self.meets,
            "note": self.note,
            "error": self.error,
            "details": self.details,
        }


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def interleaved(
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    warmup: int,
    repeat: int,
    budget_s: float,
    minimum: int = 3,
) -> tuple[list[float], list[float]]:
    """Time ``first`` and ``second`` alternately, so that both see the same background load.

    ``warmup`` untimed rounds, then up to ``repeat`` timed rounds, stopping early (after at least
    ``minimum``) once ``budget_s`` seconds have gone into the timed rounds.
    """
    for _ in range(warmup):
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    started = time.perf_counter()
    for i in range(repeat):
        a.append(timed(first))
        b.append(timed(second))
        if i + 1 >= minimum and time.perf_counter() - started > budget_s:
            break
    return a, b


def repeated(
    fn: Callable[[], Any], *, warmup: int, repeat: int, budget_s: float, minimum: int = 3
) -> list[float]:
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    started = time.perf_counter()
    for i in range(repeat):
        samples.append(timed(fn))
        if i + 1 >= minimum and time.perf_counter() - started > budget_s:
            break
    return samples


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def spread(samples: list[float]) -> dict[str, float | int]:
    """What a JSON reader needs to judge a median: how many samples, and how far they spread."""
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
    }
