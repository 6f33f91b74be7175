"""Selling seats without overselling.

Every capacity (the meeting's, a registration type's, an add-on's) is one ``Quota`` row.  A
seat is taken by one conditional ``UPDATE ... WHERE sold + held < size RETURNING``: the row lock
that UPDATE takes serialises concurrent buyers, and the condition is evaluated on the locked,
current row, so there is no read-then-write window.  All functions here must run inside the
registration's transaction; rows are always locked in ascending id order, so two transactions
needing the same quotas can never wait on each other in a cycle.
"""

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from meetings.models import Quota

# Opening day is a burst: a request waits at most this long for a quota's row lock, then the
# view answers 503 "please retry" instead of piling up connections.
LOCK_TIMEOUT = "3s"

_TABLE = Quota._meta.db_table


class SoldOut(Exception):
    """No free seat in ``quota`` (the transaction must be rolled back)."""

    def __init__(self, quota_id: int):
        self.quota_id = quota_id
        super().__init__(_("Sorry, no seats are left."))


def set_lock_timeout() -> None:
    """Bound lock waits for the rest of the current transaction (SET LOCAL)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def quota_ids_for(*, meeting, registration_type, addons=()) -> list[int]:
    """The quotas a registration uses (the meeting's, its type's, its add-ons'), in lock order."""
    uses = Q(meeting=meeting, registration_type__isnull=True, addon__isnull=True) | Q(
        registration_type=registration_type
    )
    if addons:
        uses |= Q(addon__in=list(addons))
    return sorted(Quota.objects.filter(uses).values_list("pk", flat=True))


def _counts(quota_ids) -> list[tuple[int, int]]:
    """(quota id, seats) in lock order; a quota listed n times needs n seats."""
    counts: dict[int, int] = {}
    for quota_id in quota_ids:
        counts[quota_id] = counts.get(quota_id, 0) + 1
    return sorted(counts.items())


def _update(sql: str, quota_ids) -> None:
    with connection.cursor() as cursor:
        for quota_id, n in _counts(quota_ids):
            cursor.execute(sql, {"id": quota_id, "n": n})
            if cursor.fetchone() is None:
                raise SoldOut(quota_id)


def take(quota_ids, *, hold: bool) -> None:
    """Take one seat per listed quota id (repeat an id for several seats), held (awaiting
    payment) or sold.  Raises SoldOut after possibly updating earlier quotas: call it inside a
    savepoint or let the transaction roll back."""
    column = "held" if hold else "sold"
    _update(
        f"UPDATE {_TABLE} SET {column} = {column} + %(n)s WHERE id = %(id)s AND sold + held + %(n)s <= size "
        "RETURNING id",
        quota_ids,
    )


def convert_hold(quota_ids) -> None:
    """Held seats become sold (payment arrived in time)."""
    _update(
        f"UPDATE {_TABLE} SET held = held - %(n)s, sold = sold + %(n)s "
        "WHERE id = %(id)s AND held >= %(n)s RETURNING id",
        quota_ids,
    )


def give_back(quota_ids, *, held: bool) -> None:
    """Free seats (holds released, or sold seats cancelled)."""
    column = "held" if held else "sold"
    _update(
        f"UPDATE {_TABLE} SET {column} = {column} - %(n)s WHERE id = %(id)s AND {column} >= %(n)s RETURNING id",
        quota_ids,
    )


def has_free_seat(quota_ids: list[int]) -> bool:
    """A hint for pages (no lock): whether every quota has a free seat right now."""
    quotas = Quota.objects.filter(pk__in=quota_ids)
    return all(q.free > 0 for q in quotas)


def ensure_quota(*, meeting, size: int | None, registration_type=None, addon=None) -> Quota | None:
    """Create, resize or remove the quota of a capacity (organiser's settings; caller's transaction).
    A size below what is already sold or held is refused by the database constraint."""
    quota = (
        Quota.objects.select_for_update()
        .filter(meeting=meeting, registration_type=registration_type, addon=addon)
        .first()
    )
    if size is None:
        if quota is not None and quota.sold == 0 and quota.held == 0:
            quota.delete()
            return None
        if quota is not None:
            raise ValueError(_("Seats are already taken; the capacity cannot be removed, only changed."))
        return None
    if quota is None:
        return Quota.objects.create(meeting=meeting, registration_type=registration_type, addon=addon, size=size)
    if size < quota.sold + quota.held:
        raise ValueError(
            _("%(taken)s seats are already taken; the capacity cannot be smaller.") % {"taken": quota.sold + quota.held}
        )
    quota.size = size
    quota.save(update_fields=["size"])
    return quota
