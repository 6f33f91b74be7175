"""Membership lifecycle: applications, review, status changes, numbers, terms, charges.

Every public function is keyword-only, takes the acting user (``actor``; ``None`` for the
system) and runs in one transaction with its audit entries.  E-mails and card rendering are
queued with ``transaction.on_commit`` so nothing leaves the building for a rolled-back change.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import audited, record_audit, snapshot
from members.lifecycle import (
    MEMBER_EDITABLE_FIELDS,
    InvalidTransition,
    MembershipError,
    activate,
    allocate_number,
    change_category,
    change_status,
    lock_member,
    open_charge,
    reinstate_member,
    resign_membership,
    send_email_on_commit,
    set_status,
    settle_charge,
    site_link,
    today,
)
from members.models import (
    CATEGORY_FIELDS,
    PROFILE_FIELDS,
    Application,
    ApplicationStatus,
    Endorsement,
    Member,
    MembershipCategory,
    MemberStatus,
    StatusChange,
    TermKind,
)

# The write API of the members app: the lifecycle functions are re-exported so that views,
# the API, tasks and other apps import every write from one place.
__all__ = [
    "MEMBER_EDITABLE_FIELDS",
    "PROFILE_FIELDS",
    "InvalidTransition",
    "MembershipError",
    "allocate_number",
    "approve_application",
    "approve_applications",
    "change_category",
    "change_status",
    "decide_endorsement",
    "email_members",
    "erase_member_data",
    "record_export",
    "record_id_view",
    "register_member",
    "reinstate_member",
    "reject_application",
    "request_data_deletion",
    "request_information",
    "resign_membership",
    "save_application_draft",
    "save_category",
    "save_membership_settings",
    "settle_charge",
    "submit_application",
    "today",
    "update_profile",
]

S = MemberStatus


# --- applications ----------------------------------------------------------------------------


def save_application_draft(
    *, user, category: MembershipCategory, data: dict, evidence=None, application=None, actor
) -> Application:
    """Create or update the person's draft (or an application sent back for more information)."""
    editable = (ApplicationStatus.DRAFT, ApplicationStatus.INFO_REQUESTED)
    with transaction.atomic():
        if application is None:
            application = Application(user=user)
        elif application.status not in editable:
            raise MembershipError(_("This application can no longer be changed."))
        application.category = category
        for field in PROFILE_FIELDS:
            if field in data:
                setattr(application, field, data[field])
        if data.get("endorser_emails") is not None:
            application.endorser_emails = data["endorser_emails"]
        if evidence is not None:
            application.evidence = evidence
        application.save()
        record_audit(
            actor=actor,
            action="members.save_application",
            obj=application,
            after={"category": category.code, "status": application.status},
        )
    return application


def submit_application(*, application: Application, actor) -> Application:
    """Send a draft on: to endorsers, to payment (pay-first categories) or to the review queue.

    Creates the person's member row in status "applicant" (or re-opens a rejected one), sends a
    confirmation e-mail after commit.  Raises MembershipError when something required is missing.
    """
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",)).select_related("category").get(pk=application.pk)
        )
        if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.INFO_REQUESTED):
            raise MembershipError(_("This application has already been submitted."))
        category = application.category
        if not category.open_for_applications:
            raise MembershipError(_("This category does not take online applications."))
        if category.evidence_required and application.evidence_id is None:
            raise MembershipError(
                _("Upload the required evidence: %(what)s.") % {"what": category.evidence_label or _("document")}
            )
        existing = Member.objects.select_for_update().filter(user=application.user).first()
        if existing and existing.status not in (S.APPLICANT, S.REJECTED):
            raise MembershipError(_("You are already on the member roll of this society."))
        member = existing or Member(user=application.user, category=category, status=S.APPLICANT)
        for field in PROFILE_FIELDS:
            setattr(member, field, getattr(application, field))
        member.email = member.email or application.user.email
        member.name_en_key = member.name_en.lower()
        member.category = category
        member.save()
        if existing is None:
            StatusChange.objects.create(
                member=member,
                from_status="",
                to_status=S.APPLICANT,
                actor_id=getattr(actor, "pk", None),
                actor_label=getattr(actor, "email", "system"),
                reason=_("Application submitted"),
            )
        elif existing.status == S.REJECTED:
            set_status(member=member, to_status=S.APPLICANT, actor=actor, reason=_("New application"))
        application.member = member
        resubmission = application.status == ApplicationStatus.INFO_REQUESTED
        application.submitted_at = timezone.now()
        if resubmission:
            application.status = ApplicationStatus.SUBMITTED
        elif category.endorsements_required:
            _request_endorsements(application=application, actor=actor)
            application.status = ApplicationStatus.ENDORSING
        else:
            application.status = _after_endorsement_status(application)
        application.save()
        if application.status == ApplicationStatus.AWAITING_PAYMENT:
            open_charge(member=member, category=category, purpose="membership.join", amount=category.fee, actor=actor)
        record_audit(
            actor=actor, action="members.submit_application", obj=application, after={"status": application.status}
        )
        send_email_on_commit(
            to=member.email, template="application_received", context={"application": application, "member": member}
        )
    return application


