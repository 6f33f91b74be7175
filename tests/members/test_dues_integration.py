"""Joining through the real dues capability: approval issues an invoice, a confirmed bank
transfer pays it, dues calls members.billing.invoice_paid and the member becomes active."""

import datetime
from decimal import Decimal

from dues.models import Invoice
from dues.services import confirm_bank_transfer, start_bank_transfer, submit_transfer_slip
from members import services
from members.models import Member, MembershipCharge, MemberStatus
from tests.conftest import client_for
from tests.members.conftest import PROFILE


def test_approval_invoices_and_a_confirmed_transfer_activates(
    society_a, society_b, categories, make_user, admin_a, in_schema
):
    person = make_user("zhang.wei@example.cn", "张伟")
    with in_schema(society_a):
        draft = services.save_application_draft(
            user=person, category=categories["regular"], data=dict(PROFILE), actor=person
        )
        application = services.submit_application(application=draft, actor=person)
        services.approve_application(application=application, actor=admin_a)
        charge = MembershipCharge.objects.get()
        invoice = Invoice.objects.get(pk=charge.invoice_id)
        assert (invoice.purpose, invoice.subject_id, invoice.total, invoice.currency, invoice.buyer_user_id) == (
            "membership.join",
            str(charge.pk),
            Decimal("200.00"),
            "CNY",
            person.pk,
        )
    me = client_for(society_a)
    me.force_login(person)
    assert f"/dues/invoices/{invoice.pk}/pay/" in me.get("/members/me/").content.decode()
    with in_schema(society_a):
        transfer = start_bank_transfer(invoice=invoice, actor=person)
        transfer = submit_transfer_slip(
            transfer=transfer,
            content=b"%PDF-1.4 slip",
            filename="slip.pdf",
            mimetype="application/pdf",
            payer_name="张伟",
            transferred_on=datetime.date.today(),
            actor=person,
        )
        confirm_bank_transfer(transfer=transfer, actor=admin_a)
        member = Member.objects.get()
        assert member.status == MemberStatus.ACTIVE and member.number.startswith("CS")
        charge.refresh_from_db()
        assert charge.status == "paid"
    data = me.get("/members/me/data/").json()
    assert data["invoices"] == [
        {
            "number": invoice.number,
            "purpose": "membership.join",
            "total": "200.00",
            "currency": "CNY",
            "issued_at": invoice.issued_at.isoformat(),
        }
    ]
    staff = client_for(society_a)
    staff.force_login(admin_a)
    assert invoice.number in staff.get(f"/members/console/members/{member.pk}/").content.decode()
    with in_schema(society_b):
        assert Invoice.objects.count() == 0 and Member.objects.count() == 0
