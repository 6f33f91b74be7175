"""``python manage.py seed_demo``: the demo that ``make run`` creates once.

Three real national societies (names from deploy/data/societies.csv), a platform operator, each
society's staff, and people who belong to more than one society.  Every person and figure is
synthetic.  Safe to run again: what exists is left alone.  Each domain app may add its own demo
data with a ``<app>/demo.py`` module exposing ``seed(society, people, stdout)``; they are called
in TENANT_APPS order inside the society's schema.
"""

import csv
import importlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context

from common.models import Role
from tenants.models import Society
from tenants.services import create_society, ensure_platform, grant_role

DEMO_PASSWORD = "xuehui-demo"
DEMO_SOCIETIES = ["ccs", "ccf", "cma"]
CSV_PATH = Path(settings.BASE_DIR) / "deploy" / "data" / "societies.csv"


def demo_email(local: str) -> str:
    return f"{local}@demo.xuehui.cn"


def society_rows() -> dict[str, dict]:
    with CSV_PATH.open(encoding="utf-8") as fh:
        return {row["slug"]: row for row in csv.DictReader(fh)}


class Command(BaseCommand):
    help = "Create the demo societies, staff and members (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        ensure_platform()

        def person(local: str, name: str, **extra):
            user = User.objects.filter(email=demo_email(local)).first()
            if user is None:
                user = User.objects.create_user(demo_email(local), DEMO_PASSWORD, name=name, **extra)
            return user

        person("operator", "平台运营 Operator", is_staff=True)
        # Two people who belong to two societies each: one account, several societies.
        shared_people = [person("wang.fang", "王芳"), person("li.lei", "李雷")]
        rows = society_rows()
        for slug in DEMO_SOCIETIES:
            row = rows[slug]
            society = Society.objects.filter(slug=slug).first()
            if society is None:
                create_society(
                    slug=slug,
                    name_zh=row["name_zh"],
                    name_en=row["name_en"],
                    discipline_group=row["discipline_group"],
                    admin_email=demo_email(f"admin.{slug}"),
                    admin_name=f"{row['name_zh']}秘书处",
                    admin_password=DEMO_PASSWORD,
                )
                society = Society.objects.get(slug=slug)
                self.stdout.write(f"created {slug}")
            people = {
                "admin": User.objects.get(email=demo_email(f"admin.{slug}")),
                "finance": person(f"finance.{slug}", f"{row['name_zh']}财务"),
                "organiser": person(f"organiser.{slug}", f"{row['name_zh']}会务"),
                "members": shared_people,
            }
            with schema_context(society.schema_name), transaction.atomic():
                grant_role(user=people["finance"], role=Role.FINANCE)
                grant_role(user=people["organiser"], role=Role.ORGANISER)
                for member in shared_people:
                    grant_role(user=member, role=Role.MEMBER)
                for app in settings.TENANT_APPS:
                    try:
                        module = importlib.import_module(f"{app}.demo")
                    except ModuleNotFoundError as exc:
                        if exc.name != f"{app}.demo":
                            raise
                        continue
                    module.seed(society=society, people=people, stdout=self.stdout)
        importlib.import_module("billing.plans").seed_platform_billing()
        # The data board is filled by beat every 15 minutes; fill it now so the demo opens with figures.
        call_command("fill_board", full=True, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
