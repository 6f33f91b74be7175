import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from meetings import selectors
from meetings.models import AddOn, DiscountCode, Meeting, Question, RegistrationType

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
DATE = forms.DateInput(attrs={"type": "date"})


def clean_phone(value: str) -> str:
    value = (value or "").strip()
    if value and not PHONE_RE.match(value):
        raise forms.ValidationError(_("Enter a phone number of digits, e.g. 13800138000 or +86 138 0013 8000."))
    return value


class MeetingForm(forms.ModelForm):
    poster_image = forms.ImageField(label=_("Poster image"), required=False)

    class Meta:
        model = Meeting
        fields = [
            "title_zh",
            "title_en",
            "slug",
            "starts_on",
            "ends_on",
            "venue",
            "online",
            "description",
            "organisers",
            "co_organisers",
            "contact",
            "capacity",
            "hold_minutes",
            "substitution_deadline",
        ]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "substitution_deadline": DATE,
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"slug": _("Used in the address, e.g. annual-2026.")}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The last day cannot be before the first day."))
        return data

    def validate_constraints(self, exclude=None):
        # Checked in clean() with a message in the user's language instead.
        pass


class RegistrationTypeForm(forms.ModelForm):
    class Meta:
        model = RegistrationType
        fields = [
            "name_zh",
            "name_en",
            "kind",
            "member_category",
            "currency",
            "price",
            "price_early",
            "early_bird_until",
            "price_onsite",
            "capacity",
            "position",
            "active",
        ]
        widgets = {"early_bird_until": DATE}

    def clean(self):
        data = super().clean()
        if data.get("price_early") is not None and not data.get("early_bird_until"):
            self.add_error("early_bird_until", _("Give the early-bird deadline for the early-bird price."))
        for name in ("price", "price_early", "price_onsite"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, _("A price cannot be negative."))
        return data

    def validate_constraints(self, exclude=None):
        pass


class ExtraForm(forms.ModelForm):
    """Creating or editing an add-on, discount code or question of ``meeting``."""

    notice = ""  # shown above the fields (meetings/console/simple_form.html)

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        if "types" in self.fields:
            self.fields["types"].queryset = meeting.types.all()

    def _fix(self, names, reason) -> None:
        """Show fields that can no longer change (greyed out; what a browser sends for them is
        ignored), and say why."""
        for name in names:
            self.fields[name].disabled = True
        self.notice = reason


class AddOnForm(ExtraForm):
    class Meta:
        model = AddOn
        fields = ["name_zh", "name_en", "price", "capacity", "active"]

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("A price cannot be negative."))
        return price


class DiscountCodeForm(ExtraForm):
    class Meta:
        model = DiscountCode
        fields = ["code", "kind", "value", "max_uses", "valid_from", "valid_until", "types", "active"]
        widgets = {"valid_from": DATE, "valid_until": DATE, "types": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.used:
            self._fix(
                ["code", "kind", "value"],
                _("Used %(n)s times already: the code, kind and value can no longer change.")
                % {"n": self.instance.used},
            )

    def validate_unique(self):
        pass

    def validate_constraints(self, exclude=None):
        pass

    def clean_value(self):
        value = self.cleaned_data["value"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("Enter an amount or percentage above zero."))
        return value

    def clean_max_uses(self):
        max_uses = self.cleaned_data["max_uses"]
        if max_uses is not None and max_uses < self.instance.used:
            raise forms.ValidationError(
                _("The maximum uses cannot be below the %(used)s uses so far.") % {"used": self.instance.used}
            )
        return max_uses


class QuestionForm(ExtraForm):
    class Meta:
        model = Question
        fields = ["label", "kind", "choices", "required", "types", "position", "active"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3}), "types": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and selectors.question_answered(self.instance):
            self._fix(["kind"], _("Answered already: the kind can no longer change."))


