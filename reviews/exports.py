"""Programme (CSV/XLSX) and the book of abstracts (PDF, Chinese and English) of a call.

Only papers in the programme appear: accepted, authors notified (so a chair who is also an
author learns nothing early), not withdrawn, and with an author registered and paid.
"""

from __future__ import annotations

import csv
import io
import subprocess

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from common.pdf.weasy import html_to_pdf
from reviews import selectors
from reviews.services.decisions import enters_programme, paid_authors

FONT_FAMILY = "WenQuanYi Zen Hei"


def programme_papers(call) -> list:
    papers = list(selectors.programme_rows(call))
    paid = paid_authors(call.meeting, {author.email for paper in papers for author in paper.authors.all()})
    return [p for p in papers if enters_programme(p, paid)]


def _rows(call):
    header = [
        _("Number"),
        _("Decision"),
        _("Track"),
        _("Title (Chinese)"),
        _("Title (English)"),
        _("Authors"),
        _("Presenting"),
    ]
    rows = []
    for paper in programme_papers(call):
        authors = list(paper.authors.all())
        rows.append(
            [
                paper.number,
                paper.decision.get_outcome_display(),
                paper.track.name if paper.track else "",
                paper.title_zh,
                paper.title_en,
                "; ".join(f"{a.name} ({a.affiliation})" for a in authors),
                "; ".join(a.name for a in authors if a.is_presenting),
            ]
        )
    return header, rows


def programme_csv(call) -> bytes:
    header, rows = _rows(call)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    # The BOM makes Excel on Chinese Windows read UTF-8 instead of GBK.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def programme_xlsx(call) -> bytes:
    from openpyxl import Workbook

    header, rows = _rows(call)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Programme")[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _font_available() -> bool:
    try:
        found = subprocess.run(["fc-list", f":family={FONT_FAMILY}"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def abstract_book_pdf(call) -> bytes:
    """The book of abstracts of the papers in the programme."""
    return render_abstract_book(call, programme_papers(call))


def render_abstract_book(call, papers) -> bytes:
    """WeasyPrint from templates/reviews/abstract_book.html; the Chinese font comes from fontconfig
    and is embedded.  Values are escaped by the template engine; no URL is ever fetched."""
    html = render_to_string(
        "reviews/abstract_book.html",
        {
            "call": call,
            "meeting": call.meeting,
            "papers": papers,
            "font": FONT_FAMILY if _font_available() else "sans-serif",
        },
    )
    return html_to_pdf(html)
