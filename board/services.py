"""Writes of the board: the evaluation index and its settings, and the access log."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from board import index
from board.models import IndexScore, IndexSettings
from board.selectors import INDICATORS, available_years, indicators_for_year
from common.audit import audited, record_audit
from tenants.models import Society

DEFAULT_WEIGHTS = {"members": 3, "growth": 2, "revenue": 2, "meetings": 1, "registrations": 1, "submissions": 1}
MAX_WEIGHT = 100


class InvalidWeights(ValueError):
    pass


def get_index_settings() -> IndexSettings:
    settings_row, _created = IndexSettings.objects.get_or_create(
        pk=1, defaults={"method": IndexSettings.Method.MINMAX, "weights": DEFAULT_WEIGHTS}
    )
    return settings_row


def _store_scores(*, settings_row: IndexSettings, years: list[int]) -> int:
    groups = dict(
        Society.objects.exclude(schema_name=get_public_schema_name()).values_list("id", "discipline_group")
    )
    weights = {name: float(settings_row.weights.get(name, 0)) for name in INDICATORS}
    stored = 0
    for year in years:
        raw = indicators_for_year(year)
        entries = [
            index.Entry(society_id=society_id, group=groups[society_id], indicators=values)
            for society_id, values in sorted(raw.items())
            if society_id in groups
        ]
        scores = index.compute_index(entries, weights, settings_row.method)
        IndexScore.objects.filter(year=year).exclude(society_id__in=[s.society_id for s in scores]).delete()
        IndexScore.objects.bulk_create(
            [
                IndexScore(
                    society_id=s.society_id,
                    year=year,
                    discipline_group=s.group,
                    score=s.score,
                    rank=s.rank,
                    group_rank=s.group_rank,
                    group_size=s.group_size,
                    percentile=s.percentile,
                    indicators=raw[s.society_id],
                    computed_at=timezone.now(),
                )
                for s in scores
            ],
            update_conflicts=True,
            unique_fields=["society", "year"],
            update_fields=[
                "discipline_group", "score", "rank", "group_rank", "group_size", "percentile", "indicators",
                "computed_at",
            ],
        )
        stored += len(scores)
    return stored


def compute_index_scores(*, actor=None, years: list[int] | None = None) -> int:
    """Recompute and store every society's index for ``years`` (default: all years with figures).

    One transaction; returns the number of scores stored.  Runs in the public schema.
    """
    with transaction.atomic():
        settings_row = get_index_settings()
        return _store_scores(settings_row=settings_row, years=years or available_years())


def update_index_settings(*, actor, method: str, weights: dict[str, float]) -> IndexSettings:
    """Save the operator's standardisation and weights and recompute every year's ranking.

    One transaction with its audit entry (``tenants.PlatformAuditEntry``); raises InvalidWeights.
    """
    if method not in index.METHODS:
        raise InvalidWeights(_("Choose min–max or z-score."))
    clean = {}
    for name in INDICATORS:
        value = weights.get(name, 0) or 0
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InvalidWeights(_("Weights must be numbers.")) from None
        if not 0 <= value <= MAX_WEIGHT:
            raise InvalidWeights(_("Each weight must be between 0 and %(max)s.") % {"max": MAX_WEIGHT})
        clean[name] = value
    if not any(clean.values()):
        raise InvalidWeights(_("Give at least one indicator a weight above 0."))
    with transaction.atomic():
        settings_row = IndexSettings.objects.select_for_update().filter(pk=1).first() or get_index_settings()
        with audited(settings_row, ["method", "weights"], action="board.update_index_settings", actor=actor):
            settings_row.method = method
            settings_row.weights = clean
            settings_row.updated_by = actor
            settings_row.save()
            _store_scores(settings_row=settings_row, years=available_years())
    return settings_row


def record_board_access(*, actor, page: str, params: dict | None = None) -> None:
    """Log that ``actor`` looked at (or exported) board figures.  Written to the current schema's
    audit trail: the society's own on its site, the platform's on the platform host."""
    with transaction.atomic():
        record_audit(actor=actor, action=f"board.{page}", after=params or {})
