"""Money: Decimal helpers, ISO 4217 currency codes and conversion to euros.

Amounts travel as JSON strings and are held as :class:`~decimal.Decimal` everywhere; no float ever
touches money. Conversions round half up to the cent, once, when an amount is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Annotated, overload

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from portfolio.errors import Loc, Said, ValidationFailed

EUR = "EUR"
# Ceilings well above any real portfolio and well inside the columns (NUMERIC(18,2) for money, (18,8) for
# rates), so that no accepted amount, euro value or sum can overflow the database.
MAX_AMOUNT = Decimal(10) ** 12
MAX_RATE = Decimal(1000)
# The largest euro value of one pledge, receipt or interest: the largest amount at the largest rate, inside
# NUMERIC(18,2) and one 64-bit count of cents. No bound on one record bounds a sum of many: the sums are
# exact instead (NUMERIC on PostgreSQL, an aggregate of Python integers on SQLite; see portfolio.db).
MAX_EUR = MAX_AMOUNT * MAX_RATE
EURO_VALUE = (
    "The amount in euros at the rate of its month, rounded half up to the cent, once: at most "
    "1000000000000000.00 (the largest amount at the largest rate)."
)
CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("0.00000001")


# ISO 4217 codes that are no money a State pledges in: precious metals, testing and "no currency", the
# IMF's and the bond markets' units of account, and the funds codes that stand beside a currency (a
# unit of account indexed on it: BOV beside BOB, CLF beside CLP, and so on).
NOT_MONEY = frozenset(
    {
        *("XAU", "XAG", "XPD", "XPT", "XTS", "XXX", "XDR", "XSU", "XUA"),
        *("XBA", "XBB", "XBC", "XBD"),
        *("BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"),
    }
)


@lru_cache(maxsize=1024)  # bounded: the codes come from users
def is_currency(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code of a currency (from pycountry's copy of the standard),
    not one of :data:`NOT_MONEY`."""
    return len(code) == 3 and code not in NOT_MONEY and pycountry.currencies.get(alpha_3=code) is not None


def currency_codes() -> list[str]:
    """Every code :func:`is_currency` accepts, in alphabetical order."""
    return sorted(c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in NOT_MONEY)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise ValueError(Said("'%(code)s' is not an ISO 4217 currency code", code=value))
    return code


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def month_of(day: date) -> str:
    """The calendar month of a day, YYYY-MM: the month whose exchange rate converts an amount dated in it."""
    return f"{day.year:04d}-{day.month:02d}"


# Euros per unit by (currency, month), as recorded; None where no rate is.
RateLookup = Callable[[str, str], Decimal | None]
ONE = Decimal("1.00000000")


def rate_of(lookup: RateLookup, currency: str, day: date, loc: Loc) -> Decimal:
    """Euros per unit of ``currency`` in the month of ``day``: the rate every amount dated that month is
    converted at (pledges, receipts, expenditures, interests); a 422 on ``loc`` when none is recorded."""
    if currency == EUR:
        return ONE
    eur_per_unit = lookup(currency, month_of(day))
    if eur_per_unit is None:
        raise ValidationFailed.field(
            loc,
            Said(
                "no exchange rate for %(currency)s in %(month)s; "
                "record it with POST /api/v1/exchange-rates first",
                currency=currency,
                month=month_of(day),
            ),
        )
    return eur_per_unit


def to_eur(amount: Decimal, eur_per_unit: Decimal) -> Decimal:
    """Convert an amount at a rate, rounded half up to the cent."""
    return to_cents(amount * eur_per_unit)


def rate_effect(received: Decimal, received_eur: Decimal, eur_per_unit: Decimal) -> Decimal:
    """What exchange rates added to (or took from) the euros received on a pledge: the receipts at their
    own months' rates (``received_eur``) minus the same amounts (``received``, in the pledge's currency)
    at the pledge's frozen rate, rounded once. Zero for a euro pledge."""
    return received_eur - to_eur(received, eur_per_unit)


