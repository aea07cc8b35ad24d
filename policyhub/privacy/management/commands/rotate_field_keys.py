from django.core.management.base import BaseCommand, CommandError

from ....audit.services import record_event
from ...keys import UndecryptableValue
from ...rotation import DEFAULT_BATCH_SIZE, rotate_all

ACTOR = "command:rotate_field_keys"


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the first key of POLICYHUB_FIELD_KEYS. "
        "Safe to interrupt and run again; the application keeps running meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError(f"--batch-size {batch_size} is invalid; give 1 or more.")

        def progress(table, last_pk, rotated, current):
            self.stdout.write(
                f"{table}: up to id {last_pk}, {rotated} re-encrypted, {current} current"
            )

        try:
            counts = rotate_all(batch_size=batch_size, progress=progress)
        except UndecryptableValue as exc:
            raise CommandError(str(exc)) from exc
        record_event(
            "privacy.field_keys_rotated",
            system_actor=ACTOR,
            detail={
                "rotated": counts.rotated,
                "already_current": counts.current,
                "tables": counts.tables,
                "batch_size": batch_size,
            },
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {counts.rotated} values; {counts.current} were already "
                "under the newest key."
            )
        )
