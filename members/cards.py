"""The membership card PDF (common/pdf/card.py) with a QR code to the public verify page."""

from django.db import transaction
from django.urls import reverse

from common.files import store_file
from common.pdf import card as card_pdf
from members.lifecycle import site_link
from members.models import Member
from tenants.services import current_society


def card_data(member: Member) -> card_pdf.MembershipCard:
    society = current_society()
    category = member.category
    return card_pdf.MembershipCard(
        society_name_zh=society.name_zh,
        society_name_en=society.name_en,
        name_zh=member.name_zh,
        name_en=member.name_en,
        member_number=member.number,
        category=" ".join(x for x in (category.name_zh, category.name_en) if x),
        valid_until=member.term_end,
        verify_url=site_link(reverse("members:verify", args=[member.verify_token])),
    )


def render_card(*, member: Member):
    """Render and store the member's current card (owner: the member's account)."""
    filename, mimetype, content = card_pdf.generate(card_data(member))
    with transaction.atomic():
        stored = store_file(
            content=content, filename=filename, mimetype=mimetype, kind="membership_card", owner=member.user_id
        )
        Member.objects.filter(pk=member.pk).update(card_file=stored)
    return stored
