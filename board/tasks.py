"""Board tasks: the fill (per society, on a schedule and after events) and the index."""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from common.tasks import SCHEMA_KWARG, MissingSchema, society_task

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
    """Beat entry: fill every active society in one batched fill (``full`` nightly: a safety net
    for writes the capture triggers do not see, such as a TRUNCATE)."""
    from board.fill import fill_societies
    from tenants.models import Society

    with schema_context(get_public_schema_name()):
        societies = list(
            Society.objects.exclude(schema_name=get_public_schema_name()).filter(status=Society.Status.ACTIVE)
        )
        fill_societies(societies, full=full)


@shared_task(name="board.compute_index")
def compute_index():
    """Beat entry: recompute the evaluation index from the aggregate tables."""
    from board.services import compute_index_scores

    with schema_context(get_public_schema_name()):
        return compute_index_scores(actor=None)


def request_refresh(schema_name: str | None = None, *, delay: int | None = None) -> None:
    """Ask for a fill of ``schema_name``'s (default: the current society's) board figures
    ``delay`` seconds after the current transaction commits (nothing happens if it rolls back).

    Other apps call this after writes the board counts (a payment confirmed, a member lapsed).
    Debounced through Redis: while a fill is pending for the society, further requests add
    nothing, so a burst of events queues one fill.  ``delay`` defaults to the setting
    ``BOARD_REFRESH_DELAY`` (else :data:`REFRESH_DELAY`).
    """
    schema_name = schema_name or connection.schema_name
    if delay is None:
        delay = getattr(settings, "BOARD_REFRESH_DELAY", REFRESH_DELAY)
    if not schema_name or schema_name == get_public_schema_name():
        raise MissingSchema("request_refresh() needs a society schema")

    if connection.in_atomic_block and _waiting_for_this_commit(schema_name):
        return  # a lapse run over thousands of members asks once, not once per member

    def schedule():
        with schema_context(schema_name):
            # The cache key carries the schema (django_tenants.cache.make_key).
            if not cache.add(_PENDING_KEY, "1", timeout=delay + 600):
                return
        fill_society.apply_async(kwargs={SCHEMA_KWARG: schema_name}, countdown=delay)

    schedule.board_schema = schema_name
    transaction.on_commit(schedule)


def _waiting_for_this_commit(schema_name: str) -> bool:
    """A refresh of ``schema_name`` already waits for this transaction's commit, registered in
    savepoints that this request is inside too (so no rollback can drop it and keep this one)."""
    current = set(connection.savepoint_ids)
    return any(
        getattr(func, "board_schema", None) == schema_name and sids <= current
        for sids, func, _robust in connection.run_on_commit
    )
