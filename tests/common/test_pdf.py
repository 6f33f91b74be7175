"""Document renderers (common/pdf): no Django, no database.

Run: ``.venv/bin/python -m pytest -p no:django tests/common -q``.
"""

import hashlib
import io
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import qrcode
from pypdf import PdfReader

from common.pdf import badge, card, certificate, fonts, invoice, invoice_layout, qr, samples
from common.pdf.base import coerce, format_range_en, format_range_zh, safe_filename
from common.pdf.layout import text_width, wrap
from common.pdf.money import cny_uppercase, format_amount, format_quantity, format_rate

REPO = Path(__file__).resolve().parents[2]
BUYER = "北京示例大学化学与分子工程学院"


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def content_of(data: bytes, page: int = 0) -> bytes:
    return PdfReader(io.BytesIO(data)).pages[page].get_contents().get_data()


def fonts_of(data: bytes) -> list:
    reader = PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            found.append(ref.get_object())
    return found


def invoice_1234_50(**overrides) -> dict:
    """Two lines summing to 1,234.50 (no tax): 1 x 1,000.00 + 2 x 117.25."""
    doc = samples.sample_invoice(lines=0)
    doc["lines"] = [
        {
            "description": "2026年度单位会员会费 Institutional membership dues 2026",
            "quantity": "1",
            "unit_price": "1000.00",
        },
        {"description": "会议资料费 Conference materials", "quantity": "2", "unit_price": "117.25"},
    ]
    doc.update(overrides)
    return doc


# --- amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.10", "壹角整"),
        ("10.00", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("1001.10", "壹仟零壹元壹角整"),
        ("1010.00", "壹仟零壹拾元整"),
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("1234.05", "壹仟贰佰叁拾肆元零伍分"),
        ("100010.00", "壹拾万零壹拾元整"),
        ("110000", "壹拾壹万元整"),
        ("10000001", "壹仟万零壹元整"),
        ("100000000.00", "壹亿元整"),
        ("100100000", "壹亿零壹拾万元整"),
        ("1000000001", "壹拾亿零壹元整"),
        ("1000100010000", "壹万亿零壹亿零壹万元整"),
        ("-1234.50", "负壹仟贰佰叁拾肆元伍角整"),
        ("-0.05", "负伍分"),
        ("-0.00", "零元整"),
        (Decimal("1234.555"), "壹仟贰佰叁拾肆元伍角陆分"),  # half-up to the fen
    ],
)
def test_cny_uppercase_cases(amount, expected):
    assert cny_uppercase(amount) == expected


def test_cny_uppercase_too_large_or_float_rejected():
    with pytest.raises(ValueError):
        cny_uppercase("10000000000000000")
    with pytest.raises(TypeError):
        cny_uppercase(12.5)


def test_format_amount_thousands_and_decimals():
    assert format_amount("1234.5") == "1,234.50"
    assert format_amount(Decimal("1234567.891")) == "1,234,567.89"
    assert format_amount("-1234.5", symbol=True) == "-¥1,234.50"
    assert format_amount("-0.001") == "0.00"
    assert format_amount("99.5", "USD", symbol=True) == "$99.50"
    assert format_amount("1234", "JPY", symbol=True) == "¥1,234"
    assert format_quantity("2.50") == "2.5"
    assert format_quantity("1000") == "1,000"
    assert format_rate("6.00") == "6%"
    assert format_rate("5.5") == "5.5%"


# --- fonts -----------------------------------------------------------------------------------------


def test_find_font_missing_names_the_debian_package():
    with pytest.raises(fonts.FontNotFoundError, match="fonts-wqy-zenhei"):
        fonts.find_cjk_font(environ={}, candidates=(), use_fontconfig=False)


def test_find_font_env_path_missing_is_an_error():
    env = {fonts.ENV_PATH: "/nonexistent/font.ttc"}
    with pytest.raises(fonts.FontNotFoundError, match="does not exist"):
        fonts.find_cjk_font(environ=env)


def test_find_font_env_path_and_index(tmp_path):
    path = tmp_path / "x.ttc"
    path.write_bytes(b"")
    found = fonts.find_cjk_font(environ={fonts.ENV_PATH: str(path), fonts.ENV_INDEX: "2"})
    assert found == fonts.FontSource(str(path), 2)


