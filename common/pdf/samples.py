"""Realistic sample documents for previews, tests and benchmarks (no real persons).

``python -m common.pdf.samples OUT_DIR`` writes one PDF of every kind into OUT_DIR.
"""

from __future__ import annotations

import io
import math
import sys
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from common.pdf.fonts import font_source

SEAL_RED = (200, 30, 30, 255)


def _cjk_font(size: int):
    src = font_source()
    return ImageFont.truetype(src.path, size=size, index=src.index)


@lru_cache(maxsize=4)
def sample_seal(text: str = "中国示例学会财务专用章", px: int = 420) -> bytes:
    """A round red seal (公章 style): ring, star, text along the upper arc; transparent PNG."""
    im = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    c = px / 2
    ring = px * 0.035
    d.ellipse((ring / 2, ring / 2, px - ring / 2, px - ring / 2), outline=SEAL_RED, width=int(ring))
    # five-pointed star
    r_out, r_in = px * 0.16, px * 0.16 * 0.382
    pts = []
    for k in range(10):
        ang = -math.pi / 2 + k * math.pi / 5
        r = r_out if k % 2 == 0 else r_in
        pts.append((c + r * math.cos(ang), c + r * math.sin(ang)))
    d.polygon(pts, fill=SEAL_RED)
    # text along the arc, each character rotated to face the centre
    font = _cjk_font(int(px * 0.105))
    n = len(text)
    span = math.radians(250)
    radius = px * 0.36
    for i, ch in enumerate(text):
        ang = -math.pi / 2 - span / 2 + span * (i + 0.5) / n
        glyph = Image.new("RGBA", (int(px * 0.14), int(px * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(ang) - 90, resample=Image.BICUBIC)
        x = c + radius * math.cos(ang) - glyph.width / 2
        y = c + radius * math.sin(ang) - glyph.height / 2
        im.alpha_composite(glyph, (int(x), int(y)))
    out = io.BytesIO()
    im.save(out, "PNG", optimize=False)
    return out.getvalue()


@lru_cache(maxsize=4)
def sample_logo(char: str = "化", color: tuple = (31, 78, 121), px: int = 200) -> bytes:
    im = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((0, 0, px - 1, px - 1), radius=px // 5, fill=color + (255,))
    d.text((px / 2, px / 2), char, font=_cjk_font(int(px * 0.62)), fill=(255, 255, 255, 255), anchor="mm")
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


ISSUER = {
    "name_zh": "中国示例化学学会",
    "name_en": "Chinese Example Chemical Society",
    "address": "北京市海淀区中关村北一街2号 100190",
    "phone": "+86 10 6256 8157",
    "email": "finance@ces.example.cn",
    "tax_id": "51100000500012345X",
    "bank_name": "中国工商银行北京海淀西区支行",
    "bank_account": "0200 0045 0908 8123 456",
}

BUYER_ORG = {
    "title": "北京示例大学化学与分子工程学院",
    "taxpayer_id": "12100000400001234K",
    "address": "北京市海淀区颐和园路5号",
    "phone": "010-6275 1234",
    "bank_name": "中国银行北京中关村支行",
    "bank_account": "3400 5612 7890",
    "fapiao_kind": "special",
}


def sample_invoice(kind: str = "invoice", lines: int = 3, images: bool = True, **overrides) -> dict:
    """A plain-dict invoice document; ``lines`` > 3 repeats varied dues/meeting lines."""
    base_lines = [
        {
            "description": "2026年度单位会员会费（理事单位） Institutional membership dues 2026, council member",
            "quantity": "1",
            "unit_price": "1000.00",
            "tax_rate": "6",
            "unit": "年",
        },
        {
            "description": "第十五届全国物理化学学术会议注册费（含论文集、会议资料及午餐） Registration fee, "
            "15th National Conference on Physical Chemistry (proceedings, materials and lunches)",
            "quantity": "2",
            "unit_price": "100.00",
            "tax_rate": "6",
            "unit": "人",
        },
        {
            "description": "学会期刊年度订阅 Journal subscription",
            "quantity": "1",
            "unit_price": "22.17",
            "tax_rate": "6",
        },
    ]
    items = []
    for i in range(lines):
        item = dict(base_lines[i % len(base_lines)])
        if i >= len(base_lines):
            item["description"] = f"{item['description']}（第{i + 1}项）"
        items.append(item)
    doc = {
        "kind": kind,
        "number": "CES-2026-000123",
        "issuer": dict(ISSUER, logo=sample_logo() if images else None, seal=sample_seal() if images else None),
        "buyer": dict(BUYER_ORG),
        "lines": items,
        "issue_date": "2026-03-05",
        "due_date": "2026-04-04",
        "currency": "CNY",
        "note": "请于付款期限前通过对公转账付款，并在附言中注明账单编号。"
        "Please pay by bank transfer before the due date and quote the invoice number. "
        "如需开具增值税专用发票，请在学会云会员中心提交开票信息。",
        "verify_url": "https://ces.xuehui.cn/verify/invoice/CES-2026-000123?c=8F3K2Q7M",
        "footer": "中国示例化学学会秘书处 · 北京市海淀区中关村北一街2号 · finance@ces.example.cn · "
        "本账单由学会云系统开具，税务发票另行开具。This document is not a tax fapiao.",
        "accent": "#1F4E79",
    }
    if kind == "credit_note":
        doc.update(
            number="CES-2026-C00007",
            original_number="CES-2026-000123",
            original_issue_date="2026-03-05",
            due_date=None,
            note="因开票信息有误，冲销原账单全部金额；更正后的账单另行开具。"
            "The original invoice is cancelled in full; a corrected invoice follows.",
        )
        for item in doc["lines"]:
            item["unit_price"] = "-" + item["unit_price"]
    if kind == "receipt":
        doc.update(
            number="CES-2026-R00456",
            title_zh="会费收据",
            title_en="MEMBERSHIP DUES RECEIPT",
            due_date=None,
            payment={"paid_on": "2026-03-12", "method": "对公转账 Bank transfer", "reference": "ICBC 2026031200458812"},
            note="感谢您对学会工作的支持。本收据为会费缴纳凭证，可用于报销。Thank you for your support; "
            "this receipt confirms payment of your membership dues.",
        )
    doc.update(overrides)
    return doc


def sample_badge(**overrides) -> dict:
    data = {
        "meeting_title": "第十五届全国物理化学学术会议 The 15th National Conference on Physical Chemistry",
        "name": "欧阳明远",
        "name_en": "Mingyuan Ouyang",
        "unit": "中国科学院化学研究所 分子科学中心",
        "registration_type": "正式代表 Delegate",
        "ticket_code": "PC15-2026-004217",
        "society_name": "中国示例化学学会",
        "dates": "2026年5月12日—14日 · 杭州",
        "accent": "#1F4E79",
    }
    data.update(overrides)
    return data


def sample_card(**overrides) -> dict:
    data = {
        "society_name_zh": "中国示例化学学会",
        "society_name_en": "Chinese Example Chemical Society",
        "name_zh": "林晓雯",
        "name_en": "Xiaowen Lin",
        "member_number": "CES-M-0012345",
        "category": "高级会员 Senior member",
        "valid_until": "2026-12-31",
        "verify_url": "https://ces.xuehui.cn/verify/member/CES-M-0012345?c=Q2W9",
        "accent": "#1F4E79",
        "logo": sample_logo(),
    }
    data.update(overrides)
    return data


def sample_certificate(**overrides) -> dict:
    data = {
        "society_name_zh": "中国示例化学学会",
        "society_name_en": "Chinese Example Chemical Society",
        "meeting_title_zh": "第十五届全国物理化学学术会议",
        "meeting_title_en": "The 15th National Conference on Physical Chemistry",
        "name_zh": "欧阳明远",
        "name_en": "Mingyuan Ouyang",
        "start_date": "2026-05-12",
        "end_date": "2026-05-14",
        "venue_zh": "浙江杭州",
        "venue_en": "Hangzhou, Zhejiang",
        "certificate_number": "PC15-CERT-004217",
        "issue_date": "2026-05-14",
        "credits": "",
        "verify_url": "https://ces.xuehui.cn/verify/certificate/PC15-CERT-004217?c=7H3K",
        "signatory_name": "张国华",
        "signatory_title": "会议主席 Conference Chair",
        "accent": "#8B1E2D",
        "logo": sample_logo(color=(139, 30, 45)),
        "seal": sample_seal("中国示例化学学会"),
    }
    data.update(overrides)
    return data


def write_all(out_dir: str | Path) -> list[Path]:
    from common.pdf import badge, card, certificate, invoice

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("invoice", invoice.generate(sample_invoice())),
        ("credit_note", invoice.generate(sample_invoice("credit_note"))),
        ("receipt", invoice.generate(sample_invoice("receipt", lines=1))),
        ("invoice_80_lines", invoice.generate(sample_invoice(lines=80))),
        ("badge", badge.generate(sample_badge())),
        (
            "badges_a4",
            badge.generate_bulk(
                [sample_badge(name=n, name_en="") for n in ("王伟", "欧阳明远", "Alexander Grothendieck", "李娜")],
                layout="a4",
            ),
        ),
        ("card", card.generate(sample_card())),
        ("certificate", certificate.generate(sample_certificate())),
    ]
    paths = []
    for stem, (_name, _mime, data) in jobs:
        path = out / f"{stem}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_all(sys.argv[1] if len(sys.argv) > 1 else "/tmp/xuehui-pdf-samples"):
        print(p)
