"""The board's metrics, and the SQL that computes them from a society's schema.

A :class:`Metric` is one figure the board shows (monthly values per dimension).  Metrics are
computed by :class:`Source` queries, one per source table: a source reads its table once and
yields every metric that table feeds (registrations give registrations, check-ins and fees), so
a fill scans each table once, not once per metric.

A source's ``sql`` returns rows ``(metric, period, dimension, value)`` — ``period`` the first day
of a month (Asia/Shanghai), ``dimension`` a text ("" when none).  For a *stock* (members by status
at the end of each month) the rows are the month's *changes* (deltas); the fill turns them into
levels up to the current month.  The SQL is a template, written once and used two ways
(:meth:`Source.render`):

* over the whole tables, by a full fill (``board.fill``): ``{<table>}`` is the schema's table,
  ``{n}`` is ``count(*)`` and ``{w}`` is empty;
* over the rows one statement changed, by the capture triggers (``board.capture``): the changed
  table's ``{<table>}`` is its old rows (weight -1) and new rows (weight +1), ``{n}`` sums the
  weights and ``{w}`` multiplies by the weight.  For a statement that changes one table this
  gives exactly the change of every figure (a join's change is the changed rows joined to the
  others), so the board can be kept up to date from the changes alone.

That holds where the changed table is joined before the grouping.  A table joined to the grouped
rows only to name them (a category's code) is listed in ``whole_on``: a change to it makes the
next fill recompute the source whole for that society.  ``{start}`` (date or NULL) limits a full
fill to months from that one on.

Months of timestamps are found with ``width_bucket`` over the month boundaries in Asia/Shanghai
(the CTE ``bounds`` of :func:`month_bounds`, read once per statement from a small public table):
the same months as ``date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')`` for 1900–2199, at a
third of the cost.

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


# What a changed table's ``{<table>}`` becomes in a capture trigger, per operation: the
# statement's transition tables (``board_old``/``board_new``) with each row's weight.
CHANGED_ROWS = {
    "INSERT": "(SELECT t.*, 1 AS board_sign FROM board_new t)",
    "UPDATE": "(SELECT t.*, 1 AS board_sign FROM board_new t UNION ALL SELECT t.*, -1 FROM board_old t)",
    "DELETE": "(SELECT t.*, -1 AS board_sign FROM board_old t)",
}


@dataclass(frozen=True)
class Source:
    key: str
    tables: tuple[str, ...]
    metrics: tuple[str, ...]
    sql: str
    # Tables joined only to name grouped rows: a change recomputes the source whole.
    whole_on: tuple[str, ...] = ()

    @property
    def stock(self) -> bool:
        return any(BY_KEY[key].stock for key in self.metrics)

    def render(self, schema: str, *, start: str = "NULL", changed: tuple[str, str] | None = None) -> str:
        """The SQL over ``schema``'s tables (a quoted name, or a placeholder), from ``start`` on;
        or, with ``changed`` = (table, operation), the change one statement made to the figures."""
        tables = {table: f"{schema}.{table}" for table in self.tables}
        weight = {"n": "count(*)", "w": ""}
        if changed:
            table, operation = changed
            tables[table] = CHANGED_ROWS[operation]
            weight = {"n": "sum(board_sign)", "w": "board_sign * "}
        return self.sql.format(**tables, **weight, start=start)


# The month boundaries, computed once into a public table (board.capture.sync) and read by
# every statement through the CTE ``bounds``.
BOUNDS_TABLE = "public.board_monthbounds"


def bounds_sql() -> str:
    """The array of month starts (Asia/Shanghai) that :func:`_bucket` searches."""
    return (
        f"SELECT ARRAY(SELECT (d::timestamp AT TIME ZONE '{TZ}') FROM generate_series("
        f"DATE '{FIRST_MONTH}', DATE '{LAST_YEAR}-12-01', interval '1 month') d)"
    )


def month_bounds() -> str:
    """The CTE ``bounds`` (to put after WITH), read once for the whole statement.  The slice
    makes a plain copy of the stored (compressed, out-of-line) array: read as stored, every
    ``width_bucket`` call would decompress it again (three times slower on a full fill)."""
    return f"bounds AS MATERIALIZED (SELECT b[1:] AS b FROM {BOUNDS_TABLE})"


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
    value: str = "{n}",
    where: str = "TRUE",
    at_is_date: bool = False,
    by: str = "",
    label: str = "",
    whole_on: tuple[str, ...] = (),
) -> Source:
    """A source of one metric that counts (``{n}``) or sums (``sum({w}x)``) events in the month
    they happened (``at``).  With ``by`` the rows are grouped by that key (an id) and ``label``
    joins the table that names it (``dimension``) to the aggregated rows ``g`` — cheaper than
    joining every row; that table belongs in ``whole_on``.
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
    return Source(key=key, tables=tables, metrics=(key,), sql=sql, whole_on=whole_on)


