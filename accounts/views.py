from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm, SignupForm
from accounts.models import Affiliation
from accounts.services import register_account
from tenants.services import society_url


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = register_account(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            language=translation.get_language() or "zh-hans",
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.name})
        return redirect(request.GET.get("next") or "home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    affiliations = Affiliation.objects.filter(user=request.user).select_related("society").order_by("society__slug")
    societies = [(a.society, society_url(a.society, request=request)) for a in affiliations]
    return render(request, "accounts/profile.html", {"form": form, "societies": societies})
