"""Importing a spreadsheet: every row through the same rules as the API, in one transaction.

Each row is checked and written inside its own savepoint, so that one bad row is undone alone and the
rows after it are still checked against everything before them (a receipt against a pledge two rows up).
At the end a dry run, or a run with any problem, rolls the whole transaction back: nothing is written
unless every row is good.

Rows are matched to stored records by natural key, so importing the same file twice changes nothing:

* project: ``code``; national process: ``state`` + ``name``; exchange rate: ``currency`` + ``month``;
* pledge: project code + donor + pledged_on + currency + amount;
* receipt: the pledge's key + received_on + amount;
* milestone: project code + title; indicator: project code + name;
* agreement (one per pledge): its pledge's project code + donor + pledged_on, and the pledge's amount
  when the project has several pledges from the donor on that day;
* expenditure: the finance system's ``reference``, which every row must give: a row whose reference is
  recorded already is skipped (counted unchanged), never compared or changed (a correction, which shares
  the money again, is made through the API); a reference twice in one file is refused.

Keys that may legitimately repeat (two equal receipts on one day) are matched by occurrence: the second
such row in a file is the second such record. Cells left empty take the API's default; a column left out
of the file leaves that field of existing records as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.agreements.schemas import AgreementCreate, AgreementUpdate, Schedule
from portfolio.audit.service import jsonable
from portfolio.db import Database
from portfolio.errors import AppError, FieldError, ValidationFailed
from portfolio.facts import Facts
from portfolio.flows import agreements as agreements_flow
from portfolio.funding import repository as funding_repository
from portfolio.funding import service as funding_service
from portfolio.funding.models import Pledge
from portfolio.funding.schemas import (
    ExchangeRateCreate,
    PledgeCreate,
    PledgeStatus,
    PledgeUpdate,
    ReceiptCreate,
)
from portfolio.languages import LOCALES
from portfolio.processes import repository as processes_repository
from portfolio.processes import service as processes_service
from portfolio.processes.schemas import NationalProcessCreate, NationalProcessUpdate
from portfolio.projects import repository as projects_repository
from portfolio.projects import service as projects_service
from portfolio.projects.facts import LiveFacts, LoadedFacts
from portfolio.projects.models import (
    Indicator,
    Milestone,
    Project,
)
from portfolio.projects.schemas import (
    IndicatorCreate,
    IndicatorUpdate,
    MilestoneCreate,
    MilestoneUpdate,
    ProjectCreate,
    ProjectStatus,
    ProjectUpdate,
)
from portfolio.security import Actor
from portfolio.spending import service as spending_service
from portfolio.spending.schemas import ExpenditureCreate
from portfolio.states import repository as states_repository
from portfolio.states.names import name_in
from portfolio.transfer import repository as transfer_repository
from portfolio.transfer.bulk import BulkWriter
from portfolio.transfer.copy import collector_paused
from portfolio.transfer.kinds import COLUMNS, Kind
from portfolio.transfer.sheets import Table, importable, read_table

Progress = Callable[[int, int], None]
Record = TypeVar("Record", Pledge, Milestone, Indicator)
Part = TypeVar("Part", Milestone, Indicator)
IMPORT_NOTE = "Imported from a spreadsheet"


class Outcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    value: str | None
    message: str


@dataclass(frozen=True)
class RowChange:
    """What one row changes in the record it updates: ``{field: (old, new)}``, as JSON values."""

    row: int
    record: str
    fields: dict[str, tuple[Any, Any]]


@dataclass
class ImportReport:
    kind: Kind
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.problems


class ImportFailed(ValidationFailed):
    slug = "import-failed"
    title = "The file has problems; nothing was imported"

    def __init__(self, report: ImportReport) -> None:
        rows = len({p.row for p in report.problems})
        shown = report.problems[:1000]
        errors = [
            FieldError(
                ("file", p.row, p.column or "row"),
                f"{p.message} (value: {p.value!r})" if p.value else p.message,
            )
            for p in shown
        ]
        more = f" (the first {len(shown)} are listed)" if len(shown) < len(report.problems) else ""
        super().__init__(
            f"{len(report.problems)} problems in {rows} of {report.rows} rows{more}; nothing was imported. "
            "A dry run lists them without writing anything.",
            errors=errors,
        )
        self.report = report


class RowError(Exception):
    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


# The column to blame for a rule that a whole record breaks.
BLAME: list[tuple[type[AppError], str]] = [
    (projects_service.TransitionNotAllowed, "status"),
    (projects_service.MoveForbidden, "status"),
    (funding_service.ProjectClosed, "project_code"),
    (funding_service.PledgeHasReceipts, "status"),
    (funding_service.ReceiptExceedsPledge, "amount"),
    (funding_service.PledgeWithdrawn, "pledge_amount"),
    (projects_service.DuplicateProjectCode, "code"),
    (processes_service.DuplicateProcess, "name"),
    (agreements_service.PledgeNotOpen, "pledged_on"),
    (agreements_service.AgreementExists, "reference"),
]
SCHEDULE_COLUMNS = ("interim_every_months", "final_after_months", "audit_certificate")


# -- the run ----------------------------------------------------------------------------------


def run_import(
    session: Session,
    actor: Actor,
    kind: Kind,
    table: Table,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Check and write every row; roll everything back on a dry run or on any problem.

    Raises :class:`ImportFailed` when a real run found problems. The caller commits a clean real run.
    """
    report = ImportReport(kind=kind, dry_run=dry_run, rows=len(table.rows))
    importable(kind)
    importer = _Importer(session, actor, kind, dry_run=dry_run)
    bad_cells: dict[int, list[RowProblem]] = defaultdict(list)
    for r, c, v, m in table.cell_problems:
        bad_cells[r].append(RowProblem(r, c, v, m))
    # The rows, the records and entries waiting for the flush stay alive to the end: every pass of the
    # cycle collector would walk them all again, and the few cycles made meanwhile are freed afterwards.
    with collector_paused():
        importer.prepare(table)
        for done, (number, cells) in enumerate(table.rows, start=1):
            outcome = importer.row(number, cells, report, bad_cells.get(number, []))
            if outcome is not None:
                setattr(report, outcome.value, getattr(report, outcome.value) + 1)
            if progress is not None:
                progress(done, report.rows)
        if dry_run or report.problems:
            importer.bulk.discard()
            session.rollback()
        else:
            importer.bulk.flush()
    if report.problems and not dry_run:
        raise ImportFailed(report)
    return report


