"""Reads for the board pages, CSV and API: aggregate tables only, never a society's schema.

Every figure goes out as a :class:`Table` (columns and rows) that the chart, the CSV export and
the API all use, so the three always agree.  Small cells are suppressed here: a count of people
between 1 and k-1 becomes ``None`` (shown as "<k"), and so does any rate computed from one.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from board.models import FillWatermark, IndexScore, MetricValue, YearSummary

SOURCE_LABELS = {"membership": _("Dues"), "meeting": _("Meeting fees"), "meetings": _("Meeting fees")}
METHOD_LABELS = {
    "alipay": _("Alipay"),
    "wechat_pay": _("WeChat Pay"),
    "card": _("Card"),
    "stripe": _("Card"),
    "bank_transfer": _("Bank transfer"),
}
ACCEPTED = ("accept_oral", "accept_poster")
IN_GOOD_STANDING = ("active", "grace")


def small_cell_k() -> int:
    return int(getattr(settings, "BOARD_SMALL_CELL_K", 5))


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: str = "line"  # line | bar | stacked | pie
    # Columns (by index) holding rates in percent.
    percent_columns: tuple[int, ...] = ()
    # Columns where an empty value means "none" rather than "suppressed".
    nullable_columns: tuple[int, ...] = ()
    # Columns in the table and CSV but not drawn (another unit than the chart's axes).
    unplotted_columns: tuple[int, ...] = ()

    def is_nullable(self, index: int) -> bool:
        return index in self.percent_columns or index in self.nullable_columns

    def display_rows(self, k: int) -> list[list[str]]:
        """The rows as shown in an HTML table: suppressed counts as "<k", missing values as "–"."""
        percent, nullable = set(self.percent_columns), set(self.percent_columns) | set(self.nullable_columns)
        shown = []
        for row in self.rows:
            cells = []
            for i, value in enumerate(row):
                if value is None:
                    cells.append("–" if i in nullable else f"<{k}")
                elif isinstance(value, float):
                    cells.append(f"{value:.1f}%" if i in percent else f"{value:,.2f}")
                else:
                    cells.append(str(value))
            shown.append(cells)
        return shown

    def spec(self) -> dict:
        """What the chart script needs (see templates/board/_charts.html)."""
        return {
            "key": self.key,
            "columns": self.columns,
            "rows": self.rows,
            "chart": self.chart,
            "percent_columns": list(self.percent_columns),
            "unplotted_columns": list(self.unplotted_columns),
        }


def current_month() -> date:
    return timezone.localdate().replace(day=1)


def months_of(year: int) -> list[date]:
    last = 12 if year < current_month().year else current_month().month
    return [date(year, m, 1) for m in range(1, last + 1)]


def available_years(society_id: int | None = None) -> list[int]:
    """The years the board offers, newest first: from the first month of the member figures
    (an index lookup on (metric, period)) to this year, at most 15."""
    qs = MetricValue.objects.filter(metric="members")
    if society_id is not None:
        qs = qs.filter(society_id=society_id)
    first = qs.aggregate(first=Min("period"))["first"]
    this_year = current_month().year
    first_year = first.year if first else this_year - 4
    return list(range(max(first_year, this_year - 15), this_year + 1))[::-1]


def _suppress(value, k: int):
    if value is None:
        return None
    return None if 0 < value < k else value


def _rate(numerator, denominator, *, k: int | None = None):
    if numerator is None or denominator is None or not denominator:
        return None
    if k is not None and denominator < k:
        return None
    return round(float(numerator) / float(denominator) * 100, 1)


def _values(society_id: int, months: list[date], *metrics: str) -> dict[str, dict[tuple[date, str], Decimal]]:
    """The stored values of ``metrics`` in ``months``, per metric, in one query."""
    found: dict[str, dict[tuple[date, str], Decimal]] = {metric: {} for metric in metrics}
    rows = MetricValue.objects.filter(society_id=society_id, metric__in=metrics, period__in=months).values_list(
        "metric", "period", "dimension", "value"
    )
    for metric, period, dimension, value in rows:
        found[metric][period, dimension] = value
    return found


def _by_month(values, months, match=lambda dimension: True) -> list[Decimal]:
    sums = defaultdict(Decimal)
    for (period, dimension), value in values.items():
        if match(dimension):
            sums[period] += value
    return [sums.get(m, Decimal(0)) for m in months]


def _int(value):
    return int(value) if value is not None else None


def members_table(society_id: int, year: int, *, category: str = "") -> Table:
    """Members by status at the end of each month (all categories, or one)."""
    from members.models import MemberStatus

    months = months_of(year)
    levels = defaultdict(Decimal)  # (month, status) -> members
    for (period, dimension), value in _values(society_id, months, "members")["members"].items():
        status, _sep, code = dimension.partition("|")
        if not category or code == category:
            levels[(period, status)] += value
    order = list(MemberStatus.values)
    statuses = sorted({status for _period, status in levels}, key=lambda s: order.index(s) if s in order else 99)
    k = small_cell_k()
    rows = [
        [month.strftime("%Y-%m"), *[_suppress(_int(levels.get((month, s), Decimal(0))), k) for s in statuses]]
        for month in months
    ]
    labels = [str(MemberStatus(s).label) if s in order else s for s in statuses]
    return Table("members", str(_("Members by status (end of month)")), [str(_("Month")), *labels], rows, "stacked")


def member_flows_table(society_id: int, year: int, *, category: str = "") -> Table:
    months = months_of(year)
    k = small_cell_k()
    match = (lambda d: d == category) if category else (lambda d: True)
    values = _values(society_id, months, "member_joins", "member_renewals", "member_lapses")
    joins = _by_month(values["member_joins"], months, match)
    renewals = _by_month(values["member_renewals"], months, match)
    lapses = _by_month(values["member_lapses"], months, match)
    rows = []
    for i, month in enumerate(months):
        j, r, lp = _int(joins[i]), _int(renewals[i]), _int(lapses[i])
        rate = _rate(r, r + lp, k=k)
        rows.append([month.strftime("%Y-%m"), _suppress(j, k), _suppress(r, k), _suppress(lp, k), rate])
    columns = [_("Month"), _("New members"), _("Renewals"), _("Lapses"), _("Renewal rate (%)")]
    return Table("member_flows", str(_("Joins, renewals and lapses")), [str(c) for c in columns], rows, "bar",
                 percent_columns=(4,))


def dues_table(society_id: int, year: int, *, currency: str = "CNY") -> Table:
    months = months_of(year)
    values = _values(society_id, months, "billed", "revenue", "refunds")
    billed = _by_month(values["billed"], months, lambda d: d.endswith("|" + currency))
    collected = _by_month(values["revenue"], months, lambda d: d.endswith("|" + currency))
    refunds = _by_month(values["refunds"], months, lambda d: d == currency)
    rows = [
        [m.strftime("%Y-%m"), float(billed[i]), float(collected[i]), float(refunds[i]), _rate(collected[i], billed[i])]
        for i, m in enumerate(months)
    ]
    columns = [
        _("Month"),
        _("Invoiced (%(currency)s)") % {"currency": currency},
        _("Received (%(currency)s)") % {"currency": currency},
        _("Refunded (%(currency)s)") % {"currency": currency},
        _("Collection rate (%)"),
    ]
    return Table("dues", str(_("Invoiced and received")), [str(c) for c in columns], rows, "bar", percent_columns=(4,))


def revenue_table(society_id: int, year: int, *, currency: str = "CNY") -> Table:
    """Revenue of the year by source and by payment method (one row per pair)."""
    totals = defaultdict(Decimal)
    for dimension, value in MetricValue.objects.filter(
        society_id=society_id, metric="revenue", period__in=months_of(year), dimension__endswith="|" + currency
    ).values_list("dimension", "value"):
        source, method, _currency = (dimension.split("|") + ["", "", ""])[:3]
        totals[(str(SOURCE_LABELS.get(source, _("Other"))), str(METHOD_LABELS.get(method, method)))] += value
    rows = [[f"{source} · {method}", float(total)] for (source, method), total in sorted(totals.items())]
    columns = [str(_("Source · method")), str(_("Received (%(currency)s)") % {"currency": currency})]
    return Table("revenue", str(_("Revenue by source and method")), columns, rows, "pie")


def meetings_table(society_id: int, year: int, *, currency: str = "CNY") -> Table:
    months = months_of(year)
    values = _values(society_id, months, "registrations", "checkins", "meeting_fees")
    registrations, checkins = values["registrations"], values["checkins"]
    fees = defaultdict(Decimal)
    for (_period, dimension), value in values["meeting_fees"].items():
        slug, _sep, fee_currency = dimension.partition("|")
        if fee_currency == currency:
            fees[slug] += value
    per_meeting = defaultdict(lambda: defaultdict(Decimal))
    for (_period, dimension), value in registrations.items():
        slug, status = (dimension.split("|") + [""])[:2]
        per_meeting[slug][status] += value
    for (_period, slug), value in checkins.items():
        per_meeting[slug]["checked_in"] += value
    k = small_cell_k()
    rows = []
    for slug, counts in sorted(per_meeting.items()):
        registered = _int(sum(v for s, v in counts.items() if s in ("held", "confirmed", "waitlisted")))
        paid = _int(counts.get("confirmed", 0))
        checked_in = _int(counts.get("checked_in", 0))
        rows.append([slug, _suppress(registered, k), _suppress(paid, k), _suppress(checked_in, k),
                     _rate(checked_in, paid, k=k), float(fees.get(slug, 0))])
    columns = [
        _("Meeting"), _("Registered"), _("Confirmed"), _("Checked in"), _("Check-in rate (%)"),
        _("Fees received (%(currency)s)") % {"currency": currency},
    ]
    return Table("meetings", str(_("Meetings: registrations and check-in")), [str(c) for c in columns], rows, "bar",
                 percent_columns=(4,), unplotted_columns=(5,))


def reviews_table(society_id: int, year: int) -> Table:
    months = months_of(year)
    values = _values(society_id, months, "submissions", "reviews", "decisions")
    submissions = _by_month(values["submissions"], months, lambda d: d != "withdrawn")
    reviews = values["reviews"]
    done = _by_month(reviews, months, lambda d: d == "submitted")
    assigned = _by_month(reviews, months)
    decisions = values["decisions"]
    accepted = _by_month(decisions, months, lambda d: d in ACCEPTED)
    decided = _by_month(decisions, months)
    k = small_cell_k()
    rows = [
        [
            m.strftime("%Y-%m"),
            _suppress(_int(submissions[i]), k),
            _int(done[i]),
            _int(assigned[i]),
            _rate(accepted[i], decided[i], k=k),
        ]
        for i, m in enumerate(months)
    ]
    columns = [_("Month"), _("Submissions"), _("Reviews submitted"), _("Reviews assigned"), _("Acceptance rate (%)")]
    return Table("reviews", str(_("Papers and review")), [str(c) for c in columns], rows, "bar", percent_columns=(4,))


SOCIETY_TABLES = {
    "members": members_table,
    "member_flows": member_flows_table,
    "dues": dues_table,
    "revenue": revenue_table,
    "meetings": meetings_table,
    "reviews": reviews_table,
}


# The tables that a membership category filters.
CATEGORY_TABLES = ("members", "member_flows")


def society_table(key: str, society_id: int, year: int, *, category: str = "") -> Table:
    """The table ``key`` of SOCIETY_TABLES, filtered by ``category`` where it applies."""
    kwargs = {"category": category} if key in CATEGORY_TABLES else {}
    return SOCIETY_TABLES[key](society_id, year, **kwargs)


def society_tables(society_id: int, year: int, *, category: str = "") -> list[Table]:
    return [society_table(key, society_id, year, category=category) for key in SOCIETY_TABLES]


def society_categories(society_id: int) -> list[str]:
    """Category codes seen in the society's figures (codes only: they name no person)."""
    dims = MetricValue.objects.filter(society_id=society_id, metric="member_joins").values_list(
        "dimension", flat=True
    ).distinct()
    return sorted(set(dims))


