"""What must hold after the load: the database read with plain SQL (not the API) against the request log."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from benchmarks.load_scenarios import CENT, CLIENT_TIMEOUT_S, EXPECTED, READ_STATUSES, Call

# -- reading the database -------------------------------------------------------------------------------


class Store:
    """Reads the database with plain SQL. SQLite keeps money as integer cents, PostgreSQL as NUMERIC."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_engine(database_url, poolclass=NullPool)
        self.sqlite = self.engine.dialect.name == "sqlite"

    def money(self, value: Any) -> Decimal:
        if value is None:
            return Decimal("0.00")
        if self.sqlite:
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)

    def rows(self, sql: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql)))

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass
class Snapshot:
    max_ids: dict[str, int]
    receipt_sums: dict[int, Decimal]


def snapshot(store: Store) -> Snapshot:
    max_ids = {
        table: int(store.rows(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0])  # noqa: S608 - fixed names
        for table in ("project", "pledge", "receipt", "audit_entry", "document")
    }
    sums = {
        int(r[0]): store.money(r[1])
        for r in store.rows("SELECT pledge_id, SUM(amount) FROM receipt GROUP BY 1")
    }
    return Snapshot(max_ids, sums)


# -- the checks -------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.failures.append(reason)


def _sample(items: list[Any], n: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:n])
    return shown + (f" … ({len(items)} in all)" if len(items) > n else "")


OUTAGE_GRACE_S = 5.0  # after the restart command returns, the app has this long to reconnect


