#!/bin/bash
# store-pg.sh - the store unit tests (tests/unit/test_store) against a real
# PostgreSQL started here (tests/pg.sh), through a postgresql:// URL whose
# password comes from PGPASSFILE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

UNIT="$top_builddir/tests/unit/test_store"
[ -x "$UNIT" ] || skip_all "tests/unit/test_store is not built (cmocka missing?)"
trap 'pg_cleanup; rm -rf "$TMP"' EXIT
pg_start || { echo "not ok - PostgreSQL did not start"; exit 1; }

check "store unit tests on PostgreSQL" env BW_TEST_STATE="$PG_URL" "$UNIT"
check "store unit tests on SQLite (same binary)" env -u BW_TEST_STATE "$UNIT"

# instances starting together migrate once
db2=$(pg_newdb together)
for i in 1 2 3 4 5 6; do
	"$BOUNCEWATCH" --state "$db2" suppress list > "$TMP/t$i.out" 2>&1 &
done
ok=1
for j in $(jobs -p); do wait "$j" || ok=0; done
check "six instances opening an empty database at once all succeed" [ "$ok" = 1 ]
check "and the schema is migrated once" \
	[ "$(pg_psql together 'SELECT count(*) FROM schema_version')" = 4 ]
# the password never shows
out=$("$BOUNCEWATCH" --state "postgresql://bw:hunter2@127.0.0.1:1/x?connect_timeout=2" suppress list 2>&1)
check "a failed connection names no password" sh -c "! printf '%s' \"\$1\" | grep -q hunter2" _ "$out"
finish
