"""Forms on the same rules as the API: what was typed goes into the API's own request schema, and a
refusal (the schema's or the service's) comes back as a message beside each field, in the API's words."""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from portfolio.errors import AppError, FieldError, Said, ValidationFailed
from portfolio.web.i18n import ExampleNumber, Formats

M = TypeVar("M", bound=BaseModel)
Typed = Mapping[str, str | list[str]]


def typed(form: FormData, lists: Iterable[str] = ()) -> dict[str, str | list[str]]:
    """A submitted form as plain values: text trimmed of nothing, the fields in ``lists`` as lists."""
    many = set(lists)
    values: dict[str, str | list[str]] = {}
    for name in form:
        if name.startswith("csrf"):
            continue
        if name in many:
            values[name] = [str(v) for v in form.getlist(name) if str(v) != ""]
        else:
            value = form.get(name)
            values[name] = value if isinstance(value, str) else ""
    for name in many:
        values.setdefault(name, [])
    return values


class UnusualAmount(ValidationFailed):
    """An amount a page saved far outside the portfolio's range: the form comes back asking the person to
    confirm it (see :mod:`portfolio.web.unusual`)."""

    @classmethod
    def on(cls, field: str, msg: str) -> UnusualAmount:
        return cls(msg, errors=[FieldError(("body", field), msg)])


