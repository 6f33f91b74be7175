"""The association office's board (platform host, /board/): all societies side by side, the
evaluation index and its weights.  Platform operators only (``accounts.User.is_staff``)."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from board.csv_export import table_response
from board.forms import IndexSettingsForm, OperatorFilterForm
from board.selectors import (
    available_years,
    freshness,
    operator_rows,
    operator_table,
    ranking_history,
    score_chart,
    small_cell_k,
)
from board.services import InvalidWeights, get_index_settings, record_board_access, update_index_settings

operator_required = staff_member_required(login_url="accounts:login")


def _filters(request):
    form = OperatorFilterForm(request.GET or None, years=available_years())
    year, group = form.values()
    return form, year, group


@operator_required
def operator_board(request, weights_form=None):
    form, year, group = _filters(request)
    settings_row = get_index_settings()
    rows = operator_rows(year, group)
    top_ids = [row["society_id"] for row in rows[:10]]
    record_board_access(actor=request.user, page="operator_view", params={"year": year, "group": group})
    return render(
        request,
        "board/operator.html",
        {
            "form": form,
            "year": year,
            "group": group,
            "rows": rows,
            "table": operator_table(rows),
            "scores": score_chart(rows),
            "history": ranking_history(top_ids, {row["society_id"]: row["name"] for row in rows[:10]}),
            "weights_form": weights_form or IndexSettingsForm(initial=IndexSettingsForm.initial_from(settings_row)),
            "settings_row": settings_row,
            "fresh": freshness(),
            "k": small_cell_k(),
        },
        status=400 if weights_form is not None else 200,
    )


@require_POST
@operator_required
def operator_weights(request):
    form = IndexSettingsForm(request.POST)
    if not form.is_valid():
        return operator_board(request, weights_form=form)
    try:
        update_index_settings(actor=request.user, method=form.cleaned_data["method"], weights=form.weights())
    except InvalidWeights as exc:
        form.add_error(None, str(exc))
        return operator_board(request, weights_form=form)
    messages.success(request, _("Weights saved; the ranking has been recomputed."))
    query = request.GET.urlencode()
    return redirect(request.path.rsplit("weights/", 1)[0] + (f"?{query}" if query else ""))


@operator_required
def operator_csv(request):
    _form, year, group = _filters(request)
    record_board_access(actor=request.user, page="operator_export", params={"year": year, "group": group})
    suffix = f"-{group}" if group else ""
    return table_response(operator_table(operator_rows(year, group)), f"societies-{year}{suffix}.csv")
