"""Deactivate leavers listed in a CSV file exported by Human Resources."""

import csv

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ....audit.context import acting_as
from ...deprovisioning import deactivate_user

REQUIRED_COLUMNS = {"email"}
SYSTEM_ACTOR = "command:deactivate_users"


class Command(BaseCommand):
    help = (
        "Deactivate every user listed in a CSV file with the columns email and "
        "(optionally) reason. Ends their sessions, removes their groups and "
        "permissions and keeps their records. Running the same file twice "
        "changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path", help="Path of the HR leavers CSV file (UTF-8).")

    def handle(self, *args, csv_path, **options):
        rows = self._read(csv_path)
        User = get_user_model()
        deactivated = unchanged = 0
        unknown = []
        for line, row in rows:
            email = (row.get("email") or "").strip()
            if not email:
                raise CommandError(f"{csv_path} line {line}: the email column is empty.")
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                unknown.append(f"line {line}: {email}")
                continue
            reason = (row.get("reason") or "").strip() or "Leaver reported by HR"
            with acting_as(SYSTEM_ACTOR):
                changed = deactivate_user(user, system_actor=SYSTEM_ACTOR, reason=reason)
            deactivated += changed
            unchanged += not changed
        self.stdout.write(
            f"Deactivated {deactivated} users; {unchanged} were already inactive."
        )
        if unknown:
            self.stderr.write(
                "No account has these email addresses; check them with HR:\n  "
                + "\n  ".join(unknown)
            )

    def _read(self, csv_path):
        try:
            with open(csv_path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                columns = {name.strip().lower() for name in reader.fieldnames or []}
                missing = REQUIRED_COLUMNS - columns
                if missing:
                    raise CommandError(
                        f"{csv_path} has no column {', '.join(sorted(missing))}; "
                        f"the header row must name: email, reason."
                    )
                return [
                    (number, {key.strip().lower(): value for key, value in row.items() if key})
                    for number, row in enumerate(reader, start=2)
                ]
        except OSError as exc:
            raise CommandError(f"Cannot read {csv_path}: {exc.strerror}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{csv_path} is not UTF-8 text: {exc}.") from exc
