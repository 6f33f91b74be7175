"""Meeting badges: badges per second on one core (common/pdf/badge.py).

A meeting's attendees (name, unit, registration type, unique ticket code in the QR code):
300 (times ``scale``) single-badge PDFs, the way on-site printing of a walk-in does it, and a
bulk run of 1,000 (times ``scale``) badges into one PDF, four per A4 sheet and one per A6 page,
the way the check-in desk prints the pre-registered.  One process: the rate is per core.
"""

from __future__ import annotations

import random
import time

from common.pdf import badge, fonts, samples

SEED = 20260512
GOAL = ">= 100 badges per second per core, single-badge PDFs and bulk"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥"
    "玲芬燕彬鹏辉宇浩凯健俊帆帅旭宁瑶琳晨曦欣怡梓涵子轩思远一鸣文博嘉雨桐"
)
UNITS = [
    "中国科学院化学研究所",
    "北京大学化学与分子工程学院",
    "清华大学化学系",
    "复旦大学化学系",
    "南京大学化学化工学院",
    "浙江大学化学系",
    "中国科学技术大学化学与材料科学学院",
    "厦门大学化学化工学院",
    "南开大学化学学院",
    "中国石油化工股份有限公司石油化工科学研究院",
    "University of Cambridge, Yusuf Hamied Department of Chemistry",
]
TYPES = [
    ("正式代表 Delegate", None),
    ("学生代表 Student", "#2E7D32"),
    ("特邀嘉宾 Invited guest", "#8B1E2D"),
    ("会务组 Staff", "#6A1B9A"),
]


def make_badges(count: int, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        reg_type, color = rng.choice(TYPES)
        out.append(
            samples.sample_badge(
                name=name,
                name_en="",
                unit=rng.choice(UNITS),
                registration_type=reg_type,
                type_color=color,
                ticket_code=f"PC15-2026-{i:06d}-{rng.getrandbits(24):06X}",
            )
        )
    return out


def run(scale: float) -> dict:
    single_n = max(20, int(300 * scale))
    bulk_n = max(40, int(1000 * scale))
    fonts.register_fonts()
    warm = make_badges(20, seed=1)
    for b in warm:
        badge.generate(b)
    badge.generate_bulk(warm, layout="a4")

    singles = make_badges(single_n)
    start = time.perf_counter()
    size = 0
    for b in singles:
        size += len(badge.generate(b)[2])
    single_rate = single_n / (time.perf_counter() - start)

    bulk = make_badges(bulk_n, seed=SEED + 1)
    start = time.perf_counter()
    a4 = badge.generate_bulk(bulk, layout="a4")[2]
    bulk_a4_rate = bulk_n / (time.perf_counter() - start)
    start = time.perf_counter()
    badge.generate_bulk(bulk, layout="a6")
    bulk_a6_rate = bulk_n / (time.perf_counter() - start)

    figures = {
        "single_badge_pdfs": single_n,
        "single_badges_per_second_per_core": round(single_rate, 1),
        "single_ms_per_badge_pdf": round(1000 / single_rate, 2),
        "single_kib_per_pdf": round(size / single_n / 1024, 1),
        "bulk_badges": bulk_n,
        "bulk_a4_badges_per_second_per_core": round(bulk_a4_rate, 1),
        "bulk_a6_badges_per_second_per_core": round(bulk_a6_rate, 1),
        "bulk_a4_mib": round(len(a4) / 1024 / 1024, 2),
    }
    met = min(single_rate, bulk_a4_rate, bulk_a6_rate) >= 100
    return {"figures": figures, "goal": GOAL, "met": met}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), indent=2, ensure_ascii=False))
