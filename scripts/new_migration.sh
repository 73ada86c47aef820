#!/usr/bin/env bash
# Generate the next migration from the models, numbered and chained on the current head:
#   scripts/new_migration.sh duty_rosters     → migrations/versions/0003_duty_rosters.py
# Takes a lock, so two people changing the schema at once get a chain, not two heads.
set -euo pipefail
cd "$(dirname "$0")/.."
slug=${1:?usage: scripts/new_migration.sh SLUG}
exec 9>/tmp/selfreport-schema.lock
flock 9
last=$(ls migrations/versions | grep -E '^[0-9]{4}_' | sort | tail -n 1)
n=$(printf '%04d' $((10#${last:0:4} + 1)))
rev="${n}_${slug}"
db=$(mktemp -d)/head.sqlite3
DATABASE_URL="sqlite:///$db" .venv/bin/selfreport db upgrade >/dev/null
DATABASE_URL="sqlite:///$db" .venv/bin/alembic revision --autogenerate --rev-id "$rev" -m "$slug" >/dev/null
generated=$(ls migrations/versions | grep "_${rev}_" || true)
[ -n "$generated" ] && mv "migrations/versions/$generated" "migrations/versions/${rev}.py"
rm -rf "$(dirname "$db")"
echo "migrations/versions/${rev}.py — read it, then run the migration tests"
