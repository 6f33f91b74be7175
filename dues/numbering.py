"""Gapless invoice numbers: one counter row per series (and year), bumped in the issuing transaction.

The upsert takes the counter's row lock until the caller's transaction ends, so concurrent issuers
in one series queue up, and a rolled-back issue gives its number back: no gaps, no duplicates.
"""

from django.db import connection
from django.utils import timezone

from dues.models import InvoiceSettings

CREDIT_SERIES = "credit"


def prefix_for(settings: InvoiceSettings, series: str) -> str:
    if series == "default":
        return settings.series_prefix
    if series == CREDIT_SERIES:
        return settings.credit_prefix
    return series.upper()


def allocate_number(settings: InvoiceSettings, series: str) -> tuple[str, int, int]:
    """``(number, sequence, year)``; must run inside the transaction that saves the invoice."""
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_number() must run inside the issuing transaction")
    year = timezone.localdate().year
    counter_year = year if settings.yearly else 0
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dues_numberseries (name, year, last_value) VALUES (%s, %s, 1) "
            "ON CONFLICT (name, year) DO UPDATE SET last_value = dues_numberseries.last_value + 1 "
            "RETURNING last_value",
            [series, counter_year],
        )
        sequence = cursor.fetchone()[0]
    number = settings.format_number(prefix=prefix_for(settings, series), year=year, seq=sequence)
    return number, sequence, counter_year
