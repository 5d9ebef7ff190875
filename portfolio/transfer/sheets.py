"""Reading and writing CSV and XLSX files: cells in, cells out, nothing about the records they hold.

Reading yields every data row as ``{column: text}`` with its spreadsheet row number (the header is
row 1). Writing neutralises every text cell that a spreadsheet would run as a formula (one that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) by prefixing an apostrophe; reading takes
that apostrophe off again, so an exported file imports back unchanged. Control characters other than
tab, LF and CR (and the two code points XML forbids, U+FFFE and U+FFFF) are left out of every written
cell: a workbook cannot hold them, and a record stored before the API refused them still exports.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from portfolio.errors import AppError, FieldError, ValidationFailed
from portfolio.schemas import CONTROL_CHARACTERS
from portfolio.transfer.copy import collector_paused
from portfolio.transfer.kinds import COLUMNS, EXPORT_ONLY, CodeList, Column, Kind

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class NotASpreadsheet(AppError):
    status = 415
    slug = "not-a-spreadsheet"
    title = "Not a spreadsheet"


class BadSpreadsheet(ValidationFailed):
    slug = "bad-spreadsheet"
    title = "The spreadsheet cannot be read"


# What a workbook may unpack to before a byte of it is parsed (a "zip bomb" of a few hundred KB can unpack
# to gigabytes, or declare a sheet of seventeen billion cells): openpyxl reads the shared strings whole and
# takes some 10-100 µs a cell, so the cells read bound the time and the memory of an import.
MB = 1024 * 1024
UNPACKED_MAX_BYTES = 100 * MB  # all its parts together (a 100,000-row pledges workbook: 45 MB)
PACKING_RATIO_MAX = 100  # unpacked / packed, of a part over 1 MB (XML packs about 10:1)
CELLS_MAX = 2_000_000  # a sheet's cells, as its <dimension> declares them and as read (100,000 rows × 20)
# The rows of data an import takes from one file, CSV or XLSX. Its rows and the records checked from them are
# held at once (some 5 KB a row): a file of short rows inside the bounds above could still hold 330,000 of
# them and cost a worker two minutes and 1.8 GB.
ROWS_MAX = 100_000
DIMENSION_READ_BYTES = 64 * 1024  # how far into a sheet's XML its <dimension> is looked for
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)\""
)


class SpreadsheetTooLarge(AppError):
    """A workbook that would unpack to more than an import reads: refused before it is parsed."""

    status = 413
    slug = "spreadsheet-too-large"
    title = "The workbook is too large once unpacked"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[FieldError(("file",), detail)])


class NotImportable(ValidationFailed):
    slug = "not-importable"
    title = "This kind is exported, not imported"

    def __init__(self, kind: Kind) -> None:
        why = WHY_EXPORT_ONLY.get(kind, "they are recorded through the API")
        super().__init__(
            f"{kind.value} are exported only: {why}.",
            errors=[FieldError(("path", "kind"), f"{kind.value} cannot be imported")],
        )


WHY_EXPORT_ONLY = {
    Kind.obligations: "a reporting obligation follows from its agreement's schedule (import the agreements) "
    "or is added through the API, and its status is recorded there",
    Kind.budget_lines: "a budget line and each revision of it, dated and with its reason, are recorded "
    "through the API (POST /api/v1/projects/{id}/budget-lines)",
}


def importable(kind: Kind) -> Kind:
    """``kind``, or a 422 when it is one that is only exported."""
    if kind in EXPORT_ONLY:
        raise NotImportable(kind)
    return kind


@dataclass
class Table:
    """The data rows of one sheet, as text, with the problems found while reading the cells."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    cell_problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, column, value, msg


def printable(text: str) -> str:
    """``text`` without the control characters (tab, LF and CR aside) that no spreadsheet can hold."""
    return CONTROL_CHARACTERS.sub("", text)


def formula_guard(text: str) -> str:
    """``text`` as a spreadsheet will show it, never run it: one more apostrophe before any that lead
    to a formula (the exports and the dashboards' CSV tables alike)."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def neutralise(text: str) -> str:
    """Text a spreadsheet will show, never run: without unwritable characters, formulas guarded."""
    return formula_guard(printable(text))


def _restore(text: str) -> str:
    """The text :func:`neutralise` was given."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text


