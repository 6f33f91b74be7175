"""Reads: invoices with their derived amounts annotated, settings, work queues for finance."""

import datetime

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dues.models import ZERO, AutoRenewal, BankTransfer, Invoice, InvoiceSettings, Payment, Refund

MONEY = DecimalField(max_digits=14, decimal_places=2)


def invoice_settings() -> InvoiceSettings:
    """The society's invoice settings (created with defaults from the society on first use)."""
    found = InvoiceSettings.objects.select_related("logo", "seal").first()
    if found is None:
        from tenants.services import current_society

        society = current_society()
        found, _ = InvoiceSettings.objects.get_or_create(
            pk=1,
            defaults={
                "legal_name": society.legal_name or society.name_zh,
                "legal_name_en": society.name_en,
                "email": society.contact_email,
                "series_prefix": society.slug.upper()[:12],
            },
        )
    return found


def _sum(queryset, field="amount"):
    summed = queryset.order_by().values("x").annotate(s=Sum(field)).values("s")[:1]
    return Coalesce(Subquery(summed), Value(ZERO), output_field=MONEY)


def with_amounts(queryset):
    """Annotate what Invoice.amount_paid / amount_credited read, in three subqueries."""
    paid = Payment.objects.filter(invoice=OuterRef("pk"), state=Payment.State.CONFIRMED).annotate(x=Value(1))
    refunded = Refund.objects.filter(payment__invoice=OuterRef("pk"), state=Refund.State.DONE).annotate(x=Value(1))
    credited = Invoice.objects.filter(refers_to=OuterRef("pk")).annotate(x=Value(1))
    return queryset.annotate(paid_sum=_sum(paid), refunded_sum=_sum(refunded), credited_sum=_sum(credited, "total"))


def invoices_for_user(user):
    """The person's invoices and credit notes, newest first, with derived amounts."""
    if not getattr(user, "is_authenticated", False):
        return Invoice.objects.none()
    return (
        with_amounts(Invoice.objects.filter(buyer_user=user, number__isnull=False))
        .select_related("refers_to")
        .prefetch_related("lines")
    )


def invoice_for_user(user, invoice_id: int) -> Invoice | None:
    return invoices_for_user(user).filter(pk=invoice_id).first()


def finance_invoices(*, status: str = "", date_from=None, date_to=None, method: str = "", query: str = ""):
    """The console's list: issued invoices and credit notes filtered as the finance staff ask."""
    qs = with_amounts(Invoice.objects.filter(number__isnull=False)).select_related("buyer_user")
    if date_from:
        qs = qs.filter(issued_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(issued_at__date__lte=date_to)
    if method:
        qs = qs.filter(payments__provider=method, payments__state=Payment.State.CONFIRMED).distinct()
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(buyer__name__icontains=query) | Q(purpose__icontains=query))
    if status:
        qs = _filter_status(qs, status)
    return qs


def _filter_status(qs, status: str):
    """Status is derived; the filter repeats Invoice.status in SQL terms."""
    from django.db.models import F

    today = timezone.localdate()
    payable = F("total") + F("credited_sum")
    paid = F("paid_sum") - F("refunded_sum")
    qs = qs.annotate(payable_x=payable, paid_x=paid)
    invoices = qs.filter(kind=Invoice.Kind.INVOICE)
    cancelled = Q(cancelled_at__isnull=False) | Q(payable_x__lte=0)
    if status == Invoice.Status.CANCELLED:
        return invoices.filter(cancelled)
    open_ = invoices.exclude(cancelled)
    if status == Invoice.Status.PAID:
        return open_.filter(paid_x__gte=F("payable_x"))
    unpaid = open_.filter(paid_x__lt=F("payable_x"))
    if status == Invoice.Status.OVERDUE:
        return unpaid.filter(due_date__lt=today)
    not_overdue = unpaid.filter(Q(due_date__isnull=True) | Q(due_date__gte=today))
    if status == Invoice.Status.PARTLY_PAID:
        return not_overdue.filter(paid_x__gt=0)
    if status == Invoice.Status.ISSUED:
        return not_overdue.filter(paid_x__lte=0)
    if status == "credit_note":
        return qs.filter(kind=Invoice.Kind.CREDIT_NOTE)
    return qs


def open_bank_transfers():
    """Transfers members have reported and finance has not yet decided on (oldest first)."""
    return (
        BankTransfer.objects.filter(payment__state=Payment.State.PENDING)
        .select_related("payment__invoice", "slip")
        .order_by("submitted_at", "id")
    )


def refunds_awaiting_approval():
    return Refund.objects.filter(state=Refund.State.AWAITING_APPROVAL).select_related("payment__invoice")


def refundable_amount(payment: Payment):
    """What may still be refunded of a confirmed payment (refunds in flight count as taken)."""
    taken = payment.refunds.exclude(state__in=[Refund.State.FAILED, Refund.State.REJECTED]).aggregate(s=Sum("amount"))[
        "s"
    ]
    return payment.amount - (taken or ZERO)


def period_bounds(date_from: datetime.date, date_to: datetime.date):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(date_to, datetime.time.max, tzinfo=tz)
    return start, end


def auto_renewal_of(user) -> AutoRenewal | None:
    """The person's saved card and automatic-renewal choice in this society, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return AutoRenewal.objects.filter(user=user).first()


def auto_renewal_users():
    """Ids of the people whose renewal invoices are charged to their saved card (a subquery)."""
    return AutoRenewal.objects.filter(enabled=True).exclude(stripe_payment_method_id="").values("user_id")


def online_payment_ready() -> bool:
    """The society can take card/Alipay/WeChat Pay payments (a connected, enabled Stripe account)."""
    settings = invoice_settings()
    return bool(settings.stripe_account_id and settings.stripe_charges_enabled)
