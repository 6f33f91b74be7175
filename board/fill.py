"""Filling the aggregate tables from one society's schema.

``fill_society`` brings every metric of a society up to date in one transaction (all metrics
in a few statements; :func:`fill_metric` does one metric alone, the same way):

1. lock the (society, metric) watermark row;
2. read the database time ``t`` (the new watermark);
3. find the months touched since the old watermark (less :data:`OVERLAP`, so that rows
   committed by transactions that started before the last fill are not missed);
4. delete those months' figures and insert them anew, computed by the metric's SQL, in one
   ``INSERT … SELECT`` (rows never travel through Python);
5. store ``t`` as the watermark, and the society's yearly indicators (YearSummary).

A crash at any step rolls everything back to the old watermarks; running it again recomputes
the same months from the same rows, so the fill is restartable and idempotent.  What no change
timestamp reveals (a deleted row, a backdated correction) waits for the nightly full recompute.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from board.metrics import METRICS, TZ, Metric
from board.models import FillWatermark, YearSummary

logger = logging.getLogger(__name__)

# Longer than any transaction that writes source rows is expected to run.
OVERLAP = timedelta(minutes=10)


@dataclass
class FillReport:
    schema_name: str
    filled: dict[str, int] = field(default_factory=dict)  # metric -> months recomputed (-1: all)
    skipped: list[str] = field(default_factory=list)


def _missing_tables(schema: str, tables: tuple[str, ...]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(quote_ident(%s) || '.' || t) IS NULL",
            [list(tables), schema],
        )
        return [row[0] for row in cursor.fetchall()]


def _months_to_recompute(metric: Metric, since) -> tuple[date | None, list[date] | None]:
    """``(start, months)`` for the metric's SQL; ``(None, None)`` means everything."""
    if since is None or metric.changed_sql is None:
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(metric.changed_sql, {"since": since - OVERLAP})
        months = sorted(row[0] for row in cursor.fetchall() if row[0] is not None)
    if metric.stock:
        # A stock is extended to the current month on every fill, even without changes.
        cursor_month = timezone.localtime(since, timezone=_tz()).date().replace(day=1)
        return min([cursor_month, *months]), None
    return (months[0] if months else None), months


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(TZ)


def fill_metric(*, society, metric: Metric, full: bool = False) -> int | None:
    """Bring one metric of one society up to date (one transaction).

    Returns how many months were recomputed (-1 for all), or None when the metric's source
    does not exist in this society's schema yet.  Must run inside the society's schema.
    """
    with transaction.atomic():
        FillWatermark.objects.get_or_create(society=society, metric=metric.key)
        mark = FillWatermark.objects.select_for_update().get(society=society, metric=metric.key)
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            started = cursor.fetchone()[0]
        if _missing_tables(society.schema_name, metric.tables):
            mark.status = FillWatermark.Status.SKIPPED
            mark.filled_at = started
            mark.save(update_fields=["status", "filled_at"])
            return None
        start, months = _months_to_recompute(metric, None if full else mark.watermark)
        if start is None and months is None:
            recomputed = -1
        elif metric.stock:
            recomputed = _months_between(start, started)
        else:
            recomputed = len(months)
        if recomputed:
            params = {
                "start": start,
                "months": months,
                "society": society.pk,
                "metric": metric.key,
            }
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        """DELETE FROM public.board_metricvalue
                           WHERE society_id = %(society)s AND metric = %(metric)s
                             AND (%(start)s::date IS NULL OR period >= %(start)s::date)
                             AND (%(months)s::date[] IS NULL OR period = ANY(%(months)s::date[]))""",
                        params,
                    )
                    cursor.execute(
                        f"""INSERT INTO public.board_metricvalue (society_id, metric, period, dimension, value)
                            SELECT %(society)s, %(metric)s, q.period, COALESCE(q.dimension, ''), q.value
                            FROM ({metric.sql}) q WHERE q.value IS NOT NULL""",
                        params,
                    )
            except DatabaseError:
                # A source table that exists but lacks a column this metric reads: another app's
                # migration is half-way.  Skip it now; the next fill tries again from the same mark.
                logger.exception("board: metric %s failed in %s", metric.key, society.schema_name)
                mark.status = FillWatermark.Status.SKIPPED
                mark.save(update_fields=["status"])
                return None
        mark.watermark = started
        mark.filled_at = started
        mark.status = FillWatermark.Status.FILLED
        mark.months_recomputed = max(recomputed, 0)
        mark.save(update_fields=["watermark", "filled_at", "status", "months_recomputed"])
        return recomputed


