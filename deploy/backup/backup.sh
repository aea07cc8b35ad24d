#!/usr/bin/env bash
# Back up PolicyHub into a new folder under DESTINATION:
#   database.dump  pg_dump in custom format (restore with restore.sh)
#   media.tar      the local media folder, when MEDIA_ROOT is set; a
#                  deployment on object storage syncs the bucket instead
#                  (docs/operations.md)
#   SHA256SUMS     checksums of both, checked again by restore.sh
#
# Usage: deploy/backup/backup.sh DESTINATION
# The database comes from the standard libpq variables (PGHOST, PGPORT,
# PGUSER, PGDATABASE, and PGPASSWORD or ~/.pgpass), so no password appears
# on a command line. Prints the path of the new backup folder.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DESTINATION" >&2
  exit 2
fi
: "${PGDATABASE:?set PGDATABASE (and PGHOST, PGUSER) to the PolicyHub database}"

target="$1/policyhub-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
cd "$target"

pg_dump --format=custom --no-owner --file=database.dump
# A dump that pg_restore cannot list is unusable, so fail now, not at restore time.
pg_restore --list database.dump >/dev/null
files=(database.dump)

if [[ -n "${MEDIA_ROOT:-}" ]]; then
  tar --create --file=media.tar --directory="$MEDIA_ROOT" .
  files+=(media.tar)
fi

sha256sum "${files[@]}" >SHA256SUMS
echo "$target"
