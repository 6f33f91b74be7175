from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import DisciplineGroup


class SocietyForm(forms.Form):
    slug = forms.CharField(label=_("Short name (web address)"), max_length=40, help_text=_("e.g. ccs → ccs.xuehui.cn"))
    name_zh = forms.CharField(label=_("Chinese name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=300, required=False)
    discipline_group = forms.ChoiceField(label=_("Discipline group"), choices=DisciplineGroup.choices)
    admin_email = forms.EmailField(label=_("Administrator's e-mail"))
    admin_name = forms.CharField(label=_("Administrator's name"), max_length=100, required=False)
