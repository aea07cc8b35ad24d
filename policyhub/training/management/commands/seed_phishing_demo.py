from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ....portal.demo import DEMO_DOMAIN
from ...models import PhishingExercise, TrainingModulePage
from ...services.phishing import create_exercise, import_results

EXERCISE_NAME = "Demo: parcel delivery notice"
FOLLOWUP_SLUG = "security-awareness"


class Command(BaseCommand):
    help = (
        "Record a demo phishing exercise sent 20 days ago and import results for "
        "the demo accounts: one click, one credential submission, two reports. "
        "Skipped when the exercise exists."
    )

    def handle(self, *args, **options):
        if PhishingExercise.objects.filter(name=EXERCISE_NAME).exists():
            self.stdout.write(f"Phishing exercise {EXERCISE_NAME!r}: unchanged")
            return
        admin = get_user_model().objects.filter(email=f"author@{DEMO_DOMAIN}").first()
        module = TrainingModulePage.objects.live().filter(slug=FOLLOWUP_SLUG).first()
        if admin is None or module is None:
            raise CommandError(
                "Run setup_demo first: the demo exercise needs the demo compliance "
                f"administrator author@{DEMO_DOMAIN} and the {FOLLOWUP_SLUG!r} module."
            )
        exercise = create_exercise(
            admin,
            name=EXERCISE_NAME,
            sent_on=timezone.localdate() - timedelta(days=20),
            theme="Parcel delivery",
            followup_module=module,
            followup_due_in_days=14,
        )
        rows = [
            ("employee", "yes", "no", "no"),
            ("owner2", "yes", "no", "yes"),
            ("approver", "no", "yes", "no"),
            ("auditor", "no", "yes", "no"),
        ]
        lines = ["email,clicked,reported,submitted_credentials"] + [
            f"{name}@{DEMO_DOMAIN},{clicked},{reported},{submitted}"
            for name, clicked, reported, submitted in rows
        ]
        batch, _ = import_results(
            admin, exercise, "demo-results.csv", ("\n".join(lines) + "\n").encode()
        )
        self.stdout.write(f"Phishing exercise {EXERCISE_NAME!r}: created with {batch.rows} results")
