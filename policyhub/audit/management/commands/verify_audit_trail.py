from django.core.management.base import BaseCommand, CommandError

from ...checkpoints import verify_trail
from ...models import AuditEvent


class Command(BaseCommand):
    help = (
        "Verify the signed checkpoints, then walk the audit trail's hash chain "
        "against them and report the first problem. Exit status 0 only when "
        "every event and checkpoint is intact."
    )

    def handle(self, *args, **options):
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
        try:
            report = verify_trail(events)
        finally:
            # Close the server-side cursor now; left to garbage collection it
            # would be closed later, inside whatever transaction runs then.
            events.close()
        if not report.intact:
            raise CommandError(
                f"Audit trail broken after {report.checked} intact event(s): {report.problem}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.checked} event(s), "
                f"{report.checkpoints} signed checkpoint(s)."
            )
        )
