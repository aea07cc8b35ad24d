from django.core.management.base import BaseCommand

from ...demo import seed_catalogue, seed_examples


class Command(BaseCommand):
    help = (
        "Create the demo change catalogue, systems, calendar periods and example "
        "changes in several states. Safe to re-run: existing records are kept."
    )

    def handle(self, *args, **options):
        systems, categories = seed_catalogue()
        created = seed_examples(systems, categories)
        if created:
            self.stdout.write(f"Created example changes: {'; '.join(created)}")
        else:
            self.stdout.write("Change management demo data is up to date.")