# -- reading ----------------------------------------------------------------------------------


def read_table(data: bytes, kind: Kind, filename: str | None = None) -> Table:
    """Read a CSV or XLSX file (told apart by content, not by name) into a :class:`Table`; a kind that is
    only exported is refused before the file is looked at."""
    importable(kind)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, kind, filename or "The workbook")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotASpreadsheet(
            "This is an old Excel .xls file (or another OLE document); save it as .xlsx or CSV UTF-8."
        )
    if data.startswith(b"%PDF") or b"\x00" in data[:4096]:
        raise NotASpreadsheet(
            f"{filename or 'The file'} is not a spreadsheet: send a CSV (UTF-8) or XLSX file."
        )
    return _read_csv(data, kind)


def _read_csv(data: bytes, kind: Kind) -> Table:
    with collector_paused():  # a hundred thousand rows make as many lists and dicts, and no cycles
        return _read_csv_rows(data, kind)


def _read_csv_rows(data: bytes, kind: Kind) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadSpreadsheet(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start} is not "
            "valid UTF-8). Save it as 'CSV UTF-8' (Excel: Save As › CSV UTF-8), or send it as XLSX.",
            errors=[FieldError(("file",), "not UTF-8 encoded")],
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise BadSpreadsheet(
            f"The CSV cannot be read near line {reader.line_num}: {exc}. A cell that opens a quote must "
            "close it.",
            errors=[FieldError(("file", reader.line_num), str(exc))],
        ) from exc
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise BadSpreadsheet(
            "The file is empty: the first row must name the columns.",
            errors=[FieldError(("file", "columns"), "no header row")],
        )
    header = lines[0]
    if len(header) == 1 and ";" in header[0]:
        raise BadSpreadsheet(
            "The columns are separated by ';'. Use ',' between columns (';' separates items within a cell).",
            errors=[FieldError(("file", "columns"), "separated by ';' instead of ','")],
        )
    header = [h.strip() for h in header]
    while header and not header[-1]:  # Excel writes empty columns past the data as trailing commas
        header.pop()
    columns = _check_header(header, kind)
    if len(lines) - 1 > ROWS_MAX:
        raise _too_many_rows("The file")
    rows: list[tuple[int, dict[str, str]]] = []
    width = len(columns)
    for number, cells in enumerate(lines[1:], start=2):
        if len(cells) > width:
            if any(c.strip() for c in cells[width:]):
                raise BadSpreadsheet(
                    f"Row {number} has {len(cells)} cells but the header names {width} columns.",
                    errors=[FieldError(("file", number), "more cells than columns")],
                )
            cells = cells[:width]
        texts = [t if t[:1] != "'" else _restore(t) for t in map(str.strip, cells)]
        if not any(texts):
            continue
        if len(texts) < width:
            texts += [""] * (width - len(texts))
        rows.append((number, dict(zip(columns, texts, strict=True))))
    return Table(columns, rows)


def _read_xlsx(data: bytes, kind: Kind, name: str) -> Table:
    try:
        check_unpacked(data, name)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise NotASpreadsheet(_DAMAGED) from exc
    try:
        return _read_sheet(workbook, kind, name)
    except SyntaxError as exc:  # damaged XML inside the archive, found while the rows are read
        raise NotASpreadsheet(_DAMAGED) from exc
    finally:
        workbook.close()


_DAMAGED = "The file looks like a ZIP archive but is not a readable XLSX workbook; save it again as .xlsx."


