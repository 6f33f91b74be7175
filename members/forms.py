"""Forms: applications, profiles, categories, review decisions, status changes, imports."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.normalize import clean_currency
from members import normalize
from members.models import (
    CATEGORY_FIELDS,
    Application,
    Member,
    MembershipCategory,
    MembershipSettings,
    MemberStatus,
)
from members.selectors import open_categories
from members.services import MEMBER_EDITABLE_FIELDS, PROFILE_FIELDS

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


class ProfileCleaning:
    """Field cleaning shared by the application and profile forms (same rules as imports)."""

    def _clean_with(self, field, function, *args):
        try:
            return function(*args, self.cleaned_data.get(field))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_mobile(self):
        return self._clean_with("mobile", normalize.clean_mobile)

    def clean_email(self):
        return self._clean_with("email", normalize.clean_email)

    def clean_name_zh(self):
        return normalize.text(self.cleaned_data.get("name_zh"))

    def clean(self):
        data = super().clean()
        if "id_number" in self.fields:
            try:
                data["id_number"] = normalize.clean_id_number(data.get("id_type", ""), data.get("id_number", ""))
            except ValueError as exc:
                self.add_error("id_number", str(exc))
            if data.get("id_number") and not data.get("id_type"):
                self.add_error("id_type", _("Choose the type of the ID document."))
        return data


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ApplicationForm(ProfileCleaning, forms.ModelForm):
    evidence_upload = forms.FileField(
        label=_("Evidence (PDF, JPG or PNG, up to 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    class Meta:
        model = Application
        fields = ["category", *PROFILE_FIELDS, "endorser_emails"]
        widgets = {
            "birth_date": DATE_INPUT,
            "mobile": forms.TextInput(attrs={"placeholder": "+86 13800138000", "inputmode": "tel"}),
            "endorser_emails": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"endorser_emails": _("Only for categories that need endorsements: one e-mail per line.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = open_categories()
        self.fields["category"].label = _("Membership category")
        self.fields["category"].empty_label = None
        for name in ("mobile", "email"):
            self.fields[name].required = True
        self.fields["mobile"].initial = "+86 "

    def clean_evidence_upload(self):
        upload = self.cleaned_data.get("evidence_upload")
        if upload:
            if upload.size > MAX_EVIDENCE_BYTES:
                raise ValidationError(_("The file is larger than 10 MB."))
            if upload.content_type not in EVIDENCE_TYPES:
                raise ValidationError(_("Upload a PDF, JPG or PNG file."))
        return upload


class ProfileForm(ProfileCleaning, forms.ModelForm):
    class Meta:
        model = Member
        fields = MEMBER_EDITABLE_FIELDS


class StaffProfileForm(ProfileCleaning, forms.ModelForm):
    """The secretariat's edit form; the ID number field only when its viewing was logged."""

    class Meta:
        model = Member
        fields = PROFILE_FIELDS + ["institution_representatives"]
        widgets = {"birth_date": DATE_INPUT}

    def __init__(self, *args, reveal_id: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not reveal_id:
            del self.fields["id_number"]


class CategoryForm(forms.ModelForm):
    class Meta:
        model = MembershipCategory
        fields = [*CATEGORY_FIELDS, "sort_order"]
        labels = {"sort_order": _("Position in lists")}

    def clean_currency(self):
        try:
            return clean_currency(self.cleaned_data["currency"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class MembershipSettingsForm(forms.ModelForm):
    reminder_offsets = forms.CharField(
        label=_("Reminders (days before expiry)"),
        help_text=_("Comma-separated, e.g. 30, 7, 0; a negative number is days after expiry."),
    )

    class Meta:
        model = MembershipSettings
        fields = ["number_prefix", "number_digits", "grace_days", "renewal_lead_days", "reminder_offsets"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["reminder_offsets"] = ", ".join(str(x) for x in self.instance.reminder_offsets)

    def clean_reminder_offsets(self):
        try:
            offsets = sorted(
                {int(x) for x in self.cleaned_data["reminder_offsets"].replace("，", ",").split(",") if x.strip()},
                reverse=True,
            )
        except ValueError:
            raise ValidationError(_("Give whole numbers of days separated by commas.")) from None
        return offsets

    def clean_number_digits(self):
        digits = self.cleaned_data["number_digits"]
        if not 3 <= digits <= 9:
            raise ValidationError(_("Use 3 to 9 digits."))
        return digits


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason or message"), widget=forms.Textarea(attrs={"rows": 3}))


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (MemberStatus.RESIGNED, MemberStatus.RESIGNED.label),
            (MemberStatus.TERMINATED, MemberStatus.TERMINATED.label),
            (MemberStatus.DECEASED, MemberStatus.DECEASED.label),
            (MemberStatus.LAPSED, MemberStatus.LAPSED.label),
            (MemberStatus.GRACE, MemberStatus.GRACE.label),
        ],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class BulkEmailForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150, required=False)
    body = forms.CharField(label=_("Message text"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("subject") or not data.get("body"):
            raise ValidationError(_("Write a subject and a message."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"})
    )