def _named(sql: str, key: str) -> str:
    """The metric's SQL with its parameters renamed for ``key``, to run many metrics in one statement."""
    for name in ("start", "months", "since", "metric"):
        sql = sql.replace(f"%({name})s", f"%({key}__{name})s")
    return sql


def _fill_together(*, society, metrics: list[Metric], full: bool, marks: dict, started) -> dict[str, int]:
    """All metrics of one society in four statements: changed months, DELETE, INSERT, watermarks.

    Same figures as :func:`fill_metric` one by one; raises DatabaseError when any metric's SQL
    fails (the caller then falls back to one metric at a time).
    """
    params = {"society": society.pk}
    plans = {}
    incremental = [m for m in metrics if not full and m.changed_sql and marks[m.key].watermark is not None]
    changed = {m.key: [] for m in incremental}
    # Metrics over the same rows share their search for changes (one scan, not one each).
    sharing: dict[str, list[Metric]] = {}
    for m in incremental:
        sharing.setdefault(m.changed_sql, []).append(m)
    if sharing:
        union = " UNION ALL ".join(
            f"SELECT %({group[0].key}__metric)s, x.* FROM ({_named(sql, group[0].key)}) x"
            for sql, group in sharing.items()
        )
        for group in sharing.values():
            params[f"{group[0].key}__since"] = min(marks[m.key].watermark for m in group) - OVERLAP
            params[f"{group[0].key}__metric"] = group[0].key
        sharers = {group[0].key: group for group in sharing.values()}
        with connection.cursor() as cursor:
            cursor.execute(union, params)
            for key, month in cursor.fetchall():
                if month is not None:
                    for m in sharers[key]:
                        changed[m.key].append(month)
    for metric in metrics:
        if metric.key not in changed:
            plans[metric.key] = (None, None)
            continue
        months = sorted(set(changed[metric.key]))
        if metric.stock:
            mark_month = timezone.localtime(marks[metric.key].watermark, timezone=_tz()).date().replace(day=1)
            plans[metric.key] = (min([mark_month, *months]), None)
        elif months:
            plans[metric.key] = (months[0], months)
    recomputed = {m.key: 0 for m in metrics}
    todo = [m for m in metrics if m.key in plans]
    if todo:
        for m in todo:
            start, months = plans[m.key]
            params.update({f"{m.key}__start": start, f"{m.key}__months": months, f"{m.key}__metric": m.key})
            recomputed[m.key] = -1 if start is None and months is None else len(months or [])
        deletes = " OR ".join(
            f"(metric = %({k}__metric)s AND (%({k}__start)s::date IS NULL OR period >= %({k}__start)s::date)"
            f" AND (%({k}__months)s::date[] IS NULL OR period = ANY(%({k}__months)s::date[])))"
            for k in (m.key for m in todo)
        )
        selects = " UNION ALL ".join(
            f"SELECT %({m.key}__metric)s AS metric, q.period, COALESCE(q.dimension, '') AS dimension, q.value "
            f"FROM ({_named(m.sql, m.key)}) q WHERE q.value IS NOT NULL"
            for m in todo
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM public.board_metricvalue WHERE society_id = %(society)s AND ({deletes})", params
            )
            cursor.execute(
                "INSERT INTO public.board_metricvalue (society_id, metric, period, dimension, value) "
                f"SELECT %(society)s, u.metric, u.period, u.dimension, u.value FROM ({selects}) u",
                params,
            )
    for metric in metrics:
        if metric.stock and recomputed[metric.key] != -1 and metric.key in plans:
            recomputed[metric.key] = _months_between(plans[metric.key][0], started)
    return recomputed


