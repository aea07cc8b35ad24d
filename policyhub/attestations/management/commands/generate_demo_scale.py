"""Generate a deterministic synthetic organisation for load tests and demos."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...scale import ScaleGenerator


class Command(BaseCommand):
    help = (
        "Create a synthetic organisation: departments, line managers, groups, "
        "the nine seed policies published, one open campaign per policy, and "
        "assignments and acknowledgements for everyone. The same --users and "
        "--seed always give the same people, departments and outcomes. Meant "
        "for PostgreSQL and an otherwise empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10_000, help="Number of employees.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument(
            "--acknowledged", type=float, default=0.7,
            help="Share of assignments already acknowledged, from 0 to 1.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=10_000, help="Rows per INSERT batch."
        )
        parser.add_argument(
            "--seed-dir", default=str(settings.BASE_DIR / "policies_seed"),
            help="Directory of seed policies to import and publish.",
        )

    def handle(self, *args, users, seed, acknowledged, batch_size, seed_dir, **options):
        if users < 10:
            raise CommandError(f"--users {users} is too small; use 10 or more.")
        if not 0 <= acknowledged <= 1:
            raise CommandError(f"--acknowledged {acknowledged} is outside 0 to 1.")
        if batch_size < 100:
            raise CommandError(f"--batch-size {batch_size} is too small; use 100 or more.")
        generator = ScaleGenerator(
            users=users, seed=seed, acknowledged=acknowledged, batch_size=batch_size,
            seed_dir=seed_dir, log=self.stdout.write,
        )
        started = time.monotonic()
        try:
            summary = generator.run()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Generated {summary['users']} users in {summary['departments']} departments, "
            f"{summary['campaigns']} campaigns, {summary['assignments']} assignments and "
            f"{summary['acknowledgements']} acknowledgements in {elapsed:.1f} s."
        )
