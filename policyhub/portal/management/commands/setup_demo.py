from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ...demo import DEMO_ACCOUNTS, approve_pending_policies, create_demo_accounts

DEFAULT_DEMO_PASSWORD = "Demo-Policy-2026!"


class Command(BaseCommand):
    help = (
        "Prepare the local demo: signing certificate, one account per role, the "
        "seed policies imported and approved as version 1.0. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed-dir", default=str(settings.BASE_DIR / "policies_seed"))
        parser.add_argument(
            "--password", default=DEFAULT_DEMO_PASSWORD,
            help="Password for new demo accounts (existing accounts keep theirs).",
        )

    def handle(self, *args, seed_dir, password, **options):
        call_command("create_signing_certificate", stdout=self.stdout)
        accounts = create_demo_accounts(password)
        call_command("load_policies", seed_dir, stdout=self.stdout)
        published = approve_pending_policies(accounts)
        if published:
            self.stdout.write(f"Approved and published version 1.0 of: {', '.join(published)}")
        self.stdout.write("\nDemo sign-in (password for every account: %s)" % password)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.role:<18} {account.email}")
        self.stdout.write("\nPortal: http://127.0.0.1:8000/   Admin: http://127.0.0.1:8000/admin/")
