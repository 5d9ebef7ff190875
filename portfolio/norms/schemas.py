"""Wire format of the norms catalogue: the OSCE Documents and Best Practice Guides projects implement."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.schemas import Input, Output, Patch, example


class NormKind(Choice):
    document = "document", _("OSCE Document")
    guide = "guide", _("Best Practice Guide")
    other = "other", _("Other norm")


NormCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"
    ),
    Field(
        description="Lowercase letters and digits, words joined by '-' (e.g. 'bpg-sca-transport').",
        examples=["bpg-salw-collection"],
    ),
]
NormTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
FrenchTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Year = Annotated[int, Field(ge=1975, le=2100, description="Year adopted (or last updated).")]


class NormCreate(Input):
    model_config = example(
        code="bpg-salw-collection",
        title="Best Practice Guide on Weapons Collection Programmes",
        title_fr="Guide des meilleures pratiques sur les programmes de collecte d'armes",
        kind="guide",
        adopted=2024,
    )

    code: NormCode
    title: NormTitle
    title_fr: FrenchTitle = Field(default="", description="The French title; the English one when empty.")
    kind: NormKind
    adopted: Year | None = None


class NormUpdate(Patch):
    model_config = example(title="Best Practice Guide on Weapons Collection and Awareness Programmes")
    not_null = frozenset({"title", "title_fr", "kind"})

    title: NormTitle | None = None
    title_fr: FrenchTitle | None = None
    kind: NormKind | None = None
    adopted: Year | None = None


class NormRead(Output):
    code: str
    title: str
    title_fr: str
    label: str = Field(
        default="", description="The title in the language asked for (?lang=fr or Accept-Language)."
    )
    kind: NormKind
    adopted: int | None
    builtin: bool = Field(description="Shipped with the product: may be retitled, never deleted.")
    created_at: datetime
