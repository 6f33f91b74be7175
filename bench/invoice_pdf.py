"""Invoice PDFs: the production renderer (common/pdf/invoice.py) against a minimal reportlab page.

Renders 200 (times ``scale``) one-page Chinese invoices that differ the way a dues renewal run's
do (buyer 抬头 and taxpayer id, person or organisation, number, amounts, verification URL), all from
one society (logo, seal).  Both renderers get the same invoices, in interleaved rounds of 10 so
machine noise hits both alike; per-PDF time is the median round of CPU time (the process's own
time, steady on a shared machine; wall-clock medians are reported too).

* production: the full layout (header, parties, table, totals, 大写金额, note, QR, footer, logo,
  seal), font subset embedded, deterministic bytes.
* minimal: ``canvas.drawString`` of the same invoice's text (title, number, buyer, lines, total)
  in the same registered, embedded font (so it shares the font subset cache); no images, no QR,
  no layout.  For context, also with the font registered the stock reportlab way.
* WeasyPrint: an equivalent HTML invoice (templates/pdf/invoice_weasy.html), for reference, on a
  few documents.

The renewal estimate is 700,000 × production time on 2 cores (one process per core).
"""

from __future__ import annotations

import io
import random
import statistics
import time
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from common.pdf import fonts, invoice, samples

SEED = 20260305
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩凯"
    "健俊帆帅旭宁瑶琳晨曦欣怡梓涵子轩浩然思远一鸣文博嘉怡雨桐"
)
PROVINCES = [
    "北京",
    "上海",
    "天津",
    "重庆",
    "南京",
    "杭州",
    "武汉",
    "广州",
    "成都",
    "西安",
    "长沙",
    "合肥",
    "济南",
    "沈阳",
    "兰州",
    "昆明",
    "厦门",
    "大连",
    "青岛",
    "苏州",
]
DISTRICTS = ["海淀区", "浦东新区", "江宁区", "武昌区"]
ORG_KINDS = [
    "大学化学化工学院",
    "理工大学材料科学与工程学院",
    "科学院化学研究所",
    "师范大学化学系",
    "石油化工研究院",
    "医科大学药学院",
    "农业大学理学院",
    "工业大学环境学院",
]
GOAL = "production renderer within 2x of minimal reportlab; 700k invoices < 1 h on 2 cores"
ROUND = 10