def test_register_fonts_once_and_cheap_on_repeat():
    assert fonts.register_fonts() == fonts.FONT
    start = time.perf_counter()
    for _ in range(1000):
        fonts.register_fonts()
    assert time.perf_counter() - start < 0.05
    assert fonts.font_source().path.endswith((".ttc", ".ttf"))


def test_invoice_fonts_are_embedded_truetype_subsets():
    data = invoice.render(invoice_1234_50())
    found = fonts_of(data)
    assert found
    for font in found:
        assert font["/Subtype"] == "/TrueType"
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]
        assert "+" in font["/BaseFont"]  # a subset, e.g. AAAAAA+WenQuanYiZenHei-0
        assert "/ToUnicode" in font
    assert b"/Helvetica" not in data and b"STSong" not in data


# --- invoice ---------------------------------------------------------------------------------------


def test_invoice_text_has_buyer_number_amount_and_words():
    name, mimetype, data = invoice.generate(invoice_1234_50())
    assert (name, mimetype) == ("CES-2026-000123.pdf", "application/pdf")
    assert data.startswith(b"%PDF-")
    text = text_of(data)
    assert BUYER in text
    assert "CES-2026-000123" in text
    assert "1,234.50" in text
    assert "壹仟贰佰叁拾肆元伍角整" in text
    assert "中国示例化学学会" in text
    assert "12100000400001234K" in text  # taxpayer id
    assert "增值税专用发票（专票）" in text


def test_invoice_same_input_same_bytes_cold_and_warm_caches():
    doc = invoice_1234_50()
    first = invoice.render(doc)
    fonts.clear_subset_cache()
    cold = invoice.render(doc)
    warm = invoice.render(doc)
    assert first == cold == warm
    other = invoice.render(invoice_1234_50(number="CES-2026-000124"))
    assert other != first


def test_invoice_dict_and_dataclass_inputs_give_same_bytes():
    doc = invoice_1234_50()
    as_dataclass = coerce(invoice.InvoiceDocument, doc)
    assert isinstance(as_dataclass.issuer, invoice.IssuerSnapshot)
    assert isinstance(as_dataclass.lines[0], invoice.InvoiceLine)
    assert invoice.render(doc) == invoice.render(as_dataclass)


def test_invoice_caches_write_what_reportlab_writes():
    """The subset/object caches change speed, not bytes: compare with a process without them."""
    script = (
        f"import sys, hashlib; sys.path.insert(0, {str(REPO)!r})\n"
        "from common.pdf import invoice, samples\n"
        "doc = samples.sample_invoice()\n"
        "print(hashlib.sha256(invoice.render(doc)).hexdigest())\n"
    )
    env = dict(os.environ, XUEHUI_PDF_FONT_CACHE="0")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hashlib.sha256(invoice.render(samples.sample_invoice())).hexdigest()


def test_invoice_unknown_field_and_bad_kind_rejected():
    with pytest.raises(TypeError, match="unknown field"):
        invoice.generate(invoice_1234_50(buyer_name="x"))
    with pytest.raises(ValueError, match="kind"):
        invoice.generate(invoice_1234_50(kind="proforma"))
    with pytest.raises(ValueError, match="original_number"):
        invoice.generate(invoice_1234_50(kind="credit_note"))


def test_invoice_line_values_computed_when_absent():
    doc = samples.sample_invoice(lines=3)  # 1000.00 + 2 x 100.00 + 22.17, 6 % tax
    text = text_of(invoice.render(doc))
    assert "1,222.17" in text  # net total
    assert "73.33" in text  # tax: 60.00 + 12.00 + 1.33
    assert "1,295.50" in text
    assert "壹仟贰佰玖拾伍元伍角整" in text


def test_credit_note_negative_amounts_and_original_number():
    doc = invoice_1234_50(kind="credit_note", number="CES-2026-C00007", original_number="CES-2026-000123")
    for line in doc["lines"]:
        line["unit_price"] = "-" + line["unit_price"]
    text = text_of(invoice.render(doc))
    assert "-¥1,234.50" in text and "-234.50" in text
    assert "负壹仟贰佰叁拾肆元伍角整" in text
    assert "CES-2026-000123" in text and "CES-2026-C00007" in text
    assert "CREDIT NOTE" in text


