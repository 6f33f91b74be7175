"""The board's metrics: SQL run inside one society's schema, returning monthly figures.

Each metric is registered explicitly in :data:`METRICS`.  Its ``sql`` returns rows
``(period, dimension, value)`` — ``period`` the first day of a month (Asia/Shanghai), ``dimension``
a text ("" when none) — and honours two parameters that make the fill incremental:

* ``%(start)s`` (date or NULL): only months from this one on;
* ``%(months)s`` (date[] or NULL): only these months (flows).

``changed_sql`` returns the months touched by rows written since ``%(since)s``; a metric
without it is recomputed whole on every fill (its source is small).  A *stock* (members by
status at the end of each month) is a running sum of deltas: a change in month M alters every
later month, and the incremental fill continues from the stored value of the month before.

A metric whose source table does not exist in the schema (an app not migrated yet) is skipped.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

TZ = "Asia/Shanghai"


class Unit:
    COUNT = "count"
    MONEY = "money"  # dimension ends with "|<currency>"


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    tables: tuple[str, ...]
    sql: str
    changed_sql: str | None = None
    stock: bool = False
    unit: str = Unit.COUNT
    # Values count people: cells below the board's k are suppressed when shown.
    people: bool = True
    dimension_label: str = field(default="")


def _month(expr: str, *, is_date: bool = False) -> str:
    if is_date:
        return f"date_trunc('month', {expr})::date"
    return f"date_trunc('month', {expr} AT TIME ZONE '{TZ}')::date"


def _since_start(expr: str, *, is_date: bool = False) -> str:
    if is_date:
        return f"(%(start)s::date IS NULL OR {expr} >= %(start)s::date)"
    return f"(%(start)s::date IS NULL OR {expr} >= (%(start)s::date::timestamp AT TIME ZONE '{TZ}'))"


def flow(
    key: str,
    title,
    *,
    tables: tuple[str, ...],
    source: str,
    at: str,
    dimension: str = "''",
    value: str = "count(*)",
    where: str = "TRUE",
    changed: str | None = None,
    changed_from: str | None = None,
    changed_sql: str | None = None,
    at_is_date: bool = False,
    **options,
) -> Metric:
    """A metric that counts or sums events in the month they happened (``at``).

    ``changed`` is an expression that is the latest time a row was written; rows with
    ``changed > since`` mark their month for recomputation.  The search reads ``changed_from``
    (default ``source``: give the one table that holds ``at`` and ``changed`` to spare joins),
    or ``changed_sql`` is given whole.
    """
    month = _month(at, is_date=at_is_date)
    sql = f"""
        SELECT {month} AS period, ({dimension})::text AS dimension, {value} AS value
        FROM {source}
        WHERE {where} AND {at} IS NOT NULL AND {_since_start(at, is_date=at_is_date)}
          AND (%(months)s::date[] IS NULL OR {month} = ANY(%(months)s::date[]))
        GROUP BY 1, 2
    """
    if changed and not changed_sql:
        changed_sql = (
            f"SELECT DISTINCT {month} FROM {changed_from or source} WHERE {at} IS NOT NULL AND {changed} > %(since)s"
        )
    return Metric(key=key, title=title, tables=tables, sql=sql, changed_sql=changed_sql, **options)


def stock(key: str, title, *, tables: tuple[str, ...], deltas: str, changed_sql: str, **options) -> Metric:
    """A level at the end of each month, the running sum of ``deltas`` rows ``(at, dimension, delta)``.

    The incremental path starts from the value stored for the month before ``start`` (the
    aggregate table is the running total so far), so it reads only the deltas since then.
    """
    sql = f"""
        WITH d AS (
            SELECT {_month("x.at")} AS period, x.dimension::text AS dimension, sum(x.delta) AS delta
            FROM ({deltas}) x
            WHERE {_since_start("x.at")}
              AND x.at < ((date_trunc('month', now() AT TIME ZONE '{TZ}') + interval '1 month') AT TIME ZONE '{TZ}')
            GROUP BY 1, 2
        ),
        base AS (
            SELECT dimension, value FROM public.board_metricvalue
            WHERE %(start)s::date IS NOT NULL AND society_id = %(society)s AND metric = %(metric)s
              AND period = (%(start)s::date - interval '1 month')::date
        ),
        dims AS (SELECT dimension FROM d UNION SELECT dimension FROM base),
        months AS (
            SELECT generate_series(
                COALESCE(%(start)s::date, (SELECT min(period) FROM d)),
                date_trunc('month', now() AT TIME ZONE '{TZ}')::date,
                interval '1 month'
            )::date AS period
        ),
        levels AS (
            SELECT m.period, dims.dimension,
                   COALESCE(b.value, 0)
                   + sum(COALESCE(d.delta, 0)) OVER (PARTITION BY dims.dimension ORDER BY m.period) AS value
            FROM months m CROSS JOIN dims
            LEFT JOIN d ON d.period = m.period AND d.dimension = dims.dimension
            LEFT JOIN base b ON b.dimension = dims.dimension
        )
        SELECT period, dimension, value FROM levels WHERE value <> 0
    """
    return Metric(key=key, title=title, tables=tables, sql=sql, changed_sql=changed_sql, stock=True, **options)



def _meetings_touched(registration_changed: str) -> str:
    """Months of the meetings changed, or whose registrations were written, since ``since``."""
    return f"""
        SELECT DISTINCT {_month("mt.starts_on", is_date=True)} FROM meetings_meeting mt
        WHERE mt.updated_at > %(since)s OR mt.id IN (
            SELECT r.meeting_id FROM meetings_registration r WHERE {registration_changed} > %(since)s
        )
    """


# Shared by the three meeting metrics, so the fill scans registrations once for all of them.
_REGISTRATIONS_CHANGED = _meetings_touched("GREATEST(r.created_at, r.paid_at, r.cancelled_at, r.checked_in_at)")
_CATEGORY = "members_membershipcategory"

METRICS: list[Metric] = [
    # Members ---------------------------------------------------------------------------------
    stock(
        "members",
        _("Members by status and category"),
        tables=("members_member", "members_statuschange", _CATEGORY),
        # Each change moves one member out of its old status and into the new one; the member's
        # current category labels its whole history.
        deltas=f"""
            SELECT sc.at, sc.to_status || '|' || c.code AS dimension, 1 AS delta
            FROM members_statuschange sc JOIN members_member m ON m.id = sc.member_id
            JOIN {_CATEGORY} c ON c.id = m.category_id
            UNION ALL
            SELECT sc.at, sc.from_status || '|' || c.code, -1
            FROM members_statuschange sc JOIN members_member m ON m.id = sc.member_id
            JOIN {_CATEGORY} c ON c.id = m.category_id
            WHERE sc.from_status <> ''
        """,
        # New changes; the whole history of members added (imports bring backdated history) or
        # moved to another category since.  A backdated change to an existing member waits for
        # the nightly full recompute.
        changed_sql=f"""
            SELECT {_month("sc.at")} FROM members_statuschange sc WHERE sc.at > %(since)s
            UNION
            SELECT {_month("sc.at")} FROM members_statuschange sc
            WHERE sc.member_id IN (
                SELECT m.id FROM members_member m WHERE m.created_at > %(since)s
                UNION ALL
                SELECT t.member_id FROM members_memberterm t WHERE t.kind = 'upgrade' AND t.created_at > %(since)s
            )
        """,
        dimension_label=_("status | category"),
    ),
    flow(
        "member_joins",
        _("New members"),
        tables=("members_member", _CATEGORY),
        source=f"members_member m JOIN {_CATEGORY} c ON c.id = m.category_id",
        at="m.joined_on",
        at_is_date=True,
        dimension="c.code",
        # New rows only: a corrected joining date waits for the nightly full recompute.
        changed="m.created_at",
        changed_from="members_member m",
        dimension_label=_("category"),
    ),
    flow(
        "member_renewals",
        _("Renewals"),
        tables=("members_memberterm", _CATEGORY),
        source=f"members_memberterm t JOIN {_CATEGORY} c ON c.id = t.category_id",
        at="t.created_at",
        where="t.kind IN ('renewal', 'reinstatement')",
        dimension="c.code",
        changed="t.created_at",
        changed_from="members_memberterm t",
        dimension_label=_("category"),
    ),
    flow(
        "member_lapses",
        _("Lapses"),
        tables=("members_statuschange", "members_member", _CATEGORY),
        source=(
            "members_statuschange sc JOIN members_member m ON m.id = sc.member_id "
            f"JOIN {_CATEGORY} c ON c.id = m.category_id"
        ),
        at="sc.at",
        where="sc.to_status = 'lapsed'",
        dimension="c.code",
        changed="sc.at",
        changed_from="members_statuschange sc",
        dimension_label=_("category"),
    ),
    # Dues and revenue ---------------------------------------------------------------------------
    flow(
        "billed",
        _("Invoiced"),
        tables=("dues_invoice",),
        source="dues_invoice i",
        at="i.issued_at",
        # Issued invoices and credit notes (negative totals): the net amount invoiced.
        where="i.number IS NOT NULL AND i.cancelled_at IS NULL",
        dimension="split_part(i.purpose, '.', 1) || '|' || i.currency",
        value="sum(i.total)",
        changed="GREATEST(i.created_at, i.issued_at, i.cancelled_at)",
        unit=Unit.MONEY,
        people=False,
        dimension_label=_("source | currency"),
    ),
    flow(
        "revenue",
        _("Payments received"),
        tables=("dues_payment", "dues_invoice"),
        source="dues_payment p JOIN dues_invoice i ON i.id = p.invoice_id",
        at="p.confirmed_at",
        where="p.state = 'confirmed'",
        dimension=(
            "split_part(i.purpose, '.', 1) || '|' || COALESCE(NULLIF(p.method_detail, ''), p.provider) "
            "|| '|' || p.currency"
        ),
        value="sum(p.amount)",
        changed="GREATEST(p.created_at, p.confirmed_at)",
        changed_from="dues_payment p",
        unit=Unit.MONEY,
        people=False,
        dimension_label=_("source | method | currency"),
    ),
    flow(
        "refunds",
        _("Refunds"),
        tables=("dues_refund",),
        source="dues_refund r",
        at="r.completed_at",
        where="r.state = 'done'",
        dimension="r.currency",
        value="sum(r.amount)",
        changed="GREATEST(r.created_at, r.completed_at)",
        unit=Unit.MONEY,
        people=False,
        dimension_label=_("currency"),
    ),
    # Meetings -------------------------------------------------------------------------------------
    flow(
        "meetings",
        _("Meetings held"),
        tables=("meetings_meeting",),
        source="meetings_meeting mt",
        at="mt.starts_on",
        at_is_date=True,
        where="mt.status NOT IN ('draft', 'cancelled')",
        changed="mt.updated_at",
        people=False,
    ),
    flow(
        "registrations",
        _("Registrations by meeting"),
        tables=("meetings_registration", "meetings_meeting"),
        source="meetings_registration r JOIN meetings_meeting mt ON mt.id = r.meeting_id",
        at="mt.starts_on",
        at_is_date=True,
        # Per meeting and status; check-ins are counted as their own status-like dimension so
        # that one query yields registrations, paid ones and check-ins.
        dimension="mt.slug || '|' || r.status",
        changed_sql=_REGISTRATIONS_CHANGED,
        dimension_label=_("meeting | status"),
    ),
    flow(
        "checkins",
        _("Check-ins by meeting"),
        tables=("meetings_registration", "meetings_meeting"),
        source="meetings_registration r JOIN meetings_meeting mt ON mt.id = r.meeting_id",
        at="mt.starts_on",
        at_is_date=True,
        where="r.checked_in_at IS NOT NULL",
        dimension="mt.slug",
        changed_sql=_REGISTRATIONS_CHANGED,
        dimension_label=_("meeting"),
    ),
    flow(
        "meeting_fees",
        _("Registration fees by meeting"),
        tables=("meetings_registration", "meetings_meeting"),
        source="meetings_registration r JOIN meetings_meeting mt ON mt.id = r.meeting_id",
        at="mt.starts_on",
        at_is_date=True,
        where="r.paid_at IS NOT NULL AND r.status = 'confirmed'",
        dimension="mt.slug || '|' || r.currency",
        value="sum(r.total)",
        changed_sql=_REGISTRATIONS_CHANGED,
        unit=Unit.MONEY,
        people=False,
        dimension_label=_("meeting | currency"),
    ),
    # Papers and review ----------------------------------------------------------------------------
    flow(
        "submissions",
        _("Submissions"),
        tables=("reviews_submission",),
        source="reviews_submission s",
        at="s.created_at",
        dimension="s.status",
        changed="s.updated_at",
        dimension_label=_("status"),
    ),
    flow(
        "reviews",
        _("Review assignments"),
        tables=("reviews_assignment", "reviews_review"),
        source="reviews_assignment a LEFT JOIN reviews_review rv ON rv.assignment_id = a.id",
        at="a.created_at",
        dimension="CASE WHEN rv.status = 'submitted' THEN 'submitted' ELSE 'open' END",
        changed="GREATEST(a.created_at, rv.updated_at)",
        people=False,
        dimension_label=_("review status"),
    ),
    flow(
        "decisions",
        _("Decisions"),
        tables=("reviews_decision",),
        source="reviews_decision dc",
        at="dc.decided_at",
        dimension="dc.outcome",
        changed="dc.decided_at",
        dimension_label=_("decision"),
    ),
    # Secretariat ----------------------------------------------------------------------------------
    flow(
        "staff_grants",
        _("Staff roles granted"),
        tables=("common_roleassignment",),
        source="common_roleassignment ra",
        at="ra.created_at",
        dimension="ra.role",
        changed="ra.created_at",
        dimension_label=_("role"),
    ),
    flow(
        "activity",
        _("Recorded changes (audit log)"),
        tables=("common_auditentry",),
        source="common_auditentry ae",
        at="ae.created_at",
        dimension="split_part(ae.action, '.', 1)",
        changed="ae.created_at",
        people=False,
        dimension_label=_("area"),
    ),
]

BY_KEY: dict[str, Metric] = {metric.key: metric for metric in METRICS}
