from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...certificates import create_self_signed_p12


class Command(BaseCommand):
    help = (
        "Create a self-signed PDF signing certificate (PKCS#12) at "
        "POLICYHUB_SIGNING_P12 for the demo. Production uses a certificate "
        "issued by the organisation's CA."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Replace an existing certificate."
        )

    def handle(self, *args, force=False, **options):
        path = settings.POLICYHUB_SIGNING_P12
        if path.exists() and not force:
            self.stdout.write(f"Signing certificate already exists at {path}; kept it.")
            return
        try:
            certificate = create_self_signed_p12(
                path,
                settings.POLICYHUB_SIGNING_PASSPHRASE,
                settings.POLICYHUB_ORGANISATION_NAME,
            )
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {path} for {certificate.subject.rfc4514_string()}, "
                f"valid until {certificate.not_valid_after_utc:%Y-%m-%d}."
            )
        )