@overload
def shortfall(budget: Decimal, pledged: Decimal) -> Decimal: ...
@overload
def shortfall(budget: None, pledged: Decimal) -> None: ...
@overload
def shortfall(budget: Decimal | None, pledged: Decimal) -> Decimal | None: ...
def shortfall(budget: Decimal | None, pledged: Decimal) -> Decimal | None:
    """The funding gap: max(budget − pledged, 0); None while a project has no budget yet."""
    return None if budget is None else max(budget - pledged, Decimal("0.00"))


RATIO_QUANTUM = Decimal("0.0001")


def ratio(part: Decimal, whole: Decimal | None) -> Decimal | None:
    """part ÷ whole to four decimals, rounded half up (coverage, a donor's share); None when whole is 0
    or unknown (a project with no budget yet)."""
    return (
        None
        if whole is None or whole == 0
        else (part / whole).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)
    )


def _max_places(places: int, *, pad: bool = True) -> AfterValidator:
    """Refuse more than ``places`` decimals; with ``pad``, write every value with exactly that many
    (so "5" and "5.00" are the same amount, and read back the same as they were sent)."""
    quantum = Decimal(1).scaleb(-places)

    def check(value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError(Said("must be a finite number"))
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise ValueError(Said("at most %(places)s decimal places", places=places))
        return value.quantize(quantum) if pad else value

    return AfterValidator(check)


def plain(value: Decimal) -> str:
    """A quantity without trailing zeros or exponent: 1200, 430.5."""
    return format(value.normalize(), "f")


def _no_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError(
            'give decimals as strings, e.g. "1200.50": a JSON number with a fraction '
            "would pass through binary floating point"
        )
    return value


_decimal_text = BeforeValidator(_no_float)
_as_string = PlainSerializer(lambda v: str(v), return_type=str, when_used="json")

CurrencyCode = Annotated[
    str,
    Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. EUR, USD, CHF.", examples=["USD"]),
    AfterValidator(_currency),
]

# Wire types. Each serialises as a JSON string so that no client parses money into a float.
Amount = Annotated[
    Decimal,
    _decimal_text,
    Field(
        gt=0,
        le=MAX_AMOUNT,
        description='A positive amount as a decimal string, e.g. "250000.00" (at most one trillion; in '
        "another currency, at most 1,000 euros a unit, so at most 10¹⁵ euros).",
        examples=["250000.00"],
    ),
    _max_places(2),
    _as_string,
]
NonNegativeAmount = Annotated[
    Decimal,
    _decimal_text,
    Field(ge=0, le=MAX_AMOUNT, description="An amount ≥ 0 as a decimal string.", examples=["1200000.00"]),
    _max_places(2),
    _as_string,
]
MoneyOut = Annotated[Decimal, _as_string]
Rate = Annotated[
    Decimal,
    _decimal_text,
    Field(
        gt=0,
        le=MAX_RATE,
        description="Euros per one unit of the currency (at most 1000), up to 8 decimals.",
        examples=["0.92150000"],
    ),
    _max_places(8),
    _as_string,
]
Quantity = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT, description="A quantity ≥ 0 (up to 4 decimals), e.g. tonnes or weapons."),
    _max_places(4),
    PlainSerializer(plain, return_type=str, when_used="json"),
]
# A quantity read back from the database, e.g. an indicator's value or a milestone's weight.
QuantityOut = Annotated[Decimal, PlainSerializer(plain, return_type=str, when_used="json")]


# An amount far outside the portfolio's range — a typo more often than not (a trillion-euro budget):
# pages ask the person to confirm it, and the data-quality page lists the ones stored.
UNUSUAL_FACTOR = 10


def far_above(amount: Decimal | None, largest_other: Decimal | None) -> bool:
    """Whether ``amount`` is over ten times the largest other of its kind so far (a budget against every
    other project's, a pledge's euros against every other pledge's); never while there is nothing to
    compare with."""
    if amount is None or largest_other is None or largest_other <= 0:
        return False
    return amount > UNUSUAL_FACTOR * largest_other