@dataclass
class Form:
    """A form being shown: the values to put back in its fields and the messages to show beside them."""

    values: Typed = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""  # a refusal that names no field, shown above the form

    def value(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def chosen(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    @property
    def first_error(self) -> str | None:
        return next(iter(self.errors), None)

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.message)

    def refused(self, exc: Exception, known: Iterable[str] | None = None) -> Form:
        """This form with the messages of ``exc`` (a schema's ValidationError or a service's AppError).
        A message for a field the form does not show joins the message above the form."""
        fields = set(known) if known is not None else set(self.values)
        errors: dict[str, str] = {}
        loose: list[str] = []
        for loc, msg in _messages(exc):
            # a nested field (an agreement's schedule.interim_every_months) is the form's field it names
            parts = [p for p in loc if isinstance(p, str) and p != "body"]
            name = next((p for p in parts if p in fields), parts[0] if parts else "")
            if name in fields:
                errors.setdefault(name, msg)
            elif name:
                where = ".".join(str(p) for p in loc if p != "body")
                loose.append(Said("%(field)s: %(message)s", field=where, message=msg))
            else:
                loose.append(msg)
        if isinstance(exc, AppError) and not exc.errors:
            loose.append(exc.detail)
        values = dict(self.values)
        values.pop("confirm_unusual", None)  # a confirmation holds for the amount it was given for only
        if isinstance(exc, UnusualAmount):
            values["unusual"] = next(iter(errors), "")  # the field whose amount asks to be confirmed
        return Form(values, errors, _joined(loose))


DECIMAL_REPR = re.compile(r"Decimal\('([-\d.]+)'\)")
# pydantic's error types, in a person's words: the message id, with the error's context put in it.
PYDANTIC_WORDS: dict[str, str] = {
    "missing": "Required.",
    "string_too_short": "At least %(min_length)s characters.",
    "string_too_long": "At most %(max_length)s characters.",
    "too_short": "Choose at least %(min_length)s.",
    "too_long": "At most %(max_length)s.",
    "less_than_equal": "At most %(le)s.",
    "less_than": "Less than %(lt)s.",
    "greater_than_equal": "At least %(ge)s.",
    "greater_than": "More than %(gt)s.",
    "decimal_parsing": "Type a number, e.g. %(example)s.",
    "decimal_type": "Type a number, e.g. %(example)s.",
    "float_parsing": "Type a number, e.g. %(example)s.",
    "int_parsing": "Type a whole number.",
    "int_from_float": "Type a whole number.",
    "decimal_max_places": "At most %(decimal_places)s decimal places.",
    "decimal_max_digits": "Too many digits.",
    "decimal_whole_digits": "Too many digits.",
    "enum": "Choose one of the list.",
    "literal_error": "Choose one of the list.",
    "date_parsing": "Type a date as YYYY-MM-DD.",
    "date_from_datetime_parsing": "Type a date as YYYY-MM-DD.",
    "date_type": "Type a date as YYYY-MM-DD.",
    "extra_forbidden": "This form has no such field.",
}


def _number(value: Any) -> Any:
    """A bound from an error's context as a number a page can write (pydantic gives a Decimal bound as
    the text "Decimal('1000000000000')")."""
    if isinstance(value, str) and (found := DECIMAL_REPR.fullmatch(value)):
        return Decimal(found.group(1))
    if isinstance(value, int) and abs(value) < 10_000:
        return str(value)  # a year or a small bound reads best ungrouped ("at least 1975")
    return value


def _said(error: Any) -> str:
    """One of pydantic's errors as a :class:`Said` a page writes in its language; its own message (a
    rule's) when its type has no words here."""
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    if kind == "string_too_short" and context.get("min_length") == 1:
        kind = "missing"
    words = PYDANTIC_WORDS.get(kind)
    if words is None:
        return _rules_message(error)
    if kind == "too_short" and context.get("min_length") == 1:
        return Said("Choose at least one.")
    params = {name: _number(value) for name, value in context.items() if f"%({name})s" in words}
    if "%(example)s" in words:
        params["example"] = ExampleNumber()
    return Said(words, **params)


def _rules_message(error: Any) -> str:
    """A rule's own message: the :class:`Said` a validator raised (``ValueError(Said(...))``, which pydantic
    keeps as the error's context), else its text without pydantic's "Value error, "."""
    raised = (error.get("ctx") or {}).get("error")
    said = raised.args[0] if isinstance(raised, ValueError) and raised.args else None
    if isinstance(said, Said):
        return said
    return str(error["msg"]).removeprefix("Value error, ")


def _joined(messages: list[str]) -> str:
    """Messages one after the other, each still said in the page's language."""
    if len(messages) <= 1:
        return messages[0] if messages else ""
    return Said(
        " ".join(f"%(m{i})s" for i in range(len(messages))), **{f"m{i}": m for i, m in enumerate(messages)}
    )


def first_message(exc: Exception) -> str:
    """A refusal in one message, in a person's words: for a row of a table of inputs, which shows one."""
    if isinstance(exc, AppError) and not exc.errors:
        return exc.detail
    return next((msg for _loc, msg in _messages(exc)), str(exc))


def _messages(exc: Exception) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(exc, ValidationError):
        return [(tuple(e["loc"]), _said(e)) for e in exc.errors()]
    if isinstance(exc, AppError):
        return [(tuple(e.loc), e.msg) for e in exc.errors]
    return [((), str(exc))]


def _holds_number(annotation: Any) -> bool:
    """Whether a field's type is a number (a Decimal or an int, maybe optional or annotated)."""
    if annotation is bool:
        return False
    if annotation in (Decimal, int):
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated):
        return any(_holds_number(arg) for arg in get_args(annotation))
    return False


@cache
def number_fields(schema: type[BaseModel]) -> frozenset[str]:
    """The fields of ``schema`` a person types a number into."""
    return frozenset(name for name, info in schema.model_fields.items() if _holds_number(info.annotation))


def build(schema: type[M], values: Mapping[str, Any], *, lang: str, blank_is_none: bool = False) -> M:
    """``schema`` from a form's values. A blank field is left out (so the schema's default applies), or,
    on an edit form (``blank_is_none``), sent as null: the field was cleared. A number is read as the
    page's language writes it (``1 250 000,50`` on a French page, ``1,250,000.50`` on an English one) or
    as the API does (``1250000.50``); one that is neither goes on as typed, for the schema to refuse."""
    data: dict[str, Any] = {}
    numbers = number_fields(schema)
    formats = Formats(lang)
    for name in schema.model_fields:
        if name not in values:
            continue
        value = values[name]
        if value == "":
            if blank_is_none:
                data[name] = None
            continue
        if name in numbers and isinstance(value, str):
            number = formats.parse_number(value)
            if number is not None:
                value = format(number, "f")
        data[name] = value
    return schema.model_validate(data)
