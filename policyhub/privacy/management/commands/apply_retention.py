from django.core.management.base import BaseCommand

from ...retention import apply_retention


class Command(BaseCommand):
    help = (
        "Anonymise accounts deactivated longer than the retention period and delete "
        "expired sessions, sign-in records, API keys and notification records."
    )

    def handle(self, *args, **options):
        counts = apply_retention()
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