_CATEGORY = "{members_membershipcategory}"

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
        # the new one (the stock's deltas; the fill adds up those of past months) and counts a
        # lapse.  The member's current category labels its whole history.
        sql=f"""
            SELECT v.metric, {_period("g.b")} AS period, v.dimension, sum(v.value) AS value FROM (
                SELECT {_bucket("sc.at")} AS b, sc.from_status, sc.to_status, m.category_id, {{n}} AS n
                FROM {{members_statuschange}} sc JOIN {{members_member}} m ON m.id = sc.member_id
                WHERE {_from_start("sc.at")}
                GROUP BY 1, 2, 3, 4
            ) g JOIN {_CATEGORY} c ON c.id = g.category_id
            CROSS JOIN LATERAL (VALUES
                ('members', g.to_status || '|' || c.code, g.n),
                ('members', CASE WHEN g.from_status <> '' THEN g.from_status || '|' || c.code END, -g.n),
                ('member_lapses', CASE WHEN g.to_status = 'lapsed' THEN c.code END, g.n)
            ) v(metric, dimension, value)
            WHERE v.dimension IS NOT NULL
            GROUP BY 1, 2, 3
        """,
        whole_on=("members_membershipcategory",),
    ),
    flow(
        "member_joins",
        tables=("members_member", "members_membershipcategory"),
        source="{members_member} m",
        at="m.joined_on",
        at_is_date=True,
        by="m.category_id",
        label=f"JOIN {_CATEGORY} c ON c.id = g.key",
        dimension="c.code",
        whole_on=("members_membershipcategory",),
    ),
    flow(
        "member_renewals",
        tables=("members_memberterm", "members_membershipcategory"),
        source="{members_memberterm} t",
        at="t.created_at",
        where="t.kind IN ('renewal', 'reinstatement')",
        by="t.category_id",
        label=f"JOIN {_CATEGORY} c ON c.id = g.key",
        dimension="c.code",
        whole_on=("members_membershipcategory",),
    ),
    # Dues and revenue ---------------------------------------------------------------------------
    flow(
        "billed",
        tables=("dues_invoice",),
        source="{dues_invoice} i",
        at="i.issued_at",
        # Issued invoices and credit notes (negative totals): the net amount invoiced.
        where="i.number IS NOT NULL AND i.cancelled_at IS NULL",
        dimension="split_part(i.purpose, '.', 1) || '|' || i.currency",
        value="sum({w}i.total)",
    ),
    flow(
        "revenue",
        tables=("dues_payment", "dues_invoice"),
        source="{dues_payment} p JOIN {dues_invoice} i ON i.id = p.invoice_id",
        at="p.confirmed_at",
        where="p.state = 'confirmed'",
        dimension=(
            "split_part(i.purpose, '.', 1) || '|' || COALESCE(NULLIF(p.method_detail, ''), p.provider) "
            "|| '|' || p.currency"
        ),
        value="sum({w}p.amount)",
    ),
    flow(
        "refunds",
        tables=("dues_refund",),
        source="{dues_refund} r",
        at="r.completed_at",
        where="r.state = 'done'",
        dimension="r.currency",
        value="sum({w}r.amount)",
    ),
    # Meetings -------------------------------------------------------------------------------------
    flow(
        "meetings",
        tables=("meetings_meeting",),
        source="{meetings_meeting} mt",
        at="mt.starts_on",
        at_is_date=True,
        where="mt.status NOT IN ('draft', 'cancelled')",
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
                       {{n}} AS n, {{n}} FILTER (WHERE r.checked_in_at IS NOT NULL) AS checked_in,
                       sum({{w}}r.total) FILTER (WHERE r.paid_at IS NOT NULL AND r.status = 'confirmed') AS fees
                FROM {{meetings_registration}} r JOIN {{meetings_meeting}} mt ON mt.id = r.meeting_id
                WHERE mt.starts_on IS NOT NULL AND {_from_start("mt.starts_on", is_date=True)}
                GROUP BY 1, 2, 3, 4
            ) g CROSS JOIN LATERAL (VALUES
                ('registrations', g.slug || '|' || g.status, g.n),
                ('checkins', CASE WHEN g.checked_in <> 0 THEN g.slug END, g.checked_in),
                ('meeting_fees', CASE WHEN g.fees IS NOT NULL THEN g.slug || '|' || g.currency END, g.fees)
            ) v(metric, dimension, value)
            WHERE v.dimension IS NOT NULL
            GROUP BY 1, 2, 3
        """,
    ),
    # Papers and review ----------------------------------------------------------------------------
    flow(
        "submissions",
        tables=("reviews_submission",),
        source="{reviews_submission} s",
        at="s.created_at",
        dimension="s.status",
    ),
    flow(
        "reviews",
        tables=("reviews_assignment", "reviews_review"),
        source="{reviews_assignment} a LEFT JOIN {reviews_review} rv ON rv.assignment_id = a.id",
        at="a.created_at",
        dimension="CASE WHEN rv.status = 'submitted' THEN 'submitted' ELSE 'open' END",
        # An outer join's change is not the changed review joined to the assignments.
        whole_on=("reviews_review",),
    ),
    flow(
        "decisions",
        tables=("reviews_decision",),
        source="{reviews_decision} dc",
        at="dc.decided_at",
        dimension="dc.outcome",
    ),
    # Secretariat ----------------------------------------------------------------------------------
    flow(
        "staff_grants",
        tables=("common_roleassignment",),
        source="{common_roleassignment} ra",
        at="ra.created_at",
        dimension="ra.role",
    ),
    flow(
        "activity",
        tables=("common_auditentry",),
        source="{common_auditentry} ae",
        at="ae.created_at",
        dimension="split_part(ae.action, '.', 1)",
    ),
]
SOURCE_OF: dict[str, Source] = {key: source for source in SOURCES for key in source.metrics}
# Every table a metric reads: each has the capture triggers (common/migrations/0002).
SOURCE_TABLES: tuple[str, ...] = tuple(sorted({table for source in SOURCES for table in source.tables}))
