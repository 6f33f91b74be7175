from datetime import timedelta

from django.core import mail
from django.utils import timezone

from billing import readonly
from billing.models import Subscription
from billing.readonly import is_staff_path
from billing.tasks import send_payment_reminders
from common.models import Role
from tests.conftest import client_for


def _overdue_for(days: int, society) -> None:
    """Move the start of the overdue period into the past (time passing, as the clock would)."""
    since = timezone.now() - timedelta(days=days)
    Subscription.objects.filter(society=society).update(overdue_since=since, read_only_from=since + timedelta(days=14))
    readonly.forget(society.pk)  # a change behind the services' back: drop this process's cached answer


def _member_client(society, make_user, in_schema):
    from tenants.services import grant_role

    member = make_user(f"member@{society.slug}.example.cn", name="普通会员")
    with in_schema(society):
        grant_role(user=member, role=Role.MEMBER)
    client = client_for(society)
    client.force_login(member)
    return client


def test_unpaid_then_read_only_then_paying_restores_at_once(
    signed_up, subscribe, fake_stripe, deliver, admin_client, make_user, in_schema, society_b
):
    society = signed_up.provisioned.society
    subscribe()
    fake_stripe.advance_subscription(Subscription.objects.get(society=society).stripe_subscription_id, fail=True)
    assert ("invoice.payment_failed", 200) in deliver()
    sub = Subscription.objects.get(society=society)
    assert sub.status == "past_due"
    assert sub.read_only_from - sub.overdue_since == timedelta(days=14)
    # Within the grace period the staff pages still work.
    grant = {"email": "admin@gamma.example.cn", "role": "finance"}
    assert admin_client.post("/console/roles/", grant).status_code == 302

    _overdue_for(15, society)
    refused = admin_client.post("/console/roles/", {"email": "admin@gamma.example.cn", "role": "organiser"})
    assert refused.status_code == 403
    assert "本学会的学会云订阅已逾期，秘书处管理页面暂为只读" in refused.content.decode()
    english = admin_client.post("/console/roles/", grant, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 403
    assert "subscription is overdue, so the staff pages are read-only" in english.content.decode()
    banner = admin_client.get("/console/").content.decode()
    assert 'data-testid="read-only-banner"' in banner
    api = admin_client.post("/api/v1/me/", {})
    assert (api.status_code, api.json()["code"]) == (403, "read_only")
    with in_schema(society):
        from common.services import issue_api_token

        _token, key = issue_api_token(user=signed_up.provisioned.admin, name="OA", actor=None)
    by_token = client_for(society).post("/api/v1/me/", {}, HTTP_AUTHORIZATION=f"Token {key}")
    assert (by_token.status_code, by_token.json()["code"]) == (403, "read_only")
    # Members keep writing on the society's site; the webhook keeps running; nothing was deleted.
    member = _member_client(society, make_user, in_schema)
    saved = member.post("/accounts/profile/", {"name": "会员新名", "preferred_language": "zh-hans"})
    assert (saved.status_code, saved["Location"]) == (302, "/accounts/profile/")
    assert 'data-testid="read-only-banner"' not in member.get("/accounts/profile/").content.decode()
    # A member's API write is not refused here (it reaches the API, which answers for itself).
    assert member.post("/api/v1/me/", {}).status_code == 405
    # The other society is not affected.
    other = client_for(society_b)
    from django.contrib.auth import get_user_model

    other.force_login(get_user_model().objects.get(email="admin@beta.example.cn"))
    assert other.post("/console/roles/", {"email": "admin@beta.example.cn", "role": "finance"}).status_code == 302

    # Paying (from the plan page, which stays writable) restores everything at once.
    paid = admin_client.post("/billing/retry/")
    assert paid.status_code == 302
    sub = Subscription.objects.get(society=society)
    assert (sub.status, sub.overdue_since, sub.read_only_from) == ("active", None, None)
    assert (
        admin_client.post("/console/roles/", {"email": "admin@gamma.example.cn", "role": "organiser"}).status_code
        == 302
    )
    assert 'data-testid="read-only-banner"' not in admin_client.get("/console/").content.decode()
    assert ("invoice.paid", 200) in deliver()  # the webhook afterwards changes nothing more
    assert Subscription.objects.get(society=society).status == "active"


def test_staff_paths_are_told_from_member_payment_paths():
    assert [is_staff_path(p) for p in ("/console/roles/", "/dues/console/invoices/", "/members/console/")] == [True] * 3
    assert [is_staff_path(p) for p in ("/dues/pay/12/", "/meetings/annual-2026/register/", "/billing/retry/", "/")] == [
        False
    ] * 4


def test_trial_end_starts_reminders_then_read_only(signed_up, society_b, django_capture_on_commit_callbacks):
    society = signed_up.provisioned.society
    Subscription.objects.filter(society=society).update(trial_ends_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_payment_reminders() == {"trials_expired": 1, "reminders_sent": 1}
    sub = Subscription.objects.get(society=society)
    assert (sub.status, sub.reminders_sent) == ("past_due", 1)
    assert [m.to for m in mail.outbox] == [["admin@gamma.example.cn"]]
    assert "平台订阅费用逾期提醒" in mail.outbox[0].subject
    # Run again the same day: nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_payment_reminders() == {"trials_expired": 0, "reminders_sent": 0}
    _overdue_for(3, society)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_payment_reminders() == {"trials_expired": 0, "reminders_sent": 1}
    assert len(mail.outbox) == 2
    assert not Subscription.objects.filter(society=society_b).exists()


def test_declined_retry_says_so_and_changes_nothing(signed_up, subscribe, fake_stripe, deliver, admin_client, settings):
    import stripe

    society = signed_up.provisioned.society
    subscribe()
    sub_id = Subscription.objects.get(society=society).stripe_subscription_id
    fake_stripe.advance_subscription(sub_id, fail=True)
    deliver()
    client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})
    customer = Subscription.objects.get(society=society).stripe_customer_id
    declined = client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer})
    client.v1.subscriptions.update(sub_id, params={"default_payment_method": declined.id})
    response = admin_client.post("/billing/retry/", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["银行卡被拒绝，请换一张卡付款。"]
    sub = Subscription.objects.get(society=society)
    assert (sub.status, sub.overdue_since is not None) == ("past_due", True)