def test_receipt_shows_payment():
    doc = invoice_1234_50(
        kind="receipt",
        title_zh="会费收据",
        payment={"paid_on": "2026-03-12", "method": "对公转账 Bank transfer", "reference": "ICBC 2026031200458812"},
    )
    text = text_of(invoice.render(doc))
    assert "会费收据" in text and "已收讫" in text
    assert "2026-03-12" in text and "ICBC 2026031200458812" in text
    assert "¥1,234.50" in text


def test_person_buyer_and_foreign_currency():
    doc = invoice_1234_50(buyer={"title": "欧阳明远", "is_person": True, "fapiao_kind": "普票"}, currency="USD")
    text = text_of(invoice.render(doc))
    assert "欧阳明远" in text
    assert "$1,234.50" in text
    assert "大写" not in text  # 大写金额 only for CNY


def test_invoice_seal_and_logo_embedded_with_soft_masks():
    reader = PdfReader(io.BytesIO(invoice.render(invoice_1234_50())))
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    images = [x.get_object() for x in xobjects.values()]
    assert len(images) == 2
    for image in images:
        assert image["/Subtype"] == "/Image"
        assert image["/SMask"].get_object()["/ColorSpace"] == "/DeviceGray"


def test_long_descriptions_wrap_in_the_table():
    long = "超长项目说明" * 12 + " with a long English tail that also has to wrap across several lines"
    data = invoice.render(invoice_1234_50(lines=[{"description": long, "quantity": "1", "unit_price": "1234.50"}]))
    text = text_of(data).replace("\n", "")
    assert "English tail" in text and "1,234.50" in text
    layout = invoice_layout.InvoiceLayout(invoice.normalise(invoice_1234_50(lines=[{"description": long}])))
    col = layout.col_w["description"] - 2 * invoice_layout.CELL_PAD
    assert layout.rows[0].description == wrap(long, col, invoice_layout.BODY)
    lines = layout.rows[0].description
    assert len(lines) >= 4
    assert all(text_width(line, invoice_layout.BODY) <= col + 1e-6 for line in lines)
    assert "".join(lines).replace(" ", "") == long.replace(" ", "")


def test_multi_page_invoice_with_80_lines():
    doc = samples.sample_invoice(lines=0)
    doc["lines"] = [
        {"description": f"第{i}项 会议注册费 Registration fee #{i}", "quantity": "1", "unit_price": "10.00"}
        for i in range(1, 81)
    ]
    data = invoice.render(doc)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 2
    texts = [p.extract_text() for p in reader.pages]
    for i, t in enumerate(texts, start=1):
        assert f"Page {i} of {pages}" in t
    assert all("序号" in t for t in texts if "Registration fee" in t)  # table header repeated
    everything = "\n".join(texts)
    assert all(f"Registration fee #{i}" in everything for i in range(1, 81))
    assert "800.00" in texts[-1] and "捌佰元整" in texts[-1]
    assert "800.00" not in texts[0]


# --- text wrapping ---------------------------------------------------------------------------------


def test_wrap_chinese_per_character_within_width():
    text = "中国示例化学学会第十五届全国物理化学学术会议在浙江杭州召开，欢迎各位代表参加。"
    lines = wrap(text, 100, 10)
    assert len(lines) > 2
    assert all(text_width(line, 10) <= 100 for line in lines)
    assert "".join(lines) == text
    assert not any(line.startswith(("，", "。")) for line in lines)


