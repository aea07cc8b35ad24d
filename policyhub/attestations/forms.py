from django import forms


class AcknowledgementForm(forms.Form):
    """The "I have read and understood" form shown under a policy version."""

    content_sha256 = forms.RegexField(
        regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput,
        error_messages={"invalid": "The content fingerprint is malformed; reload the policy."},
    )
    confirm = forms.BooleanField(
        label="I have read and understood this policy.",
        error_messages={
            "required": "Tick the box to confirm you have read and understood the policy."
        },
    )
