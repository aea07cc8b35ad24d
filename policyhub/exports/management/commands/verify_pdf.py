from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...signing import verify_pdf_bytes


class Command(BaseCommand):
    help = (
        "Verify a signed PolicyHub PDF. Exit status 0 only when the signature "
        "is intact, trusted and covers the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The PDF to verify.")
        parser.add_argument(
            "--trust",
            help="PEM file of the certificate(s) to trust (default: the configured "
            "signing certificate).",
        )

    def handle(self, *args, file, trust=None, **options):
        try:
            data = Path(file).read_bytes()
            trusted = Path(trust).read_bytes() if trust else None
        except OSError as exc:
            raise CommandError(f"Cannot read {exc.filename}: {exc.strerror}.") from None
        if trusted is not None and b"-----BEGIN CERTIFICATE-----" not in trusted:
            raise CommandError(
                f"{trust} holds no PEM certificate; pass the signing certificate, e.g. "
                "the file downloaded from /exports/signing-certificate.pem."
            )
        result = verify_pdf_bytes(data, trusted_pem=trusted)
        if not result.valid:
            raise CommandError(f"{file}: {result.summary}")
        self.stdout.write(self.style.SUCCESS(f"{file}: {result.summary}"))