def test_wrap_keeps_latin_words_and_newlines():
    words = "Chinese Example Chemical Society".split()
    lines = wrap("Chinese Example Chemical Society\nsecond paragraph", 90, 10)
    assert len(lines) >= 3
    assert [w for line in lines for w in line.split()] == words + ["second", "paragraph"]
    assert any(line.startswith("second") for line in lines)  # the newline starts a line
    long_word = "x" * 200
    pieces = wrap(long_word, 50, 10)
    assert "".join(pieces) == long_word and all(text_width(p, 10) <= 50 for p in pieces)
    cut = wrap("很长" * 100, 50, 10, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")


def test_wrap_closing_punctuation_never_starts_a_line():
    for width in range(30, 120, 3):
        for line in wrap("学会（北京）成立于1932年，现有会员、单位会员；欢迎加入！", width, 10):
            assert line[0] not in "，。、；！）", (width, line)


# --- QR --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_qr_matrix_identical_to_qrcode_package(level):
    payloads = [
        "https://ces.xuehui.cn/verify/invoice/CES-2026-000123?c=8F3K2Q7M",
        "PC15-2026-004217",
        "1234567890" * 7,
        "中国示例化学学会 会员证 CES-M-0012345",
        "x" * 300,
        "A",
    ]
    for payload in payloads:
        ref = qrcode.QRCode(error_correction=qr.LEVELS[level], border=0)
        ref.add_data(payload)
        ref.make()
        assert [list(row) for row in qr.qr_matrix(payload, level)] == [[bool(c) for c in row] for row in ref.modules]


def _qr_ops(payload: str) -> bytes:
    """The path operators of ``payload``'s QR code (module units: independent of size/position)."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(io.BytesIO())
    qr.draw_qr(canvas, payload, 0, 0, 50)
    literal = canvas._code[-1]
    return literal.split("\n", 1)[1].rsplit("\nf Q", 1)[0].encode()


def test_qr_path_is_the_payloads():
    a, b = _qr_ops("PC15-2026-004217"), _qr_ops("PC15-2026-004218")
    assert a != b and a.endswith(b" 1 re") and b" re\n" in a


# --- badge, card, certificate ----------------------------------------------------------------------


def test_badge_has_name_and_ticket_qr():
    data_in = samples.sample_badge()
    name, mimetype, data = badge.generate(data_in)
    assert name == "badge-PC15-2026-004217.pdf" and mimetype == "application/pdf"
    text = text_of(data)
    assert "欧阳明远" in text and "PC15-2026-004217" in text and "正式代表" in text
    assert _qr_ops("PC15-2026-004217") in content_of(data)
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert round(float(page.mediabox.width)) == 298 and round(float(page.mediabox.height)) == 420  # A6


def test_badges_bulk_four_per_a4_page():
    names = ["王伟", "李娜", "张敏", "刘洋", "陈静"]
    _name, _mime, data = badge.generate_bulk(
        [samples.sample_badge(name=n, ticket_code=f"T-{i}") for i, n in enumerate(names)], layout="a4"
    )
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    text = text_of(data)
    assert all(n in text for n in names)
    assert _qr_ops("T-4") in content_of(data, 1)


def test_badge_deterministic():
    assert badge.generate(samples.sample_badge())[2] == badge.generate(samples.sample_badge())[2]


def test_card_has_member_and_verify_qr():
    data_in = samples.sample_card()
    name, _mime, data = card.generate(data_in)
    assert name == "member-card-CES-M-0012345.pdf"
    text = text_of(data)
    assert "林晓雯" in text and "CES-M-0012345" in text and "2026-12-31" in text and "高级会员" in text
    assert _qr_ops(data_in["verify_url"]) in content_of(data)
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert abs(float(page.mediabox.width) - 85.6 / 25.4 * 72) < 0.1
    assert abs(float(page.mediabox.height) - 54 / 25.4 * 72) < 0.1


def test_cards_on_a4_eight_per_sheet():
    _n, _m, data = card.generate_bulk([samples.sample_card(member_number=f"M{i}") for i in range(9)])
    assert len(PdfReader(io.BytesIO(data)).pages) == 2
    _n, _m, single = card.generate(samples.sample_card(layout="a4"))
    assert round(float(PdfReader(io.BytesIO(single)).pages[0].mediabox.width)) == 595


def test_certificate_has_name_dates_number_and_qr():
    data_in = samples.sample_certificate()
    name, _mime, data = certificate.generate(data_in)
    assert name == "certificate-PC15-CERT-004217.pdf"
    text = text_of(data)
    for expected in (
        "参 会 证 明",
        "欧阳明远",
        "PC15-CERT-004217",
        "2026年5月12日至14日",
        "第十五届全国物理化学学术会议",
        "12–14 May 2026",
    ):
        assert expected in text, expected
    assert _qr_ops(data_in["verify_url"]) in content_of(data)
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape


def test_date_ranges():
    assert format_range_zh("2026-05-12", "2026-05-14") == "2026年5月12日至14日"
    assert format_range_zh("2026-05-30", "2026-06-02") == "2026年5月30日至6月2日"
    assert format_range_zh("2026-12-30", "2027-01-02") == "2026年12月30日至2027年1月2日"
    assert format_range_en("2026-05-12", "2026-05-14") == "12–14 May 2026"
    assert format_range_en("2026-05-30", "2026-06-02") == "30 May – 2 June 2026"
    assert format_range_en("2026-05-12") == "12 May 2026"


def test_safe_filename():
    assert safe_filename("CES-2026-000123") == "CES-2026-000123.pdf"
    assert safe_filename("../会员 证/x") == "x.pdf"
    assert safe_filename("") == "document.pdf"


def test_renderers_do_not_import_django():
    script = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from common.pdf import badge, card, certificate, invoice, samples\n"
        "invoice.render(samples.sample_invoice())\n"
        "print('django' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_page_content_is_flate_without_ascii85():
    data = invoice.render(invoice_1234_50())
    contents = PdfReader(io.BytesIO(data)).pages[0]["/Contents"].get_object()
    assert contents["/Filter"] in ("/FlateDecode", ["/FlateDecode"])
    assert b"/ASCII85Decode" not in data


def test_fresh_process_renders_a_plain_dict_without_setup():
    """No registration call, no samples: generate() on a plain dict in a new interpreter."""
    script = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from common.pdf import invoice\n"
        "name, mime, data = invoice.generate({'kind': 'receipt', 'number': 'X-1', 'issue_date': '2026-01-02',\n"
        "    'issuer': {'name_zh': '示例学会'}, 'buyer': {'title': '张三', 'is_person': True},\n"
        "    'lines': [{'description': '会费', 'unit_price': '1234.50'}]})\n"
        "print(name, mime, data[:5].decode(), 'django' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["X-1.pdf", "application/pdf", "%PDF-", "False"]


def test_fast_split_matches_reportlab_split_string():
    from common.pdf import layout
    from common.pdf.base import new_canvas

    canvas, _buffer = new_canvas((200, 200), title="t", primer=invoice_layout.PRIMER)
    font = layout._font(fonts.FONT)
    texts = ["编号 No.", "CES-2026-000123", "北京示例大学化学与分子工程学院", "1,234.50", "a(b)c\\d", "新字 mixed 编号"]
    for text in texts:
        layout.draw_text(canvas, 10, 10, text, 9)  # assigns codes to new characters
    for text in texts + ["".join(texts)]:
        assert layout._split(font, text, canvas._doc) == font.splitString(text, canvas._doc)


def test_weasyprint_reference_invoice_and_sandboxed_fetcher():
    weasy = pytest.importorskip("common.pdf.weasy")
    fetcher = weasy.sandboxed_fetcher()
    for url in ("file:///etc/hostname", "http://127.0.0.1/", "https://example.com/x.css"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    name, mimetype, data = weasy.generate_invoice(invoice_1234_50(footer='页脚 "quoted" </style><b>x</b>'))
    assert (name, mimetype) == ("CES-2026-000123.pdf", "application/pdf")
    text = text_of(data)
    assert BUYER in text and "1,234.50" in text and "壹仟贰佰叁拾肆元伍角整" in text
    cid_fonts = _descendant_fonts(data)
    assert cid_fonts and all(f["/FontDescriptor"].get_object().get("/FontFile2") for f in cid_fonts)


def _descendant_fonts(data: bytes) -> list:
    """The CIDFont dictionaries of a PDF's Type0 fonts (WeasyPrint embeds fonts that way)."""
    return [d.get_object() for font in fonts_of(data) for d in font.get("/DescendantFonts", [])]


def test_generate_dispatch_by_kind():
    import common.pdf

    doc = invoice_1234_50(kind="receipt", number="CES-2026-R1")
    assert common.pdf.generate("receipt", doc)[0] == "CES-2026-R1.pdf"
    assert common.pdf.generate("badge", samples.sample_badge())[0] == "badge-PC15-2026-004217.pdf"
    with pytest.raises(ValueError, match="snapshot says"):
        common.pdf.generate("invoice", doc)
    with pytest.raises(ValueError, match="unknown document kind"):
        common.pdf.generate("poster", doc)


def test_images_cmyk_and_palette_logos_render():
    from PIL import Image

    for mode in ("CMYK", "P", "LA", "L"):
        buf = io.BytesIO()
        Image.new(mode, (40, 20)).save(buf, "TIFF" if mode == "CMYK" else "PNG")
        issuer = dict(samples.ISSUER, logo=buf.getvalue(), seal=None)
        data = invoice.render(invoice_1234_50(issuer=issuer))
        image = next(iter(PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/XObject"].values())).get_object()
        assert image["/ColorSpace"] in ("/DeviceRGB", "/DeviceGray")