def _after_endorsement_status(application: Application) -> str:
    category = application.category
    if category.fee > 0 and not category.approval_before_payment and application.paid_at is None:
        return ApplicationStatus.AWAITING_PAYMENT
    return ApplicationStatus.SUBMITTED


def _request_endorsements(*, application: Application, actor) -> None:
    emails = [e.strip().lower() for e in application.endorser_emails.replace(",", "\n").split() if e.strip()]
    needed = application.category.endorsements_required
    endorsers = list(Member.objects.filter(email__in=emails, status=S.ACTIVE).exclude(user=application.user))
    if len(endorsers) < needed:
        raise MembershipError(
            _(
                "This category needs %(n)d endorsements from active members; "
                "name them by the e-mail address they use here."
            )
            % {"n": needed}
        )
    for endorser in endorsers:
        endorsement, created = Endorsement.objects.get_or_create(application=application, endorser=endorser)
        if created:
            send_email_on_commit(
                to=endorser.email,
                template="endorsement_request",
                context={
                    "application": application,
                    "link": site_link(reverse("members:endorse", args=[endorsement.token])),
                },
            )


def decide_endorsement(*, endorsement: Endorsement, give: bool, actor) -> Endorsement:
    """The endorser gives or declines; enough given endorsements send the application on."""
    with transaction.atomic():
        endorsement = (
            Endorsement.objects.select_for_update(of=("self",)).select_related("endorser").get(pk=endorsement.pk)
        )
        if endorsement.endorser.user_id != getattr(actor, "pk", None):
            raise MembershipError(_("Only the member asked can answer this endorsement request."))
        if endorsement.status != Endorsement.Status.REQUESTED:
            raise MembershipError(_("You have already answered this request."))
        endorsement.status = Endorsement.Status.GIVEN if give else Endorsement.Status.DECLINED
        endorsement.decided_at = timezone.now()
        endorsement.save(update_fields=["status", "decided_at"])
        record_audit(
            actor=actor, action="members.decide_endorsement", obj=endorsement, after={"status": endorsement.status}
        )
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("category", "member")
            .get(pk=endorsement.application_id)
        )
        given = application.endorsements.filter(status=Endorsement.Status.GIVEN).count()
        if application.status == ApplicationStatus.ENDORSING and given >= application.category.endorsements_required:
            application.status = _after_endorsement_status(application)
            application.save(update_fields=["status"])
            if application.status == ApplicationStatus.AWAITING_PAYMENT:
                open_charge(
                    member=application.member,
                    category=application.category,
                    purpose="membership.join",
                    amount=application.category.fee,
                    actor=actor,
                )
            record_audit(
                actor=actor,
                action="members.endorsements_complete",
                obj=application,
                after={"status": application.status},
            )
    return endorsement


def _review_lock(application: Application) -> Application:
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("category", "member").get(pk=application.pk)
    )
    if application.status != ApplicationStatus.SUBMITTED:
        raise MembershipError(_("Only applications waiting for review can be decided."))
    return application


