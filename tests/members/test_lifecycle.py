"""Application → review → payment → active with a number; every status transition and its history."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from members import selectors, services
from members.billing import invoice_paid
from members.models import (
    TRANSITIONS,
    Application,
    ApplicationStatus,
    Member,
    MembershipCharge,
    MemberStatus,
    StatusChange,
)
from members.services import InvalidTransition, MembershipError
from tests.members.conftest import PROFILE

S = MemberStatus


def apply(user, category, **extra):
    data = {**PROFILE, "email": user.email, **extra}
    application = services.save_application_draft(user=user, category=category, data=data, actor=user)
    return services.submit_application(application=application, actor=user)


def pay(charge, actor=None):
    invoice = SimpleNamespace(purpose=charge.purpose, subject_id=str(charge.pk), total=charge.amount)
    return invoice_paid(invoice, actor=actor)


def history(member):
    return list(StatusChange.objects.filter(member=member).values_list("from_status", "to_status", "reason"))


def test_approval_then_payment_makes_an_active_member_with_a_number(
    society_a, society_b, categories, make_user, admin_a, in_schema, mailoutbox, django_capture_on_commit_callbacks
):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        with django_capture_on_commit_callbacks(execute=True):
            application = apply(person, categories["regular"])
        assert application.status == ApplicationStatus.SUBMITTED
        assert [m.subject for m in mailoutbox] == ["测试化学会：我们已收到您的入会申请"]
        member = application.member
        assert member.status == S.APPLICANT and member.number is None
        services.approve_application(application=application, actor=admin_a)
        member.refresh_from_db()
        assert member.status == S.PENDING_PAYMENT
        charge = MembershipCharge.objects.get(member=member)
        assert (charge.purpose, charge.amount, charge.currency, charge.status) == (
            "membership.join",
            Decimal("200.00"),
            "CNY",
            "open",
        )
        assert selectors.is_active_member(person) is False
        assert pay(charge, actor=admin_a) is True
        assert pay(charge, actor=admin_a) is False  # a second notice changes nothing
        member.refresh_from_db()
        year = datetime.date.today().year
        assert member.status == S.ACTIVE
        assert member.number == f"CS{year}00001"
        assert member.term_start == datetime.date.today()
        assert member.term_end == datetime.date(
            year + 1, member.term_start.month, member.term_start.day
        ) - datetime.timedelta(days=1)
        assert history(member) == [
            ("", "applicant", "提交申请"),
            ("applicant", "pending_payment", "申请已批准"),
            ("pending_payment", "active", "已收到付款"),
        ]
        assert selectors.is_active_member(person) is True
        assert selectors.member_category_code(person) == "regular"
        assert person.affiliations.filter(society=society_a).exists()
    with in_schema(society_b):
        assert Member.objects.count() == 0
        assert selectors.is_active_member(person) is False
        assert selectors.member_category_code(person) is None


def test_payment_first_category_reaches_review_after_payment(
    society_a, society_b, categories, make_user, admin_a, in_schema
):
    person = make_user("li.na@example.cn", "李娜")
    with in_schema(society_a):
        application = apply(person, categories["payfirst"], email="li.na@example.cn", id_number="")
        assert application.status == ApplicationStatus.AWAITING_PAYMENT
        assert selectors.review_queue().count() == 0
        charge = MembershipCharge.objects.get(member=application.member)
        pay(charge)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SUBMITTED and application.paid_at is not None
        services.approve_application(application=application, actor=admin_a)
        member = Member.objects.get(pk=application.member_id)
        assert member.status == S.ACTIVE
        assert history(member) == [("", "applicant", "提交申请"), ("applicant", "active", "申请已批准")]
    with in_schema(society_b):
        assert Application.objects.count() == 0


def test_free_lifetime_category_is_active_on_approval(society_a, categories, make_user, admin_a, in_schema):
    person = make_user("wang@example.cn", "王老")
    with in_schema(society_a):
        application = apply(person, categories["free"], email="wang@example.cn", id_number="")
        services.approve_application(application=application, actor=admin_a)
        member = Member.objects.get(pk=application.member_id)
        assert (member.status, member.term_end) == (S.ACTIVE, None)
        assert MembershipCharge.objects.count() == 0


def test_evidence_is_required_for_student_category(society_a, categories, make_user, in_schema):
    person = make_user("stu@example.cn", "学生")
    with in_schema(society_a):
        with pytest.raises(MembershipError, match="学生证"):
            apply(person, categories["student"], email="stu@example.cn", id_number="")
        assert Member.objects.count() == 0


def test_reject_tells_the_reason_and_records_history(
    society_a, categories, make_user, admin_a, in_schema, mailoutbox, django_capture_on_commit_callbacks
):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        application = apply(person, categories["regular"])
        with pytest.raises(MembershipError):
            services.reject_application(application=application, reason="  ", actor=admin_a)
        with django_capture_on_commit_callbacks(execute=True):
            services.reject_application(application=application, reason="资料不全", actor=admin_a)
        assert "资料不全" in mailoutbox[-1].body
        member = Member.objects.get(pk=application.member_id)
        assert history(member)[-1] == ("applicant", "rejected", "资料不全")


def test_info_request_lets_the_applicant_resubmit(society_a, categories, make_user, admin_a, in_schema):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        application = apply(person, categories["regular"])
        services.request_information(application=application, message="请补充工作证明", actor=admin_a)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.INFO_REQUESTED
        with pytest.raises(MembershipError):
            services.approve_application(application=application, actor=admin_a)
        services.save_application_draft(
            user=person,
            category=categories["regular"],
            data={"work_unit": "清华大学"},
            application=application,
            actor=person,
        )
        services.submit_application(application=application, actor=person)
        application.refresh_from_db()
        assert (application.status, application.work_unit) == (ApplicationStatus.SUBMITTED, "清华大学")
        assert Member.objects.get(pk=application.member_id).work_unit == "清华大学"


def test_bulk_approve_reports_each(society_a, categories, make_user, admin_a, in_schema):
    with in_schema(society_a):
        apps = [
            apply(make_user(f"p{i}@example.cn", f"人{i}"), categories["free"], email=f"p{i}@example.cn", id_number="")
            for i in range(3)
        ]
        services.approve_application(application=apps[0], actor=admin_a)
        done, problems = services.approve_applications(applications=apps, actor=admin_a)
        assert done == 2
        assert problems == ["张伟: 只能决定等待审核的申请。"]
        assert sorted(Member.objects.values_list("number", flat=True)) == [
            f"CS{datetime.date.today().year}{n:05d}" for n in (1, 2, 3)
        ]


def _member(category, status, **extra):
    member = Member.objects.create(category=category, status=status, name_zh="测试", **extra)
    return member


@pytest.mark.parametrize("source", list(S))
def test_every_transition_is_allowed_or_refused_with_history(society_a, categories, admin_a, in_schema, source):
    with in_schema(society_a):
        for target in S:
            member = _member(categories["regular"], source)
            if target in TRANSITIONS[source]:
                services.change_status(member=member, to_status=target, actor=admin_a, reason="原因")
                member.refresh_from_db()
                assert member.status == target
                assert history(member) == [(source, target, "原因")]
                change = StatusChange.objects.get(member=member)
                assert (change.actor_id, change.actor_label) == (admin_a.pk, admin_a.email)
            else:
                with pytest.raises(InvalidTransition) as caught:
                    services.change_status(member=member, to_status=target, actor=admin_a, reason="原因")
                assert str(caught.value) == f"状态为“{S(source).label}”的会员不能变为“{S(target).label}”。"
                member.refresh_from_db()
                assert member.status == source and history(member) == []


def test_resigning_needs_a_reason_from_staff(society_a, categories, admin_a, in_schema):
    with in_schema(society_a):
        member = _member(categories["regular"], S.ACTIVE)
        with pytest.raises(MembershipError, match="请说明"):
            services.change_status(member=member, to_status=S.RESIGNED, actor=admin_a, reason="")


def test_upgrade_charges_the_price_difference(society_a, categories, admin_a, in_schema):
    with in_schema(society_a):
        member = _member(categories["regular"], S.ACTIVE, term_end=datetime.date(2030, 1, 1))
        charge = services.change_category(member=member, category=categories["senior"], actor=admin_a)
        assert (charge.purpose, charge.amount) == ("membership.upgrade", Decimal("200.00"))
        member.refresh_from_db()
        assert member.category.code == "regular"
        pay(charge)
        member.refresh_from_db()
        assert member.category.code == "senior"
        assert services.change_category(member=member, category=categories["regular"], actor=admin_a) is None
        member.refresh_from_db()
        assert member.category.code == "regular"


def test_reinstatement_with_arrears(society_a, categories, admin_a, in_schema):
    with in_schema(society_a):
        this_year = datetime.date.today().year
        member = _member(categories["regular"], S.LAPSED, term_end=datetime.date(this_year - 3, 6, 30), number="OLD1")
        charge = services.reinstate_member(member=member, actor=admin_a, with_arrears=True)
        # three whole years missed plus the new term
        assert (charge.purpose, charge.amount) == ("membership.reinstatement", Decimal("800.00"))
        member.refresh_from_db()
        assert member.status == S.PENDING_PAYMENT
        pay(charge)
        member.refresh_from_db()
        assert (member.status, member.number, member.term_start) == (S.ACTIVE, "OLD1", datetime.date.today())
        with pytest.raises(InvalidTransition):
            services.reinstate_member(member=member, actor=admin_a)


def test_invoice_for_another_purpose_is_ignored(society_a, categories, in_schema):
    with in_schema(society_a):
        assert invoice_paid(SimpleNamespace(purpose="meeting.registration", subject_id="1"), actor=None) is False
        assert invoice_paid(SimpleNamespace(purpose="membership.join", subject_id="999"), actor=None) is False
