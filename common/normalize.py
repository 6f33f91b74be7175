"""Cleaning of typed values that more than one app accepts.

Each ``clean_*`` returns the normalised value or raises ``ValueError`` with a translated message;
the caller turns that into its own kind of error (a form's, the API's, a service's)."""

import unicodedata

from django.utils.translation import gettext as _


def text(value) -> str:
    """Full-width digits, letters and spaces become half-width (NFKC); runs of space collapse."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFKC", str(value)).replace("\u3000", " ")
    return " ".join(value.split())


# What people type for a currency whose ISO 4217 code is another; Stripe and the fapiao know the code.
CURRENCY_ALIASES = {"RMB": "CNY"}


def clean_currency(value) -> str:
    """A three-letter currency code, upper-cased (a category's fee, an invoice); RMB is CNY."""
    value = text(value).upper()
    if len(value) != 3 or not (value.isascii() and value.isalpha()):  # 人民币 is three letters too
        raise ValueError(_("The currency must be a three-letter code such as CNY, USD or EUR."))
    return CURRENCY_ALIASES.get(value, value)
