from django.core.management.base import BaseCommand, CommandError

from ...importer import ImportFailed


class Command(BaseCommand):
    help = (
        "Import policy Markdown files (YAML front matter) from a directory or "
        "file as draft pages, and the procedures in the directory's procedures/ "
        "folder under their policies. Nothing is published; all files import or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Directory of .md files, or one .md file.")
        parser.add_argument(
            "--organisation",
            help="Organisation name for {{ organisation }} placeholders "
            "(default: POLICYHUB_ORGANISATION_NAME).",
        )

    def handle(self, *args, source, organisation=None, **options):
        from policyhub.procedures.loader import import_library

        try:
            report = import_library(source, organisation)
        except ImportFailed as exc:
            count = len(exc.errors)
            raise CommandError(
                f"Nothing was imported; fix {count} problem(s):\n  "
                + "\n  ".join(exc.errors)
            ) from None
        self._write_report(report.policies, "")
        if any((report.procedures.created, report.procedures.updated,
                report.procedures.unchanged)):
            self._write_report(report.procedures, "Procedures: ")

    def _write_report(self, report, prefix):
        for label, slugs in (
            ("created", report.created),
            ("updated (new draft revision)", report.updated),
            ("unchanged", report.unchanged),
        ):
            if slugs:
                self.stdout.write(f"{prefix}{label}: {', '.join(slugs)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged."
            )
        )
