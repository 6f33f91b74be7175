"""Member import: 100,000 rows (times ``scale``) of a GB18030 CSV through the whole pipeline
(decode, header mapping, validation, duplicate matching, COPY write with history and terms),
against a plain PostgreSQL COPY of the same rows into the same table, in the same run.

Goal: the import within 10x the time of the bare COPY.
"""

import datetime
import io
import random

from bench.common import stopwatch

SLUG = "bench-members"
# A database of its own: its schema never lags behind another app's migrations in a shared one.
DATABASE = "xuehui_bench_members"
ROWS = 100_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉宇浩然晨曦思雨婷欣怡子轩梓涵博文"
UNITS = [
    "北京大学",
    "清华大学",
    "复旦大学",
    "浙江大学",
    "南京大学",
    "中国科学院化学研究所",
    "武汉大学",
    "中山大学",
    "四川大学",
    "吉林大学",
    "山东大学",
    "厦门大学",
    "同济大学",
    "华中科技大学",
    "西安交通大学",
]
REGIONS = ["北京", "上海", "广东", "江苏", "浙江", "湖北", "四川", "陕西", "山东", "吉林"]
DISCIPLINES = ["有机化学", "无机化学", "物理化学", "分析化学", "高分子化学", "化学工程", "材料化学", "生物化学"]
TITLES = ["教授", "副教授", "研究员", "工程师", "讲师"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(rng: random.Random, i: int) -> str:
    """Unique per ``i``: the birth date walks one day per thousand rows, the sequence is i % 1000."""
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 1000)
    body = f"{rng.choice(['110105', '310104', '440106', '320102'])}{born:%Y%m%d}{i % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def generate_csv(n: int, seed: int = 2026, start: int = 0) -> bytes:
    """A GB18030 CSV as Chinese Excel writes it, with Chinese headers and mixed date formats."""
    rng = random.Random(seed)
    out = io.StringIO()
    out.write(
        "姓名,英文名,性别,出生日期,证件号码,工作单位,职称,学科,学历,手机,电子邮箱,通讯地址,地区,会员类别,会员编号,入会日期,到期日期\n"
    )
    for k in range(start, start + n):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        year = 2010 + k % 15
        expiry = (
            f"{2026 + k % 3}年{1 + k % 12}月{1 + k % 28}日"
            if k % 2
            else f"{2026 + k % 3}-{1 + k % 12:02d}-{1 + k % 28:02d}"
        )
        id_number = resident_id(rng, k) if k % 3 else ""
        out.write(
            f"{name},Member {k},{'男' if k % 2 else '女'},{1950 + k % 50}/{1 + k % 12}/{1 + k % 28},{id_number},"
            f"{rng.choice(UNITS)},{rng.choice(TITLES)},{rng.choice(DISCIPLINES)},"
            f"{rng.choice(['学士', '硕士', '博士'])},1{3 + k % 7}{k:09d},m{k}@bench.example.cn,"
            f"某市某区某路{k % 999}号,{rng.choice(REGIONS)},{'regular' if k % 10 else 'student'},"
            f"B{year}{k:07d},{year}-0{1 + k % 9}-1{k % 9},{expiry}\n"
        )
    return out.getvalue().encode("gb18030")


def ensure_society():
    from django.db import connection
    from django_tenants.utils import schema_context

    from members.models import MembershipCategory
    from tenants.models import Society
    from tenants.services import create_society

    connection.set_schema_to_public()
    society = Society.objects.filter(slug=SLUG).first()
    if society is None:
        society = create_society(
            slug=SLUG,
            name_zh="基准测试学会",
            admin_email="admin@bench-members.example.cn",
            admin_password="bench-Admin-2026",
        ).society
    with schema_context(society.schema_name):
        MembershipCategory.objects.get_or_create(code="regular", defaults={"name_zh": "普通会员", "fee": 200})
        MembershipCategory.objects.get_or_create(code="student", defaults={"name_zh": "学生会员", "fee": 50})
    return society


def empty_members():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE members_member, members_statuschange, members_memberterm CASCADE")


def _copy_plain(rows: list[list]) -> None:
    from django.db import connection, transaction

    columns = list(rows[0].keys())
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(f"COPY members_member ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(list(row.values()))


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup(DATABASE)
    from django_tenants.utils import schema_context

    from members.imports import run_import
    from members.models import Member

    n = max(100, round(ROWS * scale))
    content = generate_csv(n)
    society = ensure_society()
    with schema_context(society.schema_name):
        empty_members()
        with stopwatch() as import_time:
            report = run_import(content=content, filename="bench.csv", commit=True, actor=None)
        assert report.committed and report.counts["created"] == n, report.errors[:5]
        # The same rows as the import wrote them, sent back with a bare COPY into the same table.
        fields = [f.column for f in Member._meta.concrete_fields]
        rows = list(Member.objects.values(*[f.attname for f in Member._meta.concrete_fields]))
        rows = [dict(zip(fields, row.values(), strict=True)) for row in rows]
        empty_members()
        with stopwatch() as copy_time:
            _copy_plain(rows)
        with stopwatch() as twice_time:
            again = run_import(content=content, filename="bench.csv", commit=True, actor=None)
        empty_members()
    ratio = import_time() / copy_time()
    return {
        "figures": {
            "rows": n,
            "file_mb": round(len(content) / 1024 / 1024, 1),
            "import_seconds": round(import_time(), 2),
            "import_rows_per_second": round(n / import_time()),
            "copy_seconds": round(copy_time(), 3),
            "copy_rows_per_second": round(n / copy_time()),
            "ratio_to_copy": round(ratio, 2),
            "reimport_unchanged_seconds": round(twice_time(), 2),
            "reimport_unchanged_rows": again.counts["unchanged"],
        },
        "goal": "import within 10x of a plain COPY of the same rows",
        "met": ratio <= 10,
    }
