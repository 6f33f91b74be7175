"""Data board tables (public schema).

The board never reads a society's schema while serving a page: the fill task
(``board.fill``) aggregates each society's rows per month into :class:`MetricValue` and keeps a
:class:`FillWatermark` per society and metric.  Between fills, triggers on the societies' tables
record how each write changed the figures in :class:`PendingChange` (``board.capture``); the
next fill adds those changes instead of reading the societies' tables again.  The evaluation index is stored per year in
:class:`IndexScore`, computed with the operator's :class:`IndexSettings`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricValue(models.Model):
    """One figure: a society's value of a metric in a month, for one dimension value
    (a status, a category, a payment method; "" when the metric has no dimension)."""

    # No index of its own: board_value_unique starts with the society.  With one, the planner took
    # it to find a society's values of one metric and read all its metrics' rows (the fill's write
    # step read ~2,700 rows to keep ~170, per society and metric), and every write kept it too.
    society = models.ForeignKey("tenants.Society", on_delete=models.CASCADE, related_name="+", db_index=False)
    metric = models.CharField(max_length=40)
    period = models.DateField(help_text="First day of the month.")
    dimension = models.CharField(max_length=80, blank=True, default="")
    value = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["society", "metric", "period", "dimension"], name="board_value_unique")
        ]
        # The operator board reads one metric for all societies over a range of months.
        indexes = [models.Index(fields=["metric", "period"], name="board_value_metric_period")]

    def __str__(self):
        return f"{self.society_id} {self.metric} {self.period:%Y-%m} {self.dimension}={self.value}"


class FillWatermark(models.Model):
    """When the fill last brought a society's metric up to date.

    ``watermark`` is the database time at which the last successful fill started; None means
    the next fill recomputes the metric from the society's rows (its first fill, or after the
    metric's definition or its capture triggers changed) instead of adding the pending changes.
    """

    class Status(models.TextChoices):
        FILLED = "filled", _("Filled")
        SKIPPED = "skipped", _("Source not available yet")

    society = models.ForeignKey("tenants.Society", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=40)
    watermark = models.DateTimeField(null=True, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FILLED)
    months_recomputed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["society", "metric"], name="board_watermark_unique")]

    def __str__(self):
        return f"{self.society_id} {self.metric} @ {self.watermark}"


class PendingChange(models.Model):
    """How one write statement in a society's schema changed one figure, recorded by the capture
    triggers in the writer's own transaction and consumed by the next fill (``board.capture``).

    ``whole`` rows carry no change: they ask the next fill to recompute the metric from the
    society's rows (a change the triggers cannot express as a difference)."""

    id = models.BigAutoField(primary_key=True)
    society = models.ForeignKey("tenants.Society", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=40)
    period = models.DateField(null=True)
    dimension = models.CharField(max_length=80, blank=True, default="")
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    whole = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["society", "metric"], name="board_pending_society_metric")]

    def __str__(self):
        return f"{self.society_id} {self.metric} {self.period} {self.dimension} {self.value:+}"


class IndexSettings(models.Model):
    """The operator's choice of standardisation and indicator weights (one row, id 1)."""

    class Method(models.TextChoices):
        MINMAX = "minmax", _("Min–max (0 to 1)")
        ZSCORE = "zscore", _("z-score")

    method = models.CharField(_("standardisation"), max_length=8, choices=Method.choices, default=Method.MINMAX)
    weights = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("evaluation index settings")

    def __str__(self):
        return f"{self.method} {self.weights}"


class IndexScore(models.Model):
    """A society's evaluation index for one year, with its ranks (overall and within its
    discipline group) and its percentile within the group."""

    society = models.ForeignKey("tenants.Society", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    discipline_group = models.CharField(max_length=8)
    score = models.FloatField()
    rank = models.PositiveIntegerField()
    group_rank = models.PositiveIntegerField()
    group_size = models.PositiveIntegerField()
    percentile = models.FloatField()
    indicators = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["society", "year"], name="board_score_unique")]
        indexes = [models.Index(fields=["year", "rank"], name="board_score_year_rank")]

    def __str__(self):
        return f"{self.society_id} {self.year} #{self.rank} {self.score:.3f}"


class YearSummary(models.Model):
    """A society's evaluation indicators for one year, written by the fill from the society's
    own figures, so that the operator's board reads one row per society."""

    society = models.ForeignKey("tenants.Society", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    indicators = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["society", "year"], name="board_summary_unique")]
        indexes = [models.Index(fields=["year"], name="board_summary_year")]

    def __str__(self):
        return f"{self.society_id} {self.year} {self.indicators}"
