"""Reminders to societies whose platform payment is overdue (before their pages turn read-only)."""

from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from billing.models import Subscription
from common.audit import record_audit
from tenants.services import society_url

# Days after the payment was first missed; the last one comes a day before read-only starts.
REMINDER_DAYS = (0, 3, 7, 13)


def _message(subscription: Subscription) -> tuple[str, str]:
    society = subscription.society
    read_only = timezone.localtime(subscription.read_only_from).strftime("%Y-%m-%d %H:%M")
    link = society_url(society, "/billing/")
    subject = f"【学会云】{society.name_zh}：平台订阅费用逾期提醒 / Xuehui subscription payment overdue"
    body = (
        f"{society.name_zh}秘书处：\n\n"
        f"贵会的学会云平台订阅（{subscription.plan.name_zh}）付款逾期。请于 {read_only} 前付款；"
        f"逾期后秘书处管理页面将变为只读（会员缴费和会议报名不受影响，数据不会删除）。\n"
        f"付款：{link}\n\n"
        f"Dear secretariat of {society.name_en or society.name_zh},\n\n"
        f"the payment for your Xuehui plan ({subscription.plan.name_en}) is overdue. Please pay before {read_only}; "
        f"after that the staff pages become read-only (members can still pay dues and meeting fees; nothing is "
        f"deleted).\nPay here: {link}\n"
    )
    return subject, body


def send_due_reminders(*, now, actor=None) -> int:
    """Send each overdue society the reminder that is due (at most one per run); idempotent."""
    sent = 0
    candidates = Subscription.objects.filter(
        overdue_since__isnull=False, reminders_sent__lt=len(REMINDER_DAYS)
    ).values_list("pk", flat=True)
    for pk in candidates:
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().select_related("society", "plan").get(pk=pk)
            step = subscription.reminders_sent
            if subscription.overdue_since is None or step >= len(REMINDER_DAYS):
                continue
            if now < subscription.overdue_since + timedelta(days=REMINDER_DAYS[step]):
                continue
            subject, body = _message(subscription)
            recipient = subscription.society.contact_email
            subscription.reminders_sent = step + 1
            subscription.last_reminder_at = now
            subscription.save(update_fields=["reminders_sent", "last_reminder_at", "updated_at"])
            record_audit(
                actor=actor,
                action="billing.send_payment_reminder",
                obj=subscription,
                after={"reminder": step + 1, "to": recipient},
            )
            # Sent after the commit: a rollback must not leave a mail claiming a state we did not keep.
            transaction.on_commit(
                lambda s=subject, b=body, r=recipient: send_mail(s, b, None, [r], fail_silently=False)
            )
            sent += 1
    return sent
