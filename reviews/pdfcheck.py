"""Uploaded papers: is it a real PDF within the call's limits, and an anonymised copy for reviewers.

The check reads the content (signature and a full parse), never the file name or the browser's
content type.  The sanitised copy drops the document information dictionary (Author, Creator,
Producer, Title, ...) and every XMP metadata stream, including per-page and per-object ones,
because reviewers' PDF readers show them in "Properties".
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError


class InvalidPdf(ValueError):
    """The upload is not acceptable; the message is for the author, in their language."""


@dataclass(frozen=True)
class CheckedPdf:
    content: bytes
    pages: int


def check_pdf(content: bytes, *, max_pages: int, max_size_mb: int) -> CheckedPdf:
    """Raise :class:`InvalidPdf` unless ``content`` is a readable PDF within the limits."""
    if not content:
        raise InvalidPdf(_("The file is empty."))
    limit = max_size_mb * 1024 * 1024
    if len(content) > limit:
        raise InvalidPdf(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": len(content) / 1024 / 1024, "limit": max_size_mb}
        )
    # The header may sit a little after the start (PDF 1.7 §7.5.2 tolerates leading bytes).
    if b"%PDF-" not in content[:1024]:
        raise InvalidPdf(_("The file is not a PDF (its content is not PDF, whatever its name)."))
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise InvalidPdf(_("The PDF is password-protected; upload an unprotected file."))
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, InvalidPdf):
            raise
        raise InvalidPdf(_("The PDF is damaged and cannot be read; export it again and retry.")) from exc
    if pages < 1:
        raise InvalidPdf(_("The PDF has no pages."))
    if pages > max_pages:
        raise InvalidPdf(
            _("The PDF has %(pages)d pages; the limit is %(limit)d.") % {"pages": pages, "limit": max_pages}
        )
    return CheckedPdf(content=content, pages=pages)


def strip_metadata(content: bytes) -> bytes:
    """A copy of the PDF without document information or XMP metadata anywhere."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) and "/Metadata" in obj:
                del obj["/Metadata"]
        if "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        # The document id is derived from the original file; regenerate so it cannot link the two.
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, deterministic_id=True, linearize=False)
    return out.getvalue()