def freshness(society_id: int | None = None) -> dict:
    """When the figures were last brought up to date: the oldest and newest fill."""
    qs = FillWatermark.objects.filter(status=FillWatermark.Status.FILLED)
    if society_id is not None:
        qs = qs.filter(society_id=society_id)
    return qs.aggregate(oldest=Min("filled_at"), newest=Max("filled_at"))


def own_score(society_id: int, year: int) -> IndexScore | None:
    return IndexScore.objects.filter(society_id=society_id, year=year).first()


# Cross-society reads (operator only) ---------------------------------------------------------


INDICATORS = ("members", "growth", "revenue", "meetings", "registrations", "submissions")
INDICATOR_LABELS = {
    "members": _("Members in good standing"),
    "growth": _("Member growth (%)"),
    "revenue": _("Revenue (CNY)"),
    "meetings": _("Meetings held"),
    "registrations": _("Meeting registrations"),
    "submissions": _("Paper submissions"),
}


def indicators_for_year(year: int) -> dict[int, dict[str, float]]:
    """Raw indicator values per society id for ``year`` (one row per society)."""
    return dict(YearSummary.objects.filter(year=year).values_list("society_id", "indicators"))


def operator_rows(year: int, group: str = "") -> list[dict]:
    """All active societies (or one discipline group) side by side for ``year``: indicators,
    score and ranks; best ranked first, unranked ones after them.  One query whatever the count."""
    import json

    from django.db import connection
    from django_tenants.utils import get_public_schema_name

    from tenants.models import DisciplineGroup, Society

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT s.id, s.slug, s.name_zh, s.name_en, s.discipline_group, ys.indicators,
                      sc.score, sc.rank, sc.group_rank, sc.percentile
               FROM public.tenants_society s
               LEFT JOIN public.board_yearsummary ys ON ys.society_id = s.id AND ys.year = %(year)s
               LEFT JOIN public.board_indexscore sc ON sc.society_id = s.id AND sc.year = %(year)s
               WHERE s.schema_name <> %(public)s AND s.status = %(active)s
                 AND (%(group)s = '' OR s.discipline_group = %(group)s)
               ORDER BY sc.rank NULLS LAST, s.slug""",
            {"year": year, "public": get_public_schema_name(), "active": Society.Status.ACTIVE, "group": group},
        )
        found = cursor.fetchall()
    groups = dict(DisciplineGroup.choices)
    english = (get_language() or "").startswith("en")
    k = small_cell_k()
    empty = dict.fromkeys(INDICATORS, 0)
    rows = []
    for society_id, slug, name_zh, name_en, discipline, indicators, score, rank, group_rank, percentile in found:
        if isinstance(indicators, str):
            indicators = json.loads(indicators)
        values = indicators or empty
        rows.append(
            {
                "society_id": society_id,
                "slug": slug,
                "name": name_en if english and name_en else name_zh,
                "group": str(groups.get(discipline, discipline)),
                "members": _suppress(values["members"], k),
                "growth": values["growth"],
                "revenue": values["revenue"],
                "meetings": values["meetings"],
                "registrations": _suppress(values["registrations"], k),
                "submissions": _suppress(values["submissions"], k),
                "score": score,
                "rank": rank,
                "group_rank": group_rank,
                "percentile": percentile,
            }
        )
    return rows


OPERATOR_COLUMNS = (
    ("name", _("Society")),
    ("group", _("Discipline group")),
    ("members", INDICATOR_LABELS["members"]),
    ("growth", INDICATOR_LABELS["growth"]),
    ("revenue", INDICATOR_LABELS["revenue"]),
    ("meetings", INDICATOR_LABELS["meetings"]),
    ("registrations", INDICATOR_LABELS["registrations"]),
    ("submissions", INDICATOR_LABELS["submissions"]),
    ("score", _("Index score")),
    ("rank", _("Rank")),
    ("group_rank", _("Rank in group")),
)


def operator_table(rows: list[dict]) -> Table:
    return Table(
        "societies",
        str(_("Societies side by side")),
        [str(label) for _key, label in OPERATOR_COLUMNS],
        [[row[key] for key, _label in OPERATOR_COLUMNS] for row in rows],
        "table",
        nullable_columns=(3, 8, 9, 10),
    )


def score_chart(rows: list[dict], limit: int = 20) -> Table:
    ranked = [row for row in rows if row["score"] is not None][:limit]
    return Table(
        "scores", str(_("Index score (top %(n)s)") % {"n": limit}), [str(_("Society")), str(_("Index score"))],
        [[row["name"], row["score"]] for row in ranked], "bar",
    )


def ranking_history(society_ids: list[int], names: dict[int, str]) -> Table:
    """Overall rank per year of the given societies (one line each)."""
    history = defaultdict(dict)
    for society_id, year, rank in IndexScore.objects.filter(society_id__in=society_ids).values_list(
        "society_id", "year", "rank"
    ):
        history[year][society_id] = rank
    rows = [[str(year), *[history[year].get(sid) for sid in society_ids]] for year in sorted(history)]
    return Table(
        "history", str(_("Ranking history")), [str(_("Year")), *[names[sid] for sid in society_ids]], rows, "rank"
    )