def _months_between(start: date, until) -> int:
    end = timezone.localtime(until, timezone=_tz()).date()
    return (end.year - start.year) * 12 + end.month - start.month + 1


def fill_society(*, society, full: bool = False, metrics: list[Metric] | None = None) -> FillReport:
    """Fill every registered metric (or ``metrics``) of ``society`` in one transaction.

    ``full`` ignores the watermarks and recomputes every month (the same figures, slower).
    The metrics run together in a handful of statements; if one of them fails (another app's
    migration half-way), each metric runs on its own and the failing one is skipped.
    """
    report = FillReport(schema_name=society.schema_name)
    if society.schema_name == get_public_schema_name():
        raise ValueError("the platform schema has no society figures")
    metrics = list(metrics or METRICS)
    keys = [m.key for m in metrics]
    with schema_context(society.schema_name), transaction.atomic():
        locked = FillWatermark.objects.select_for_update().filter(society=society, metric__in=keys)
        marks = {mark.metric: mark for mark in locked}
        if len(marks) < len(keys):  # the first fill of these metrics
            FillWatermark.objects.bulk_create(
                [FillWatermark(society=society, metric=key) for key in keys], ignore_conflicts=True
            )
            marks = {mark.metric: mark for mark in locked.all()}
        tables = sorted({t for m in metrics for t in m.tables})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT now(), ARRAY(SELECT t FROM unnest(%s::text[]) t "
                "WHERE to_regclass(quote_ident(%s) || '.' || t) IS NULL)",
                [tables, society.schema_name],
            )
            started, missing = cursor.fetchone()
        missing = set(missing)
        ready = [m for m in metrics if not missing.intersection(m.tables)]
        try:
            with transaction.atomic():
                recomputed = _fill_together(society=society, metrics=ready, full=full, marks=marks, started=started)
        except DatabaseError:
            logger.warning("board: combined fill failed in %s; filling metric by metric", society.schema_name)
            recomputed = {}
            for metric in ready:
                result = fill_metric(society=society, metric=metric, full=full)
                if result is not None:
                    recomputed[metric.key] = result
        else:
            # One statement (bulk_update's CASE per row costs more than the fill of a small society).
            with connection.cursor() as cursor:
                cursor.execute(
                    """UPDATE public.board_fillwatermark w
                       SET watermark = %(started)s, filled_at = %(started)s, status = %(filled)s,
                           months_recomputed = GREATEST(d.months, 0)
                       FROM unnest(%(metrics)s::text[], %(months)s::int[]) AS d(metric, months)
                       WHERE w.society_id = %(society)s AND w.metric = d.metric""",
                    {
                        "started": started,
                        "filled": FillWatermark.Status.FILLED,
                        "metrics": [m.key for m in ready],
                        "months": [recomputed[m.key] for m in ready],
                        "society": society.pk,
                    },
                )
        skipped = [m.key for m in metrics if m.key not in recomputed]
        if skipped:
            FillWatermark.objects.filter(society=society, metric__in=skipped).update(
                status=FillWatermark.Status.SKIPPED, filled_at=started
            )
        _store_summaries(society, prune=full)
    report.filled = recomputed
    report.skipped = skipped
    return report


def _store_summaries(society, *, prune: bool) -> None:
    """The society's yearly indicators (YearSummary), from the figures just filled; ``prune``
    also removes years left without figures (only a full recompute can empty a year)."""
    from board.selectors import summarise_years

    summaries = summarise_years(society.pk)
    if prune:
        YearSummary.objects.filter(society=society).exclude(year__in=list(summaries)).delete()
    YearSummary.objects.bulk_create(
        [YearSummary(society=society, year=year, indicators=values) for year, values in summaries.items()],
        update_conflicts=True,
        unique_fields=["society", "year"],
        update_fields=["indicators", "updated_at"],
    )
