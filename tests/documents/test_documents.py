"""Documents through the API: each accepted type judged from its content, what is refused and how, the
SHA-256 kept and checked on every download, the download's headers, who sees which, deleting and purging,
and the audit trail."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from portfolio.documents import service as documents_service
from portfolio.documents.models import Document, DocumentChunk
from portfolio.documents.service import CHUNK_SIZE
from portfolio.security import create_token
from portfolio.users.models import User
from tests.conftest import Account
from tests.factories import PASSWORD, assert_problem, make_pledge, make_project, ok

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20) + b"\xff\xd9"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/word/document.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        b"</Types>"
    )
    return _zip({"[Content_Types].xml": types, "word/document.xml": b"<w:document/>"})


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["site", "tonnes"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odf_bytes(media_type: str) -> bytes:
    return _zip({"mimetype": media_type.encode(), "content.xml": b"<office:document-content/>"})


ACCEPTED = [
    ("report.pdf", PDF_BYTES, "application/pdf", "report.pdf"),
    ("photo.png", PNG_BYTES, "image/png", "photo.png"),
    ("depot.jpeg", JPEG_BYTES, "image/jpeg", "depot.jpg"),
    ("minutes.docx", docx_bytes(), DOCX, "minutes.docx"),
    ("budget.xlsx", xlsx_bytes(), XLSX, "budget.xlsx"),
    ("note.odt", odf_bytes(ODT), ODT, "note.odt"),
    ("figures.ods", odf_bytes(ODS), ODS, "figures.ods"),
]


def upload(
    client: TestClient,
    owner: int,
    data: bytes = PDF_BYTES,
    filename: str = "report.pdf",
    headers: dict[str, str] | None = None,
    declared: str = "application/octet-stream",
    **form: Any,
) -> Any:
    fields = {
        "owner_type": "project",
        "owner_id": str(owner),
        "category": "A07",
        "title": "Mid-term review",
    }
    fields |= {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()}
    return client.post(
        "/api/v1/documents", data=fields, files={"file": (filename, data, declared)}, headers=headers or {}
    )


def count(db: Any, model: Any) -> int:
    with db.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def project(client: TestClient) -> dict[str, Any]:
    return make_project(client)


@pytest.mark.parametrize(("filename", "data", "media_type", "stored_as"), ACCEPTED)
def test_each_accepted_type_is_stored_and_served_back_byte_for_byte(
    client, project, filename, data, media_type, stored_as
):
    created = ok(upload(client, project["id"], data, filename), 201)
    assert (created["media_type"], created["filename"], created["size"]) == (media_type, stored_as, len(data))
    assert created["sha256"] == hashlib.sha256(data).hexdigest()
    got = client.get(f"/api/v1/documents/{created['id']}/content")
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"].split(";")[0] == media_type


def test_a_pdf_renamed_docx_and_declared_as_word_is_stored_as_the_pdf_it_is(client, project):
    created = ok(upload(client, project["id"], PDF_BYTES, "report.docx", declared=DOCX), 201)
    assert (created["media_type"], created["filename"]) == ("application/pdf", "report.pdf")
    got = client.get(f"/api/v1/documents/{created['id']}/content")
    assert got.headers["content-type"] == "application/pdf"
    assert 'filename="report.pdf"' in got.headers["content-disposition"]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("notes.pdf", b"just some text, named as a PDF"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("archive.docx", _zip({"readme.txt": b"a zip that is no office document"})),
        (
            "macro.docx",
            _zip(
                {
                    "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.ms-word.'
                    b'document.macroEnabled.main+xml"/></Types>'
                }
            ),
        ),
        ("broken.xlsx", b"PK\x03\x04 but no archive after the signature"),
        ("empty.pdf", b""),
    ],
)
def test_content_of_any_other_type_is_refused_415_and_nothing_is_kept(client, db, project, filename, data):
    problem = assert_problem(upload(client, project["id"], data, filename, declared="application/pdf"), 415)
    assert "PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG" in problem["detail"]
    assert count(db, Document) == 0
    assert count(db, DocumentChunk) == 0


def test_a_file_over_the_limit_is_413_and_one_at_the_limit_is_taken(app, client, db, project):
    app.state.settings = app.state.settings.model_copy(update={"document_max_bytes": 1000})
    at_limit = PDF_BYTES + b"%" * (1000 - len(PDF_BYTES))
    ok(upload(client, project["id"], at_limit), 201)
    problem = assert_problem(upload(client, project["id"], at_limit + b"x"), 413)
    assert "1000 bytes" in problem["detail"]
    far_over = assert_problem(upload(client, project["id"], at_limit * 200), 413)  # refused before reading
    assert far_over["type"] == "/problems/payload-too-large"
    assert count(db, Document) == 1


def test_a_large_file_is_kept_in_chunks_and_streamed_back_whole(client, db, project):
    data = PDF_BYTES + bytes(range(256)) * (3 * CHUNK_SIZE // 256 + 7)
    created = ok(upload(client, project["id"], data), 201)
    with db.session() as session:
        sizes = (
            session.execute(
                select(func.length(DocumentChunk.data))
                .where(DocumentChunk.document_id == created["id"])
                .order_by(DocumentChunk.seq)
            )
            .scalars()
            .all()
        )
    assert sizes[:3] == [CHUNK_SIZE] * 3 and sum(sizes) == len(data) and len(sizes) == 4
    got = client.get(f"/api/v1/documents/{created['id']}/content")
    assert got.content == data
    assert got.headers["content-length"] == str(len(data))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "Z99"),
        ("category", ""),
        ("owner_type", "pledge"),
        ("owner_id", "not-a-number"),
        ("language", "english"),
        ("title", ""),
        ("title", "bell\x07"),
        ("shared_with_donor", "perhaps"),
    ],
)
def test_bad_form_fields_are_422_naming_the_field(client, db, project, field, value):
    assert_problem(upload(client, project["id"], **{field: value}), 422, ["body", field])
    assert count(db, Document) == 0


@pytest.mark.parametrize(
    ("owner_type", "message"),
    [
        ("project", "no such project"),
        ("indicator", "no such indicator"),
        ("national_process", "no such national process"),
        ("agreement", "no such agreement"),
        ("obligation", "no such obligation"),
    ],
)
def test_an_owner_that_does_not_exist_is_422_on_owner_id(client, db, owner_type, message):
    problem = assert_problem(upload(client, 999999, owner_type=owner_type), 422, ["body", "owner_id"])
    assert message in problem["errors"][0]["msg"]
    assert count(db, Document) == 0


def test_documents_of_indicators_and_national_processes_are_listed_by_owner(client, project):
    indicator = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/indicators",
            json={"name": "Sites", "unit": "sites", "target": "3"},
        ),
        201,
    )
    process = ok(
        client.post(
            "/api/v1/national-processes", json={"state": "SRB", "name": "Commission", "kind": "structure"}
        ),
        201,
    )
    on_indicator = ok(upload(client, indicator["id"], owner_type="indicator"), 201)
    on_process = ok(upload(client, process["id"], owner_type="national_process", category="A09"), 201)
    ok(upload(client, project["id"]), 201)
    listed = ok(
        client.get("/api/v1/documents", params={"owner_type": "indicator", "owner_id": indicator["id"]})
    )
    assert [d["id"] for d in listed["items"]] == [on_indicator["id"]]
    listed = ok(client.get("/api/v1/documents", params={"owner_type": "national_process"}))
    assert [(d["id"], d["category"]) for d in listed["items"]] == [(on_process["id"], "A09")]
    assert ok(client.get("/api/v1/documents"))["total"] == 3


def corrupt(db: Any, document_id: int, seq: int = 0) -> None:
    with db.session(write=True) as session:
        session.execute(
            update(DocumentChunk)
            .where(DocumentChunk.document_id == document_id, DocumentChunk.seq == seq)
            .values(data=b"%PDF-1.4 tampered")
        )


def test_bytes_that_no_longer_match_their_sha256_are_refused_with_a_problem_saying_so(client, db, project):
    data = PDF_BYTES + bytes(2 * CHUNK_SIZE)
    created = ok(upload(client, project["id"], data), 201)
    corrupt(db, created["id"], seq=1)  # a chunk half-way: found before a byte is sent
    problem = assert_problem(client.get(f"/api/v1/documents/{created['id']}/content"), 409)
    assert problem["type"] == "/problems/document-damaged"
    assert "no longer match their SHA-256" in problem["detail"]
    assert created["sha256"] in problem["detail"]


def test_a_missing_chunk_is_refused_as_damaged(client, db, project):
    created = ok(upload(client, project["id"], PDF_BYTES + bytes(CHUNK_SIZE)), 201)
    with db.session(write=True) as session:
        session.execute(
            DocumentChunk.__table__.delete().where(DocumentChunk.__table__.c.seq == 1)  # type: ignore[attr-defined]
        )
    assert_problem(client.get(f"/api/v1/documents/{created['id']}/content"), 409)


@pytest.mark.parametrize(
    ("uploaded", "ascii_name", "exact"),
    [
        ('say "hello".pdf', "say _hello.pdf", "say%20_hello.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\Доклад о ходе работ.pdf", "document.pdf", None),
        ("Évaluation à mi-parcours.pdf", "Evaluation a mi-parcours.pdf", None),
        ("evil\r\nSet-Cookie: x=1.pdf", "evil_Set-Cookie_ x_1.pdf", None),
        ("....pdf", "document.pdf", "document.pdf"),
    ],
)
def test_downloads_are_attachments_under_a_safe_name(client, project, uploaded, ascii_name, exact):
    created = ok(upload(client, project["id"], PDF_BYTES, uploaded), 201)
    got = client.get(f"/api/v1/documents/{created['id']}/content")
    assert got.status_code == 200
    disposition = got.headers["content-disposition"]
    assert disposition.startswith(f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''")
    assert (
        "/" not in created["filename"] and "\\" not in created["filename"] and '"' not in created["filename"]
    )
    if exact is not None:
        assert disposition.endswith(f"''{exact}")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-type"] == "application/pdf"
    assert "sandbox" in got.headers["content-security-policy"]


def test_a_non_ascii_name_is_kept_exactly_in_filename_star(client, project):
    created = ok(upload(client, project["id"], PDF_BYTES, "Доклад.pdf"), 201)
    assert created["filename"] == "Доклад.pdf"
    disposition = client.get(f"/api/v1/documents/{created['id']}/content").headers["content-disposition"]
    assert disposition.endswith("''%D0%94%D0%BE%D0%BA%D0%BB%D0%B0%D0%B4.pdf")


@pytest.fixture
def norway(app: Any) -> Account:
    """A second donor account, speaking for Norway."""
    state = app.state
    with state.db.session(write=True) as session:
        user = User(
            email="donor.nor@test.example.org",
            full_name="Test donor NOR",
            role="donor",
            state="NOR",
            password_hash=state.hasher.hash(PASSWORD),
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        token = create_token(state.secret_key, user.id, user.token_version, timedelta(hours=1))
        return Account(user.id, user.email, "donor", "NOR", token)


def test_a_donor_reads_shared_documents_of_projects_it_funds_and_nothing_else(client, accounts, norway):
    funded = make_project(client)
    make_pledge(client, funded["id"], donor="DEU")
    others = make_project(client)
    make_pledge(client, others["id"], donor="NOR")
    withdrawn = make_project(client)
    taken_back = make_pledge(client, withdrawn["id"], donor="DEU")
    ok(client.patch(f"/api/v1/pledges/{taken_back['id']}", json={"status": "withdrawn"}))
    shared = ok(upload(client, funded["id"], shared_with_donor=True), 201)
    internal = ok(upload(client, funded["id"]), 201)
    norways = ok(upload(client, others["id"], shared_with_donor=True), 201)
    gone = ok(upload(client, withdrawn["id"], shared_with_donor=True), 201)
    germany = accounts["donor"].headers

    listed = ok(client.get("/api/v1/documents", headers=germany))
    assert [d["id"] for d in listed["items"]] == [shared["id"]]
    assert ok(client.get(f"/api/v1/documents/{shared['id']}", headers=germany))["title"] == "Mid-term review"
    assert client.get(f"/api/v1/documents/{shared['id']}/content", headers=germany).content == PDF_BYTES
    for hidden in (internal, norways, gone):
        assert_problem(client.get(f"/api/v1/documents/{hidden['id']}", headers=germany), 404)
        assert_problem(client.get(f"/api/v1/documents/{hidden['id']}/content", headers=germany), 404)
    listed = ok(client.get("/api/v1/documents", headers=norway.headers))
    assert [d["id"] for d in listed["items"]] == [norways["id"]]
    manager = ok(client.get("/api/v1/documents", headers=accounts["manager"].headers))
    assert manager["total"] == 4


def test_a_donor_reads_every_document_of_its_own_agreements_and_reports_and_none_of_anothers(
    client, accounts, norway
):
    project = make_project(client)
    documents = {}
    for donor in ("DEU", "NOR"):
        pledge = make_pledge(client, project["id"], donor=donor)
        body = {"reference": f"CA-{donor}", "signed_on": "2024-04-01"}
        agreement = ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=body), 201)
        due = {"agreement_id": agreement["id"], "kind": "other", "due_on": "2024-09-30"}
        obligation = ok(client.post("/api/v1/obligations", json=due), 201)
        # Not marked shared: an agreement's and a report's papers are the donor's own anyway.
        documents[donor] = [
            ok(upload(client, agreement["id"], owner_type="agreement"), 201),
            ok(upload(client, obligation["id"], owner_type="obligation"), 201),
        ]
    germany = accounts["donor"].headers
    listed = ok(client.get("/api/v1/documents", headers=germany))
    assert sorted(d["id"] for d in listed["items"]) == sorted(d["id"] for d in documents["DEU"])
    for own in documents["DEU"]:
        assert client.get(f"/api/v1/documents/{own['id']}/content", headers=germany).content == PDF_BYTES
    for theirs in documents["NOR"]:
        assert_problem(client.get(f"/api/v1/documents/{theirs['id']}", headers=germany), 404)
        assert_problem(client.get(f"/api/v1/documents/{theirs['id']}/content", headers=germany), 404)
        assert (
            client.get(f"/api/v1/documents/{theirs['id']}/content", headers=norway.headers).status_code == 200
        )


def test_donors_and_managers_may_not_upload_change_or_delete(client, accounts, project):
    created = ok(upload(client, project["id"]), 201)
    for role in ("donor", "manager"):
        headers = accounts[role].headers
        assert_problem(upload(client, project["id"], headers=headers), 403)
        assert_problem(
            client.patch(f"/api/v1/documents/{created['id']}", json={"title": "x"}, headers=headers), 403
        )
        assert_problem(client.delete(f"/api/v1/documents/{created['id']}", headers=headers), 403)


def audit_of(client: TestClient, document_id: int) -> list[dict[str, Any]]:
    entries = ok(client.get("/api/v1/audit", params={"entity": "document", "entity_id": document_id}))[
        "items"
    ]
    return list(reversed(entries))


def test_upload_change_and_a_donors_download_are_audited(client, accounts, project):
    make_pledge(client, project["id"], donor="DEU")
    created = ok(upload(client, project["id"], shared_with_donor=True), 201)
    changed = client.patch(
        f"/api/v1/documents/{created['id']}",
        json={"title": "Final evaluation", "category": "a07"},
        headers={"If-Match": f'"{created["version"]}"'},
    )
    assert ok(changed)["title"] == "Final evaluation"
    assert changed.headers["etag"] == '"2"'
    stale = client.patch(
        f"/api/v1/documents/{created['id']}", json={"title": "Again"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    client.get(f"/api/v1/documents/{created['id']}/content")  # staff's own reads are not recorded
    client.get(f"/api/v1/documents/{created['id']}/content", headers=accounts["donor"].headers)
    trail = audit_of(client, created["id"])
    assert [e["action"] for e in trail] == ["create", "update", "download"]
    assert trail[0]["changes"]["sha256"] == [None, created["sha256"]]
    assert trail[0]["project_id"] == project["id"]
    assert trail[1]["changes"] == {"title": ["Mid-term review", "Final evaluation"]}
    assert trail[2]["user_id"] == accounts["donor"].id


def test_deleting_hides_a_document_and_an_admin_purges_it_with_its_bytes(client, accounts, db, project):
    created = ok(upload(client, project["id"]), 201)
    url = f"/api/v1/documents/{created['id']}"
    assert_problem(client.delete(url, params={"purge": "true"}), 403)  # staff may not purge
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert_problem(client.get(f"{url}/content"), 404)
    assert ok(client.get("/api/v1/documents"))["total"] == 0
    assert_problem(client.delete(url), 404)
    assert count(db, Document) == 1 and count(db, DocumentChunk) == 1  # kept, bytes and all
    admin = accounts["admin"].headers
    assert client.delete(url, params={"purge": "true"}, headers=admin).status_code == 204
    assert count(db, Document) == 0 and count(db, DocumentChunk) == 0
    assert_problem(client.delete(url, params={"purge": "true"}, headers=admin), 404)
    assert [e["action"] for e in audit_of(client, created["id"])] == ["create", "delete", "delete"]


def test_an_upload_cut_off_half_way_leaves_no_document_and_no_bytes(client, db, project):
    boundary = "cutoff"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="owner_type"\r\n\r\nproject\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="owner_id"\r\n\r\n{project["id"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nA07\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nCut\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body = head + PDF_BYTES + bytes(CHUNK_SIZE)  # no closing boundary: the client went away
    response = client.post(
        "/api/v1/documents",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert 400 <= response.status_code < 500
    assert count(db, Document) == 0 and count(db, DocumentChunk) == 0


def test_bytes_that_change_after_the_check_cut_the_download_short_before_its_last_chunk(client, db, project):
    """The check runs before the response starts; should the bytes change between the check and the
    sending, the stream hashes them again and withholds the last chunk, so the client never holds a
    complete file that is not the one uploaded."""
    data = PDF_BYTES + bytes(3 * CHUNK_SIZE)
    created = ok(upload(client, project["id"], data), 201)
    with db.session() as session:
        stored = documents_service.stored(session.get(Document, created["id"]))
    corrupt(db, created["id"], seq=1)
    sent: list[bytes] = []
    blocks = documents_service.stream(db, stored)
    with pytest.raises(documents_service.StreamBroken):
        sent.extend(blocks)
    assert sent and sum(map(len, sent)) < len(data)