def check_unpacked(data: bytes, name: str) -> None:
    """Refuse (413) a workbook that unpacks to more than :data:`UNPACKED_MAX_BYTES`, has a part packed more
    tightly than :data:`PACKING_RATIO_MAX` to one, or a sheet whose ``<dimension>`` declares more than
    :data:`CELLS_MAX` cells — from the archive's directory and the first bytes of each sheet, before any of
    it is parsed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
        unpacked = sum(part.file_size for part in parts)
        if unpacked > UNPACKED_MAX_BYTES:
            raise SpreadsheetTooLarge(
                f"{name} unpacks to {_mb(unpacked)}, more than the {_mb(UNPACKED_MAX_BYTES)} an import "
                "reads. Split it into smaller files."
            )
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > MB and ratio > PACKING_RATIO_MAX:
                raise SpreadsheetTooLarge(
                    f"{name} is packed {ratio:.0f} to 1 ({part.filename}: {_mb(part.file_size)} in "
                    f"{part.compress_size / 1024:.0f} KB), more than the {PACKING_RATIO_MAX} to 1 a workbook "
                    "of data is: it is refused unread. Save the data again as a new .xlsx or CSV UTF-8."
                )
        for part in parts:
            if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
                continue
            with archive.open(part) as sheet:
                start = sheet.read(DIMENSION_READ_BYTES)
            found = _DIMENSION.search(start)
            if found is None:
                continue
            min_col, min_row, max_col, max_row = range_boundaries(found.group(1).decode().upper())
            cells = ((max_col or 1) - (min_col or 1) + 1) * ((max_row or 1) - (min_row or 1) + 1)
            if cells > CELLS_MAX:
                raise SpreadsheetTooLarge(
                    f"{name}: a sheet ({part.filename}) declares {cells:,} cells "
                    f"({found.group(1).decode()}), more than the {CELLS_MAX:,} an import reads. Delete the "
                    "rows and columns past the data (or split the file) and save it again."
                )


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def _read_sheet(workbook: Any, kind: Kind, name: str = "The workbook") -> Table:
    sheet = _pick_sheet(workbook.sheetnames, kind)
    worksheet = workbook[sheet]
    worksheet.reset_dimensions()  # the sheet's real extent: some programs declare a wrong one
    rows_iter = worksheet.iter_rows()
    header_cells = next(rows_iter, None)
    if header_cells is None or not any(_text(c.value) for c in header_cells):
        raise BadSpreadsheet(
            f"The sheet '{sheet}' is empty: its first row must name the columns.",
            errors=[FieldError(("file", "columns"), "no header row")],
        )
    header = [_text(c.value) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    columns = _check_header(header, kind)
    table = Table(columns, [])
    types = {c.name: c for c in COLUMNS[kind]}
    with_problems: set[int] = set()
    cells_read = len(header_cells)
    for number, cells in enumerate(rows_iter, start=2):
        cells_read += max(len(cells), 1)
        if cells_read > CELLS_MAX:  # a sheet whose <dimension> understates it
            raise SpreadsheetTooLarge(
                f"{name}: the sheet '{sheet}' holds more than the {CELLS_MAX:,} cells an import reads "
                f"(row {number}). Split it into smaller files."
            )
        values: dict[str, str] = {}
        for i, column in enumerate(columns):
            cell = cells[i] if i < len(cells) else None
            raw = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f" or (isinstance(raw, str) and raw.startswith("=")):
                table.cell_problems.append(
                    (number, column, str(raw), "a formula, not a value: paste the values instead")
                )
                with_problems.add(number)
                values[column] = ""
                continue
            values[column] = _cell_text(raw, types[column])
        if any(values.values()) or number in with_problems:
            table.rows.append((number, values))
            if len(table.rows) > ROWS_MAX:
                raise _too_many_rows(f"{name}: the sheet '{sheet}'")
    return table


def _too_many_rows(what: str) -> SpreadsheetTooLarge:
    return SpreadsheetTooLarge(
        f"{what} holds more than the {ROWS_MAX:,} rows an import reads. Split it into smaller files."
    )


def _pick_sheet(names: Sequence[str], kind: Kind) -> str:
    for name in names:
        if name.strip().lower() == kind.value:
            return name
    if len(names) == 1:
        return names[0]
    raise BadSpreadsheet(
        f"The workbook has no sheet named '{kind.value}' (it has: {', '.join(names)}). "
        f"Rename the sheet that holds the {kind.value} to '{kind.value}'.",
        errors=[FieldError(("file", "sheet"), f"no sheet named '{kind.value}'")],
    )


def _check_header(header: list[str], kind: Kind) -> list[str]:
    known = [c.name for c in COLUMNS[kind]]
    names = [h.strip().lower() for h in header]
    errors: list[FieldError] = []
    unknown = [h for h in names if h and h not in known]
    if unknown:
        errors.append(FieldError(("file", "columns"), f"unknown columns: {', '.join(unknown)}"))
    if "" in names:
        errors.append(FieldError(("file", "columns"), f"column {names.index('') + 1} has no name"))
    repeated = sorted({h for h in names if h and names.count(h) > 1})
    if repeated:
        errors.append(FieldError(("file", "columns"), f"columns named twice: {', '.join(repeated)}"))
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in names]
    if missing:
        errors.append(FieldError(("file", "columns"), f"missing columns: {', '.join(missing)}"))
    if errors:
        raise BadSpreadsheet(
            f"The header row does not fit a {kind.value} file ({'; '.join(e.msg for e in errors)}). "
            f"Its columns are: {', '.join(known)}.",
            errors=errors,
        )
    return names


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _cell_text(value: Any, column: Column) -> str:
    """A cell's value as the text the API would receive."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    first_of_month = isinstance(value, date) and value.day == 1
    midnight = not isinstance(value, datetime) or value.time() == time(0)
    if column.type == "month" and first_of_month and midnight:
        return f"{value.year:04d}-{value.month:02d}"  # Excel turns a typed 2024-10 into a date
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # The shortest text that reads back as the same binary number is the decimal that was typed.
        number = Decimal(repr(value))
        if column.type == "int" and number == number.to_integral_value():
            return str(int(number))
        return format(number, "f")
    if isinstance(value, int):
        return str(value)
    return _restore(str(value).strip())


