"""Pages: apply, my membership, console list/detail/review, verify, masking, export, import preview."""

import csv
import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.models import AuditEntry, Role
from members import services
from members.cards import render_card
from members.models import Application, ApplicationStatus, ImportJob, Member, MemberStatus
from tenants.services import grant_role
from tests.conftest import client_for
from tests.members.conftest import PROFILE

S = MemberStatus


def test_apply_page_saves_a_draft_then_submits(society_a, society_b, categories, make_user, in_schema):
    person = make_user("zhang.wei@example.cn", "张伟")
    client = client_for(society_a)
    assert client.get("/members/apply/").status_code == 302  # login first
    client.force_login(person)
    response = client.get("/members/apply/")
    assert response.status_code == 200
    assert "学生会员" in response.content.decode()
    form = {
        **PROFILE,
        "category": categories["regular"].pk,
        "birth_date": "1980-01-02",
        "mobile": "138 0013 8000",
        "id_number": "110105194912310021",
    }
    response = client.post("/members/apply/", {**form, "save": "1"})
    assert "这不是有效的 18 位居民身份证号码（校验码不符或位数不对）。" in response.content.decode()
    form["id_number"] = "11010519491231002x"
    response = client.post("/members/apply/", {**form, "save": "1"})
    assert response.status_code == 302
    with in_schema(society_a):
        draft = Application.objects.get()
        assert (draft.status, draft.mobile, draft.id_number) == (
            ApplicationStatus.DRAFT,
            "+8613800138000",
            "11010519491231002X",
        )
    response = client.post("/members/apply/", {**form, "submit": "1"}, follow=True)
    assert "您的申请已提交" in response.content.decode()
    assert "等待审核" in response.content.decode()
    with in_schema(society_b):
        assert Application.objects.count() == 0


def test_student_evidence_upload_is_stored_and_required(society_a, categories, make_user, in_schema):
    person = make_user("stu@example.cn", "学生")
    client = client_for(society_a)
    client.force_login(person)
    form = {**PROFILE, "email": "stu@example.cn", "id_number": "", "category": categories["student"].pk}
    response = client.post("/members/apply/", {**form, "submit": "1"})
    assert "请上传所需证明材料：学生证。" in response.content.decode()
    upload = SimpleUploadedFile("card.pdf", b"%PDF-1.4 student card", content_type="application/pdf")
    response = client.post("/members/apply/", {**form, "submit": "1", "evidence_upload": upload})
    assert response.status_code == 302
    with in_schema(society_a):
        application = Application.objects.get()
        assert application.status == ApplicationStatus.SUBMITTED
        assert (application.evidence.kind, application.evidence.owner_id) == ("membership_evidence", person.pk)


def _active_member(category, user=None, **extra):
    data = {**PROFILE, **extra}
    return Member.objects.create(
        user=user,
        category=category,
        status=S.ACTIVE,
        number=extra.pop("number", "CS1"),
        term_start=datetime.date(2026, 1, 1),
        term_end=datetime.date(2099, 12, 31),
        name_en_key=data["name_en"].lower(),
        **{k: v for k, v in data.items() if k != "number"},
    )


def test_console_needs_the_admin_role(society_a, categories, make_user, in_schema):
    finance = make_user("finance@example.cn", "财务")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
    client = client_for(society_a)
    assert client.get("/members/console/").status_code == 302
    client.force_login(finance)
    assert client.get("/members/console/").status_code == 403


