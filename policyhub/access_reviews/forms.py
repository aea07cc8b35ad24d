from django import forms
from django.utils import timezone

from .models import ReviewItem
from .periods import default_due_date, period_label, quarter_of
from .services import REASON_MAX_CHARS


class StartReviewForm(forms.Form):
    period = forms.CharField(max_length=7, help_text='Quarter under review, for example "2026 Q4".')
    due_date = forms.DateField(
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="Date by which every reviewer must decide.",
    )

    def __init__(self, *args, **kwargs):
        label = period_label(*quarter_of(timezone.localdate()))
        kwargs.setdefault("initial", {"period": label, "due_date": default_due_date(label)})
        super().__init__(*args, **kwargs)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(ReviewItem.Decision.KEEP, "Keep"), (ReviewItem.Decision.REVOKE, "Revoke")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose keep or revoke."},
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