def approve_application(*, application: Application, actor) -> Application:
    """Approve: free or already-paid applications become active members with a number at once;
    otherwise the member waits for payment of the joining charge (billed through dues)."""
    with transaction.atomic():
        application = _review_lock(application)
        member = lock_member(application.member)
        category = application.category
        with audited(application, ["status"], action="members.approve_application", actor=actor):
            application.status = ApplicationStatus.APPROVED
            application.decided_at = timezone.now()
            application.reviewed_by_id = getattr(actor, "pk", None)
            application.save(update_fields=["status", "decided_at", "reviewed_by_id"])
        if category.fee == 0 or application.paid_at is not None:
            activate(
                member=member, category=category, actor=actor, reason=_("Application approved"), kind=TermKind.JOIN
            )
            template = "welcome"
        else:
            set_status(member=member, to_status=S.PENDING_PAYMENT, actor=actor, reason=_("Application approved"))
            open_charge(member=member, category=category, purpose="membership.join", amount=category.fee, actor=actor)
            template = "approved_pay"
        send_email_on_commit(
            to=member.email, template=template, context={"member": member, "link": site_link(reverse("members:me"))}
        )
    return application


def approve_applications(*, applications, actor) -> tuple[int, list[str]]:
    """Bulk approval: each application in its own transaction; returns (approved, problems)."""
    done, problems = 0, []
    for application in applications:
        try:
            approve_application(application=application, actor=actor)
            done += 1
        except MembershipError as exc:
            problems.append(f"{application.name_zh}: {exc}")
    return done, problems


def reject_application(*, application: Application, reason: str, actor) -> Application:
    if not reason.strip():
        raise MembershipError(_("Give the applicant a reason."))
    with transaction.atomic():
        application = _review_lock(application)
        application.status = ApplicationStatus.REJECTED
        application.review_note = reason
        application.decided_at = timezone.now()
        application.reviewed_by_id = getattr(actor, "pk", None)
        application.save(update_fields=["status", "review_note", "decided_at", "reviewed_by_id"])
        set_status(member=lock_member(application.member), to_status=S.REJECTED, actor=actor, reason=reason)
        record_audit(
            actor=actor,
            action="members.reject_application",
            obj=application,
            after={"status": ApplicationStatus.REJECTED},
            reason=reason,
        )
        send_email_on_commit(
            to=application.member.email, template="rejected", context={"application": application, "reason": reason}
        )
    return application


def request_information(*, application: Application, message: str, actor) -> Application:
    """Send the application back; the applicant edits and resubmits it."""
    if not message.strip():
        raise MembershipError(_("Say what information is missing."))
    with transaction.atomic():
        application = _review_lock(application)
        application.status = ApplicationStatus.INFO_REQUESTED
        application.review_note = message
        application.save(update_fields=["status", "review_note"])
        record_audit(actor=actor, action="members.request_information", obj=application, reason=message)
        send_email_on_commit(
            to=application.member.email,
            template="info_requested",
            context={"application": application, "link": site_link(reverse("members:apply"))},
        )
    return application


def update_profile(*, member: Member, data: dict, actor, by_staff: bool) -> Member:
    """Edit a member's profile; members may change only MEMBER_EDITABLE_FIELDS."""
    allowed = PROFILE_FIELDS if by_staff else MEMBER_EDITABLE_FIELDS
    with transaction.atomic():
        member = lock_member(member)
        changed = [f for f in allowed if f in data and getattr(member, f) != data[f]]
        if not changed:
            return member
        with audited(member, changed, action="members.update_profile", actor=actor):
            for field in changed:
                setattr(member, field, data[field])
            member.name_en_key = member.name_en.lower()
            member.save()
    return member


def request_data_deletion(*, member: Member, actor) -> Member:
    """The member asks to be erased; the secretariat handles it (financial records are kept)."""
    with transaction.atomic():
        member = lock_member(member)
        if member.deletion_requested_at is None:
            member.deletion_requested_at = timezone.now()
            member.save(update_fields=["deletion_requested_at"])
            record_audit(actor=actor, action="members.request_deletion", obj=member)
    return member


def _stored(instance, fields: list[str]) -> dict | None:
    """The fields as the database has them (locked): the form has already changed ``instance``."""
    if instance.pk is None:
        return None
    return snapshot(type(instance).objects.select_for_update().get(pk=instance.pk), fields)