# A file's rows and the records checked from them are held at once (some 5 KB a row, up to
# ROWS_MAX rows): a worker process reads and checks one file at a time, the next waiting its turn, so that
# two large files at once do not take twice the memory; and what a file took is given back afterwards.
_ONE_FILE_AT_A_TIME = threading.Lock()


def import_file(
    db: Database, actor: Actor, kind: Kind, data: bytes, filename: str | None, *, dry_run: bool
) -> ImportReport:
    """Read a CSV or XLSX file (:func:`portfolio.transfer.sheets.read_table`) and import it
    (:func:`import_table`): one file at a time in this worker process, its memory given back to the system
    once it is done."""
    with _ONE_FILE_AT_A_TIME:
        try:
            table = read_table(data, kind, filename)
            return import_table(db, actor, kind, table, dry_run=dry_run)
        finally:
            _give_back_memory()


def _give_back_memory() -> None:
    """Return the freed memory of a large file to the system: CPython keeps freed blocks for reuse, and
    glibc keeps freed pages in the process unless asked (``malloc_trim``); elsewhere, nothing to do."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # no glibc: nothing to give back this way
        ctypes.CDLL(None).malloc_trim(0)  # the process's own C library, as portfolio.serving loads it


def import_table(
    db: Database, actor: Actor, kind: Kind, table: Table, *, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """:func:`run_import` in the sessions it needs, holding the write lock only to write.

    A dry run is a read session: it takes no write lock, and other writes go on while a file is checked.
    On SQLite, whose writers queue for one lock taken at BEGIN, a real run is first checked so too: a file
    with problems is answered (:class:`ImportFailed`) without the lock, and a good one is imported in a
    write session, checked again in its transaction (records may have changed since). On PostgreSQL a
    write session locks no more than the rows it changes, and a real run goes to it at once.

    The check writes the rows that reach stored records into its transaction (rolled back at the end),
    and SQLite refuses that to a read session when another writer holds the lock or has written since the
    check began: the file is then checked, or imported, in a write session, as any writer waits its turn.
    """
    checks_first = dry_run or db.dialect == "sqlite"
    if checks_first:
        try:
            with db.session() as session:
                report = run_import(session, actor, kind, table, dry_run=True, progress=progress)
        except OperationalError as exc:
            if not write_refused(exc):
                raise
        else:
            if dry_run:
                return report
            if report.problems:
                raise ImportFailed(replace(report, dry_run=False))
    with db.session(write=True) as session:
        return run_import(session, actor, kind, table, dry_run=dry_run, progress=progress)


def write_refused(exc: OperationalError) -> bool:
    """Whether SQLite refused a write to a transaction begun as a read (another writer holds the lock, or
    wrote after the transaction's first read): the write may be tried again under the write lock."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return (
        isinstance(exc.orig, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


_CODE = {Kind.projects: "code", Kind.pledges: "project_code", Kind.expenditures: "project_code"}
# The most an id is in every database (PostgreSQL's integer): a larger one names no record.
ID_MAX = 2**31 - 1


class _Importer:
    def __init__(self, session: Session, actor: Actor, kind: Kind, *, dry_run: bool = False) -> None:
        self.session = session
        self.actor = actor
        self.kind = kind
        self.columns = {c.name: c for c in COLUMNS[kind]}
        self.read_only = tuple(c.name for c in COLUMNS[kind] if c.read_only)
        self.seen: dict[tuple[Any, ...], int] = {}  # unique keys: the row that first named them
        self.occurrences: dict[tuple[Any, ...], int] = defaultdict(int)  # repeatable keys: how often so far
        self.project_ids: dict[str, int | None] = {}
        self.current_row = 0
        self.handler: Callable[[dict[str, str], set[str]], Outcome] = getattr(
            self, "_" + kind.value.replace("-", "_")
        )
        self.dry_run = dry_run
        self.bulk = BulkWriter(session, actor)
        # New projects and pledges, the bulk of any first import, take the fast path: the services' own
        # write path (write_project, write_pledge), checked against facts loaded once for the file and
        # written by the bulk writer as multi-row INSERTs. So do expenditures, every one of them new or
        # skipped (write_expenditure: record_expenditure's rules against the pledges' money, lines and
        # references loaded once for the file, kept up to date row by row). Everything else goes row by
        # row, as the API.
        fast = {
            Kind.projects: self._new_project,
            Kind.pledges: self._new_pledge,
            Kind.expenditures: self._new_expenditure,
        }
        self.fast: Callable[[dict[str, str]], Outcome | None] | None = fast.get(kind)
        self.facts: Facts = LiveFacts(session)  # replaced by facts loaded for the file (:meth:`prepare`)
        self.codes: dict[str, Project] = {}
        self.pledge_keys: dict[tuple[Any, ...], int] = defaultdict(int)
        self.ledger = spending_service.Ledger()  # loaded for the file's expenditures (:meth:`prepare`)
        self.reversed: set[str] = set()  # the references, among those a file's reversals name, reversed
        self.change: RowChange | None = None  # what the row being read changes, kept if it is good
        self._state_names: dict[str, str] | None = None
        self.checks = self._cell_checks()

    def prepare(self, table: Table) -> None:
        """Load once the facts the fast path checks rows against."""
        if self.fast is None:
            return
        codes = [c for _, cells in table.rows if (c := cells.get(_CODE[self.kind], "").strip())]
        rates = self.kind in (Kind.pledges, Kind.expenditures)
        self.facts = LoadedFacts(self.session, codes, rates=rates)
        self.codes = self.facts.by_code
        if self.kind == Kind.pledges:
            ids = sorted(self.facts.by_id)
            self.pledge_keys.update(funding_repository.pledge_key_counts(self.session, ids))
        if self.kind == Kind.expenditures:
            self._prepare_expenditures(table, sorted(self.facts.by_id))

    def _prepare_expenditures(self, table: Table, project_ids: list[int]) -> None:
        """The file's projects locked (a real run) and what recording their expenditures reads, at once."""
        rows = [cells for _, cells in table.rows]
        lines = [int(t) for cells in rows if _whole(t := cells.get("line_id", "").strip())]
        self.ledger = spending_service.load_ledger(
            self.session,
            project_ids,
            [n for n in lines if 0 < n <= ID_MAX],
            [r for cells in rows if (r := cells.get("reference", "").strip())],
            lock=not self.dry_run,
        )
        named = [r for cells in rows if (r := cells.get("reverses", "").strip())]
        self.reversed = transfer_repository.reversed_references(self.session, named)

    def _new_project(self, cells: dict[str, str]) -> Outcome | None:
        data = ProjectCreate.model_validate(self._values(cells, skip=("status", "status_on")))
        status = _status(cells.get("status", ""))
        if data.code in self.codes:
            return None  # stored already: the row path updates it
        self._unique(("project", data.code), f"project {data.code}")
        row = projects_service.write_project(
            self.bulk,
            self.facts,
            self.actor,
            data,
            status=status,
            status_on=_date(cells.get("status_on", "")),
        )
        self.project_ids[data.code] = row["id"]
        return Outcome.created

    def _pledge_row(self, cells: dict[str, str], project_id: int) -> tuple[PledgeCreate, str | None]:
        """A pledge row as the API would take it, and the status the file asks for."""
        values = self._values(cells, skip=("project_code",))
        wanted = values.get("status")
        if wanted in (PledgeStatus.paid, PledgeStatus.withdrawn):
            values["status"] = PledgeStatus.committed  # paid follows from receipts; withdrawn comes after
        return PledgeCreate.model_validate({**values, "project_id": project_id}), wanted

    def _new_pledge(self, cells: dict[str, str]) -> Outcome | None:
        code = cells.get("project_code", "").strip()
        project = self.codes.get(code)
        if project is None or project.id is None:
            problem = f"no project has the code '{code}'" if code else "a value is required"
            raise RowError([("project_code", problem)])
        data, wanted = self._pledge_row(cells, project.id)
        key = (project.id, data.donor, data.pledged_on, data.currency, data.amount)
        if self.occurrences[key] < self.pledge_keys.get(key, 0):
            return None  # the n-th such row is the n-th such stored pledge: the row path compares them
        self.occurrences[key] += 1
        funding_service.write_pledge(
            self.bulk,
            self.facts,
            self.actor,
            data,
            historical=True,
            withdrawn=wanted == PledgeStatus.withdrawn,
        )
        return Outcome.created

    def _new_expenditure(self, cells: dict[str, str]) -> Outcome:
        return self._expenditures(cells, set(cells))

    def row(
        self, number: int, cells: dict[str, str], report: ImportReport, bad_cells: list[RowProblem]
    ) -> Outcome | None:
        """Check and write one row; report every problem it has at once.

        The row's cells are checked first (dates, amounts, codes); a row with a problem there is still
        put through its kind's rules, inside a savepoint undone at once, so that the problems of the
        other cells come out in the same pass."""
        self.current_row = number
        self.change = None
        wrong = self._check_cells(cells)
        known = bad_cells
        if wrong:
            known = [*bad_cells, *(RowProblem(number, c, cells.get(c), m) for c, m in wrong)]
        found: list[tuple[str | None, str]] = []
        outcome: Outcome | None = None
        try:
            if known:
                savepoint = self.session.begin_nested()
                try:
                    self.handler(cells, set(cells))
                finally:
                    savepoint.rollback()
            else:
                if self.fast is not None:
                    outcome = self.fast(cells)
                    if outcome is not None:
                        return outcome
                    if not self.dry_run:
                        self.bulk.flush()  # what the row below may read or number after
                with self.session.begin_nested():
                    outcome = self.handler(cells, set(cells))
        except RowError as exc:
            found = exc.problems
        except ValidationError as exc:
            found = self._problems(exc)
        except AppError as exc:
            column = next((c for kind, c in BLAME if isinstance(exc, kind)), None)
            found = [(self._column(e.loc), e.msg) for e in exc.errors] or [(column, exc.detail)]
        except (DataError, StatementError) as exc:
            if isinstance(exc, OperationalError) and write_refused(exc):
                raise  # not the row's fault: the check is done again under the write lock (import_table)
            if isinstance(exc, IntegrityError):
                found = [(None, "conflicts with a stored record")]
            else:
                found = [(None, "a value cannot be stored (a number out of range, or a NUL character)")]
        if not known and not found:
            if self.change is not None:
                report.changes.append(self.change)
            return outcome
        checked = {p.column for p in known if p.column is not None}
        found = [*found, *self._more_problems(cells, checked | {c for c, _ in found if c is not None})]
        problems = known + [
            RowProblem(number, c, cells.get(c) if c else None, _advice(m))
            for c, m in found
            if c is None or c not in checked
        ]
        if problems:
            report.problems += problems
            return None
        if self.change is not None:
            report.changes.append(self.change)
        return outcome

    def _more_problems(self, cells: dict[str, str], bad: set[str]) -> list[tuple[str | None, str]]:
        """The problems of a row's other cells that its first problems hid: the rules that compare cells
        or look at the database run only once every cell reads, so the row is put through its kind's
        rules again with each bad cell replaced by its column's example (in a savepoint undone at once,
        and without counting the row among those seen), until no new cell is found wrong. A problem of a
        replaced cell, or of no cell, is not reported: the example, not the person, would have caused
        it."""
        found: list[tuple[str | None, str]] = []
        bad = {c for c in bad if c in self.columns}
        kept = {k: copy(v) for k, v in vars(self).items() if isinstance(v, dict | set | list)}
        change = self.change
        try:
            for _ in range(len(self.columns)):
                if not bad:
                    break
                trial = {**cells, **{c: self.columns[c].example for c in bad if c in cells}}
                problems: list[tuple[str | None, str]] = []
                savepoint = self.session.begin_nested()
                try:
                    self.handler(trial, set(cells))
                except RowError as exc:
                    problems = exc.problems
                except ValidationError as exc:
                    problems = self._problems(exc)
                except AppError as exc:
                    problems = [(self._column(e.loc), e.msg) for e in exc.errors]
                except (DataError, StatementError) as exc:
                    if isinstance(exc, OperationalError) and write_refused(exc):
                        raise
                finally:
                    savepoint.rollback()
                fresh = [(c, m) for c, m in problems if c is not None and c not in bad]
                if not fresh:
                    break
                found += fresh
                bad |= {c for c, _ in fresh}
        finally:
            for name, value in kept.items():
                setattr(self, name, value)
            self.change = change
        return found

    # -- cells ----------------------------------------------------------------------------------

    def _check_cells(self, cells: dict[str, str]) -> list[tuple[str, str]]:
        """What is wrong with the cells one by one, said as what to type instead."""
        problems: list[tuple[str, str]] = []
        for name, check, empty_too in self.checks:
            text = cells.get(name)
            if text is None or (not text and not empty_too):
                continue
            found = check(text)
            if found:
                problems += [(name, message) for message in found]
        return problems

    def _cell_checks(self) -> list[tuple[str, Callable[[str], list[str]], bool]]:
        """For each column that can be checked on its own: the check (the others get none), and whether
        an empty cell is checked too."""
        checks: list[tuple[str, Callable[[str], list[str]], bool]] = []
        for name, column in self.columns.items():
            if column.read_only:
                continue
            if name == "project_code":
                checks.append((name, self._code_problem, True))
            elif name == "project_codes":
                checks.append((name, partial(self._code_problems, column=name), True))
            elif self.kind == Kind.projects and name == "status":
                checks.append((name, _status_problems, False))
            elif column.type == "date":
                checks.append((name, _date_problems, False))
            elif column.type == "decimal":
                checks.append((name, _amount_problems, False))
            elif column.states:
                checks.append((name, partial(self._state_problems, listed=column.type == "list"), False))
        return checks

    def _code_problem(self, text: str) -> list[str]:
        """:meth:`_code_problems` of a ``project_code`` cell; a code already met is looked up once."""
        if self.project_ids.get(text) is not None:
            return []
        return self._code_problems(text, "project_code")

    def _code_problems(self, text: str, column: str) -> list[str]:
        problems: list[str] = []
        for code in [text] if column == "project_code" else _items(text):
            try:
                self._project_id(code, column)
            except RowError as exc:
                problems += [m for _, m in exc.problems]
        return problems

    def _state_problems(self, text: str, listed: bool) -> list[str]:
        return [
            self._state_advice(item)
            for item in (_items(text) if listed else [text])
            if len(item) != 3 or not item.isascii() or not item.isalpha()
        ]

    def _state_advice(self, text: str) -> str:
        if self._state_names is None:
            self._state_names = {}
            for state in states_repository.list_states(self.session):
                for lang in LOCALES:  # a State named as the tracker names it, in any of its languages
                    self._state_names[name_in(state, lang).casefold()] = state.code
        code = self._state_names.get(text.strip().casefold())
        example = f"e.g. {code}" if code else "e.g. SRB for Serbia, DEU for Germany"
        return f"'{text}' is not a State code: use the State's three-letter code, {example}"

    def _problems(self, exc: ValidationError) -> list[tuple[str | None, str]]:
        return [(self._column(e["loc"]), _message(e)) for e in exc.errors()]

    def _column(self, loc: tuple[Any, ...] | list[Any]) -> str | None:
        names = [p for p in loc if isinstance(p, str) and p != "body"]
        if not names:
            return None
        name = {"project_id": "project_code", "project_ids": "project_codes", "on": "status_on"}.get(
            names[0], names[0]
        )
        return name if name in self.columns else None

    # -- helpers --------------------------------------------------------------------------------

    def _values(self, cells: dict[str, str], skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """Non-empty cells as the API's JSON would carry them: lists split on ';', integers as numbers."""
        values: dict[str, Any] = {}
        for name, text in cells.items():
            if name in skip or text == "":
                continue
            column = self.columns[name]
            if column.type == "list":
                values[name] = [item.strip() for item in text.split(";") if item.strip()]
            elif column.type == "int" and _whole(text.removeprefix("-")):
                values[name] = int(text)
            else:
                values[name] = text
        return values

    def _unique(self, key: tuple[Any, ...], number_hint: str) -> None:
        if key in self.seen:
            raise RowError([(None, f"{number_hint} already appears on row {self.seen[key]}")])
        self.seen[key] = self.current_row

    def _nth(self, key: tuple[Any, ...]) -> int:
        n = self.occurrences[key]
        self.occurrences[key] = n + 1
        return n

    def _project_id(self, code: str, column: str = "project_code") -> int:
        code = code.strip()
        if not code:
            raise RowError([(column, "a project code is required")])
        if code not in self.project_ids and code in self.codes:
            self.project_ids[code] = self.codes[code].id
        if code not in self.project_ids:
            project = projects_repository.get_project_by_code(self.session, code)
            self.project_ids[code] = project.id if project is not None else None
        found = self.project_ids[code]
        if found is None:
            raise RowError([(column, f"no project has the code '{code}'")])
        return found

    @staticmethod
    def _changed(model: BaseModel, present: set[str], current: Any, names: list[str]) -> dict[str, Any]:
        """The fields of ``names`` that the file carries and that differ from the stored record."""
        return {
            n: getattr(model, n)
            for n in names
            if n in present and _comparable(getattr(model, n)) != _comparable(getattr(current, n))
        }

    def _note(self, record: str, current: Any, changes: dict[str, Any], **shown: tuple[Any, Any]) -> None:
        """Keep, for the report, what this row changes in ``current``: each field from what to what."""
        fields = {
            n: (jsonable(_comparable(getattr(current, n))), jsonable(_comparable(v)))
            for n, v in changes.items()
        }
        fields |= {n: (jsonable(old), jsonable(new)) for n, (old, new) in shown.items()}
        if fields:
            self.change = RowChange(self.current_row, record, fields)

    # -- kinds ----------------------------------------------------------------------------------

    def _projects(self, cells: dict[str, str], present: set[str]) -> Outcome:
        data = ProjectCreate.model_validate(self._values(cells, skip=("status", "status_on")))
        status = _status(cells.get("status", ""))
        on = _date(cells.get("status_on", ""))
        existing = projects_repository.get_project_by_code(self.session, data.code)
        self._unique(("project", data.code), f"project {data.code}")
        if existing is None:
            project = projects_service.create_project(
                self.session, self.actor, data, status=status, status_on=on
            )
            assert project.id is not None
            self.project_ids[data.code] = project.id
            return Outcome.created
        assert existing.id is not None
        names = [n for n in ProjectUpdate.model_fields if n != "code"]
        changes = self._changed(data, present, existing, names)
        moved = status is not None and status != existing.status
        self._note(
            f"project {data.code}",
            existing,
            changes,
            **({"status": (existing.status, status)} if moved else {}),
        )
        if changes:
            agreements_flow.update_project(
                self.session, self.actor, existing.id, ProjectUpdate.model_validate(changes)
            )
        if status is not None and moved:
            projects_service.transition(self.session, self.actor, existing.id, status, IMPORT_NOTE, on)
        return Outcome.updated if changes or moved else Outcome.unchanged

    def _pledges(self, cells: dict[str, str], present: set[str]) -> Outcome:
        project_id = self._project_id(cells.get("project_code", ""))
        data, wanted = self._pledge_row(cells, project_id)
        key = (project_id, data.donor, data.pledged_on, data.currency, data.amount)
        existing = self._find(key, transfer_repository.pledges_with_key(self.session, *key))
        if existing is None:
            withdrawn = wanted == PledgeStatus.withdrawn
            funding_service.create_pledge(
                self.session, self.actor, data, self.facts, historical=True, withdrawn=withdrawn
            )
            return Outcome.created
        if wanted == PledgeStatus.withdrawn:
            data = data.model_copy(update={"status": PledgeStatus.withdrawn})
        changes = self._changed(data, present, existing, ["kind", "note"])
        keep_paid = wanted == PledgeStatus.paid and existing.status == PledgeStatus.paid
        if "status" in present and not keep_paid and data.status != existing.status:
            changes["status"] = data.status
        if not changes:
            return Outcome.unchanged
        record = f"pledge of {data.amount} {data.currency} from {data.donor} on {data.pledged_on}"
        self._note(f"{record} to {cells.get('project_code', '').strip()}", existing, changes)
        assert existing.id is not None
        funding_service.update_pledge(
            self.session, self.actor, existing.id, PledgeUpdate.model_validate(changes), self.facts
        )
        return Outcome.updated

    def _find(self, key: tuple[Any, ...], matches: Sequence[Record]) -> Record | None:
        """The n-th stored record with this key (``matches``, in id order), for the n-th row that names
        it (or None)."""
        n = self._nth(key)
        return matches[n] if n < len(matches) else None

    def _receipts(self, cells: dict[str, str], present: set[str]) -> Outcome:
        values = self._values(cells, skip=("project_code",))
        project_id = self._project_id(cells.get("project_code", ""))
        problems: list[tuple[str | None, str]] = []
        try:
            pledge_key = PledgeCreate.model_validate(
                {
                    "project_id": project_id,
                    "donor": values.get("donor"),
                    "currency": values.get("currency"),
                    "pledged_on": values.get("pledged_on"),
                    "amount": values.get("pledge_amount"),
                }
            )
        except ValidationError as exc:
            renamed = {"amount": "pledge_amount"}
            problems += [(renamed.get(str(c), c), m) for c, m in self._problems(exc)]
        try:
            data = ReceiptCreate.model_validate(
                {"received_on": values.get("received_on"), "amount": values.get("amount")}
            )
        except ValidationError as exc:
            problems += self._problems(exc)
        if problems:
            raise RowError(problems)
        pledges = transfer_repository.pledges_with_key(
            self.session,
            project_id,
            pledge_key.donor,
            pledge_key.pledged_on,
            pledge_key.currency,
            pledge_key.amount,
        )
        if not pledges:
            raise RowError(
                [
                    (
                        "pledge_amount",
                        f"project {cells.get('project_code')} has no pledge of {pledge_key.amount} "
                        f"{pledge_key.currency} from {pledge_key.donor} on {pledge_key.pledged_on}",
                    )
                ]
            )
        # Equal pledges are told apart by what was received on each: a matching receipt, else room for one.
        key = (project_id, pledge_key.donor, pledge_key.pledged_on, pledge_key.currency, pledge_key.amount)
        n = self._nth((*key, data.received_on, data.amount))
        matching = transfer_repository.receipts_matching(
            self.session, [p.id for p in pledges if p.id is not None], data.received_on, data.amount
        )
        if n < len(matching):
            return Outcome.unchanged
        target = pledges[0]
        for pledge in pledges:
            assert pledge.id is not None
            if pledge.status != PledgeStatus.withdrawn and (
                pledge.amount - funding_repository.received_on_pledge(self.session, pledge.id) >= data.amount
            ):
                target = pledge
                break
        assert target.id is not None
        funding_service.add_receipt(self.session, self.actor, target.id, data)
        return Outcome.created

    def _part(
        self,
        cells: dict[str, str],
        present: set[str],
        model: type[Part],
        create: type[MilestoneCreate] | type[IndicatorCreate],
        update: type[MilestoneUpdate] | type[IndicatorUpdate],
        name_field: str,
    ) -> Outcome:
        project_id = self._project_id(cells.get("project_code", ""))
        data = create.model_validate(self._values(cells, skip=("project_code",)))
        name = getattr(data, name_field)
        existing = self._find(
            (model.__name__, project_id, name),
            transfer_repository.parts_named(self.session, model, project_id, name_field, name),
        )
        if existing is None:
            projects_service.add_part(self.session, self.actor, model, project_id, data)
            return Outcome.created
        names = [n for n in update.model_fields if n != name_field]
        changes = self._changed(data, present, existing, names)
        if not changes:
            return Outcome.unchanged
        noun = "milestone" if model is Milestone else "indicator"
        self._note(f"{noun} '{name}' of {cells.get('project_code', '').strip()}", existing, changes)
        assert existing.id is not None
        projects_service.update_part(
            self.session, self.actor, model, project_id, existing.id, update.model_validate(changes)
        )
        return Outcome.updated

    def _milestones(self, cells: dict[str, str], present: set[str]) -> Outcome:
        return self._part(cells, present, Milestone, MilestoneCreate, MilestoneUpdate, "title")

    def _indicators(self, cells: dict[str, str], present: set[str]) -> Outcome:
        if cells.get("measure", "").strip() and not cells.get("unit", "").strip():
            present = present - {"unit"}  # the measure's own unit, which the rules fill in
        return self._part(cells, present, Indicator, IndicatorCreate, IndicatorUpdate, "name")

    def _national_processes(self, cells: dict[str, str], present: set[str]) -> Outcome:
        values = self._values(cells, skip=("project_codes",))
        codes = self._values({"project_codes": cells.get("project_codes", "")}).get("project_codes", [])
        problems: list[tuple[str | None, str]] = []
        ids: list[int] = []
        for code in codes:
            try:
                ids.append(self._project_id(code, "project_codes"))
            except RowError as exc:
                problems += exc.problems
        if problems:
            raise RowError(problems)
        data = NationalProcessCreate.model_validate({**values, "project_ids": ids})
        self._unique(("process", data.state, data.name), f"{data.state} '{data.name}'")
        existing = processes_repository.get_by_name(self.session, data.state, data.name)
        if existing is None:
            processes_service.create_process(self.session, self.actor, data)
            return Outcome.created
        if "project_codes" in present:
            present = present | {"project_ids"}
        names = [n for n in NationalProcessUpdate.model_fields if n not in ("stage_changed_on", "stage_note")]
        changes = self._changed(data, present, existing, names)
        if not changes:
            return Outcome.unchanged
        shown = {}
        if "project_ids" in changes:
            codes = {i: c for c, i in self.project_ids.items() if i is not None}
            old = transfer_repository.project_codes(self.session, existing.project_ids)
            shown["project_codes"] = (old, sorted(codes[i] for i in changes["project_ids"]))
        self._note(
            f"national process {data.state} '{data.name}'",
            existing,
            {n: v for n, v in changes.items() if n != "project_ids"},
            **shown,
        )
        assert existing.id is not None
        processes_service.update_process(
            self.session, self.actor, existing.id, NationalProcessUpdate.model_validate(changes)
        )
        return Outcome.updated

    def _agreement_pledge(self, cells: dict[str, str], values: dict[str, Any]) -> tuple[Pledge, str]:
        """The pledge an agreement row names, and how the report names it."""
        project_id = self._project_id(cells.get("project_code", ""))
        problems: list[tuple[str | None, str]] = []
        try:
            key = PledgeCreate.model_validate(
                {
                    "project_id": project_id,
                    "donor": values.get("donor"),
                    "pledged_on": values.get("pledged_on"),
                    "currency": "EUR",
                    "amount": values.get("pledge_amount", "1"),
                }
            )
        except ValidationError as exc:
            problems += [({"amount": "pledge_amount"}.get(str(c), c), m) for c, m in self._problems(exc)]
            raise RowError(problems) from None
        code = cells.get("project_code", "").strip()
        named = f"pledge from {key.donor} on {key.pledged_on} to {code}"
        found = list(transfer_repository.pledges_on(self.session, project_id, key.donor, key.pledged_on))
        if not found:
            raise RowError(
                [("pledged_on", f"project {code} has no pledge from {key.donor} on {key.pledged_on}")]
            )
        if "pledge_amount" in values:
            found = [p for p in found if p.amount == key.amount]
            if not found:
                raise RowError(
                    [
                        (
                            "pledge_amount",
                            f"no pledge from {key.donor} on {key.pledged_on} to {code} is of {key.amount} "
                            "(in the pledge's currency)",
                        )
                    ]
                )
        elif len({(p.amount, p.currency) for p in found}) > 1:
            amounts = ", ".join(f"{p.amount} {p.currency}" for p in found)
            raise RowError(
                [
                    (
                        "pledge_amount",
                        f"project {code} has {len(found)} pledges from {key.donor} on {key.pledged_on} "
                        f"({amounts}): give the pledge's amount to say which",
                    )
                ]
            )
        # Pledges equal in every key column: the one whose agreement has this reference, else the first
        # that has none yet.
        stored = transfer_repository.agreements_of(self.session, [p.id for p in found if p.id is not None])
        reference = str(values.get("reference", "")).strip()
        chosen = next((p for p in found if p.id in stored and stored[p.id].reference == reference), None)
        chosen = chosen or next((p for p in found if p.id not in stored), None) or found[0]
        if len(found) > 1 or "pledge_amount" in values:
            named = (
                f"pledge of {chosen.amount} {chosen.currency} from {key.donor} on {key.pledged_on} to {code}"
            )
        return chosen, named

    def _schedule(self, values: dict[str, Any], present: set[str], stored: dict[str, Any]) -> Schedule | None:
        """The schedule the row asks for: its columns over the stored one (an empty cell: the default);
        None for a new agreement whose row gives none."""
        given = {n: values[n] for n in SCHEDULE_COLUMNS if n in values}
        if not stored and not given:
            return None
        kept = {n: v for n, v in stored.items() if n in SCHEDULE_COLUMNS and n not in present}
        try:
            return Schedule.model_validate(kept | given)
        except ValidationError as exc:
            raise RowError(self._problems(exc)) from None

    def _agreements(self, cells: dict[str, str], present: set[str]) -> Outcome:
        values = self._values(cells, skip=("project_code", "donor_name"))
        pledge, named = self._agreement_pledge(cells, values)
        assert pledge.id is not None
        found = transfer_repository.agreements_of(self.session, [pledge.id]).get(pledge.id)
        problems: list[tuple[str | None, str]] = []
        schedule: Schedule | None = None
        try:
            schedule = self._schedule(values, present, found.schedule if found is not None else {})
        except RowError as exc:
            problems += exc.problems
        fields = {n: v for n, v in values.items() if n in AgreementCreate.model_fields and n != "schedule"}
        try:
            data = AgreementCreate.model_validate(fields)
        except ValidationError as exc:
            problems += self._problems(exc)
        if problems:
            raise RowError(problems)
        self._unique(("agreement", pledge.id), f"the agreement of the {named}")
        if found is None:
            data = data.model_copy(update={"schedule": schedule})
            agreements_flow.record_agreement(self.session, self.actor, self.facts, pledge.id, data)
            return Outcome.created
        names = [n for n in AgreementUpdate.model_fields if n != "schedule"]
        changes = self._changed(data, present, found, names)
        shown: dict[str, tuple[Any, Any]] = {}
        if (
            schedule is not None
            and schedule.model_dump() != agreements_service.schedule_of(found).model_dump()
        ):
            changes["schedule"] = schedule
            old = agreements_service.schedule_of(found).model_dump()
            shown = {n: (old[n], v) for n, v in schedule.model_dump().items() if old[n] != v}
        if not changes:
            return Outcome.unchanged
        self._note(
            f"agreement {found.reference} of the {named}",
            found,
            {n: v for n, v in changes.items() if n != "schedule"},
            **shown,
        )
        agreements_flow.change_agreement(
            self.session, self.actor, self.facts, pledge.id, AgreementUpdate.model_validate(changes)
        )
        return Outcome.updated

    def _expenditures(self, cells: dict[str, str], present: set[str]) -> Outcome:
        """A new expenditure through :func:`portfolio.spending.service.write_expenditure` (the rules of
        ``POST /api/v1/expenditures``), or a row whose reference is recorded already, skipped."""
        reference = cells.get("reference", "").strip()
        reverses = cells.get("reverses", "").strip()
        if reverses:
            if not reference and reverses in self.reversed:
                return Outcome.unchanged  # a reversal exported with the entry it reverses, recorded already
            raise RowError(
                [
                    (
                        "reverses",
                        f"a reversal of {reverses} is not imported: reverse the expenditure through the API "
                        "(POST /api/v1/expenditures/{id}/reversal), then leave this column empty",
                    )
                ]
            )
        problems: list[tuple[str | None, str]] = []
        project_id = 0
        try:
            project_id = self._project_id(cells.get("project_code", ""))
        except RowError as exc:
            problems += exc.problems
        if not reference:
            problems.append(
                (
                    "reference",
                    "a value is required: the finance system's reference of the entry, which keeps a "
                    "second import of the file from recording it twice",
                )
            )
        values = self._values(cells, skip=("project_code", *self.read_only))
        try:
            data = ExpenditureCreate.model_validate({**values, "project_id": project_id})
        except ValidationError as exc:
            problems += self._problems(exc)
        if problems:
            raise RowError(problems)
        assert data.reference is not None
        first = self.seen.get(("expenditure", data.reference))
        if first is not None and first != self.current_row:  # the row itself, checked again: no twin
            raise RowError([("reference", f"the reference {data.reference} already appears on row {first}")])
        self.seen[("expenditure", data.reference)] = self.current_row
        if data.reference in self.ledger.references:
            return Outcome.unchanged  # recorded already: importing a file again adds nothing
        spending_service.write_expenditure(self.bulk, self.facts, self.actor, data, self.ledger)
        return Outcome.created

    def _exchange_rates(self, cells: dict[str, str], present: set[str]) -> Outcome:
        data = ExchangeRateCreate.model_validate(self._values(cells))
        self._unique(("rate", data.currency, data.month), f"{data.currency} {data.month}")
        existing = funding_repository.get_rate(self.session, data.currency, data.month)
        if existing is None:
            funding_service.create_rate(self.session, self.actor, data)
            return Outcome.created
        if existing.eur_per_unit == data.eur_per_unit:
            return Outcome.unchanged
        self._note(
            f"exchange rate {data.currency} {data.month}",
            existing,
            {"eur_per_unit": data.eur_per_unit},
        )
        funding_service.correct_rate(self.session, self.actor, existing, data.eur_per_unit)
        return Outcome.updated


# -- small pieces -----------------------------------------------------------------------------


def _status(text: str) -> ProjectStatus | None:
    if not text.strip():
        return None
    try:
        return ProjectStatus(text.strip())
    except ValueError:
        options = ", ".join(s.value for s in ProjectStatus)
        raise RowError([("status", f"'{text}' is not a status; one of: {options}")]) from None


def _listed(problem: str | None) -> list[str]:
    return [] if problem is None else [problem]


def _status_problems(text: str) -> list[str]:
    try:
        _status(text)
    except RowError as exc:
        return [m for _, m in exc.problems]
    return []


def _whole(text: str) -> bool:
    """Whether ``text`` is a whole number in ASCII digits ("²" is a digit to Python, not to ``int``)."""
    return text.isascii() and text.isdigit()


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _date(text: str) -> date | None:
    """A date cell's date: None when empty, or when not a date (:func:`_date_problem` says why)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_PLAIN_AMOUNT = re.compile(r"-?\d+(\.\d+)?")


def _date_problem(text: str) -> str | None:
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        try:
            date.fromisoformat(text)
        except ValueError:
            return f"'{text}' is not a valid date (no such day)"
        return None
    day_month = _DAY_MONTH_YEAR.fullmatch(text)
    if day_month:
        first, second, year = (int(g) for g in day_month.groups())
        pairs = ((first, second), (second, first))
        readings = sorted({f"{year:04d}-{m:02d}-{d:02d}" for d, m in pairs if _real(year, m, d)})
        example = f" ({' or '.join(readings)})" if readings else ""
        return f"'{text}' is not a date: write dates as YYYY-MM-DD{example}"
    return f"'{text}' is not a date: write dates as YYYY-MM-DD, e.g. 2024-03-15"


def _date_problems(text: str) -> list[str]:
    """:func:`_date_problem` as a list; a plain date is let through at once."""
    if _ISO_DATE.fullmatch(text):  # nothing to strip, and the day is checked as there
        try:
            date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return []
    return _listed(_date_problem(text))


def _amount_problems(text: str) -> list[str]:
    """:func:`_amount_problem` as a list; a plain amount is let through at once."""
    if _PLAIN_AMOUNT.fullmatch(text):  # nothing to strip
        return []
    return _listed(_amount_problem(text))


def _real(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _amount_problem(text: str) -> str | None:
    """Amounts with thousands separators or a decimal comma, and what to type instead."""
    text = text.strip()
    if _PLAIN_AMOUNT.fullmatch(text):
        return None
    separators = " '\u00a0\u202f"
    grouped = re.fullmatch(rf"(-?\d{{1,3}}(?:[,{separators}]\d{{3}})+)(\.\d+)?", text)
    if grouped:
        digits = re.sub(rf"[,{separators}]", "", grouped.group(1))
        return f"'{text}': no thousands separators: {digits}{grouped.group(2) or ''}"
    european = re.fullmatch(rf"(-?\d{{1,3}}(?:[.{separators}]\d{{3}})*),(\d+)", text)
    if european:
        digits = re.sub(rf"[.{separators}]", "", european.group(1))
        fixed = f"{digits}.{european.group(2)}"
        return f"'{text}': use '.' as the decimal mark and no thousands separators: {fixed}"
    return None


_NO_RATE = re.compile(r"no exchange rate for (?P<currency>\w+) in (?P<month>\d{4}-\d{2}).*")


def _advice(message: str) -> str:
    """A rule's message, said for someone filling in a spreadsheet."""
    missing = _NO_RATE.fullmatch(message)
    if missing:
        currency, month = missing.group("currency"), missing.group("month")
        return (
            f"no exchange rate for {currency} in {month}: add the {currency} rate for {month} "
            f"(an exchange-rates sheet with the row {currency}, {month} and the euros per {currency}; "
            "template: exchange-rates), import it, then this file again"
        )
    return message


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _message(error: Any) -> str:
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if error.get("type") == "missing":
        return "a value is required"
    return msg
