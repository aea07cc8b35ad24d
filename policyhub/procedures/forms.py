import uuid

from django import forms

from .models import EvidenceKind


class StartRunForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why the run is needed, e.g. the leaver's name and last day.",
    )


class StepEvidenceForm(forms.Form):
    """The evidence field the step requires, and nothing else."""

    def __init__(self, step, *args, **kwargs):
        kwargs.setdefault("prefix", f"step-{step.number}")
        super().__init__(*args, **kwargs)
        self.step = step
        kind = step.evidence_kind
        if kind == EvidenceKind.NOTE:
            self.fields["note"] = forms.CharField(
                label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
            )
        elif kind == EvidenceKind.LINK:
            self.fields["url"] = forms.URLField(
                label="Link",
                max_length=500,
                assume_scheme="https",
                help_text="Address of the ticket, report or record.",
            )
        elif kind == EvidenceKind.CHECKBOX:
            self.fields["confirmed"] = forms.BooleanField(
                label=f"I confirm step {step.number} was carried out"
            )
        elif kind == EvidenceKind.FILE:
            self.fields["file"] = forms.FileField(
                label="File", help_text="PDF, image, text, CSV, Word or Excel file."
            )

    def evidence(self):
        data = self.cleaned_data
        return {
            "kind": self.step.evidence_kind,
            "note": data.get("note", ""),
            "url": data.get("url", ""),
            "confirmed": data.get("confirmed", False),
            "upload": data.get("file"),
        }


class SignOffForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="What you checked before signing off.",
    )
