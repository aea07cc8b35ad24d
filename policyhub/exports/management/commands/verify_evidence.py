from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...evidence_verify import verify_pack


class Command(BaseCommand):
    help = (
        "Verify an evidence pack offline: the manifest's signature, every file's "
        "SHA-256 and every PDF's signature. Exit status 0 only when all pass."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="The evidence pack ZIP file.")
        parser.add_argument(
            "--trust", help="PEM certificate(s) to trust (default: the configured signing certificate)."
        )

    def handle(self, *args, pack, trust=None, **options):
        trusted = None
        if trust:
            try:
                trusted = Path(trust).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {trust}: {exc.strerror}.") from None
        if not Path(pack).is_file():
            raise CommandError(f"{pack}: no such file.")
        report = verify_pack(pack, trusted)
        if not report.valid:
            raise CommandError(
                f"{pack}: INVALID, {len(report.problems)} problem(s):\n  "
                + "\n  ".join(report.problems)
            )
        self.stdout.write(
            self.style.SUCCESS(f"{pack}: VALID, {report.checked} file(s) match the signed manifest.")
        )
