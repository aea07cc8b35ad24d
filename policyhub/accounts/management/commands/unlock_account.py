"""Unlock an account or a client address locked by too many failed sign-ins."""

from django.core.management.base import BaseCommand, CommandError

from ...lockout import unlock_account, unlock_address


class Command(BaseCommand):
    help = (
        "Clear failed sign-in attempts for an account (by email address) or a "
        "client IP address, after confirming the user's identity by another "
        "channel. Records an auth.unlock audit event."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--email", help="Email address of the locked account.")
        target.add_argument("--ip", help="Client IP address to unblock.")
        parser.add_argument(
            "--operator", required=True,
            help="Name of the administrator unlocking, recorded in the audit trail.",
        )

    def handle(self, *args, email=None, ip=None, operator="", **options):
        operator = operator.strip()
        if not operator:
            raise CommandError("--operator must name the administrator who unlocks.")
        system_actor = f"command:unlock_account:{operator}"
        if email:
            removed = unlock_account(email, system_actor=system_actor)
            target = email.strip().lower()
        else:
            removed = unlock_address(ip.strip(), system_actor=system_actor)
            target = ip.strip()
        self.stdout.write(f"Cleared {removed} failed attempts for {target}.")
