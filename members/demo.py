"""Demo data: categories and ~30 members per demo society (``manage.py seed_demo``; idempotent)."""

import datetime
import random
from decimal import Decimal

from members import services
from members.imports import run_import
from members.models import Member, MembershipCategory, MembershipSettings

CATEGORIES = [
    {
        "code": "student",
        "name_zh": "学生会员",
        "name_en": "Student member",
        "fee": Decimal("50"),
        "evidence_required": True,
        "evidence_label": "学生证",
        "sort_order": 1,
    },
    {"code": "regular", "name_zh": "普通会员", "name_en": "Regular member", "fee": Decimal("200"), "sort_order": 2},
    {
        "code": "senior",
        "name_zh": "高级会员",
        "name_en": "Senior member",
        "fee": Decimal("400"),
        "endorsements_required": 2,
        "sort_order": 3,
    },
    {
        "code": "fellow",
        "name_zh": "会士",
        "name_en": "Fellow",
        "fee": Decimal("0"),
        "term": "lifetime",
        "endorsements_required": 3,
        "open_for_applications": False,
        "sort_order": 4,
    },
    {
        "code": "institution",
        "name_zh": "单位会员",
        "name_en": "Institutional member",
        "kind": "institutional",
        "fee": Decimal("5000"),
        "seats": 3,
        "term_basis": "calendar",
        "sort_order": 5,
    },
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超霞平刚华"
UNITS = ["北京大学", "清华大学", "复旦大学", "浙江大学", "南京大学", "中国科学院", "武汉大学", "中山大学"]


def seed(*, society, people, stdout) -> None:
    MembershipSettings.objects.update_or_create(
        pk=1, defaults={"number_prefix": society.slug[:3].upper(), "reminder_offsets": [30, 7, 0]}
    )
    categories = {}
    for row in CATEGORIES:
        category, _created = MembershipCategory.objects.get_or_create(code=row["code"], defaults=row)
        categories[category.code] = category
    rng = random.Random(society.slug)
    today = datetime.date.today()
    lines = ["姓名,性别,工作单位,职称,手机,电子邮箱,会员类别,入会日期,到期日期,地区"]
    for i in range(30):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
        expiry = today + datetime.timedelta(days=rng.randint(-200, 400))
        lines.append(
            ",".join(
                [
                    name,
                    "男" if i % 2 else "女",
                    rng.choice(UNITS),
                    rng.choice(["教授", "副教授", "研究员", "讲师"]),
                    f"139{i:08d}",
                    f"demo{i}@{society.slug}.demo.xuehui.cn",
                    rng.choice(["student", "regular", "senior"]),
                    f"{today.year - 1 - i % 8}年{1 + i % 12}月1日",
                    expiry.isoformat(),
                    rng.choice(["北京", "上海", "广东"]),
                ]
            )
        )
    report = run_import(content="\n".join(lines).encode("gb18030"), filename="demo.csv", commit=True, actor=None)
    for user in people.get("members", []):
        if not Member.objects.filter(user=user).exists() and not Member.objects.filter(email=user.email).exists():
            services.register_member(
                data={"name_zh": user.name, "email": user.email}, category=categories["regular"], actor=None, user=user
            )
    stdout.write(f"members: {report.counts} in {society.slug}")
