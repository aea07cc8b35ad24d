from django.core.management.base import BaseCommand

from ...keys import generate_key


class Command(BaseCommand):
    help = (
        "Print a new random AES-256 key for POLICYHUB_FIELD_KEYS. Put it first in the "
        "list, restart every process, then run rotate_field_keys."
    )

    def handle(self, *args, **options):
        self.stdout.write(generate_key())
