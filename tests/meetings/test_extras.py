"""Organisers change what they set up: edit, delete or deactivate add-ons, discount codes and
registration questions; what registrations refer to is never deleted.  Society B sees none of it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from common.models import AuditEntry
from meetings.models import AddOn, DiscountCode, Question, Quota, Registration
from meetings.services import organise
from meetings.services import registration as services
from tests.conftest import SiteClient, client_for
from tests.meetings.conftest import attendee, register

BASE = "/meetings/console/annual-2026"


def staff(society, organiser, language="zh-hans"):
    client = client_for(society)
    client.cookies["django_language"] = language
    client.force_login(organiser)
    return client


def last_message(response) -> str:
    """The message the request added (earlier ones may still be waiting to be shown)."""
    return str(list(response.wsgi_request._messages)[-1])


def last_audit(action):
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


@pytest.fixture
def banquet(open_meeting, society_a, in_schema, organiser):
    with in_schema(society_a):
        meeting, _member, _other = open_meeting
        return organise.save_addon(
            meeting=meeting, data={"name_zh": "晚宴", "price": Decimal("300"), "capacity": 2}, actor=organiser
        )


@pytest.fixture
def code(open_meeting, society_a, in_schema, organiser):
    with in_schema(society_a):
        meeting, _member, _other = open_meeting
        return organise.save_discount_code(
            meeting=meeting, data={"code": "early", "kind": "amount", "value": Decimal("100")}, actor=organiser
        )


@pytest.fixture
def diet(open_meeting, society_a, in_schema, organiser):
    with in_schema(society_a):
        meeting, _member, _other = open_meeting
        return organise.save_question(
            meeting=meeting, data={"label": "饮食要求", "kind": "text", "position": 1}, actor=organiser
        )


def test_addon_edit_changes_price_and_resizes_quota(
    open_meeting, banquet, society_a, society_b, in_schema, organiser, make_user
):
    buyer = make_user("buyer@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        register(meeting, other, buyer, addons=[banquet])
    client = staff(society_a, organiser)
    form = client.get(f"{BASE}/addons/{banquet.pk}/").content.decode()
    assert 'value="晚宴"' in form and 'value="300.00"' in form and 'data-testid="remove"' in form
    data = {"name_zh": "欢迎晚宴", "name_en": "Welcome dinner", "price": "350", "capacity": "3", "active": "on"}
    response = client.post(f"{BASE}/addons/{banquet.pk}/", data)
    assert (response.status_code, response["Location"]) == (302, f"{BASE}/")
    with in_schema(society_a):
        banquet.refresh_from_db()
        quota = Quota.objects.get(addon=banquet)
        assert (banquet.name_zh, banquet.price, banquet.capacity) == ("欢迎晚宴", Decimal("350.00"), 3)
        assert (quota.size, quota.sold, quota.held) == (3, 0, 1)
        entry = last_audit("meetings.save_addon")
        assert (entry.before["price"], entry.after["price"], entry.actor_id) == ("300.00", "350", organiser.pk)
    dashboard = client.get(f"{BASE}/").content.decode()
    assert "欢迎晚宴 · 350.00 · 共 3 个名额，已售 0，保留中 1" in dashboard
    assert f'href="{BASE}/addons/{banquet.pk}/"' in dashboard
    with in_schema(society_b):
        assert AddOn.objects.count() == 0


def test_addon_capacity_below_seats_taken_is_refused(open_meeting, banquet, society_a, in_schema, organiser, make_user):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        register(meeting, other, a, addons=[banquet])
        register(meeting, other, b, addons=[banquet])
        with pytest.raises(organise.OrganiseError) as refused:
            organise.save_addon(meeting=meeting, addon=banquet, data={"capacity": 1}, actor=organiser)
        assert str(refused.value) == "2 seats are already taken; the capacity cannot be smaller."
    client = staff(society_a, organiser)
    response = client.post(
        f"{BASE}/addons/{banquet.pk}/", {"name_zh": "晚宴", "price": "280", "capacity": "1", "active": "on"}
    )
    assert response.status_code == 200
    assert "已占用 2 个名额，容量不能小于此数。" in response.content.decode()
    with in_schema(society_a):
        banquet.refresh_from_db()
        assert (banquet.price, banquet.capacity, Quota.objects.get(addon=banquet).size) == (Decimal("300.00"), 2, 2)
        assert not AuditEntry.objects.filter(action="meetings.save_addon", before__isnull=False).exists()


def test_unused_code_edits_everything(open_meeting, code, society_a, in_schema, organiser):
    with in_schema(society_a):
        _meeting, member, _other = open_meeting
    client = staff(society_a, organiser)
    response = client.post(
        f"{BASE}/codes/{code.pk}/",
        {
            "code": "early10",
            "kind": "percent",
            "value": "10",
            "max_uses": "50",
            "valid_until": "2026-04-30",
            "types": [member.pk],
            "active": "on",
        },
    )
    assert response.status_code == 302
    with in_schema(society_a):
        code.refresh_from_db()
        assert (code.code, code.kind, code.value, code.max_uses, code.valid_until) == (
            "EARLY10",
            "percent",
            Decimal("10.00"),
            50,
            datetime.date(2026, 4, 30),
        )
        assert list(code.types.all()) == [member]
        assert last_audit("meetings.save_discount_code").after["types"] == [member.pk]


def test_used_code_keeps_kind_and_value(open_meeting, code, society_a, in_schema, organiser, make_user):
    buyer = make_user("buyer@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        assert register(meeting, other, buyer, code="EARLY").discount == Decimal("100.00")
        with pytest.raises(organise.OrganiseError) as refused:
            organise.save_discount_code(
                meeting=meeting, code=code, data={"kind": "amount", "value": Decimal("500")}, actor=organiser
            )
        assert str(refused.value) == "This code has been used already: its code, kind and value can no longer change."
        with pytest.raises(organise.OrganiseError) as refused:
            organise.save_discount_code(meeting=meeting, code=code, data={"max_uses": 0}, actor=organiser)
        assert str(refused.value) == "The maximum uses cannot be below the 1 uses so far."
    client = staff(society_a, organiser)
    form = client.get(f"{BASE}/codes/{code.pk}/").content.decode()
    assert "已使用 1 次：代码、类型和数值不能再修改。" in form
    assert 'name="value" value="100.00" step="0.01" required disabled' in form
    assert (
        client.post(f"{BASE}/codes/{code.pk}/", {"max_uses": "0"})
        .content.decode()
        .count("最多使用次数不能少于已使用的 1 次。")
        == 1
    )
    # A forged value is ignored (the field is fixed); dates and maximum uses change.
    response = client.post(
        f"{BASE}/codes/{code.pk}/",
        {
            "code": "OTHER",
            "kind": "percent",
            "value": "90",
            "max_uses": "5",
            "valid_until": "2026-05-01",
            "active": "on",
        },
    )
    assert response.status_code == 302
    with in_schema(society_a):
        code.refresh_from_db()
        assert (code.code, code.kind, code.value, code.used, code.max_uses, code.valid_until) == (
            "EARLY",
            "amount",
            Decimal("100.00"),
            1,
            5,
            datetime.date(2026, 5, 1),
        )


def test_question_edit_moves_answers_and_keeps_kind_once_answered(
    open_meeting, diet, society_a, in_schema, organiser, make_user
):
    buyer = make_user("buyer@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        person = attendee(email=buyer.email)
        person.answers = {"饮食要求": "清真"}
        register(meeting, other, buyer, person=person)
    client = staff(society_a, organiser)
    form = client.get(f"{BASE}/questions/{diet.pk}/").content.decode()
    assert "已有人回答：类型不能再修改。" in form
    response = client.post(
        f"{BASE}/questions/{diet.pk}/",
        {"label": "饮食禁忌", "kind": "text", "required": "on", "position": "2", "active": "on"},
    )
    assert response.status_code == 302
    with in_schema(society_a), translation.override("en"):  # the client's request left Chinese active
        diet.refresh_from_db()
        assert (diet.label, diet.required, diet.position, diet.active) == ("饮食禁忌", True, 2, True)
        assert Registration.objects.get().answers == {"饮食禁忌": "清真"}
        assert last_audit("meetings.save_question").after["answers_moved"] == 1
        with pytest.raises(organise.OrganiseError) as refused:
            organise.save_question(meeting=meeting, question=diet, data={"kind": "file"}, actor=organiser)
        assert str(refused.value) == "This question has been answered already: its kind can no longer change."
        unit = organise.save_question(meeting=meeting, data={"label": "单位类型", "kind": "text"}, actor=organiser)
        with pytest.raises(organise.OrganiseError) as refused:
            organise.save_question(meeting=meeting, question=unit, data={"label": "饮食禁忌"}, actor=organiser)
        assert str(refused.value) == "Another question of this meeting already asks exactly this."
        unit = organise.save_question(
            meeting=meeting, question=unit, data={"kind": "choice", "choices": "高校\n企业"}, actor=organiser
        )
        assert (unit.kind, unit.choice_list) == ("choice", ["高校", "企业"])


def test_unused_extras_are_deleted_after_confirmation(
    open_meeting, banquet, code, diet, society_a, in_schema, organiser
):
    client = staff(society_a, organiser)
    for kind, obj in (("addons", banquet), ("codes", code), ("questions", diet)):
        page = client.get(f"{BASE}/{kind}/{obj.pk}/remove/").content.decode()
        assert "目前没有报名涉及该项，可以彻底删除。" in page and 'data-testid="delete"' in page
        response = client.post(f"{BASE}/{kind}/{obj.pk}/remove/", {"action": "delete"})
        assert (response.status_code, response["Location"]) == (302, f"{BASE}/")
    assert last_message(response) == "问题已删除。"
    with in_schema(society_a):
        assert (AddOn.objects.count(), DiscountCode.objects.count(), Question.objects.count()) == (0, 0, 0)
        assert not Quota.objects.filter(addon__isnull=False).exists()
        deleted = AuditEntry.objects.filter(action__startswith="meetings.delete_").order_by("id")
        assert [(e.action, e.object_repr, e.actor_id) for e in deleted] == [
            ("meetings.delete_addon", "晚宴", organiser.pk),
            ("meetings.delete_discount_code", "EARLY", organiser.pk),
            ("meetings.delete_question", "饮食要求", organiser.pk),
        ]


def test_used_code_cannot_be_deleted_but_deactivated_and_then_refused(
    open_meeting, code, society_a, society_b, in_schema, organiser, make_user
):
    first, second = make_user("first@example.cn"), make_user("second@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        register(meeting, other, first, code="early")
    client = staff(society_a, organiser)
    page = client.get(f"{BASE}/codes/{code.pk}/remove/").content.decode()
    assert "已有报名使用了该优惠码，因此不能删除。" in page and 'data-testid="delete"' not in page
    response = client.post(f"{BASE}/codes/{code.pk}/remove/", {"action": "delete"})
    assert response["Location"] == f"{BASE}/codes/{code.pk}/remove/"
    assert last_message(response).startswith("已有报名使用了该优惠码，因此不能删除。")
    response = client.post(f"{BASE}/codes/{code.pk}/remove/", {"action": "deactivate"})
    assert (response["Location"], last_message(response)) == (f"{BASE}/", "该优惠码已停用。")
    with in_schema(society_a), translation.override("en"):
        code.refresh_from_db()
        assert (code.active, code.used) == (False, 1)
        entry = last_audit("meetings.set_discount_code_active")
        assert (entry.before, entry.after) == ({"active": True}, {"active": False})
        with pytest.raises(services.RegistrationError) as refused:
            register(meeting, other, second, code="EARLY")
        assert str(refused.value) == "This discount code is no longer valid."
        assert (Registration.objects.count(), DiscountCode.objects.get().used) == (1, 1)
    assert 'data-testid="code-inactive-' in client.get(f"{BASE}/").content.decode()
    attendee_client = client_for(society_a)
    attendee_client.force_login(second)
    response = attendee_client.post(
        f"/meetings/annual-2026/register/?type={other.pk}",
        {"name": "王五", "email": second.email, "phone": "13800138000", "code": "early"},
    )
    assert response.status_code == 200 and "该优惠码已停用。" in response.content.decode()
    with in_schema(society_b):
        assert DiscountCode.objects.count() == 0


def test_bought_addon_stops_selling_instead_of_deletion(
    open_meeting, banquet, society_a, in_schema, organiser, make_user
):
    buyer, later = make_user("buyer@example.cn"), make_user("later@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = register(meeting, other, buyer, addons=[banquet])
        with pytest.raises(organise.InUse):
            organise.delete_extra(extra=banquet, actor=organiser)
    client = staff(society_a, organiser)
    response = client.post(f"{BASE}/addons/{banquet.pk}/remove/", {"action": "deactivate"})
    assert last_message(response) == "该附加项目已停售。"
    page = client.get(f"{BASE}/addons/{banquet.pk}/remove/").content.decode()
    assert 'data-testid="already-inactive"' in page and 'data-testid="deactivate"' not in page
    with in_schema(society_a):
        assert list(reg.addons.all()) == [banquet] and AddOn.objects.get().active is False
        assert register(meeting, other, later, addons=[banquet]).total == Decimal("1500")
    form = staff(society_a, later).get(f"/meetings/annual-2026/register/?type={other.pk}").content.decode()
    assert "晚宴" not in form


def test_hidden_question_not_asked_but_answers_stay_with_organiser(
    open_meeting, diet, society_a, in_schema, organiser, make_user
):
    buyer = make_user("buyer@example.cn", "答题人")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
    registrant = staff(society_a, buyer)
    form = registrant.get(f"/meetings/annual-2026/register/?type={other.pk}").content.decode()
    assert f'name="q{diet.pk}"' in form
    details = {"name": "答题人", "email": buyer.email, "phone": "13800138000", f"q{diet.pk}": "清真"}
    registrant.post(f"/meetings/annual-2026/register/?type={other.pk}", details)
    with in_schema(society_a):
        reg = Registration.objects.get()
        assert reg.answers == {"饮食要求": "清真"}
    client = staff(society_a, organiser)
    assert client.post(f"{BASE}/questions/{diet.pk}/remove/", {"action": "delete"}).status_code == 302
    response = client.post(f"{BASE}/questions/{diet.pk}/remove/", {"action": "hide"})
    assert last_message(response) == "请选择要执行的操作。"
    response = client.post(f"{BASE}/questions/{diet.pk}/remove/", {"action": "deactivate"})
    assert last_message(response) == "该问题已对新报名者隐藏。"
    with in_schema(society_a):
        assert Question.objects.get().active is False
    newcomer = staff(society_a, make_user("new@example.cn"))
    form = newcomer.get(f"/meetings/annual-2026/register/?type={other.pk}").content.decode()
    assert f'name="q{diet.pk}"' not in form and "饮食要求" not in form
    assert '饮食要求 · 文本 <span class="badge bad">已隐藏</span>' in client.get(f"{BASE}/").content.decode()
    csv = client.get(f"{BASE}/registrations/?format=csv").content.decode("utf-8-sig").splitlines()
    assert csv[0].endswith(",checked_in_at,饮食要求") and csv[1].endswith(",清真")
    detail = client.get(f"/meetings/r/{reg.ticket_code}/").content.decode()
    assert "<dt>饮食要求</dt><dd>清真</dd>" in detail


def test_only_organisers_change_extras(open_meeting, banquet, code, diet, society_a, society_b, in_schema, make_user):
    member = staff(society_a, make_user("member@example.cn"))
    pages = [f"{BASE}/{kind}/{obj.pk}/" for kind, obj in (("addons", banquet), ("codes", code), ("questions", diet))]
    for url in pages:
        assert member.get(url).status_code == 403
        assert member.get(f"{url}remove/").status_code == 403
        assert member.post(f"{url}remove/", {"action": "delete"}).status_code == 403
    assert member.post(f"{BASE}/codes/new/", {"code": "X", "kind": "amount", "value": "1"}).status_code == 403
    # an organiser of society B: the meeting does not exist there
    other_organiser = make_user("organiser@beta.example.cn")
    with in_schema(society_b):
        from common.models import Role
        from tenants.services import grant_role

        grant_role(user=other_organiser, role=Role.ORGANISER)
    assert staff(society_b, other_organiser).post(pages[0] + "remove/", {"action": "delete"}).status_code == 404
    with in_schema(society_a):
        assert (AddOn.objects.count(), DiscountCode.objects.count(), Question.objects.count()) == (1, 1, 1)


def test_remove_needs_csrf_token(open_meeting, code, society_a, in_schema, organiser):
    client = SiteClient(society_a, enforce_csrf_checks=True)
    client.force_login(organiser)
    assert client.post(f"{BASE}/codes/{code.pk}/remove/", {"action": "delete"}).status_code == 403
    with in_schema(society_a):
        assert DiscountCode.objects.count() == 1