def save_category(*, category: MembershipCategory, actor) -> MembershipCategory:
    """Create or update a category (validated by its form)."""
    with transaction.atomic():
        created = category.pk is None
        before = _stored(category, CATEGORY_FIELDS)
        category.save()
        record_audit(
            actor=actor,
            action="members.create_category" if created else "members.update_category",
            obj=category,
            before=before,
            after=snapshot(category, CATEGORY_FIELDS),
        )
    return category


def record_id_view(*, member: Member, actor) -> None:
    """Viewing a full ID number is audit-logged."""
    with transaction.atomic():
        record_audit(actor=actor, action="members.view_id_number", obj=member)


def record_export(*, count: int, filters: dict, personal: bool, actor) -> None:
    """Every export of member data is audit-logged (with whether personal fields were shown)."""
    with transaction.atomic():
        record_audit(
            actor=actor, action="members.export", after={"count": count, "filters": filters, "personal": personal}
        )


def register_member(*, data: dict, category: MembershipCategory, actor, user=None) -> Member:
    """The secretariat (console or API) puts a person straight on the roll as an active member,
    with a number and a first term."""
    with transaction.atomic():
        if data.get("email") and Member.objects.filter(email=data["email"]).exists():
            raise MembershipError(_("A member with this e-mail address exists already."))
        if data.get("id_number") and Member.objects.filter(id_number=data["id_number"]).exists():
            raise MembershipError(_("A member with this ID number exists already."))
        member = Member(
            user=user, category=category, status=S.APPLICANT, **{k: v for k, v in data.items() if k in PROFILE_FIELDS}
        )
        member.name_en_key = member.name_en.lower()
        member.save()
        record_audit(actor=actor, action="members.register_member", obj=member, after={"category": category.code})
        activate(
            member=member, category=category, actor=actor, reason=_("Registered by the secretariat"), kind=TermKind.JOIN
        )
    return member


def email_members(*, members, subject: str, body: str, actor) -> int:
    """The secretariat writes to a selection of members; sent after commit, one message each
    (no member sees another's address).  Returns how many addresses it goes to."""
    from django.core.mail import EmailMessage, get_connection

    addresses = sorted({m.email for m in members if m.email})
    with transaction.atomic():
        record_audit(actor=actor, action="members.email_members", after={"count": len(addresses), "subject": subject})

        def send():
            messages = [EmailMessage(subject, body, None, [address]) for address in addresses]
            get_connection().send_messages(messages)

        transaction.on_commit(send)
    return len(addresses)


def save_membership_settings(*, settings_row, actor):
    """Numbering format, grace period, renewal lead time and reminder offsets of the society."""
    fields = ["number_prefix", "number_digits", "grace_days", "renewal_lead_days", "reminder_offsets"]
    with transaction.atomic():
        before = _stored(settings_row, fields)
        settings_row.save()
        record_audit(
            actor=actor,
            action="members.save_settings",
            obj=settings_row,
            before=before,
            after=snapshot(settings_row, fields),
        )
    return settings_row


ERASED_NAME = "（已删除）"


def erase_member_data(*, member: Member, actor) -> Member:
    """Carry out a member's deletion request: personal fields are blanked, the account link and
    card are dropped, the verify code is replaced (old cards stop verifying).  The roll entry,
    its number, status history and all financial records (dues invoices, charges) are kept,
    as accounting law requires."""
    import secrets

    with transaction.atomic():
        member = lock_member(member)
        if member.in_good_standing:
            raise MembershipError(_("End the membership (resigned) before erasing the member's data."))
        for field in PROFILE_FIELDS:
            setattr(member, field, None if field == "birth_date" else "")
        member.name_zh = ERASED_NAME
        member.name_en_key = ""
        member.institution_representatives = ""
        member.user = None
        member.card_file = None
        member.verify_token = secrets.token_urlsafe(16)
        member.save()
        blank = {field: (None if field == "birth_date" else "") for field in PROFILE_FIELDS}
        member.applications.update(**{**blank, "name_zh": ERASED_NAME})
        record_audit(actor=actor, action="members.erase_data", obj=member, reason=_("Deletion requested by the member"))
    return member
