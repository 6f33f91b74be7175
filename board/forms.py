from django import forms
from django.utils.translation import gettext_lazy as _

from board.index import METHODS, MINMAX
from board.models import IndexSettings
from board.selectors import INDICATOR_LABELS, INDICATORS
from board.services import MAX_WEIGHT
from tenants.models import DisciplineGroup


class _YearFilterForm(forms.Form):
    """A year (of ``years``, the newest by default) and one optional filter, the field
    named ``filter_field`` (GET)."""

    filter_field = ""
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.default_year = years[0]

    def values(self) -> tuple[int, str]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["year"], self.cleaned_data[self.filter_field]
        return self.default_year, ""


class SocietyFilterForm(_YearFilterForm):
    """Period and filters of a society's board (GET)."""

    filter_field = "category"
    category = forms.ChoiceField(label=_("Membership category"), required=False)

    def __init__(self, *args, years: list[int], categories: list[str], **kwargs):
        super().__init__(*args, years=years, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [(c, c) for c in categories]


class OperatorFilterForm(_YearFilterForm):
    """Year and discipline group of the operator's board (GET)."""

    filter_field = "group"
    group = forms.ChoiceField(label=_("Discipline group"), required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, years=years, **kwargs)
        self.fields["group"].choices = [("", _("All groups")), *DisciplineGroup.choices]


class IndexSettingsForm(forms.Form):
    """The operator's standardisation and one weight per indicator (POST)."""

    method = forms.ChoiceField(label=_("Standardisation"), choices=IndexSettings.Method.choices, initial=MINMAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in INDICATORS:
            self.fields[f"w_{name}"] = forms.DecimalField(
                label=INDICATOR_LABELS[name], min_value=0, max_value=MAX_WEIGHT, decimal_places=2, initial=0,
                error_messages={"invalid": _("Enter a number.")},
            )

    def clean_method(self):
        method = self.cleaned_data["method"]
        if method not in METHODS:
            raise forms.ValidationError(_("Choose min–max or z-score."))
        return method

    def weights(self) -> dict[str, float]:
        return {name: float(self.cleaned_data[f"w_{name}"]) for name in INDICATORS}

    @classmethod
    def initial_from(cls, settings_row: IndexSettings) -> dict:
        initial = {"method": settings_row.method}
        initial.update({f"w_{name}": settings_row.weights.get(name, 0) for name in INDICATORS})
        return initial
