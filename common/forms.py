from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from common.models import Role


class GrantRoleForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the person's account"))
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.MEMBER])

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email=email).first()
        if user is None:
            raise forms.ValidationError(_("No account uses this e-mail address. Ask the person to sign up first."))
        self.user = user
        return email


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. “OA sync”."))
