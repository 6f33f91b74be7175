import io

import pikepdf
import pytest

from reviews.pdfcheck import InvalidPdf, check_pdf, strip_metadata
from tests.reviews.conftest import make_pdf


def test_real_pdf_within_limits_passes():
    checked = check_pdf(make_pdf(pages=3), max_pages=4, max_size_mb=1)
    assert checked.pages == 3


def test_text_file_named_pdf_is_refused_by_content():
    with pytest.raises(InvalidPdf) as exc:
        check_pdf(b"Dear committee, here is my paper.", max_pages=4, max_size_mb=1)
    assert str(exc.value) == "The file is not a PDF (its content is not PDF, whatever its name)."


def test_too_many_pages_is_refused_with_counts():
    with pytest.raises(InvalidPdf) as exc:
        check_pdf(make_pdf(pages=5), max_pages=4, max_size_mb=1)
    assert str(exc.value) == "The PDF has 5 pages; the limit is 4."


def test_too_large_is_refused_with_sizes():
    content = make_pdf() + b"%" + b"x" * (1024 * 1024)
    with pytest.raises(InvalidPdf) as exc:
        check_pdf(content, max_pages=4, max_size_mb=1)
    assert str(exc.value).endswith("the limit is 1 MB.")


def test_truncated_pdf_is_refused_as_damaged():
    with pytest.raises(InvalidPdf) as exc:
        check_pdf(b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", max_pages=4, max_size_mb=1)
    assert str(exc.value) in {
        "The PDF is damaged and cannot be read; export it again and retry.",
        "The PDF has no pages.",
    }


def test_empty_file_is_refused():
    with pytest.raises(InvalidPdf) as exc:
        check_pdf(b"", max_pages=4, max_size_mb=1)
    assert str(exc.value) == "The file is empty."


def test_metadata_naming_the_author_is_stripped():
    original = make_pdf(author="Zhang Wei", title="Zhang Wei draft v3", xmp_creator="Zhang Wei")
    with pikepdf.open(io.BytesIO(original)) as pdf:  # the fixture really carries the name
        assert str(pdf.docinfo["/Author"]) == "Zhang Wei"
        assert "/Metadata" in pdf.Root
    clean = strip_metadata(original)
    assert b"Zhang" not in clean
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert "/Info" not in pdf.trailer or len(pdf.docinfo) == 0
        assert "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 2
    # Still a valid PDF for the reviewers.
    assert check_pdf(clean, max_pages=4, max_size_mb=1).pages == 2
