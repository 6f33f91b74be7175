"""The board's metrics, and the SQL that computes them from a society's schema.

A :class:`Metric` is one figure the board shows (monthly values per dimension).  Metrics are
computed by :class:`Source` queries, one per source table: a source reads its table once and
yields every metric that table feeds (registrations give registrations, check-ins and fees), so
a fill scans each table once, not once per metric.  The fill (``board.fill``) runs each source
in every society's schema in one ``UNION ALL`` statement, with the society as a column.

A source's ``sql`` returns rows ``(metric, period, dimension, value)`` — ``period`` the first day
of a month (Asia/Shanghai), ``dimension`` a text ("" when none).  For a *stock* (members by status
at the end of each month) the rows are the month's *changes* (deltas); the fill turns them into
levels, continuing from the stored level of the month before ``start`` on an incremental fill.
The SQL is a template: ``{s}`` is the schema prefix of every table, and ``{start}``, ``{months}``,
``{since}`` name the parameters that make the fill incremental:

* ``{start}`` (date or NULL): only months from this one on;
* ``{months}`` (date[] or NULL): only these months (flows; applied by the fill);
* ``{since}`` (timestamptz, in ``changed_sql`` only): the months touched by rows written since.

A source without ``changed_sql`` is recomputed whole on every fill (its table is small).
Months of timestamps are found with ``width_bucket`` over the month boundaries in Asia/Shanghai
(the CTE ``bounds`` of :func:`month_bounds`, computed once per statement): the same months as
``date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')`` for 1900–2199, at a third of the cost.

A source whose table does not exist in a schema (an app not migrated yet) is skipped there.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

TZ = "Asia/Shanghai"
FIRST_MONTH = date(1900, 1, 1)
LAST_YEAR = 2199


class Unit:
    COUNT = "count"
    MONEY = "money"  # dimension ends with "|<currency>"


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str = Unit.COUNT
    stock: bool = False
    # Values count people: cells below the board's k are suppressed when shown.
    people: bool = True
    dimension_label: str = field(default="")


@dataclass(frozen=True)
class Source:
    key: str
    tables: tuple[str, ...]
    metrics: tuple[str, ...]
    sql: str
    changed_sql: str | None = None

    @property
    def stock(self) -> bool:
        return any(BY_KEY[key].stock for key in self.metrics)


def month_bounds() -> str:
    """The CTE ``bounds`` (to put after WITH): the month starts (Asia/Shanghai) that
    :func:`_bucket` searches, one array computed once for the whole statement."""
    return (
        f"bounds AS MATERIALIZED (SELECT ARRAY(SELECT (d::timestamp AT TIME ZONE '{TZ}') FROM generate_series("
        f"DATE '{FIRST_MONTH}', DATE '{LAST_YEAR}-12-01', interval '1 month') d) AS b)"
    )


def _bucket(expr: str) -> str:
    """The month of timestamp ``expr`` as a bucket number (group by it, then :func:`_period`)."""
    return f"width_bucket({expr}, (SELECT b FROM bounds))"


def _period(bucket: str) -> str:
    return f"(DATE '{FIRST_MONTH}' + make_interval(months => {bucket} - 1))::date"


def _from_start(expr: str, *, is_date: bool = False) -> str:
    if is_date:
        return f"({{start}}::date IS NULL OR {expr} >= {{start}}::date)"
    return f"({{start}}::date IS NULL OR {expr} >= ({{start}}::date::timestamp AT TIME ZONE '{TZ}'))"


def _month_of(expr: str, *, is_date: bool = False) -> str:
    if is_date:
        return f"date_trunc('month', {expr})::date"
    return f"date_trunc('month', {expr} AT TIME ZONE '{TZ}')::date"


def flow(
    key: str,
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
    by: str = "",
    label: str = "",
) -> Source:
    """A source of one metric that counts or sums events in the month they happened (``at``).

    ``changed`` is a condition true for rows written since ``{since}`` (``x > {since}`` on
    timestamp columns, or'ed); rows matching it mark their month.  The search reads
    ``changed_from`` (default ``source``: give the one table that holds ``at`` and the change
    columns, to spare joins), or ``changed_sql`` is given whole.  With ``by`` the rows are grouped
    by that key (an id) and ``label`` joins the table that names it (``dimension``) to the
    aggregated rows ``g`` — cheaper than joining every row.
    """
    if at_is_date:
        group, period = _month_of(at, is_date=True), "g.b"
    else:
        group, period = _bucket(at), _period("g.b")
    sql = f"""
        SELECT '{key}' AS metric, {period} AS period, ({dimension if by else "g.key"})::text AS dimension,
               g.value
        FROM (
            SELECT {group} AS b, {by or dimension} AS key, {value} AS value
            FROM {source}
            WHERE {where} AND {at} IS NOT NULL AND {_from_start(at, is_date=at_is_date)}
            GROUP BY 1, 2
        ) g {label}
    """
    if changed and not changed_sql:
        changed_sql = (
            f"SELECT DISTINCT {_month_of(at, is_date=at_is_date)} FROM {changed_from or source} "
            f"WHERE {at} IS NOT NULL AND ({changed})"
        )
    return Source(key=key, tables=tables, metrics=(key,), sql=sql, changed_sql=changed_sql)


def _since(*columns: str) -> str:
    """Rows written since ``{since}``: one indexable comparison per timestamp column, or'ed."""
    return " OR ".join(f"{column} > {{since}}" for column in columns)


_CATEGORY = "{s}members_membershipcategory"

METRICS: list[Metric] = [
    Metric("members", _("Members by status and category"), stock=True, dimension_label=_("status | category")),
    Metric("member_joins", _("New members"), dimension_label=_("category")),
    Metric("member_renewals", _("Renewals"), dimension_label=_("category")),
    Metric("member_lapses", _("Lapses"), dimension_label=_("category")),
    Metric("billed", _("Invoiced"), unit=Unit.MONEY, people=False, dimension_label=_("source | currency")),
    Metric("revenue", _("Payments received"), unit=Unit.MONEY, people=False,
           dimension_label=_("source | method | currency")),
    Metric("refunds", _("Refunds"), unit=Unit.MONEY, people=False, dimension_label=_("currency")),
    Metric("meetings", _("Meetings held"), people=False),
    Metric("registrations", _("Registrations by meeting"), dimension_label=_("meeting | status")),
    Metric("checkins", _("Check-ins by meeting"), dimension_label=_("meeting")),
    Metric("meeting_fees", _("Registration fees by meeting"), unit=Unit.MONEY, people=False,
           dimension_label=_("meeting | currency")),
    Metric("submissions", _("Submissions"), dimension_label=_("status")),
    Metric("reviews", _("Review assignments"), people=False, dimension_label=_("review status")),
    Metric("decisions", _("Decisions"), dimension_label=_("decision")),
    Metric("staff_grants", _("Staff roles granted"), dimension_label=_("role")),
    Metric("activity", _("Recorded changes (audit log)"), people=False, dimension_label=_("area")),
]
BY_KEY: dict[str, Metric] = {metric.key: metric for metric in METRICS}

SOURCES: list[Source] = [
    # Members ---------------------------------------------------------------------------------
    Source(
        "status_changes",
        tables=("members_statuschange", "members_member", "members_membershipcategory"),
        metrics=("members", "member_lapses"),
        # One pass over the history: each change moves one member out of its old status and into
        # the new one (the stock's deltas, up to the current month) and counts a lapse.  The
        # member's current category labels its whole history.
        sql=f"""
            SELECT v.metric, {_period("g.b")} AS period, v.dimension, sum(v.value) AS value FROM (
                SELECT {_bucket("sc.at")} AS b, sc.from_status, sc.to_status, m.category_id, count(*) AS n
                FROM {{s}}members_statuschange sc JOIN {{s}}members_member m ON m.id = sc.member_id
                WHERE {_from_start("sc.at")}
                GROUP BY 1, 2, 3, 4
            ) g JOIN {_CATEGORY} c ON c.id = g.category_id
            -- Months up to this one (the buckets after it are in the future).
            CROSS JOIN LATERAL (SELECT g.b <= {_bucket("now()")} AS past) p
            CROSS JOIN LATERAL (VALUES
                ('members', CASE WHEN p.past THEN g.to_status || '|' || c.code END, g.n),
                ('members', CASE WHEN p.past AND g.from_status <> '' THEN g.from_status || '|' || c.code END, -g.n),
                ('member_lapses', CASE WHEN g.to_status = 'lapsed' THEN c.code END, g.n)
            ) v(metric, dimension, value)
            WHERE v.dimension IS NOT NULL
            GROUP BY 1, 2, 3
        """,
        # New changes; the whole history of members added (imports bring backdated history) or
        # moved to another category since.  A backdated change to an existing member waits for
        # the nightly full recompute.
        changed_sql=f"""
            SELECT {_month_of("sc.at")} FROM {{s}}members_statuschange sc WHERE sc.at > {{since}}
            UNION
            SELECT {_month_of("sc.at")} FROM {{s}}members_statuschange sc
            WHERE sc.member_id IN (
                SELECT m.id FROM {{s}}members_member m WHERE m.created_at > {{since}}
                UNION ALL
                SELECT t.member_id FROM {{s}}members_memberterm t
                WHERE t.kind = 'upgrade' AND t.created_at > {{since}}
            )
        """,
    ),
    flow(
        "member_joins",
        tables=("members_member", "members_membershipcategory"),
        source="{s}members_member m",
        at="m.joined_on",
        at_is_date=True,
        by="m.category_id",
        label=f"JOIN {_CATEGORY} c ON c.id = g.key",
        dimension="c.code",
        # Members added since, or given their joining date (a join term) or another category
        # (an upgrade term) since.
        changed_sql=f"""
            SELECT DISTINCT {_month_of("m.joined_on", is_date=True)} FROM {{s}}members_member m
            WHERE m.joined_on IS NOT NULL AND (m.created_at > {{since}} OR m.id IN (
                SELECT t.member_id FROM {{s}}members_memberterm t
                WHERE t.kind IN ('join', 'upgrade') AND t.created_at > {{since}}
            ))
        """,
    ),
    flow(
        "member_renewals",
        tables=("members_memberterm", "members_membershipcategory"),
        source="{s}members_memberterm t",
        at="t.created_at",
        where="t.kind IN ('renewal', 'reinstatement')",
        by="t.category_id",
        label=f"JOIN {_CATEGORY} c ON c.id = g.key",
        dimension="c.code",
        changed=_since("t.created_at"),
    ),
    # Dues and revenue ---------------------------------------------------------------------------
    flow(
        "billed",
        tables=("dues_invoice",),
        source="{s}dues_invoice i",
        at="i.issued_at",
        # Issued invoices and credit notes (negative totals): the net amount invoiced.
        where="i.number IS NOT NULL AND i.cancelled_at IS NULL",
        dimension="split_part(i.purpose, '.', 1) || '|' || i.currency",
        value="sum(i.total)",
        changed=_since("i.created_at", "i.issued_at", "i.cancelled_at"),
    ),
    flow(
        "revenue",
        tables=("dues_payment", "dues_invoice"),
        source="{s}dues_payment p JOIN {s}dues_invoice i ON i.id = p.invoice_id",
        at="p.confirmed_at",
        where="p.state = 'confirmed'",
        dimension=(
            "split_part(i.purpose, '.', 1) || '|' || COALESCE(NULLIF(p.method_detail, ''), p.provider) "
            "|| '|' || p.currency"
        ),
        value="sum(p.amount)",
        changed=_since("p.created_at", "p.confirmed_at"),
        changed_from="{s}dues_payment p",
    ),
    flow(
        "refunds",
        tables=("dues_refund",),
        source="{s}dues_refund r",
        at="r.completed_at",
        where="r.state = 'done'",
        dimension="r.currency",
        value="sum(r.amount)",
        changed=_since("r.created_at", "r.completed_at"),
    ),
    # Meetings -------------------------------------------------------------------------------------
    flow(
        "meetings",
        tables=("meetings_meeting",),
        source="{s}meetings_meeting mt",
        at="mt.starts_on",
        at_is_date=True,
        where="mt.status NOT IN ('draft', 'cancelled')",
        changed=_since("mt.updated_at"),
    ),
    Source(
        "registrations",
        tables=("meetings_registration", "meetings_meeting"),
        metrics=("registrations", "checkins", "meeting_fees"),
        # One pass per meeting and status: registrations, check-ins and fees paid, by the month
        # of the meeting.
        sql=f"""
            SELECT v.metric, g.period, v.dimension, sum(v.value) AS value FROM (
                SELECT {_month_of("mt.starts_on", is_date=True)} AS period, mt.slug, r.status, r.currency,
                       count(*) AS n, count(r.checked_in_at) AS checked_in,
                       sum(r.total) FILTER (WHERE r.paid_at IS NOT NULL AND r.status = 'confirmed') AS fees
                FROM {{s}}meetings_registration r JOIN {{s}}meetings_meeting mt ON mt.id = r.meeting_id
                WHERE mt.starts_on IS NOT NULL AND {_from_start("mt.starts_on", is_date=True)}
                GROUP BY 1, 2, 3, 4
            ) g CROSS JOIN LATERAL (VALUES
                ('registrations', g.slug || '|' || g.status, g.n),
                ('checkins', CASE WHEN g.checked_in > 0 THEN g.slug END, g.checked_in),
                ('meeting_fees', CASE WHEN g.fees IS NOT NULL THEN g.slug || '|' || g.currency END, g.fees)
            ) v(metric, dimension, value)
            WHERE v.dimension IS NOT NULL
            GROUP BY 1, 2, 3
        """,
        # Months of the meetings changed, or whose registrations were written, since.
        changed_sql=f"""
            SELECT DISTINCT {_month_of("mt.starts_on", is_date=True)} FROM {{s}}meetings_meeting mt
            WHERE mt.updated_at > {{since}} OR mt.id IN (
                SELECT r.meeting_id FROM {{s}}meetings_registration r
                WHERE {_since("r.created_at", "r.paid_at", "r.cancelled_at", "r.checked_in_at")}
            )
        """,
    ),
    # Papers and review ----------------------------------------------------------------------------
    flow(
        "submissions",
        tables=("reviews_submission",),
        source="{s}reviews_submission s",
        at="s.created_at",
        dimension="s.status",
        changed=_since("s.updated_at"),
    ),
    flow(
        "reviews",
        tables=("reviews_assignment", "reviews_review"),
        source="{s}reviews_assignment a LEFT JOIN {s}reviews_review rv ON rv.assignment_id = a.id",
        at="a.created_at",
        dimension="CASE WHEN rv.status = 'submitted' THEN 'submitted' ELSE 'open' END",
        changed=_since("a.created_at", "rv.updated_at"),
    ),
    flow(
        "decisions",
        tables=("reviews_decision",),
        source="{s}reviews_decision dc",
        at="dc.decided_at",
        dimension="dc.outcome",
        changed=_since("dc.decided_at"),
    ),
    # Secretariat ----------------------------------------------------------------------------------
    flow(
        "staff_grants",
        tables=("common_roleassignment",),
        source="{s}common_roleassignment ra",
        at="ra.created_at",
        dimension="ra.role",
        changed=_since("ra.created_at"),
    ),
    flow(
        "activity",
        tables=("common_auditentry",),
        source="{s}common_auditentry ae",
        at="ae.created_at",
        dimension="split_part(ae.action, '.', 1)",
        changed=_since("ae.created_at"),
    ),
]
SOURCE_OF: dict[str, Source] = {key: source for source in SOURCES for key in source.metrics}
