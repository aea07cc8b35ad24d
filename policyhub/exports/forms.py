from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

PDF_MAGIC = b"%PDF-"


class VerifyPdfForm(forms.Form):
    """Upload of a PDF whose signature a reader wants checked."""

    pdf = forms.FileField(label="Signed PDF")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.POLICYHUB_VERIFY_MAX_BYTES)
        self.fields["pdf"].help_text = f"A PDF exported from PolicyHub, up to {limit}."

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        limit = settings.POLICYHUB_VERIFY_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size:,} bytes; the limit is {limit:,} bytes."
            )
        head = upload.read(len(PDF_MAGIC))
        upload.seek(0)
        if head != PDF_MAGIC:
            raise forms.ValidationError(
                f"{upload.name} is not a PDF file (it does not start with %PDF-)."
            )
        return upload