class RefundRulesForm(forms.Form):
    rules = forms.CharField(
        label=_("Cancellation policy"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One rule a line: last day, refund percent — e.g. “2026-05-01 100” then “2026-05-20 50”. "
            "Later cancellations get nothing back."
        ),
    )

    def clean_rules(self):
        import datetime

        rules = []
        for number, line in enumerate(self.cleaned_data["rules"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace(",", " ").replace("%", " ").split()
            try:
                day = datetime.date.fromisoformat(parts[0])
                percent = int(parts[1])
                if not 0 <= percent <= 100 or len(parts) != 2:
                    raise ValueError
            except (ValueError, IndexError):
                raise forms.ValidationError(
                    _("Line %(n)s: write a date and a percent from 0 to 100, e.g. 2026-05-01 50.") % {"n": number}
                ) from None
            rules.append((day, percent))
        if len({d for d, _p in rules}) != len(rules):
            raise forms.ValidationError(_("Each date may appear only once."))
        return rules


class AttendeeForm(forms.Form):
    """Step 2 of registering: who attends, add-ons, code, and the type's questions."""

    name = forms.CharField(label=_("Name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Mobile phone"), max_length=30)
    unit = forms.CharField(label=_("Unit (institution)"), max_length=200, required=False)
    code = forms.CharField(label=_("Discount code"), max_length=40, required=False)

    def __init__(self, *args, meeting, registration_type, addons, questions, waitlist: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        if addons:
            self.fields["addons"] = forms.ModelMultipleChoiceField(
                label=_("Add-ons"), queryset=addons, required=False, widget=forms.CheckboxSelectMultiple
            )
            self.fields["addons"].label_from_instance = lambda a: f"{a.name} · {a.price} {registration_type.currency}"
        for question in self.questions:
            name = f"q{question.pk}"
            if question.kind == Question.Kind.CHOICE:
                field = forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in question.choice_list])
            elif question.kind == Question.Kind.FILE:
                field = forms.FileField()
            else:
                field = forms.CharField(max_length=1000)
            field.label, field.required = question.label, question.required
            self.fields[name] = field
        if waitlist:
            self.fields["join_waitlist"] = forms.BooleanField(
                label=_("No seats are left: put me on the waiting list"), required=True
            )

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        for question in self.questions:
            upload = data.get(f"q{question.pk}")
            if question.kind == Question.Kind.FILE and upload and upload.size > 10 * 1024 * 1024:
                self.add_error(f"q{question.pk}", _("The file is larger than 10 MB."))
        return data


class TransferForm(forms.Form):
    name = forms.CharField(label=_("Colleague's name"), max_length=100)
    email = forms.EmailField(label=_("Colleague's e-mail"))
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
    unit = forms.CharField(label=_("Unit (institution)"), max_length=200, required=False)

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        self.to_user = None
        if data.get("email"):
            self.to_user = get_user_model().objects.filter(email=data["email"].strip().lower()).first()
        return data


class GroupForm(forms.Form):
    institution = forms.CharField(label=_("Institution"), max_length=200)
    taxpayer_id = forms.CharField(label=_("Taxpayer ID"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    bank = forms.CharField(label=_("Bank"), max_length=200, required=False)
    account = forms.CharField(label=_("Account number"), max_length=60, required=False)
    kind = forms.ChoiceField(
        label=_("Fapiao kind"), choices=[("ordinary", _("Ordinary VAT fapiao")), ("special", _("Special VAT fapiao"))]
    )
    registration_type = forms.ModelChoiceField(label=_("Registration type"), queryset=RegistrationType.objects.none())
    people = forms.CharField(
        label=_("People"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One person a line: name, e-mail, mobile phone."),
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration_type"].queryset = meeting.types.filter(active=True).exclude(
            kind=RegistrationType.Kind.MEMBER
        )

    def clean(self):
        data = super().clean()
        if data.get("kind") == "special" and not data.get("taxpayer_id"):
            self.add_error("taxpayer_id", _("A special VAT fapiao needs the taxpayer ID."))
        return data

    def clean_people(self):
        people = []
        validator = forms.EmailField()
        for number, line in enumerate(self.cleaned_data["people"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in re.split(r"[,，\t]", line)]
            if len(parts) < 2 or not parts[0]:
                raise forms.ValidationError(_("Line %(n)s: write name, e-mail, mobile phone.") % {"n": number})
            try:
                email = validator.clean(parts[1])
                phone = clean_phone(parts[2] if len(parts) > 2 else "")
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("Line %(n)s: %(error)s") % {"n": number, "error": exc.messages[0]}
                ) from None
            people.append((parts[0], email, phone))
        if not people:
            raise forms.ValidationError(_("Add at least one person."))
        if len(people) > 200:
            raise forms.ValidationError(_("At most 200 people per group."))
        return people


class SubstituteForm(TransferForm):
    pass