def check(
    calls: list[Call], store: Store, before: Snapshot, fault: str, outage: tuple[float, float] | None = None
) -> Verdict:
    """``outage``: while PostgreSQL was being restarted (seconds since the start): 503s are expected then."""
    verdict = Verdict()
    answered = [c for c in calls if c.status is not None]
    errors_5xx = [c for c in answered if c.status is not None and c.status >= 500]
    timeouts = [c for c in calls if c.error.startswith("timeout")]
    dropped = [c for c in calls if c.error.startswith("connection")]
    only_503 = all(c.status == 503 for c in errors_5xx)

    def during_outage(c: Call) -> bool:
        return (
            outage is not None
            and c.started <= outage[1] + OUTAGE_GRACE_S
            and c.started + c.latency >= outage[0]
        )

    expected = [c for c in errors_5xx if c.status == 503 and during_outage(c)]
    unexpected = [c for c in errors_5xx if c not in expected]
    if unexpected:
        by = Counter(f"{c.op} {c.status}" for c in unexpected)
        where = " outside the database outage" if outage is not None else ""
        verdict.fail(f"{len(unexpected)} responses{where} were 5xx: {dict(by)}")
    if outage is not None:
        verdict.numbers["expected_503_during_outage"] = len(expected)
    not_problem = [c for c in errors_5xx if not c.content_type.startswith("application/problem+json")]
    if not_problem:
        verdict.fail(f"{len(not_problem)} 5xx responses were not problem+json")
    no_retry = [c for c in errors_5xx if c.status == 503 and not c.retry_after]
    if no_retry:
        verdict.fail(f"{len(no_retry)} 503 responses had no Retry-After")
    if timeouts:
        verdict.fail(f"{len(timeouts)} requests got no answer within {CLIENT_TIMEOUT_S:.0f} s (a hang)")
    if dropped and fault != "kill-worker":
        verdict.fail(f"{len(dropped)} requests lost their connection without a fault being injected")
    verdict.numbers["connection_errors"] = len(dropped)
    verdict.numbers["only_503_among_5xx"] = only_503

    surprising = [
        c
        for c in answered
        if c.status is not None and c.status < 500 and c.status not in EXPECTED.get(c.op, READ_STATUSES)
    ]
    if surprising:
        by = Counter(f"{c.op} {c.status}" for c in surprising)
        verdict.fail(f"{len(surprising)} unexpected answers: {dict(by)}; e.g. {_sample(surprising, 2)}")

    # Writes the server acknowledged, and writes whose answer never came (they may or may not have happened).
    acked = [c for c in calls if c.wrote is not None]
    in_doubt = [c for c in calls if c.status is None and c.method != "GET" and c.sent is not None]
    verdict.numbers["acknowledged_writes"] = len(acked)
    verdict.numbers["writes_in_doubt"] = len(in_doubt)

    # Refused on purpose and yet written?
    for intent, refusal in (("stale", 412), ("over", 409)):
        meant = [c for c in answered if c.intent == intent]
        wrong = [c for c in meant if c.status is not None and 200 <= c.status < 300]
        verdict.numbers[f"{intent}_requests"] = len(meant)
        verdict.numbers[f"{intent}_refused_{refusal}"] = sum(c.status == refusal for c in meant)
        if intent == "stale" and wrong:
            verdict.fail(
                f"{len(wrong)} PATCH/transitions with a stale If-Match were accepted: {_sample(wrong)}"
            )
        if intent == "over" and wrong:
            verdict.notes.append(
                f"{len(wrong)} deliberately over-receiving receipts were accepted (the pledge grew "
                "meanwhile); the stored sums are checked below"
            )

    pledges: dict[int, tuple[Any, ...]] = {
        int(r[0]): (store.money(r[1]), int(r[2]), str(r[3]), str(r[4]))
        for r in store.rows("SELECT id, amount, version, note, status FROM pledge")
    }
    receipts = {
        int(r[0]): (int(r[1]), store.money(r[2]), str(r[3]))
        for r in store.rows("SELECT id, pledge_id, amount, received_on FROM receipt")
    }
    projects: dict[int, tuple[Any, ...]] = {
        int(r[0]): (int(r[1]), str(r[2]), str(r[3]), str(r[4]))
        for r in store.rows("SELECT id, version, title, description, status FROM project")
    }
    sums: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for pledge_id, amount, _ in receipts.values():
        sums[pledge_id] += amount

    # 1. No pledge over-received.
    over = [pid for pid, (amount, *_rest) in pledges.items() if sums[pid] > amount]
    if over:
        verdict.fail(f"{len(over)} pledges hold more receipts than their amount: {_sample(over)}")

    # 2. Every acknowledged receipt stored once, as acknowledged; nothing stored that nobody wrote.
    acked_receipts = {c.wrote["id"]: c.wrote for c in acked if c.wrote and c.wrote["entity"] == "receipt"}
    missing = [rid for rid in acked_receipts if rid not in receipts]
    if missing:
        verdict.fail(f"{len(missing)} acknowledged receipts are not stored: {_sample(missing)}")
    wrong_amount = [
        rid
        for rid, w in acked_receipts.items()
        if rid in receipts and (receipts[rid][0], receipts[rid][1]) != (w["pledge_id"], Decimal(w["amount"]))
    ]
    if wrong_amount:
        verdict.fail(
            f"{len(wrong_amount)} stored receipts differ from what was acknowledged: {_sample(wrong_amount)}"
        )
    doubtful_receipts = Counter(
        (c.sent["pledge_id"], Decimal(c.sent["amount"]), c.sent["received_on"])
        for c in in_doubt
        if c.op.startswith("add_receipt") and c.sent
    )
    new_receipts = [rid for rid in receipts if rid > before.max_ids["receipt"]]
    phantom, matched_doubt = [], 0
    for rid in new_receipts:
        if rid in acked_receipts:
            continue
        key = (receipts[rid][0], receipts[rid][1], receipts[rid][2])
        if doubtful_receipts[key] > 0:
            doubtful_receipts[key] -= 1
            matched_doubt += 1
        else:
            phantom.append(rid)
    if phantom:
        # A receipt whose request was answered with an error (a 503: "retry") and yet stored is worse
        # than a stray one: a client that retries, as told, pays twice.
        failed = Counter(
            (c.sent["pledge_id"], Decimal(c.sent["amount"]), c.sent["received_on"])
            for c in answered
            if c.op.startswith("add_receipt") and c.sent and c.status is not None and c.status >= 300
        )
        despite = [
            rid for rid in phantom if failed[(receipts[rid][0], receipts[rid][1], receipts[rid][2])] > 0
        ]
        if despite:
            verdict.fail(
                f"{len(despite)} receipts are stored although their request was answered with an error: "
                f"{_sample(despite)}"
            )
        if len(despite) < len(phantom):
            others = [rid for rid in phantom if rid not in despite]
            verdict.fail(f"{len(others)} receipts are stored that no request wrote: {_sample(others)}")
    verdict.numbers["receipts_acknowledged"] = len(acked_receipts)
    verdict.numbers["receipts_in_doubt_found_stored"] = matched_doubt

    # 3. For every pledge with acknowledged receipts: the stored sum grew by exactly those amounts.
    grew: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for w in acked_receipts.values():
        grew[w["pledge_id"]] += Decimal(w["amount"])
    for rid in new_receipts:
        if rid not in acked_receipts and rid not in phantom:
            grew[receipts[rid][0]] += receipts[rid][1]
    sum_wrong = [
        pid
        for pid, amount in grew.items()
        if sums[pid] - before.receipt_sums.get(pid, Decimal("0.00")) != amount
    ]
    if sum_wrong:
        verdict.fail(
            f"{len(sum_wrong)} pledges' stored receipts do not add up to what was acknowledged: "
            f"{_sample(sum_wrong)}"
        )
    verdict.numbers["pledges_with_acknowledged_receipts"] = len(grew)

    # 4. Pledges and projects: every acknowledged new one stored, nothing new that no request created, and
    # the last acknowledged version of each reflected.
    for entity, table in (("pledge", pledges), ("project", projects)):
        latest: dict[int, dict[str, Any]] = {}
        for c in acked:
            wrote = c.wrote
            if (
                wrote is not None
                and wrote["entity"] == entity
                and (wrote["id"] not in latest or wrote["version"] >= latest[wrote["id"]]["version"])
            ):
                latest[wrote["id"]] = wrote
        created = {c.wrote["id"] for c in acked if c.wrote and c.op == f"create_{entity}"}
        lost = sorted(i for i in created if i not in table)
        if lost:
            verdict.fail(f"{len(lost)} acknowledged new {entity}s are not stored: {_sample(lost)}")
        # A create whose answer was lost may have happened: it is then stored with the marker it carried.
        doubtful_creates = {c.marker for c in in_doubt if c.op == f"create_{entity}"}
        new = [i for i in table if i > before.max_ids[entity] and i not in created]
        unexplained = [i for i in new if table[i][2] not in doubtful_creates]  # the note / the description
        if unexplained:
            verdict.fail(
                f"{len(unexplained)} {entity}s are stored that no request created: {_sample(unexplained)}"
            )
        verdict.numbers[f"{entity}s_created_in_doubt_found_stored"] = len(new) - len(unexplained)
        # Records a write in doubt may have changed after their last acknowledged version.
        touched_in_doubt = {c.sent.get(f"{entity}_id") for c in in_doubt if c.sent is not None}
        behind: list[int] = []
        differs: list[Any] = []
        for i, w in latest.items():
            if i not in table:
                continue
            stored = table[i]
            if entity == "pledge":
                version = stored[1]
                values: dict[str, Any] = {"amount": stored[0], "note": stored[2], "status": stored[3]}
                want: dict[str, Any] = {
                    "amount": Decimal(w["amount"]),
                    "note": w["note"],
                    "status": w["status"],
                }
            else:
                version = stored[0]
                values = {"title": stored[1], "description": stored[2], "status": stored[3]}
                want = {"title": w["title"], "description": w["description"], "status": w["status"]}
            if version < w["version"]:
                behind.append(i)
            elif version == w["version"] and values != want:
                differs.append((i, want, values))
            elif version > w["version"] and i not in touched_in_doubt:
                if entity == "project":
                    # Only the writes of this script move a project's version: one that was not acknowledged?
                    differs.append((i, f"stored version {version} > last acknowledged {w['version']}"))
                elif values["amount"] != want["amount"] or values["note"] != want["note"]:
                    # A pledge's later versions come from receipts, which change neither amount nor note.
                    differs.append((i, want, values))
        if behind:
            verdict.fail(
                f"{len(behind)} {entity}s are stored at a version older than acknowledged: {_sample(behind)}"
            )
        if differs:
            verdict.fail(
                f"{len(differs)} {entity}s differ from their last acknowledged version: {_sample(differs, 3)}"
            )
        verdict.numbers[f"{entity}s_written_and_checked"] = len(latest)

    # 5. Refused writes (412, 409, …) left no trace; every acknowledged change is in the audit trail.
    audit_text = "\n".join(
        str(r[0])
        for r in store.rows(f"SELECT changes FROM audit_entry WHERE id > {before.max_ids['audit_entry']}")  # noqa: S608
    )
    stored_text = "\n".join(
        [p[2] for p in pledges.values()]
        + [p[2] for p in projects.values()]
        + [p[1] for p in projects.values()]
    )
    refused = [c for c in answered if c.marker and c.status is not None and c.status >= 300]
    leaked = [c for c in refused if c.marker in audit_text or c.marker in stored_text]
    if leaked:
        by = Counter(f"{c.op} {c.status}" for c in leaked)
        verdict.fail(f"{len(leaked)} refused writes left a trace in the database: {dict(by)}")
    unaudited = [c for c in acked if c.marker and c.marker not in audit_text]
    if unaudited:
        verdict.fail(
            f"{len(unaudited)} acknowledged writes are missing from the audit trail: {_sample(unaudited, 2)}"
        )
    verdict.numbers["refused_writes_checked"] = len(refused)

    # 6. Documents: every acknowledged upload stored once, with the size and sha256 acknowledged, its chunks
    # adding up to it; no chunk without its document; every download the bytes uploaded.
    documents = {
        int(r[0]): (int(r[1]), str(r[2]), str(r[3]))
        for r in store.rows(
            f"SELECT id, size, sha256, title FROM document WHERE id > {before.max_ids['document']}"  # noqa: S608 - an integer
        )
    }
    chunked = {
        int(r[0]): int(r[1])
        for r in store.rows("SELECT document_id, SUM(LENGTH(data)) FROM document_chunk GROUP BY document_id")
    }
    acked_documents = {c.wrote["id"]: c for c in acked if c.wrote and c.wrote["entity"] == "document"}
    lost_docs = [i for i in acked_documents if i not in documents]
    if lost_docs:
        verdict.fail(f"{len(lost_docs)} acknowledged uploads are not stored: {_sample(lost_docs)}")
    altered = [
        i
        for i, c in acked_documents.items()
        if i in documents
        and (
            documents[i][:2] != (c.wrote["size"], c.wrote["sha256"])  # type: ignore[index]
            or chunked.get(i) != documents[i][0]
        )
    ]
    if altered:
        verdict.fail(
            f"{len(altered)} stored documents differ from the upload acknowledged: {_sample(altered)}"
        )
    doubtful_docs = {c.marker for c in in_doubt if c.op == "upload_document"}
    strays = [
        i
        for i in documents
        if i not in acked_documents and not any(m in documents[i][2] for m in doubtful_docs)
    ]
    if strays:
        verdict.fail(
            f"{len(strays)} documents are stored that no acknowledged upload wrote: {_sample(strays)}"
        )
    orphans = int(
        store.rows(
            "SELECT COUNT(*) FROM document_chunk c"
            " WHERE NOT EXISTS (SELECT 1 FROM document d WHERE d.id = c.document_id)"
        )[0][0]
    )
    if orphans:
        verdict.fail(f"{orphans} stored chunks belong to no document")
    bad_downloads = [c for c in calls if c.op == "download_document" and c.error.startswith("download")]
    if bad_downloads:
        verdict.fail(
            f"{len(bad_downloads)} downloads did not match their upload: {_sample(bad_downloads, 2)}"
        )
    verdict.numbers["documents_uploaded_and_checked"] = len(acked_documents)
    verdict.numbers["document_downloads_checked"] = sum(
        c.op == "download_document" and c.status == 200 for c in calls
    )
    verdict.numbers["orphan_chunks"] = orphans
    return verdict
