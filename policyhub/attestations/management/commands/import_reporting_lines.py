"""Import departments, line managers and employee numbers from a CSV file."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...org import import_reporting_lines, read_reporting_lines
from ...system import system_user


class Command(BaseCommand):
    help = (
        "Set each person's department, line manager and employee number from a "
        "CSV file with the columns email, department, manager_email and, "
        "optionally, employee_number. All rows are applied or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", help="Path of the CSV file (UTF-8).")

    def handle(self, *args, csv_file, **options):
        path = Path(csv_file)
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file.")
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = read_reporting_lines(handle)
            result = import_reporting_lines(
                rows, system_user(), actor_label=f"command:import_reporting_lines:{path.name}"
            )
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc}); save it as UTF-8 CSV.")
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(
            f"Imported {path.name}: {result.changed} people changed, "
            f"{result.unchanged} already up to date."
        )
