"""Workbooks that unpack to far more than they weigh ("zip bombs") are refused before they are parsed:
by the archive's directory (the total unpacked, each part's packing ratio) and by each sheet's declared
``<dimension>``, read from the first bytes of the sheet; a sheet that understates its extent is cut off
as its rows stream. On the import API (413, a problem document naming the file and the reason) and on
the import page (413, the reason beside the file field)."""

from __future__ import annotations

import io
import resource
import time
import zipfile
from collections.abc import Iterable, Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from portfolio.transfer import sheets
from portfolio.transfer.kinds import Kind
from portfolio.transfer.sheets import SpreadsheetTooLarge, read_table
from tests.factories import assert_problem
from tests.transfer.test_web_imports import check, staff  # noqa: F401 - the page's logged-in client

HEADER = ["code", "title", "beneficiaries", "request_date", "budget_eur", "areas"]
MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
XMLNS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _parts() -> dict[str, bytes]:
    """The parts of a real one-sheet workbook named ``projects`` (openpyxl writes them)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "projects"
    sheet.append(HEADER)
    out = io.BytesIO()
    workbook.save(out)
    with zipfile.ZipFile(out) as archive:
        return {part.filename: archive.read(part) for part in archive.infolist()}


def workbook(sheet_xml: Iterable[bytes]) -> bytes:
    """A workbook whose sheet is ``sheet_xml``, streamed into the archive (never whole in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in _parts().items():
            if name != SHEET:
                archive.writestr(name, data)
                continue
            with archive.open(name, "w", force_zip64=True) as sheet:
                for piece in sheet_xml:
                    sheet.write(piece)
    return out.getvalue()


def _cell(text: str) -> bytes:
    return b'<c t="inlineStr"><is><t>%s</t></is></c>' % text.encode()


def sheet_xml(rows: Iterable[bytes], dimension: str | None = None) -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>' + XMLNS
    if dimension:
        yield b'<dimension ref="%s"/>' % dimension.encode()
    yield b"<sheetData><row>" + b"".join(_cell(h) for h in HEADER) + b"</row>"
    yield from rows
    yield b"</sheetData></worksheet>"


def same_rows(unpacked: int) -> Iterator[bytes]:
    """Rows of one cell, all alike: ``unpacked`` bytes of XML that pack some 300 to 1."""
    block = b"<row>" + _cell("X") + b"</row>"
    block *= 4096
    for _ in range(unpacked // len(block) + 1):
        yield block


def distinct_rows(count: int) -> Iterator[bytes]:
    for n in range(count):
        yield b"<row>" + _cell(f"BOMB-{n}") + _cell(f"Project {n}") + b"</row>"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the reader ----------------------------------------------------------------------------------------


def test_a_workbook_that_unpacks_past_the_limit_is_refused_unread():
    bomb = workbook(sheet_xml(same_rows(600 * MB)))  # the size of the bomb reported: 600 MB unpacked
    assert len(bomb) < 2 * MB
    peak, started = _peak_mb(), time.monotonic()
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(bomb, Kind.projects, "bomb.xlsx")
    assert time.monotonic() - started < 2
    assert _peak_mb() - peak < 20
    assert refused.value.status == 413
    assert "bomb.xlsx unpacks to 600" in refused.value.detail
    assert "100.0 MB" in refused.value.detail


def test_a_part_packed_far_tighter_than_data_is_refused_unread():
    bomb = workbook(sheet_xml(same_rows(20 * MB)))  # under the total, but packed some 300 to 1
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(bomb, Kind.projects, "tight.xlsx")
    assert "tight.xlsx is packed" in refused.value.detail
    assert SHEET in refused.value.detail


def test_a_sheet_declaring_a_huge_dimension_is_refused_unread():
    bomb = workbook(sheet_xml(distinct_rows(3), dimension="A1:XFD1048576"))
    assert len(bomb) < 10_000
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(bomb, Kind.projects, "wide.xlsx")
    assert "wide.xlsx" in refused.value.detail
    assert "17,179,869,184 cells (A1:XFD1048576)" in refused.value.detail


def test_a_sheet_that_understates_its_dimension_is_cut_off_as_it_streams(monkeypatch):
    monkeypatch.setattr(sheets, "CELLS_MAX", 1000)
    bomb = workbook(sheet_xml(distinct_rows(600), dimension="A1:F2"))
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(bomb, Kind.projects, "liar.xlsx")
    assert "liar.xlsx: the sheet 'projects' holds more than the 1,000 cells" in refused.value.detail


def test_a_legal_workbook_is_still_read_in_full():
    rows = (
        b"<row>"
        + b"".join(_cell(v) for v in (f"OK-{n}", f"Project {n}", "SRB", "2024-01-10", "1000.00", "SALW"))
        + b"</row>"
        for n in range(2000)
    )
    table = read_table(workbook(sheet_xml(rows, dimension="A1:F2001")), Kind.projects, "ok.xlsx")
    assert len(table.rows) == 2000
    assert table.rows[-1][1]["code"] == "OK-1999"


def test_many_formula_cells_are_each_reported_in_time():
    """Each formula cell is a row problem; finding whether a row has one no longer scans all before it."""
    rows = (
        b"<row>" + b"".join(b"<c><f>%d*%d</f><v>%d</v></c>" % (n, i, n * i) for i in range(6)) + b"</row>"
        for n in range(10_000)
    )
    started = time.monotonic()
    table = read_table(workbook(sheet_xml(rows)), Kind.projects, "formulas.xlsx")
    assert len(table.cell_problems) == 60_000 and len(table.rows) == 10_000
    assert time.monotonic() - started < 60


def test_a_file_of_more_rows_than_an_import_takes_is_refused_as_it_is_read():
    """330,000 short project rows fit every bound on the archive and the cells, and cost a worker two
    minutes and 1.8 GB before: an import reads 100,000 rows at most, CSV or XLSX, and says so."""
    assert sheets.ROWS_MAX == 100_000
    count = sheets.ROWS_MAX + 1
    started = time.monotonic()
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(workbook(sheet_xml(distinct_rows(count))), Kind.projects, "heavy.xlsx")
    assert refused.value.detail == (
        "heavy.xlsx: the sheet 'projects' holds more than the 100,000 rows an import reads. Split it into"
        " smaller files."
    )
    assert refused.value.status == 413
    csv = (
        ",".join(HEADER)
        + "\n"
        + "".join(f"CSV-{n},Project {n},SRB,2024-01-10,1000.00,SALW\n" for n in range(count))
    )
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(csv.encode(), Kind.projects, "heavy.csv")
    assert "holds more than the 100,000 rows" in refused.value.detail
    assert time.monotonic() - started < 120
    exactly = "".join(f"CSV-{n},Project {n},SRB,2024-01-10,1000.00,SALW\n" for n in range(sheets.ROWS_MAX))
    assert (
        len(read_table((",".join(HEADER) + "\n" + exactly).encode(), Kind.projects, "ok.csv").rows) == 100_000
    )


# -- over HTTP --------------------------------------------------------------------------------------


def test_the_import_api_refuses_a_bomb_with_a_413_naming_the_file(client: TestClient):
    bomb = workbook(sheet_xml(same_rows(300 * MB)))
    for dry_run in ("true", "false"):
        response = client.post(
            f"/api/v1/imports/projects?dry_run={dry_run}", files={"file": ("donors-2024.xlsx", bomb)}
        )
        body = assert_problem(response, 413, loc=["file"])
        assert body["detail"].startswith("donors-2024.xlsx unpacks to 300")
    wide = workbook(sheet_xml(distinct_rows(2), dimension="A1:ZZ999999"))
    response = client.post("/api/v1/imports/projects", files={"file": ("wide.xlsx", wide)})
    assert "declares" in assert_problem(response, 413)["detail"]
    assert client.get("/api/v1/projects").json()["total"] == 0


def test_the_import_page_shows_the_reason_beside_the_file(staff: TestClient):  # noqa: F811
    bomb = workbook(sheet_xml(same_rows(300 * MB)))
    page = check(staff, bomb, name="donors-2024.xlsx")
    assert page.status_code == 413
    assert 'id="f-file-error"' in page.text
    assert "donors-2024.xlsx unpacks to 300" in page.text
    wide = workbook(sheet_xml(distinct_rows(2), dimension="A1:XFD1048576"))
    page = check(staff, wide, name="wide.xlsx")
    assert page.status_code == 413
    assert "17,179,869,184 cells" in page.text
