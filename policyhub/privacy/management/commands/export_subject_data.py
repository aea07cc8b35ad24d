from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ...subject_access import EXPORT_FORMATS, export_subject


class Command(BaseCommand):
    help = "Write everything stored about one person to a JSON file or a signed PDF."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", help="The person's email address.")
        who.add_argument("--user-id", type=int, help="The person's user id.")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="json")
        parser.add_argument("--output", required=True, help="File to write.")

    def handle(self, *args, email, user_id, format, output, **options):
        users = get_user_model().objects
        user = (
            users.filter(email__iexact=email).first() if email else users.filter(pk=user_id).first()
        )
        if user is None:
            raise CommandError(f"No account has {'email ' + email if email else f'id {user_id}'}.")
        content, _, _ = export_subject(user, format, system_actor="command:export_subject_data")
        path = Path(output)
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {path} ({exc.strerror}); choose another path.")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(content)} bytes to {path}."))