def test_console_search_masks_and_query_count_does_not_grow(society_a, society_b, categories, staff_client, in_schema):
    with in_schema(society_a):
        _active_member(categories["regular"])
    response = staff_client.get("/members/console/?q=张")
    body = response.content.decode()
    assert "张伟" in body and "北京大学化学学院" in body and "11010519491231002X" not in body
    assert "共 1 位会员" in body
    for query in ("zhang", "CS1", "138001", "zhang.wei@", "北京大学"):
        assert "共 1 位会员" in staff_client.get(f"/members/console/?q={query}").content.decode(), query
    assert "共 0 位会员" in staff_client.get("/members/console/?q=李").content.decode()

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/members/console/").status_code == 200
        return len(captured)

    one = count_queries()
    with in_schema(society_a):
        for i in range(2, 4):
            _active_member(categories["regular"], number=f"CS{i}", email=f"m{i}@example.cn", id_number="")
    assert count_queries() == one
    other = client_for(society_b)
    from django.contrib.auth import get_user_model

    other.force_login(get_user_model().objects.get(email="admin@beta.example.cn"))
    assert "共 0 位会员" in other.get("/members/console/").content.decode()


def test_viewing_the_full_id_number_is_audit_logged(society_a, categories, staff_client, admin_a, in_schema):
    with in_schema(society_a):
        member = _active_member(categories["regular"])
    body = staff_client.get(f"/members/console/members/{member.pk}/").content.decode()
    assert "110***********002X" in body and "11010519491231002X" not in body
    with in_schema(society_a):
        assert not AuditEntry.objects.filter(action="members.view_id_number").exists()
    body = staff_client.get(f"/members/console/members/{member.pk}/?show=id").content.decode()
    assert "11010519491231002X" in body
    with in_schema(society_a):
        entry = AuditEntry.objects.get(action="members.view_id_number")
        assert (entry.actor_id, entry.object_id) == (admin_a.pk, str(member.pk))


def test_export_masks_and_neutralises_formula_cells(society_a, categories, staff_client, in_schema):
    with in_schema(society_a):
        _active_member(
            categories["regular"], work_unit='=HYPERLINK("http://evil")', name_en="@SUM(1)", address="-2+3", title="\tx"
        )
    response = staff_client.get("/members/console/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert header[:4] == ["会员编号", "姓名", "英文名", "性别"]
    assert cell["工作单位"] == '\'=HYPERLINK("http://evil")'
    assert cell["英文名"] == "'@SUM(1)"
    assert cell["通讯地址"] == "'-2+3"
    assert cell["职称"] == "'\tx"
    assert cell["证件号码"] == "110***********002X"
    assert cell["手机"] == "'+86138****8000"
    assert cell["会员类别"] == "regular"
    with in_schema(society_a):
        assert AuditEntry.objects.get(action="members.export").after == {"count": 1, "filters": {}, "personal": False}
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(staff_client.get("/members/console/export.xlsx").content))
    values = [c.value for c in book.active[2]]
    assert '\'=HYPERLINK("http://evil")' in values


