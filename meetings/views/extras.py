"""Organiser pages for a meeting's extras: add-ons, discount codes and registration questions.
Each can be created and edited with one form; removing it deletes it while no registration refers
to it, otherwise it is deactivated (stop selling / deactivate / hide) and registrations keep it."""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meetings import selectors
from meetings.forms import AddOnForm, DiscountCodeForm, ExtraForm, QuestionForm
from meetings.models import AddOn, DiscountCode, Question
from meetings.services import organise
from meetings.views.common import meeting_or_404, organiser, organiser_form


@dataclass(frozen=True)
class Extra:
    url_name: str  # meetings:<url_name>_create, _edit, _remove
    model: type
    form: type[ExtraForm]
    title: Promise
    deactivate: Promise  # the button that sets ``active`` off
    deleted: Promise
    deactivated: Promise

    def save(self, *, meeting, obj, data, actor):
        if self.model is AddOn:
            return organise.save_addon(meeting=meeting, addon=obj, data=data, actor=actor)
        if self.model is DiscountCode:
            return organise.save_discount_code(meeting=meeting, code=obj, data=data, types=data["types"], actor=actor)
        return organise.save_question(meeting=meeting, question=obj, data=data, types=data["types"], actor=actor)


# Keyed by the URL segment (meetings/urls.py).
EXTRAS = {
    "addons": Extra(
        url_name="addon",
        model=AddOn,
        form=AddOnForm,
        title=gettext_lazy("Add-on"),
        deactivate=gettext_lazy("Stop selling"),
        deleted=gettext_lazy("Add-on deleted."),
        deactivated=gettext_lazy("The add-on is no longer sold."),
    ),
    "codes": Extra(
        url_name="code",
        model=DiscountCode,
        form=DiscountCodeForm,
        title=gettext_lazy("Discount code"),
        deactivate=gettext_lazy("Deactivate"),
        deleted=gettext_lazy("Discount code deleted."),
        deactivated=gettext_lazy("The discount code is deactivated."),
    ),
    "questions": Extra(
        url_name="question",
        model=Question,
        form=QuestionForm,
        title=gettext_lazy("Question"),
        deactivate=gettext_lazy("Hide"),
        deleted=gettext_lazy("Question deleted."),
        deactivated=gettext_lazy("The question is hidden from new registrants."),
    ),
}


def _extra(slug, kind, pk):
    meeting = meeting_or_404(slug)
    extra = EXTRAS[kind]
    obj = get_object_or_404(extra.model, pk=pk, meeting=meeting) if pk is not None else None
    return meeting, extra, obj


@organiser
def edit(request, slug, kind, pk=None):
    """Create (no ``pk``) or edit an add-on, discount code or question."""
    meeting, extra, obj = _extra(slug, kind, pk)
    return organiser_form(
        request,
        meeting=meeting,
        form=extra.form(request.POST or None, instance=obj, meeting=meeting),
        save=lambda data: extra.save(meeting=meeting, obj=obj, data=data, actor=request.user),
        title=extra.title,
        saved=_("Saved."),
        context={
            "remove_url": reverse(f"meetings:{extra.url_name}_remove", args=[meeting.slug, obj.pk]) if obj else "",
        },
    )


@organiser
def remove(request, slug, kind, pk):
    """GET: the confirmation, saying whether it can be deleted.  POST ``action``: ``delete``
    (refused while registrations refer to it) or ``deactivate``."""
    meeting, extra, obj = _extra(slug, kind, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "delete":
                organise.delete_extra(extra=obj, actor=request.user)
                messages.success(request, extra.deleted)
            elif action == "deactivate":
                organise.set_extra_active(extra=obj, active=False, actor=request.user)
                messages.success(request, extra.deactivated)
            else:
                messages.error(request, _("Choose what to do."))
                return redirect(request.path)
        except organise.OrganiseError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        return redirect("meetings:dashboard", meeting.slug)
    in_use = selectors.extra_in_use(obj)
    return render(
        request,
        "meetings/console/extra_remove.html",
        {
            "meeting": meeting,
            "extra": extra,
            "obj": obj,
            "in_use": in_use,
            "in_use_message": organise.IN_USE_MESSAGES[extra.model] if in_use else "",
        },
    )
