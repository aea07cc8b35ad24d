#!/usr/bin/env bash
# Restore a backup made by backup.sh into a NEW, empty database.
#
# Usage: deploy/backup/restore.sh BACKUP_FOLDER [MEDIA_TARGET]
# PGDATABASE names the database to create; it must not exist yet, so a
# restore never overwrites a live database. PGHOST, PGPORT, PGUSER and
# PGPASSWORD (or ~/.pgpass) name the server, as for backup.sh. MEDIA_TARGET,
# when given, receives the contents of media.tar and must be empty.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BACKUP_FOLDER [MEDIA_TARGET]" >&2
  exit 2
fi
: "${PGDATABASE:?set PGDATABASE to the name of the database to create}"
backup="$1"
media_target="${2:-}"

(cd "$backup" && sha256sum --check --quiet SHA256SUMS)

# createdb fails when the database exists, which stops the restore here.
createdb --maintenance-db=postgres "$PGDATABASE"
pg_restore --no-owner --exit-on-error --single-transaction \
  --dbname="$PGDATABASE" "$backup/database.dump"

if [[ -n "$media_target" ]]; then
  if [[ ! -f "$backup/media.tar" ]]; then
    echo "$backup has no media.tar; restore the bucket instead" >&2
    exit 1
  fi
  mkdir -p "$media_target"
  if [[ -n "$(ls -A "$media_target")" ]]; then
    echo "$media_target is not empty; give an empty folder" >&2
    exit 1
  fi
  tar --extract --file="$backup/media.tar" --directory="$media_target"
fi
echo "Restored $backup into database $PGDATABASE"
