from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ....policies.models import PolicyPage
from ...services import signed_pdf_for


class Command(BaseCommand):
    help = "Write the signed PDF of a policy's current version to a file."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The policy's slug, e.g. access-control.")
        parser.add_argument("--output", required=True, help="Path of the PDF to write.")
        parser.add_argument(
            "--force", action="store_true", help="Replace the output file if it exists."
        )

    def handle(self, *args, slug, output, force=False, **options):
        if not output.strip():
            raise CommandError("--output must name the PDF file to write, e.g. --output policy.pdf.")
        if Path(output).exists() and not force:
            raise CommandError(f"{output} exists; choose another path or add --force to replace it.")
        policy = PolicyPage.objects.filter(slug=slug).first()
        if policy is None:
            known = ", ".join(PolicyPage.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No policy has the slug {slug!r}. Known slugs: {known}.")
        version = policy.current_version()
        if version is None:
            raise CommandError(
                f"Policy {slug!r} has no approved version yet; complete its approval "
                "workflow first."
            )
        record = signed_pdf_for(version, actor="command:export_policy")
        target = Path(output)
        try:
            with record.file.open("rb") as source:
                target.write_bytes(source.read())
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror}.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {target} ({version.title} version {version.label}, "
                f"SHA-256 {record.sha256})."
            )
        )
