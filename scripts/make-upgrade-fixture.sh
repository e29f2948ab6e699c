#!/usr/bin/env bash
# Makes the upgrade fixtures in tests/fixtures/upgrade/ from an earlier revision of Townhall:
# builds the binary at REV, seeds a database through its command line and JSON API only (so
# the same steps work on any revision that has them), and keeps
#   sqlite-NNNN.db       the SQLite database file (WAL checkpointed, one file)
#   postgres-NNNN.sql    a plain-text pg_dump of the same content on PostgreSQL (when reachable)
# where NNNN is the newest migration at REV. tests/it/upgrade.rs migrates copies of them with
# the current code and checks every row is still there and served.
#
#   scripts/make-upgrade-fixture.sh REV        e.g. scripts/make-upgrade-fixture.sh 5f39d21
#
# TOWNHALL_BIN=path skips the build and uses that binary (it must be built from REV).
# TOWNHALL_FIXTURE_POSTGRES (default postgres://postgres@127.0.0.1:5432/test) names the server.
set -euo pipefail
rev=${1:?usage: scripts/make-upgrade-fixture.sh REV}
cd "$(dirname "$0")/.."
root=$PWD
out=$root/tests/fixtures/upgrade
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -d "$work/src" ]; then git -C "$root" worktree remove --force "$work/src" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

migration=$(git ls-tree --name-only "$rev" migrations/sqlite/ | sed -n 's|.*/\([0-9]\{4\}\)_.*|\1|p' | sort | tail -1)
[ -n "$migration" ] || { echo "error: $rev has no migrations" >&2; exit 1; }

if [ -n "${TOWNHALL_BIN:-}" ]; then
    bin=$TOWNHALL_BIN
else
    git -C "$root" worktree add --detach -q "$work/src" "$rev"
    cp -r "$root/assets/dist" "$work/src/assets/"
    # The shared target directory keeps the dependencies warm; the revision's own crate
    # builds under its own hash, so the current build is not disturbed.
    (cd "$work/src" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target} cargo build -j 1 -q --bin townhall)
    cp "${CARGO_TARGET_DIR:-$root/target}/debug/townhall" "$work/townhall"
    bin=$work/townhall
fi

port=$((20000 + RANDOM % 20000))

# seed DATABASE_URL: the same content on either database.
seed() {
    local url=$1
    export TOWNHALL_DATABASE=$url
    "$bin" organisation add --name "Department of Community Services" --slug community-services >/dev/null
    "$bin" organisation add --name "National Records Agency" --parent community-services >/dev/null
    "$bin" organisation add --name "Care Standards Authority" --parent community-services >/dev/null
    echo "fixture-admin-password-1" | "$bin" user add --email admin@upgrade.example --name "Fixture Admin" --role admin 2>/dev/null
    echo "fixture-editor-password-1" | "$bin" user add --email editor@upgrade.example --name "Fixture Editor" --role editor --org national-records-agency 2>/dev/null
    local token
    token=$("$bin" token create --email admin@upgrade.example 2>/dev/null)
    "$bin" serve --addr "127.0.0.1:$port" 2>"$work/serve.err" &
    local serve=$!
    pids+=("$serve")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    api() { # METHOD PATH JSON
        curl -sf -X "$1" "http://127.0.0.1:$port$2" -H "authorization: Bearer $token" \
            -H 'content-type: application/json' --data "$3"
    }
    api POST /api/v1/posts '{"organisation":"community-services","title":"Fixing the roads in Northfield","summary":"What we will repair first.","body":"## Why\n\nPotholes.","status":"published","categories":["Roads"],"topics":["Transport"]}' >/dev/null
    api POST /api/v1/posts '{"organisation":"national-records-agency","title":"Opening the 1925 census","summary":"A century on.","body":"The census of 1925 is now open.","status":"published","categories":["Records"]}' >/dev/null
    api POST /api/v1/posts '{"organisation":"care-standards-authority","title":"Inspection results for spring","summary":"What we found.","body":"Most services were good.","status":"published","topics":["Care"]}' >/dev/null
    api POST /api/v1/posts '{"organisation":"community-services","title":"A draft about budgets","summary":"Not yet.","body":"Draft.","status":"draft"}' >/dev/null
    for i in 1 2 3; do
        api POST /api/v1/posts/fixing-the-roads-in-northfield/comments "{\"name\":\"Resident $i\",\"email\":\"resident$i@example.org\",\"body\":\"Comment number $i about the roads.\"}" >/dev/null
    done
    api POST /api/v1/comments/1/approve '{}' >/dev/null
    api POST /api/v1/comments/2/reject '{"reason":"Off topic"}' >/dev/null
    api POST /api/v1/feeds '{"organisation":"community-services","url":"https://partners.example.org/feed.atom"}' >/dev/null
    kill "$serve"
    wait "$serve" 2>/dev/null || true
    unset TOWNHALL_DATABASE
}

db=$work/fixture.db
seed "sqlite://$db"
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;' >/dev/null
rm -f "$out/sqlite-$migration.db"
cp "$db" "$out/sqlite-$migration.db"
echo "wrote tests/fixtures/upgrade/sqlite-$migration.db" >&2

pg=${TOWNHALL_FIXTURE_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
if command -v pg_dump >/dev/null && psql "$pg" -qAtc 'select 1' >/dev/null 2>&1; then
    name=townhall_fixture_$$
    psql "$pg" -qc "CREATE DATABASE $name" >/dev/null
    url="${pg%/*}/$name"
    seed "$url"
    pg_dump --no-owner --no-privileges --format=plain "$url" >"$out/postgres-$migration.sql"
    psql "$pg" -qc "DROP DATABASE $name WITH (FORCE)" >/dev/null
    echo "wrote tests/fixtures/upgrade/postgres-$migration.sql" >&2
else
    echo "PostgreSQL is not reachable at $pg: no PostgreSQL dump made" >&2
fi
echo "$rev" | xargs git -C "$root" rev-parse >"$out/REVISION"