# -- writing ----------------------------------------------------------------------------------


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens accents and Cyrillic correctly."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return neutralise(";".join(str(v) for v in value))
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def write_xlsx(kind: Kind, rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet named after the kind: a header row, then values typed as a spreadsheet expects them
    (dates as dates, amounts as numbers)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.value)
    columns = COLUMNS[kind]
    sheet.append([c.name for c in columns])
    for row in rows:
        sheet.append([_xlsx_cell(v, c) for v, c in zip(row, columns, strict=True)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


TEMPLATE_HELP = ["column", "required", "meaning", "example", "allowed values"]
LISTS_SHEET = "lists"


def write_template(kind: Kind, codes: dict[CodeList, list[str]]) -> bytes:
    """An empty workbook to fill in: the kind's sheet holds the header row only; a ``columns`` sheet
    says what each column means, with an example and its allowed values; every coded column offers
    its values as a drop-down, read from a hidden ``lists`` sheet (long lists such as the States do not
    fit in a validation's formula)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind.value
    columns = COLUMNS[kind]
    sheet.append([c.name for c in columns])
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("columns")
    notes.append(TEMPLATE_HELP)
    for c in columns:
        allowed = ", ".join(codes[c.codes]) if c.codes else None
        example = neutralise(c.example) if c.example else None
        notes.append([c.name, "yes" if c.required else "no", c.help, example, allowed])
    coded = [c for c in columns if c.codes]
    if coded:
        lists = workbook.create_sheet(LISTS_SHEET)
        lists.sheet_state = "hidden"
        for n, c in enumerate(coded, start=1):
            assert c.codes is not None
            values = codes[c.codes]
            lists.cell(1, n, c.name)
            for row, value in enumerate(values, start=2):
                lists.cell(row, n, value)
            source = get_column_letter(n)
            target = get_column_letter(columns.index(c) + 1)
            choice = DataValidation(
                type="list",
                formula1=f"{LISTS_SHEET}!${source}$2:${source}${len(values) + 1}",
                allow_blank=True,
            )
            if c.type == "list":  # several values separated by ';': offer them, refuse nothing
                choice.showErrorMessage = False
            else:
                choice.showErrorMessage = True
                choice.errorTitle = f"Not a {c.name}"
                choice.error = f"Pick a value from the list (the 'columns' sheet lists them: {c.name})."
            choice.add(f"{target}2:{target}1048576")
            sheet.add_data_validation(choice)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(value: Any, column: Column) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return neutralise(";".join(str(v) for v in value))
    if isinstance(value, Decimal):
        return value  # written as the number's own digits
    if isinstance(value, date):
        return value
    kinds: dict[str, Callable[[str], Any]] = {"date": date.fromisoformat, "decimal": Decimal, "int": int}
    typed = kinds.get(column.type)
    if typed is not None and isinstance(value, str):
        try:
            return typed(value)
        except (ValueError, ArithmeticError):
            pass  # stored text that is not what the column holds: written as the text it is
    return neutralise(str(value))
