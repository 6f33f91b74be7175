"""Forms of the reviews pages; they only parse input, every rule lives in reviews.services."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from reviews.models import Call, CommitteeMember, NotificationTemplate, Outcome, ReviewMode
from reviews.services.reviews import CONFIDENCE_LEVELS
from reviews.services.submissions import CAMERA_READY_CHECKLIST, AuthorData, PaperData

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CallForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=300)
    review_mode = forms.ChoiceField(label=_("Review mode"), choices=ReviewMode.choices, initial=ReviewMode.DOUBLE_BLIND)
    submission_deadline = forms.DateTimeField(label=_("Submission deadline"), widget=DATETIME)
    review_deadline = forms.DateTimeField(label=_("Review deadline"), widget=DATETIME)
    decision_date = forms.DateTimeField(label=_("Decision date"), widget=DATETIME)
    camera_ready_deadline = forms.DateTimeField(label=_("Camera-ready deadline"), widget=DATETIME)
    max_pages = forms.IntegerField(label=_("Maximum pages"), min_value=1, max_value=200, initial=10)
    max_size_mb = forms.IntegerField(label=_("Maximum file size (MB)"), min_value=1, max_value=50, initial=10)
    reviewers_per_paper = forms.IntegerField(label=_("Reviewers per paper"), min_value=1, max_value=10, initial=3)
    reviews_visible_after_own = forms.BooleanField(
        label=_("Reviewers see other reviews only after submitting their own"), required=False, initial=True
    )
    attach_reviews_to_notifications = forms.BooleanField(
        label=_("Attach reviews to decision e-mails"), required=False, initial=True
    )
    tracks = forms.CharField(label=_("Tracks (one per line)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    topics = forms.CharField(label=_("Topics (one per line)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


class CallSettingsForm(forms.Form):
    """The call's deadlines, limits and policies after creation (see services.calls.CALL_FIELDS)."""

    title = CallForm.base_fields["title"]
    review_mode = CallForm.base_fields["review_mode"]
    submission_deadline = CallForm.base_fields["submission_deadline"]
    review_deadline = CallForm.base_fields["review_deadline"]
    decision_date = CallForm.base_fields["decision_date"]
    camera_ready_deadline = CallForm.base_fields["camera_ready_deadline"]
    max_pages = CallForm.base_fields["max_pages"]
    max_size_mb = CallForm.base_fields["max_size_mb"]
    reviewers_per_paper = CallForm.base_fields["reviewers_per_paper"]
    reviews_visible_after_own = CallForm.base_fields["reviews_visible_after_own"]
    attach_reviews_to_notifications = CallForm.base_fields["attach_reviews_to_notifications"]


class CriteriaForm(forms.Form):
    criteria = forms.CharField(
        label=_("Review criteria"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: name; lowest; highest; weight — for example “Originality; 1; 5; 2”."),
    )

    @staticmethod
    def text_of(call) -> str:
        return "\n".join(f"{c.name}; {c.scale_min}; {c.scale_max}; {c.weight.normalize()}" for c in call.criteria.all())

    def parsed(self) -> list[tuple]:
        """Rows of (name, lowest, highest, weight) as typed; the service validates the values."""
        rows = []
        for line in self.cleaned_data["criteria"].splitlines():
            if line.strip():
                parts = [p.strip() for p in line.replace("；", ";").split(";")] + [""] * 3
                rows.append(tuple(parts[:4]))
        return rows


class PaperForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    abstract_zh = forms.CharField(
        label=_("Abstract (Chinese)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    abstract_en = forms.CharField(
        label=_("Abstract (English)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    keywords = forms.CharField(label=_("Keywords"), max_length=300, required=False)
    track = forms.ModelChoiceField(label=_("Track"), queryset=None, required=False)
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    pdf = forms.FileField(label=_("Paper (PDF)"), required=False)

    def __init__(self, *args, call: Call, require_pdf: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].queryset = call.tracks.all()
        self.fields["topics"].queryset = call.topics.all()
        self.fields["pdf"].required = require_pdf
        self.fields["pdf"].help_text = _("At most %(pages)d pages and %(mb)d MB.") % {
            "pages": call.max_pages,
            "mb": call.max_size_mb,
        }
        self.fields["pdf"].widget.attrs["accept"] = "application/pdf"
        if not call.tracks.exists():
            del self.fields["track"]


class AuthorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    affiliation = forms.CharField(label=_("Affiliation"), max_length=300, required=False)
    is_corresponding = forms.BooleanField(label=_("Corresponding author"), required=False)
    is_presenting = forms.BooleanField(label=_("Presenting author"), required=False)


AuthorFormSet = formset_factory(AuthorForm, extra=0, min_num=4, max_num=30)


def paper_data(form: PaperForm, authors) -> PaperData:
    data = form.cleaned_data
    return PaperData(
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        abstract_zh=data["abstract_zh"],
        abstract_en=data["abstract_en"],
        keywords=data["keywords"],
        track=data.get("track"),
        topics=list(data["topics"]),
        authors=[
            AuthorData(
                name=f.cleaned_data["name"],
                email=f.cleaned_data["email"],
                affiliation=f.cleaned_data["affiliation"],
                is_corresponding=f.cleaned_data["is_corresponding"],
                is_presenting=f.cleaned_data["is_presenting"],
            )
            for f in authors
            if f.cleaned_data.get("name") or f.cleaned_data.get("email")
        ],
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=CommitteeMember.Role.choices)
    affiliation = forms.CharField(label=_("Affiliation"), max_length=300, required=False)
    max_load = forms.IntegerField(label=_("Maximum papers"), min_value=0, max_value=100, initial=5)
    topics = forms.ModelMultipleChoiceField(
        label=_("Expertise"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, call: Call, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = call.topics.all()


class AcceptInvitationForm(forms.Form):
    password = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput, min_length=8)


class ReviewForm(forms.Form):
    confidence = forms.TypedChoiceField(
        label=_("Confidence"),
        choices=[("", "—")] + [(n, str(n)) for n in CONFIDENCE_LEVELS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    comments_to_authors = forms.CharField(
        label=_("Comments to the authors"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    confidential_comments = forms.CharField(
        label=_("Confidential comments to the committee"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in reversed(criteria):
            choices = [("", "—")] + [(n, str(n)) for n in range(criterion.scale_min, criterion.scale_max + 1)]
            self.fields = {
                f"score_{criterion.pk}": forms.ChoiceField(
                    label=f"{criterion.name} ({criterion.scale_min}–{criterion.scale_max})",
                    choices=choices,
                    required=False,
                ),
                **self.fields,
            }

    def scores(self) -> dict:
        return {str(c.pk): self.cleaned_data.get(f"score_{c.pk}") for c in self.criteria}


class ConflictForm(forms.Form):
    """Authors name the person by e-mail: the committee list itself is never shown to authors."""

    email = forms.EmailField(label=_("E-mail of the person"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DiscussionForm(forms.Form):
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    is_meta_review = forms.BooleanField(label=_("This is the meta-review"), required=False)

    def __init__(self, *args, allow_meta: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_meta:
            del self.fields["is_meta_review"]


class BulkDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices)


class TemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


class CameraReadyForm(forms.Form):
    pdf = forms.FileField(label=_("Camera-ready PDF"))
    checklist = forms.MultipleChoiceField(
        label=_("Checklist"), choices=CAMERA_READY_CHECKLIST, widget=forms.CheckboxSelectMultiple, required=False
    )
