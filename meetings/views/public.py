"""Public meeting pages and the attendee's side: register, pay, ticket, cancel, transfer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meetings import billing, capacity, selectors
from meetings.forms import AttendeeForm, GroupForm, SubstituteForm, TransferForm
from meetings.models import Certificate, GroupOrder, Registration
from meetings.notifications import ticket_qr_svg
from meetings.pricing import CENT, PricingError, check_eligibility, price_phase
from meetings.services import groups as group_services
from meetings.services import registration as services
from meetings.views.common import own_registration, public_meeting, retry_later_on_busy


def meeting_list(request):
    meetings = selectors.public_meetings().order_by("-starts_on")
    return render(request, "meetings/list.html", {"meetings": meetings})


def _type_rows(meeting, user):
    """Each type on sale with today's price and whether this visitor may take it."""
    today = timezone.localdate()
    is_member, category = selectors.membership_of(user)
    rows = []
    for rtype in selectors.open_types(meeting):
        phase, price = price_phase(rtype, today)
        try:
            check_eligibility(rtype, is_member=is_member, member_category=category)
            reason = ""
        except PricingError as exc:
            reason = str(exc)
        quota = getattr(rtype, "quota", None)
        rows.append(
            {
                "type": rtype,
                "phase": phase,
                "price": price,
                "reason": reason,
                "sold_out": quota is not None and quota.free == 0,
            }
        )
    return rows


def poster(request, slug):
    """The poster is public as long as its meeting is (files are otherwise private)."""
    meeting = public_meeting(slug)
    if meeting.poster is None or not meeting.poster.mimetype.startswith("image/"):
        raise Http404
    return FileResponse(meeting.poster.file.open("rb"), content_type=meeting.poster.mimetype)


def _invoices_url() -> str:
    try:
        return reverse("dues:my_invoices")
    except NoReverseMatch:  # the dues capability is optional
        return ""


def meeting_detail(request, slug):
    meeting = public_meeting(slug)
    mine = selectors.live_registration(meeting, request.user) if request.user.is_authenticated else None
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "rows": _type_rows(meeting, request.user),
            "mine": mine,
            "rules": list(meeting.refund_rules.all()),
        },
    )


@login_required
@retry_later_on_busy
def register(request, slug):
    meeting = public_meeting(slug)
    # On POST the service checks this again under the database's unique constraint; the page
    # skips its own lookups there (opening day is a burst of POSTs).
    existing = selectors.live_registration(meeting, request.user) if request.method == "GET" else None
    if existing is not None:
        messages.info(request, _("You are already registered for this meeting."))
        return redirect("meetings:registration", existing.ticket_code)
    if not meeting.accepts_registrations:
        messages.error(request, _("Registration for this meeting is not open."))
        return redirect("meetings:detail", meeting.slug)
    type_id = request.GET.get("type", "")
    rtype = meeting.types.filter(active=True, pk=type_id).first() if type_id.isdigit() else None
    reason = ""
    if rtype is not None and request.method == "GET":
        is_member, category = selectors.membership_of(request.user)
        try:
            check_eligibility(rtype, is_member=is_member, member_category=category)
        except PricingError as exc:
            reason = str(exc)
    if rtype is None or reason:
        if reason:
            messages.error(request, reason)
        return render(
            request, "meetings/register_type.html", {"meeting": meeting, "rows": _type_rows(meeting, request.user)}
        )
    chosen = {"type": rtype, "price": price_phase(rtype, timezone.localdate())[1]}
    questions = list(selectors.questions_for(meeting, rtype))
    addons = meeting.addons.filter(active=True)
    if request.method == "POST":
        waitlist = "join_waitlist" in request.POST
    else:
        quota_ids = capacity.quota_ids_for(meeting=meeting, registration_type=rtype)
        waitlist = bool(quota_ids) and not capacity.has_free_seat(quota_ids)
    initial = {"name": request.user.name, "email": request.user.email}
    form = AttendeeForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        meeting=meeting,
        registration_type=rtype,
        addons=addons if any(addons) else None,
        questions=questions,
        waitlist=waitlist,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Uploaded files stay file objects here; the service stores them in its transaction.
        answers = {question.label: data.get(f"q{question.pk}") or "" for question in form.questions}
        try:
            reg = services.register(
                meeting=meeting,
                registration_type=rtype,
                user=request.user,
                attendee=services.Attendee(
                    name=data["name"], email=data["email"], phone=data["phone"], unit=data["unit"], answers=answers
                ),
                addons=list(data.get("addons") or []),
                code=data["code"],
                join_waitlist=bool(data.get("join_waitlist")),
                actor=request.user,
            )
        except services.SeatsGone as exc:
            # Offer the waiting list: the form comes back with its check box.
            waitlist = True
            form = AttendeeForm(
                request.POST,
                initial=initial,
                meeting=meeting,
                registration_type=rtype,
                addons=addons if any(addons) else None,
                questions=questions,
                waitlist=True,
            )
            form.errors.clear()
            form.add_error(None, str(exc))
        except services.RegistrationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("meetings:registration", reg.ticket_code)
    return render(
        request,
        "meetings/register_form.html",
        {
            "meeting": meeting,
            "row": chosen,
            "form": form,
            "waitlist": waitlist,
        },
    )


