"""Chair downloads: programme (CSV/XLSX) and the book of abstracts (see reviews.exports)."""

from django.http import Http404, HttpResponse

from reviews import exports
from reviews.views.common import chair_required

FORMATS = {
    "csv": ("text/csv; charset=utf-8", exports.programme_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.programme_xlsx),
}


@chair_required
def programme(request, call, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    mimetype, build = FORMATS[fmt]
    response = HttpResponse(build(call), content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="programme-{call.pk}.{fmt}"'
    return response


@chair_required
def abstract_book(request, call):
    response = HttpResponse(exports.abstract_book_pdf(call), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="abstracts-{call.pk}.pdf"'
    return response
