"""Forms on the same rules as the API: what was typed goes into the API's own request schema, and a
refusal (the schema's or the service's) comes back as a message beside each field, in the API's words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from portfolio.errors import AppError

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
            name = next((str(p) for p in loc if isinstance(p, str) and p != "body"), "")
            if name in fields:
                errors.setdefault(name, msg)
            else:
                loose.append(f"{'.'.join(str(p) for p in loc if p != 'body')}: {msg}" if name else msg)
        if isinstance(exc, AppError) and not exc.errors:
            loose.append(exc.detail)
        return Form(self.values, errors, " ".join(loose))


def _messages(exc: Exception) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(exc, ValidationError):
        return [(tuple(e["loc"]), str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()]
    if isinstance(exc, AppError):
        return [(tuple(e.loc), e.msg) for e in exc.errors]
    return [((), str(exc))]


def build(schema: type[M], values: Mapping[str, Any], *, blank_is_none: bool = False) -> M:
    """``schema`` from a form's values. A blank field is left out (so the schema's default applies), or,
    on an edit form (``blank_is_none``), sent as null: the field was cleared."""
    data: dict[str, Any] = {}
    for name in schema.model_fields:
        if name not in values:
            continue
        value = values[name]
        if value == "":
            if blank_is_none:
                data[name] = None
            continue
        data[name] = value
    return schema.model_validate(data)
