"""Board tasks: the fill (per society, on a schedule and after events) and the index."""

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from common.tasks import SCHEMA_KWARG, MissingSchema, for_each_society, society_task

# Events arriving within this many seconds of each other cause one fill.
REFRESH_DELAY = 60
_PENDING_KEY = "board:refresh-pending"


@society_task(name="board.fill_society")
def fill_society(full: bool = False):
    """Bring the current society's board figures up to date (idempotent: see board.fill)."""
    from board.fill import fill_society as fill
    from tenants.services import current_society

    # Cleared first: an event during this fill schedules the next one instead of being lost.
    cache.delete(_PENDING_KEY)
    report = fill(society=current_society(), full=full)
    return {"filled": report.filled, "skipped": report.skipped}


@shared_task(name="board.fill_all")
def fill_all(full: bool = False):
    """Beat entry: one fill task per active society (``full`` nightly, to pick up the rare
    backdated correction that no change timestamp reveals)."""
    for_each_society(fill_society, full=full)


@shared_task(name="board.compute_index")
def compute_index():
    """Beat entry: recompute the evaluation index from the aggregate tables."""
    from board.services import compute_index_scores

    with schema_context(get_public_schema_name()):
        return compute_index_scores(actor=None)


def request_refresh(schema_name: str, *, delay: int = REFRESH_DELAY) -> None:
    """Ask for a fill of ``schema_name``'s board figures ``delay`` seconds after the current
    transaction commits (nothing happens if it rolls back).

    Other apps call this after writes the board counts (a payment confirmed, a member lapsed).
    Debounced: while a fill is pending for the society, further requests add nothing.
    """
    if not schema_name or schema_name == get_public_schema_name():
        raise MissingSchema("request_refresh() needs a society schema")

    def schedule():
        with schema_context(schema_name):
            # The cache key carries the schema (django_tenants.cache.make_key).
            if not cache.add(_PENDING_KEY, "1", timeout=delay + 600):
                return
        fill_society.apply_async(kwargs={SCHEMA_KWARG: schema_name}, countdown=delay)

    transaction.on_commit(schedule)
