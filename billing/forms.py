from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from billing.models import Interval, Plan
from billing.selectors import active_plans
from tenants.forms import SocietyForm


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, plan):
        return plan.display_name


class OperatorSocietyForm(SocietyForm):
    """Platform staff create a society on a plan (its administrator sets a password by reset)."""

    plan = PlanChoiceField(label=_("Plan"), queryset=Plan.objects.none(), widget=forms.RadioSelect, empty_label=None)
    interval = forms.ChoiceField(
        label=_("Billing"), choices=Interval.choices, initial=Interval.YEAR, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = active_plans()


class SocietySignUpForm(OperatorSocietyForm):
    """A society signs up on the platform: its names and address, its first administrator, a plan.

    A signed-in person becomes the administrator with their own account; otherwise a new account
    is opened (an e-mail that has an account already must sign in first, so nobody can make a
    stranger's account the administrator of a society)."""

    password = forms.CharField(
        label=_("Password for the administrator's account"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
    )
    # The password belongs with the administrator's fields, before the plan.
    field_order = [*SocietyForm.base_fields, "password", "plan", "interval"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        if self.user is not None:
            del self.fields["admin_email"]
            del self.fields["password"]
            self.fields["admin_name"].initial = self.user.name

    def clean(self):
        cleaned = super().clean()
        if self.user is not None:
            cleaned["admin_email"] = self.user.email
            return cleaned
        email = (cleaned.get("admin_email") or "").strip().lower()
        if email and get_user_model().objects.filter(email=email).exists():
            self.add_error(
                "admin_email", _("An account with this e-mail address exists already. Log in first, then sign up.")
            )
        password = cleaned.get("password")
        if not password:
            self.add_error("password", _("Choose a password for the new account."))
        elif email:
            candidate = get_user_model()(email=email, name=cleaned.get("admin_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(is_active=True), to_field_name="code")
