from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...seeding import load_directory


class Command(BaseCommand):
    help = (
        "Load the training modules, quizzes and assignment rules from YAML seed "
        "files. Unchanged files are skipped, so it is safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", nargs="?", default=str(settings.BASE_DIR / "training_seed"),
            help="Folder of *.yaml seed files (default: training_seed/).",
        )

    def handle(self, *args, directory, **options):
        try:
            results = load_directory(directory)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for slug, action in results:
            self.stdout.write(f"Training module {slug}: {action}")