def make_invoices(count: int, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        number = f"CES-2026-{100000 + i:06d}"
        if rng.random() < 0.6:  # individual members: a person's name, no taxpayer id
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            buyer = {
                "title": name,
                "is_person": True,
                "fapiao_kind": "ordinary",
                "phone": f"+86 1{rng.randint(30, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
            }
            lines = [
                {
                    "description": f"2026年度个人会员会费（{rng.choice(['普通会员', '高级会员', '学生会员'])}）"
                    " Individual membership dues 2026",
                    "quantity": "1",
                    "unit_price": str(Decimal(rng.choice((200, 300, 500, 100)))),
                    "tax_rate": "0",
                }
            ]
        else:
            city = rng.choice(PROVINCES)
            buyer = {
                "title": city + rng.choice(ORG_KINDS),
                "is_person": False,
                "taxpayer_id": f"121{rng.randint(10**14, 10**15 - 1)}",
                "address": f"{city}市{rng.choice(DISTRICTS)}{rng.randint(1, 999)}号",
                "phone": f"0{rng.randint(10, 999)}-{rng.randint(1000000, 9999999)}",
                "bank_name": f"中国{rng.choice(['工商', '建设', '农业'])}银行{city}分行",
                "bank_account": str(rng.randint(10**15, 10**16 - 1)),
                "fapiao_kind": rng.choice(("ordinary", "special")),
            }
            lines = [
                {
                    "description": "2026年度单位会员会费（理事单位） Institutional membership dues 2026",
                    "quantity": "1",
                    "unit_price": f"{rng.randint(5, 50) * 1000}.00",
                    "tax_rate": "6",
                },
                {
                    "description": "第十五届全国物理化学学术会议注册费 Registration fee, 15th National Conference",
                    "quantity": str(rng.randint(1, 5)),
                    "unit_price": "1200.00",
                    "tax_rate": "6",
                },
            ]
        doc = samples.sample_invoice()
        doc.update(
            number=number,
            buyer=buyer,
            lines=lines,
            verify_url=f"https://ces.xuehui.cn/verify/invoice/{number}?c={rng.getrandbits(40):010X}",
        )
        docs.append(doc)
    return docs


def render_minimal(doc: dict, font: str = fonts.FONT) -> bytes:
    """The same invoice's text, drawn with canvas.drawString, same font, embedded."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, initialFontName=font)
    c.setFont(font, 10)
    y = 800
    total = Decimal(0)
    texts = ["账单 INVOICE", doc["number"], doc["buyer"]["title"]]
    for line in doc["lines"]:
        net = Decimal(line["quantity"]) * Decimal(line["unit_price"])
        gross = net + (net * Decimal(line["tax_rate"]) / 100).quantize(Decimal("0.01"))
        total += gross
        texts.append(f"{line['description']}  {line['quantity']} × {line['unit_price']} = {gross:,.2f}")
    texts.append(f"合计 Total ¥{total:,.2f}")
    for text in texts:
        c.drawString(50, y, text)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def stock_font() -> str:
    """The same font file registered the stock reportlab way (no subset cache), for context."""
    name = "XuehuiCJK-Stock"
    try:
        pdfmetrics.getFont(name)
    except KeyError:
        src = fonts.font_source()
        font = TTFont(name, src.path, subfontIndex=src.index)
        # A face name of its own: registerFont would otherwise map it onto the cached font object.
        font.face.name += b"Stock"
        pdfmetrics.registerFont(font)
    return name


def _time_batch(fn, docs) -> tuple[float, int, float]:
    """(CPU seconds, bytes, wall seconds) of rendering ``docs``."""
    size = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for doc in docs:
        size += len(fn(doc))
    return time.process_time() - cpu, size, time.perf_counter() - wall


def run(scale: float) -> dict:
    count = max(ROUND * 2, int(200 * scale))
    docs = make_invoices(count + 20)
    warm, docs = docs[:20], docs[20:]
    fonts.register_fonts()
    for doc in warm:  # font load, primed subsets of the labels and of the issuer, image preparation
        invoice.render(doc)
        render_minimal(doc)

    prod_rounds, min_rounds, prod_wall, min_wall = [], [], [], []
    prod_bytes = min_bytes = 0
    for k in range(0, count, ROUND):
        batch = docs[k : k + ROUND]
        if (k // ROUND) % 2:
            mt, mb, mw = _time_batch(render_minimal, batch)
            pt, pb, pw = _time_batch(invoice.render, batch)
        else:
            pt, pb, pw = _time_batch(invoice.render, batch)
            mt, mb, mw = _time_batch(render_minimal, batch)
        prod_rounds.append(pt / len(batch))
        min_rounds.append(mt / len(batch))
        prod_wall.append(pw / len(batch))
        min_wall.append(mw / len(batch))
        prod_bytes += pb
        min_bytes += mb
    production_ms = statistics.median(prod_rounds) * 1000
    minimal_ms = statistics.median(min_rounds) * 1000

    # context: the minimal page with reportlab's stock subsetting (what the cache saves)
    stock = stock_font()
    render_minimal(warm[0], stock)
    stock_docs = docs[: max(ROUND, count // 4)]
    stock_ms = _time_batch(lambda d: render_minimal(d, stock), stock_docs)[0] / len(stock_docs) * 1000

    # WeasyPrint, for reference: a handful of the same invoices
    weasy_ms = None
    try:
        from common.pdf import weasy

        weasy_docs = docs[: max(3, int(10 * scale))]
        weasy.html_to_pdf(weasy.invoice_html(weasy_docs[0]))  # warm-up: fontconfig, CSS
        start = time.process_time()
        for doc in weasy_docs:
            weasy.html_to_pdf(weasy.invoice_html(doc))
        weasy_ms = (time.process_time() - start) / len(weasy_docs) * 1000
    except ImportError:
        pass

    ratio = production_ms / minimal_ms
    hours = 700_000 * production_ms / 1000 / 3600 / 2
    stats = fonts.cache_stats()
    figures = {
        "invoices_per_renderer": count,
        "production_ms_per_pdf": round(production_ms, 2),
        "minimal_reportlab_ms_per_pdf": round(minimal_ms, 2),
        "minimal_reportlab_stock_subsetting_ms_per_pdf": round(stock_ms, 2),
        "weasyprint_ms_per_pdf": round(weasy_ms, 1) if weasy_ms is not None else None,
        "ratio_to_minimal_reportlab": round(ratio, 2),
        # fastest round of each: the intrinsic cost when the machine is busy with other work
        "ratio_to_minimal_reportlab_fastest_rounds": round(min(prod_rounds) / min(min_rounds), 2),
        "ratio_weasyprint_to_production": round(weasy_ms / production_ms, 1) if weasy_ms else None,
        "renewal_run_hours_700k_on_2_cores": round(hours, 3),
        "production_kib_per_pdf": round(prod_bytes / count / 1024, 1),
        "minimal_kib_per_pdf": round(min_bytes / count / 1024, 1),
        "font_subset_cache_hit_rate": round(stats["hits"] / max(1, stats["hits"] + stats["misses"]), 3),
        "production_rounds_ms_min_max": [round(min(prod_rounds) * 1000, 2), round(max(prod_rounds) * 1000, 2)],
        "production_wall_ms_per_pdf": round(statistics.median(prod_wall) * 1000, 2),
        "minimal_reportlab_wall_ms_per_pdf": round(statistics.median(min_wall) * 1000, 2),
    }
    return {"figures": figures, "goal": GOAL, "met": ratio <= 2.0 and hours < 1.0}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), indent=2, ensure_ascii=False))
