"""Wire format of documents: what an upload names besides its file, and what a document looks like."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from portfolio.documents.content import without_invisible
from portfolio.errors import Said
from portfolio.pagination import Page
from portfolio.reference import codelist
from portfolio.schemas import Output, Patch, control_character_problem, example


class OwnerType(StrEnum):
    project = "project"
    agreement = "agreement"
    obligation = "obligation"
    national_process = "national_process"
    indicator = "indicator"


def document_categories() -> dict[str, str]:
    """The IATI DocumentCategory codelist: code (e.g. ``A01``) → English name."""
    return codelist("DocumentCategory")


def _category(value: str) -> str:
    code = value.strip().upper()
    if code not in document_categories():
        raise ValueError(
            Said("'%(value)s' is not an IATI DocumentCategory code (e.g. A02, A07, B01)", value=value)
        )
    return code


def _text(value: str) -> str:
    problem = control_character_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Category = Annotated[
    str,
    AfterValidator(_category),
    Field(
        description="A code of the IATI DocumentCategory codelist, e.g. A07 (Review of project performance "
        "and evaluation), A08 (Results, outcomes and outputs) or A09 (Memorandum of understanding).",
        examples=["A07"],
    ),
]


def _visible(value: object) -> object:
    """A title without invisible characters (direction controls, zero-width…), its tabs and line breaks
    as spaces: it is one line, shown as it reads."""
    if not isinstance(value, str):
        return value
    for line_break in "\t\r\n\u2028\u2029":
        value = value.replace(line_break, " ")
    return without_invisible(value)


Title = Annotated[
    str,
    BeforeValidator(_visible),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_text),
    Field(
        description="What the document is, as people will look for it (direction controls, zero-width and "
        "other invisible characters are removed; tabs and line breaks become spaces).",
        examples=["Mid-term review"],
    ),
]
Language = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z]{2}$"),
    Field(description="The document's language: an ISO 639-1 code, e.g. en, fr, ru.", examples=["en"]),
]
SHARED_DESCRIPTION = (
    "Whether donor accounts of the States that fund the project may read it (documents of projects only; a "
    "donor always reads the documents of its own agreements and obligations)."
)
PUBLIC_DESCRIPTION = (
    "Whether it may be published: a document of a project that is shared with donors and public is linked "
    "from the IATI export when PORTFOLIO_PUBLIC_DOCUMENT_BASE_URL is set."
)


class DocumentUpdate(Patch):
    """What may change of a document once uploaded (its bytes may not: upload a new one)."""

    model_config = example(title="Mid-term review (final)", category="A07", shared_with_donor=True)
    not_null = frozenset({"category", "title", "language", "shared_with_donor", "public"})

    category: Category | None = None
    title: Title | None = None
    language: Language | None = None
    shared_with_donor: bool | None = Field(default=None, description=SHARED_DESCRIPTION)
    public: bool | None = Field(default=None, description=PUBLIC_DESCRIPTION)


class DocumentRead(Output):
    id: int
    owner_type: OwnerType
    owner_id: int
    category: str = Field(description="IATI DocumentCategory code.")
    title: str
    language: str
    filename: str = Field(
        description="The name it is downloaded under: the uploaded name made safe (its last path segment, "
        "without direction controls, zero-width or other invisible characters, control characters, quotes "
        "and separators replaced), with the extension of the type found in its content."
    )
    media_type: str = Field(description="The type judged from the content, never from the name.")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="SHA-256 of the bytes, in hex; checked on every download.")
    shared_with_donor: bool = Field(description=SHARED_DESCRIPTION)
    public: bool = Field(description=PUBLIC_DESCRIPTION)
    version: int
    created_at: datetime
    updated_at: datetime


DocumentPage = Page[DocumentRead]