def test_review_page_approves_and_member_sees_number_and_card(
    society_a, categories, staff_client, make_user, in_schema
):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        draft = services.save_application_draft(
            user=person, category=categories["free"], data=dict(PROFILE), actor=person
        )
        application = services.submit_application(application=draft, actor=person)
    assert "张伟" in staff_client.get("/members/console/applications/").content.decode()
    response = staff_client.post(f"/members/console/applications/{application.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    with in_schema(society_a):
        member = Member.objects.get()
        assert member.status == S.ACTIVE
        stored = render_card(member=member)
        assert stored.kind == "membership_card" and stored.owner_id == person.pk
        assert stored.file.open("rb").read(5) == b"%PDF-"
    me = client_for(society_a)
    me.force_login(person)
    body = me.get("/members/me/").content.decode()
    assert member.number in body and f"/files/{stored.pk}/" in body
    assert me.get(f"/files/{stored.pk}/").status_code == 200


def test_verify_page_shows_only_name_number_category_validity(society_a, society_b, categories, in_schema):
    with in_schema(society_a):
        member = _active_member(categories["regular"])
    page = client_for(society_a).get(f"/members/verify/{member.verify_token}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "张伟" in body and "CS1" in body and "普通会员" in body and "会籍有效" in body
    for private in ("北京大学", "13800138000", "zhang.wei@example.cn", "110105"):
        assert private not in body
    with in_schema(society_a):
        services.change_status(member=member, to_status=S.RESIGNED, actor=None, reason="退会")
    assert "会籍无效" in client_for(society_a).get(f"/members/verify/{member.verify_token}/").content.decode()
    assert client_for(society_b).get(f"/members/verify/{member.verify_token}/").status_code == 404


def test_member_edits_only_their_fields_and_downloads_their_data(society_a, categories, make_user, in_schema):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        member = _active_member(categories["regular"], user=person)
    client = client_for(society_a)
    client.force_login(person)
    response = client.post(
        "/members/me/profile/", {"work_unit": "清华大学", "name_zh": "改名", "mobile": "13900139000"}
    )
    assert response.status_code == 302
    with in_schema(society_a):
        member.refresh_from_db()
        assert (member.work_unit, member.name_zh, member.mobile) == ("清华大学", "张伟", "+8613900139000")
    data = client.get("/members/me/data/").json()
    assert data["member"]["number"] == "CS1" and data["member"]["id_number"] == "11010519491231002X"
    client.post("/members/me/resign/", {"reason": "工作变动"})
    with in_schema(society_a):
        member.refresh_from_db()
        assert member.status == S.RESIGNED
        assert member.history.get().reason == "工作变动"


def test_import_preview_then_confirm(society_a, society_b, categories, staff_client, in_schema):
    content = "姓名,邮箱,会员类别,到期日期\n张伟,zw@example.cn,普通会员,2099-01-01\n".encode("gb18030")
    upload = SimpleUploadedFile("old.csv", content, content_type="text/csv")
    response = staff_client.post("/members/console/import/", {"file": upload})
    with in_schema(society_a):
        job = ImportJob.objects.get()
        assert job.status == "checked" and Member.objects.count() == 0
    body = staff_client.get(response["Location"]).content.decode()
    assert "gb18030" in body and "确认导入" in body
    staff_client.post(f"/members/console/import/{job.pk}/confirm/")
    staff_client.post(f"/members/console/import/{job.pk}/confirm/")  # a double click imports once
    with in_schema(society_a):
        job.refresh_from_db()
        assert job.status == "done" and job.report["counts"]["created"] == 1
        assert Member.objects.get().email == "zw@example.cn"
    with in_schema(society_b):
        assert Member.objects.count() == 0 and ImportJob.objects.count() == 0


def test_pages_work_in_english(society_a, categories, staff_client, make_user, in_schema):
    from django.conf import settings

    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        member = _active_member(categories["regular"], user=person)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = staff_client.get("/members/console/").content.decode()
    assert "Members found: 1" in body and "Regular member" in body and "Active" in body
    assert "Import members" in staff_client.get("/members/console/import/").content.decode()
    me = client_for(society_a)
    me.force_login(person)
    me.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "My membership" in me.get("/members/me/").content.decode()
    page = client_for(society_a)
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        f"Valid membership on {datetime.date.today():%Y-%m-%d}"
        in page.get(f"/members/verify/{member.verify_token}/").content.decode()
    )


def test_bulk_email_and_export_of_the_ticked_members(
    society_a, categories, staff_client, in_schema, mailoutbox, django_capture_on_commit_callbacks
):
    with in_schema(society_a):
        first = _active_member(categories["regular"])
        second = _active_member(categories["regular"], number="CS2", email="li@example.cn", id_number="")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/members/console/bulk-email/",
            {"id": [first.pk, second.pk], "subject": "年会通知", "body": "欢迎参加年会。"},
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == ["li@example.cn", "zhang.wei@example.cn"]
    assert {m.subject for m in mailoutbox} == {"年会通知"}
    export = staff_client.get("/members/console/export.csv", {"id": [second.pk]})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["CS2"]


def test_demo_seed_is_idempotent(society_a, society_b, make_user, in_schema):
    import sys

    from members.demo import seed

    people = {"members": [make_user("wang.fang@demo.xuehui.cn", "王芳")]}
    with in_schema(society_a):
        seed(society=society_a, people=people, stdout=sys.stdout)
        seed(society=society_a, people=people, stdout=sys.stdout)
        assert Member.objects.count() == 31
        real = Member.objects.get(user=people["members"][0])
        assert real.status == S.ACTIVE and real.number.startswith("ALP")
    with in_schema(society_b):
        assert Member.objects.count() == 0


def test_membership_rules_change_the_number_format_and_reminders(society_a, categories, staff_client, in_schema):
    from members.models import MembershipSettings
    from members.services import allocate_number

    response = staff_client.post(
        "/members/console/settings/",
        {
            "number_prefix": "HX",
            "number_digits": "4",
            "grace_days": "60",
            "renewal_lead_days": "45",
            "reminder_offsets": "7，30, -10",
        },
    )
    assert response.status_code == 302
    with in_schema(society_a):
        rules = MembershipSettings.current()
        assert (rules.number_prefix, rules.grace_days, rules.reminder_offsets) == ("HX", 60, [30, 7, -10])
        from django.db import transaction

        with transaction.atomic():
            assert allocate_number(year=2027) == "HX20270001"
        entry = AuditEntry.objects.get(action="members.save_settings")
        assert (entry.before["number_prefix"], entry.after["number_prefix"]) == ("CS", "HX")
        assert (entry.before["grace_days"], entry.after["grace_days"]) == (90, 60)
    bad = staff_client.post(
        "/members/console/settings/",
        {
            "number_prefix": "HX",
            "number_digits": "2",
            "grace_days": "60",
            "renewal_lead_days": "45",
            "reminder_offsets": "a week",
        },
    )
    body = bad.content.decode()
    assert "请填写用逗号分隔的整数天数。" in body and "请使用 3 至 9 位。" in body


def test_deletion_request_is_carried_out_by_the_secretariat(society_a, categories, staff_client, make_user, in_schema):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        member = _active_member(categories["regular"], user=person)
        token = member.verify_token
    me = client_for(society_a)
    me.force_login(person)
    me.post("/members/me/delete/")
    detail = staff_client.get(f"/members/console/members/{member.pk}/").content.decode()
    assert "该会员已申请删除个人数据。" in detail
    staff_client.post(f"/members/console/members/{member.pk}/erase/")
    with in_schema(society_a):
        member.refresh_from_db()
        assert member.name_zh == "张伟"  # still a member in good standing: refused
        services.change_status(member=member, to_status=S.RESIGNED, actor=None, reason="本人申请")
    staff_client.post(f"/members/console/members/{member.pk}/erase/")
    with in_schema(society_a):
        member.refresh_from_db()
        assert (member.name_zh, member.email, member.id_number, member.mobile, member.user_id) == (
            "（已删除）",
            "",
            "",
            "",
            None,
        )
        assert member.number == "CS1" and member.history.count() == 1
        assert member.verify_token != token
        assert AuditEntry.objects.filter(action="members.erase_data").count() == 1


def test_category_form_refuses_currency_in_characters_reads_full_width(society_a, categories, staff_client, in_schema):
    from django.forms.models import model_to_dict

    from members.forms import CategoryForm
    from members.models import MembershipCategory

    page = staff_client.get("/members/console/categories/new/").content.decode()
    assert "列表中的排序" in page
    form = model_to_dict(categories["regular"], fields=CategoryForm._meta.fields)
    form = {key: ("" if value is None else value) for key, value in form.items() if not isinstance(value, list)}
    form.update(code="overseas", name_zh="海外会员", currency="人民币")
    response = staff_client.post("/members/console/categories/new/", form)
    assert "币种须为三位字母代码，例如 CNY、USD 或 EUR。" in response.content.decode()
    with in_schema(society_a):
        assert not MembershipCategory.objects.filter(code="overseas").exists()
    response = staff_client.post("/members/console/categories/new/", {**form, "currency": "ｕｓｄ"})
    assert response.status_code == 302
    with in_schema(society_a):
        assert MembershipCategory.objects.get(code="overseas").currency == "USD"
