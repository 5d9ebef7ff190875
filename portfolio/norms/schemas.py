"""Wire format of the norms catalogue: the OSCE Documents and Best Practice Guides projects implement.

A norm's English title is ``title``; its titles in the other languages of the tracker are ``titles``
(language code → title: ``{"fr": "…", "ru": "…"}``), one key per language of the registry
(:mod:`portfolio.languages`) but English. ``title_fr``, from before ``titles``, is kept for the clients
written then: reading it reads ``titles["fr"]``, writing it writes there."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from portfolio.choices import Choice
from portfolio.marking import mark as _
from portfolio.norms.titles import translated_languages
from portfolio.schemas import Input, Output, Patch, control_character_problem, example


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
        description="Lowercase letters and digits, words joined by '-' (e.g. 'bpg-salw-collection').",
        examples=["bpg-salw-collection"],
    ),
]
NormTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
TranslatedTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Year = Annotated[int, Field(ge=1975, le=2100, description="Year adopted (or last updated).")]

# The language of ``title_fr``, the one translated title the API had before ``titles``.
LEGACY_LANGUAGE = "fr"
LANGUAGE_KEYS = ", ".join(translated_languages())
TITLES = f"The title in each language of the tracker other than English, by language code ({LANGUAGE_KEYS})."
DEPRECATED: JsonDict = {"deprecated": True}


def check_titles(titles: dict[str, str]) -> dict[str, str]:
    """Titles keyed by the languages of the registry other than English, in the registry's order; a key
    that is not one of them, or a title with a control character, is refused."""
    languages = translated_languages()
    unknown = [lang for lang in titles if lang not in languages]
    if unknown:
        names = ", ".join(repr(lang) for lang in unknown)
        raise ValueError(
            f"{names}: not a language a title is given in; the keys are {LANGUAGE_KEYS} (the English title "
            "is 'title')"
        )
    for lang, title in titles.items():
        problem = control_character_problem(title)
        if problem is not None:
            raise ValueError(f"{lang}: {problem}")
    return {lang: titles[lang] for lang in languages if lang in titles}


Titles = Annotated[dict[str, TranslatedTitle], AfterValidator(check_titles)]


def _legacy_title(value: str | None, info: ValidationInfo) -> str | None:
    """``title_fr``: ``titles["fr"]`` by its old name; both given, they agree."""
    if value is None:
        return None
    if LEGACY_LANGUAGE not in translated_languages():
        raise ValueError(f"the tracker no longer records titles in '{LEGACY_LANGUAGE}'")
    given = (info.data.get("titles") or {}).get(LEGACY_LANGUAGE)
    if given is not None and given != value:
        raise ValueError(f"differs from titles['{LEGACY_LANGUAGE}']: give one of them")
    return value


def _with_legacy(titles: dict[str, str] | None, title_fr: str | None) -> dict[str, str]:
    """The titles sent, with the deprecated ``title_fr`` as the French one when it was sent, checked."""
    legacy = {} if title_fr is None else {LEGACY_LANGUAGE: title_fr}
    return check_titles({**(titles or {}), **legacy})


class NormCreate(Input):
    model_config = example(
        code="bpg-salw-collection",
        title="Best Practice Guide on Weapons Collection Programmes",
        titles={
            "fr": "Guide des meilleures pratiques sur les programmes de collecte d'armes",
            "ru": "Руководство по передовой практике в области программ сбора оружия",
        },
        kind="guide",
        adopted=2024,
    )

    code: NormCode
    title: NormTitle = Field(description="The English title.")
    titles: Titles = Field(
        default_factory=dict,
        description=f"{TITLES} A language left out (or blank) shows the English title.",
    )
    title_fr: TranslatedTitle | None = Field(
        default=None,
        description="Deprecated: `titles['fr']`, under the name it had before `titles`.",
        json_schema_extra=DEPRECATED,
    )
    kind: NormKind
    adopted: Year | None = None

    _title_fr = field_validator("title_fr")(_legacy_title)

    def given_titles(self) -> dict[str, str]:
        """The titles in other languages, ``title_fr`` among them."""
        return _with_legacy(self.titles, self.title_fr)

    def columns(self) -> dict[str, Any]:
        """The values of the ``norm`` row."""
        return self.model_dump(include={"code", "title", "kind", "adopted"})


class NormUpdate(Patch):
    model_config = example(title="Best Practice Guide on Weapons Collection and Awareness Programmes")
    not_null = frozenset({"title", "titles", "title_fr", "kind"})

    title: NormTitle | None = Field(default=None, description="The English title.")
    titles: Titles | None = Field(
        default=None,
        description=f"{TITLES} Only the languages given change; a blank title removes the language's.",
    )
    title_fr: TranslatedTitle | None = Field(
        default=None,
        description="Deprecated: `titles['fr']`, under the name it had before `titles`; blank removes it.",
        json_schema_extra=DEPRECATED,
    )
    kind: NormKind | None = None
    adopted: Year | None = None

    _title_fr = field_validator("title_fr")(_legacy_title)

    def given_titles(self) -> dict[str, str]:
        """The titles in other languages the client sent, ``title_fr`` among them ("" removes one)."""
        return _with_legacy(self.titles, self.title_fr)

    def columns(self) -> dict[str, Any]:
        """The columns of the ``norm`` row the client sent, with their new values."""
        return {k: v for k, v in self.changes().items() if k not in {"titles", "title_fr"}}


class NormRead(Output):
    code: str
    title: str = Field(description="The English title.")
    titles: dict[str, str] = Field(
        default_factory=dict,
        description=f"{TITLES} Only the titles recorded: where a language has none, `label` gives the "
        "title the OSCE published for a norm shipped with the product, else the English one.",
    )
    title_fr: str = Field(
        default="", description="Deprecated: `titles['fr']` (empty: none).", json_schema_extra=DEPRECATED
    )
    label: str = Field(
        default="", description="The title in the language asked for (?lang=fr or Accept-Language)."
    )
    kind: NormKind
    adopted: int | None
    builtin: bool = Field(description="Shipped with the product: may be retitled, never deleted.")
    created_at: datetime

    @model_validator(mode="after")
    def _legacy(self) -> "NormRead":
        self.title_fr = self.titles.get(LEGACY_LANGUAGE, "")
        return self
