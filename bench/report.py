"""Write docs/benchmarks.md from the JSON files in bench/results/.

    .venv/bin/python bench/report.py
"""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
TARGET = REPO / "docs" / "benchmarks.md"


def load(name):
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    # The last line is the measurement; a worker's banner may precede it.
    return json.loads(path.read_text().strip().splitlines()[-1])


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gb():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return "unknown"


def postgres_version():
    try:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def verdict(value, limit, higher_is_better=False):
    if value is None:
        return "not measured"
    met = value >= limit if higher_is_better else value <= limit
    return "met" if met else "not met"


def main():
    gen10 = load("generate-10000")
    gen100 = load("generate-100000")
    launch = load("launch-100000")
    reminders = load("reminders-100000")
    dash10 = load("dashboard-10000")
    dash100 = load("dashboard-100000")
    web = load("http-100000")

    rows = []

    def row(measure, value, target, result):
        rows.append(f"| {measure} | {value} | {target} | {result} |")

    for users, gen in ((10_000, gen10), (100_000, gen100)):
        if gen:
            row(f"`generate_demo_scale --users {users}`: time, peak RSS",
                f"{gen['seconds']} s, {round(gen['peak_rss_kb'] / 1024)} MB", "a few minutes", "")
    if launch:
        row("Campaign launch, 100k people, one policy: time",
            f"{launch['seconds']} s ({launch['assignments_created']} assignments)",
            "≤ 20 s", verdict(launch["seconds"], 20))
        row("Campaign launch: peak RSS of the process",
            f"{launch['peak_rss_mb']} MB (before launch {launch['rss_before_mb']} MB)",
            "≤ 500 MB", verdict(launch["peak_rss_mb"], 500))
    if reminders:
        value = f"{reminders['seconds']} s for {reminders['sent']} of {reminders['expected']}"
        row("Reminder fan-out, 100k overdue, one worker (solo pool)", value, "≤ 60 s",
            "not met (timed out)" if reminders["timed_out"] else verdict(reminders["seconds"], 60))
    for users, dash in ((10_000, dash10), (100_000, dash100)):
        if not dash:
            continue
        for page in ("dashboard", "campaign", "overdue people", "dashboard, uncached",
                     "campaign, uncached", "my policies"):
            if page not in dash:
                continue
            data = dash[page]
            queries = f", {data['queries']} queries" if "queries" in data else ""
            target = "p95 ≤ 250 ms at 100k" if users == 100_000 and page != "my policies" else ""
            result = verdict(data["p95_ms"], 250) if target else ""
            row(f"{page}, {users // 1000}k people ({dash['assignments']} assignments)",
                f"median {data['median_ms']} ms, p95 {data['p95_ms']} ms{queries}", target, result)
    if dash10 and dash100:
        for page in ("dashboard", "dashboard, uncached"):
            growth = round(dash100[page]["p95_ms"] / dash10[page]["p95_ms"], 1)
            row(f"{page}: p95 growth 10k → 100k", f"{growth}×", "≤ 5×", verdict(growth, 5))
    if web:
        bare = web["bare view"]["rps"]
        for page in ("my policies", "dashboard"):
            data = web[page]
            target = "≥ 0.15 × bare" if page == "my policies" else ""
            result = verdict(data["ratio_to_bare"], 0.15, higher_is_better=True) if target else ""
            row(f"gunicorn rps, {page} (bare view {bare} rps)",
                f"{data['rps']} rps = {data['ratio_to_bare']} × bare, {data['errors']} errors",
                target, result)

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""# Benchmarks

Measured {now} on {cpu_model()}, {os.cpu_count()} CPU cores, {memory_gb()} GB
RAM, PostgreSQL {postgres_version()}, Redis on 127.0.0.1, Python
{platform.python_version()}. The machine was shared with other work during
the run, so times are indicative, not repeatable to the millisecond.

Commands (from the repository root):

    bench/run.sh 10000 "dashboard"
    bench/run.sh 100000 "launch dashboard http reminders"
    .venv/bin/python bench/report.py

`bench/run.sh` recreates the `policyhub_bench` database from a migrated
empty template, fills it with `generate_demo_scale` and runs the steps of
`bench/measure.py`, each writing JSON into `bench/results/`.

| Measure | Result | Target | |
|---|---|---|---|
""" + "\n".join(rows) + """

How each figure is taken:

- **Launch**: `campaigns.launch()` in one process for a new campaign of one
  policy and every active employee; peak RSS is the process maximum
  (`getrusage`), including Django itself.
- **Reminders**: all assignments of that campaign made overdue, other
  campaigns closed; one Celery worker (`-P solo -c 1`) on Redis; time from
  queuing the beat task until every person has a `Delivery` row. Email goes
  to Django's dummy backend, so SMTP time is not included.
- **Dashboard**: Django's test client in one process, `DEBUG` off, 20 or 40
  sequential requests per page after one warm-up. "uncached" clears the
  cache before every request, so each one runs the four aggregate queries;
  the others reuse figures cached for up to 60 seconds
  (`POLICYHUB_DASHBOARD_CACHE_SECONDS`).
- **rps**: gunicorn with 2 sync workers on 127.0.0.1, a Python client with 4
  keep-alive connections and a fixed number of requests per page (400), the
  bare view (`bench/urls.py`) measured in the same run. The dashboard is the
  cached path.

Reading the results: the 100k run shared the 2 cores with test suites of
other parts of the product, which inflates every time above. Even so, the
targets for launch time, reminder throughput, the uncached dashboard and the
"My policies" rps ratio are not met. Launch and generation spend their time
in `bulk_create_with_history` (each assignment is inserted with its history
row); reminders cost one claim, two template renders and one update per
email in a single solo worker; the uncached dashboard scans every counted
assignment four times. "My policies" runs 10 queries, of which the page
tree, session, group and permission lookups of the shared page code are
most; its rps is set by that shared request path, not by the campaign data.
"""
    TARGET.write_text(text)
    print(f"Wrote {TARGET}")


if __name__ == "__main__":
    main()
