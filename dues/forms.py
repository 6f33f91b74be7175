from django import forms
from django.utils.translation import gettext_lazy as _

from dues.models import Invoice, InvoiceSettings, Payment
from dues.services.settings import FIELDS

SLIP_ACCEPT = "application/pdf,image/jpeg,image/png"


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))]
        + [c for c in Invoice.Status.choices if c[0] != "draft"]
        + [("credit_note", _("Credit notes"))],
    )
    date_from = forms.DateField(label=_("Issued from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Issued to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(
        label=_("Paid by"), required=False, choices=[("", _("Any method"))] + Payment.Provider.choices
    )
    q = forms.CharField(label=_("Number, buyer or purpose"), required=False, max_length=100)


class PayForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How would you like to pay?"), choices=Payment.Provider.choices, widget=forms.RadioSelect
    )
    save_card = forms.BooleanField(
        label=_("Save this card and renew automatically (card only)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch", "data-testid": "save-card"}),
    )

    def __init__(self, *args, online: bool, can_save_card: bool, consent: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if not online:
            choices = self.fields["method"].choices
            self.fields["method"].choices = [c for c in choices if c[0] != Payment.Provider.STRIPE]
        if can_save_card:
            self.fields["save_card"].help_text = consent
        else:
            del self.fields["save_card"]


class TransferSlipForm(forms.Form):
    payer_name = forms.CharField(label=_("Paying account name"), max_length=300)
    transferred_on = forms.DateField(label=_("Transfer date"), widget=forms.DateInput(attrs={"type": "date"}))
    slip = forms.FileField(
        label=_("Transfer slip (PDF, JPEG or PNG)"), widget=forms.ClearableFileInput(attrs={"accept": SLIP_ACCEPT})
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount to refund"), max_digits=12, decimal_places=2, min_value=0.01)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)


class FapiaoRequestForm(forms.Form):
    name = forms.CharField(label=_("Title (抬头)"), max_length=300)
    taxpayer_id = forms.CharField(label=_("Taxpayer ID"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=60, required=False)
    bank = forms.CharField(label=_("Bank"), max_length=200, required=False)
    account = forms.CharField(label=_("Bank account"), max_length=60, required=False)
    kind = forms.ChoiceField(
        label=_("Fapiao kind"), choices=[("ordinary", _("Ordinary VAT fapiao")), ("special", _("Special VAT fapiao"))]
    )
    email = forms.EmailField(label=_("E-mail for the fapiao"), required=False)


class AttachFapiaoForm(forms.Form):
    number = forms.CharField(label=_("Fapiao number"), max_length=60)
    file = forms.FileField(label=_("Fapiao file (optional)"), required=False)


class InvoiceSettingsForm(forms.ModelForm):
    logo_upload = forms.ImageField(label=_("Logo (PNG or JPEG)"), required=False)
    seal_upload = forms.ImageField(label=_("Seal image (PNG with transparency)"), required=False)

    class Meta:
        model = InvoiceSettings
        fields = FIELDS
        widgets = {"transfer_instructions": forms.Textarea(attrs={"rows": 3})}

    def clean_number_format(self):
        value = self.cleaned_data["number_format"]
        try:
            sample = value.format(prefix="X", year=2026, seq=1)
        except (KeyError, IndexError, ValueError):
            raise forms.ValidationError(_("Use only the placeholders {prefix}, {year} and {seq}.")) from None
        if "{seq" not in value or len(sample) > 60:
            raise forms.ValidationError(_("The format must contain {seq} and give numbers of at most 60 characters."))
        return value
