"""Measure campaign launch, reminder fan-out, dashboard latency and HTTP rps.

Run from the repository root against a database filled by
``manage.py generate_demo_scale``; each subcommand prints one JSON object:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/policyhub_bench \\
    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python -m bench.measure launch

Subcommands: launch, reminders, dashboard, http. Every loop is bounded by a
fixed request or iteration count, and servers listen on 127.0.0.1 only.
"""

import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
REPO = Path(__file__).resolve().parent.parent

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from policyhub.accounts import roles  # noqa: E402
from policyhub.attestations.models import Assignment, Campaign  # noqa: E402
from policyhub.notifications.models import Delivery  # noqa: E402
from policyhub.policies.models import PolicyPage  # noqa: E402

BENCH_CAMPAIGN = "Bench launch"


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def admin_user():
    User = get_user_model()
    return User.objects.filter(groups__name=roles.COMPLIANCE_ADMINS, is_active=True).first()


def cmd_launch(args):
    """Create a campaign for one policy and every employee, then launch it inline."""
    from policyhub.attestations.campaigns import launch

    version = PolicyPage.objects.live().order_by("title").first().current_version()
    admin = admin_user()
    Campaign.objects.filter(name=BENCH_CAMPAIGN).update(status=Campaign.Status.CLOSED)
    campaign = Campaign.objects.create(
        name=BENCH_CAMPAIGN, due_date=timezone.localdate() + timedelta(days=30),
        created_by=admin,
    )
    campaign.versions.set([version])
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    created = launch(campaign.pk)
    elapsed = time.perf_counter() - started
    return {
        "campaign": campaign.pk,
        "assignments_created": created,
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
    }


def cmd_reminders(args):
    """Time one worker sending a reminder to everyone in the bench campaign.

    Other campaigns are closed for the run so only the bench campaign's
    people are reminded, then reopened.
    """
    campaign = Campaign.objects.filter(name=BENCH_CAMPAIGN).latest("created_at")
    others = list(
        Campaign.objects.open().exclude(pk=campaign.pk).values_list("pk", flat=True)
    )
    Campaign.objects.filter(pk__in=others).update(status=Campaign.Status.CLOSED)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.OPEN)
    overdue = timezone.localdate() - timedelta(days=2)
    Assignment.objects.filter(campaign=campaign).update(
        status=Assignment.Status.PENDING, due_date=overdue, grace_until=overdue
    )
    expected = Assignment.objects.filter(campaign=campaign, user__is_active=True).count()
    day = timezone.localdate().isoformat()
    Delivery.objects.filter(dedupe_key__startswith=f"campaign-reminder:{campaign.pk}:").delete()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings",
           "CELERY_TASK_ALWAYS_EAGER": "false"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "policyhub", "worker", "-P", "solo",
         "-c", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "WARNING", "-n", f"bench-{os.getpid()}@127.0.0.1"],
        cwd=REPO, env=env,
    )
    from policyhub.attestations.tasks import dispatch_reminders_task
    from policyhub.celery import app

    try:
        app.conf.task_always_eager = False
        time.sleep(5)  # worker start-up, not counted
        started = time.perf_counter()
        dispatch_reminders_task.delay(day)
        sent = 0
        deadline = started + args.timeout
        while time.perf_counter() < deadline:
            sent = Delivery.objects.filter(
                kind="campaign-reminder", dedupe_key__startswith=f"campaign-reminder:{campaign.pk}:"
            ).count()
            if sent >= expected:
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        # Batches left after a timeout would run in the next worker on this broker.
        app.control.purge()
        Campaign.objects.filter(pk__in=others).update(status=Campaign.Status.OPEN)
    return {"expected": expected, "sent": sent, "seconds": round(elapsed, 2),
            "timed_out": sent < expected}


def timed_gets(client, url, count, cold=False):
    """Time ``count`` GETs; ``cold`` clears the cache first, so nothing is reused."""
    from django.core.cache import cache

    times = []
    for _ in range(count):
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "requests": count,
    }


def query_count(client, url):
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def employee_user():
    return (
        get_user_model().objects.filter(username__startswith="scale-0", is_active=True)
        .order_by("pk").last()
    )


def cmd_dashboard(args):
    """Median and p95 of the dashboard pages and "My policies", in-process."""
    client = Client()
    client.force_login(admin_user())
    campaign = Campaign.objects.exclude(name=BENCH_CAMPAIGN).order_by("pk").first()
    pages = {
        "dashboard": "/campaigns/",
        "campaign": f"/campaigns/{campaign.pk}/",
        "overdue people": f"/campaigns/{campaign.pk}/people/?status=overdue",
    }
    results = {"users": get_user_model().objects.filter(is_active=True).count(),
               "assignments": Assignment.objects.count()}
    for name, url in pages.items():
        client.get(url)
        results[name] = {**timed_gets(client, url, args.requests),
                         "queries": query_count(client, url)}
    results["dashboard, uncached"] = timed_gets(client, pages["dashboard"], args.requests, cold=True)
    results["campaign, uncached"] = timed_gets(client, pages["campaign"], args.requests, cold=True)
    reader = Client()
    reader.force_login(employee_user())
    reader.get("/policies/")
    results["my policies"] = {**timed_gets(reader, "/policies/", args.requests),
                              "queries": query_count(reader, "/policies/")}
    return results


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def load(port, path, cookie, requests, concurrency):
    """Send ``requests`` GETs over ``concurrency`` keep-alive connections; return rps."""
    per_thread = requests // concurrency
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        for _ in range(per_thread):
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rps": round(per_thread * concurrency / elapsed, 1), "errors": len(errors),
            "requests": per_thread * concurrency}


def cmd_http(args):
    """Requests per second under gunicorn, each page next to a bare view."""
    admin_cookie = session_cookie(admin_user())
    reader_cookie = session_cookie(employee_user())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "policyhub.wsgi:application",
         "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
         "--log-level", "warning"],
        cwd=REPO, env=env,
    )
    try:
        time.sleep(6)
        paths = {
            "bare view": ("/bench/bare/", None),
            "my policies": ("/policies/", reader_cookie),
            "dashboard": ("/campaigns/", admin_cookie),
        }
        for path, cookie in paths.values():
            load(args.port, path, cookie, args.concurrency * 5, args.concurrency)  # warm-up
        results = {name: load(args.port, path, cookie, args.requests, args.concurrency)
                   for name, (path, cookie) in paths.items()}
    finally:
        server.terminate()
        server.wait(timeout=60)
    bare = results["bare view"]["rps"]
    for name in ("my policies", "dashboard"):
        results[name]["ratio_to_bare"] = round(results[name]["rps"] / bare, 3)
    results["workers"] = args.workers
    results["concurrency"] = args.concurrency
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("launch")
    reminders = sub.add_parser("reminders")
    reminders.add_argument("--timeout", type=int, default=600, help="Seconds to wait.")
    dashboard = sub.add_parser("dashboard")
    dashboard.add_argument("--requests", type=int, default=40, help="Requests per page.")
    web = sub.add_parser("http")
    web.add_argument("--port", type=int, default=8765)
    web.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")
    web.add_argument("--requests", type=int, default=400, help="Requests per page.")
    web.add_argument("--concurrency", type=int, default=4, help="Client connections.")
    args = parser.parse_args()
    commands = {"launch": cmd_launch, "reminders": cmd_reminders,
                "dashboard": cmd_dashboard, "http": cmd_http}
    print(json.dumps(commands[args.command](args)))


if __name__ == "__main__":
    main()