@login_required
def registration_detail(request, code):
    reg = own_registration(request, code)
    today = timezone.localdate()
    refund_percent = services.refund_percent(reg.meeting, today)
    return render(
        request,
        "meetings/registration.html",
        {
            "reg": reg,
            "meeting": reg.meeting,
            "invoices_url": _invoices_url() if reg.invoice_id else "",
            "qr": ticket_qr_svg(reg.ticket_code) if reg.status == Registration.Status.CONFIRMED else "",
            "refund_percent": refund_percent,
            "refund_preview": (reg.total * refund_percent / 100).quantize(CENT) if reg.paid_at else None,
            "transfer_form": TransferForm() if reg.group_id is None else None,
            "substitute_form": SubstituteForm() if reg.group_id else None,
            "answers": selectors.answer_rows(reg),
        },
    )


@require_POST
@login_required
@retry_later_on_busy
def pay(request, code):
    reg = own_registration(request, code)
    try:
        invoice = billing.start_payment(registration=reg, actor=request.user)
    except (billing.PaymentUnavailable, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("meetings:registration", reg.ticket_code)
    return redirect(billing.pay_url(invoice))


@require_POST
@login_required
@retry_later_on_busy
def cancel(request, code):
    reg = own_registration(request, code)
    try:
        reg = services.cancel_registration(registration=reg, actor=request.user, reason=_("Cancelled by the attendee."))
    except services.RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        if reg.refund_amount:
            messages.success(
                request,
                _("Registration cancelled; %(amount)s %(currency)s will be refunded.")
                % {"amount": reg.refund_amount, "currency": reg.currency},
            )
        else:
            messages.success(request, _("Registration cancelled."))
    return redirect("meetings:my_registrations")


@require_POST
@login_required
def transfer(request, code):
    reg = own_registration(request, code)
    form = (SubstituteForm if reg.group_id else TransferForm)(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        person = services.Attendee(name=data["name"], email=data["email"], phone=data["phone"], unit=data["unit"])
        try:
            if reg.group_id:
                reg = group_services.substitute_attendee(registration=reg, attendee=person, actor=request.user)
            else:
                reg = services.transfer_registration(
                    registration=reg, to_user=form.to_user, attendee=person, actor=request.user
                )
        except services.RegistrationError as exc:
            messages.error(request, str(exc))
            return redirect("meetings:registration", reg.ticket_code)
        messages.success(
            request, _("The registration now belongs to %(name)s; a new ticket was sent.") % {"name": reg.name}
        )
        if reg.user_id == request.user.pk or reg.group_id:
            return redirect("meetings:registration", reg.ticket_code)
        return redirect("meetings:my_registrations")
    for errors in form.errors.values():
        messages.error(request, errors[0])
    return redirect("meetings:registration", reg.ticket_code)


@login_required
def ticket_qr(request, code):
    reg = own_registration(request, code)
    if reg.status != Registration.Status.CONFIRMED:
        raise Http404
    return HttpResponse(ticket_qr_svg(reg.ticket_code), content_type="image/svg+xml")


@login_required
def my_registrations(request):
    regs = selectors.registrations_of(request.user)
    orders = GroupOrder.objects.filter(contact=request.user).select_related("meeting")
    return render(request, "meetings/my_registrations.html", {"regs": regs, "orders": orders})


@login_required
@retry_later_on_busy
def group_register(request, slug):
    meeting = public_meeting(slug)
    form = GroupForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rtype = data["registration_type"]
        people = [
            (rtype, services.Attendee(name=n, email=e, phone=p, unit=data["institution"])) for n, e, p in data["people"]
        ]
        buyer = {"name": data["institution"]}
        buyer.update({key: data[key] for key in ("taxpayer_id", "address", "phone", "bank", "account", "kind")})
        try:
            order = group_services.create_group_order(
                meeting=meeting,
                contact=request.user,
                institution=data["institution"],
                buyer=buyer,
                attendees=people,
                actor=request.user,
            )
        except services.RegistrationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("meetings:group", order.pk)
    return render(request, "meetings/group_form.html", {"meeting": meeting, "form": form})


@login_required
def group_detail(request, order_id):
    order = get_object_or_404(GroupOrder.objects.select_related("meeting"), pk=order_id, contact=request.user)
    if request.method == "POST":
        try:
            invoice = group_services.start_group_payment(order=order, actor=request.user)
        except (billing.PaymentUnavailable, ValueError) as exc:
            messages.error(request, str(exc))
            return redirect("meetings:group", order.pk)
        return redirect(billing.pay_url(invoice))
    regs = order.registrations.select_related("registration_type").order_by("id")
    return render(request, "meetings/group.html", {"order": order, "regs": regs, "meeting": order.meeting})


def verify_certificate(request, token):
    cert = Certificate.objects.select_related("registration__meeting").filter(token=token).first()
    valid = cert is not None and cert.registration.checked_in_at is not None
    return render(request, "meetings/verify.html", {"cert": cert, "valid": valid}, status=200 if cert else 404)
