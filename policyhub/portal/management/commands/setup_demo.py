from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from ....procedures.demo import prepare_procedure_demo
from ...demo import DEMO_ACCOUNTS, approve_pending_policies, create_demo_accounts


def point_site_at(hostname, port):
    """Make Wagtail's default site build links to the address the demo serves."""
    Site.objects.filter(is_default_site=True).update(hostname=hostname, port=port)

DEFAULT_DEMO_PASSWORD = "Demo-Policy-2026!"  # noqa: S105 - printed demo login, local only


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
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/",
            help="Address the demo is served on, used in printed and emailed links.",
        )

    def handle(self, *args, seed_dir, password, url, **options):
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise CommandError(f"--url {url!r} is not an http(s) address, e.g. http://127.0.0.1:8000/.")
        point_site_at(parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80))
        call_command("create_signing_certificate", stdout=self.stdout)
        accounts = create_demo_accounts(password)
        call_command("load_policies", seed_dir, stdout=self.stdout)
        published = approve_pending_policies(accounts)
        if published:
            self.stdout.write(f"Approved and published version 1.0 of: {', '.join(published)}")
        runs = prepare_procedure_demo(accounts)
        self.stdout.write(f"Created {runs} scheduled procedure runs for the current periods.")
        call_command("seed_changes", stdout=self.stdout)
        call_command("seed_training", stdout=self.stdout)
        call_command("seed_phishing_demo", stdout=self.stdout)
        self.stdout.write(f"\nDemo sign-in (every account's password: {password})")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.role:<18} {account.email}")
        base = url.rstrip("/")
        self.stdout.write(f"\nPortal: {base}/   Admin: {base}/admin/")
