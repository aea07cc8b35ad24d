#!/bin/sh
# Fill policyhub_bench with a generated organisation of USERS people and
# write one JSON file per measurement into bench/results/.
#   bench/run.sh 10000 "dashboard"
#   bench/run.sh 100000 "launch reminders dashboard http"
# The database is recreated from policyhub_bench_template, an empty
# database with every migration applied (createdb -T).
set -eu
USERS=$1
STEPS=$2
cd "$(dirname "$0")/.."
PG="-h 127.0.0.1 -U postgres"
RESULTS=bench/results
mkdir -p "$RESULTS"
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/policyhub_bench
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/4}
export DJANGO_SETTINGS_MODULE=bench.settings

dropdb $PG --if-exists policyhub_bench
createdb $PG -T policyhub_bench_template policyhub_bench
CELERY_TASK_ALWAYS_EAGER=true /usr/bin/time -f '{"seconds": %e, "peak_rss_kb": %M}' \
    -o "$RESULTS/generate-$USERS.json" \
    .venv/bin/python manage.py generate_demo_scale --users "$USERS" > "$RESULTS/generate-$USERS.log" 2>&1
psql $PG policyhub_bench -q -c "VACUUM ANALYZE"
for step in $STEPS; do
    .venv/bin/python -m bench.measure "$step" > "$RESULTS/$step-$USERS.json"
done
