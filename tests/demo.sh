#!/bin/sh
# demo.sh - the README's first command works: contrib/demo.sh (with the
# binary of this build, skipping its install and build steps) scans the
# seeded loopback Dovecot, suppresses the hard bounces and the complaint,
# delivers signed hook requests, leaves the human mail in INBOX, exits 0 and
# stops everything it started.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

[ -x /usr/sbin/dovecot ] || skip_all "dovecot is not installed"
[ -x "$BOUNCEWATCH" ] || skip_all "bouncewatch is not built"

# everything the demo creates goes under $TMP/t (Dovecot's processes run as
# other users: the directories on the way must be searchable)
mkdir -p "$TMP/t"
chmod 755 "$TMP" "$TMP/t"
TMPDIR=$TMP/t DEMO_BOUNCEWATCH=$BOUNCEWATCH bash "$top_srcdir/contrib/demo.sh" > "$TMP/out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/out"
check "the demo exits 0" [ $rc -eq 0 ]
check "it scanned: events by reason" grep -q '^userunknown  *1  *1 ' "$TMP/out"
check "three addresses suppressed (two hard bounces, one complaint)" grep -q '^3 suppressed' "$TMP/out"
check "the hook receiver got signed requests, every signature good" \
	sh -c "grep -q 'sig_ok=True' '$TMP/out' && ! grep -q 'sig_ok=False' '$TMP/out'"
check "the auto-reply and the human reply are left in INBOX" grep -q 'INBOX (left for a human): 2 ' "$TMP/out"
check "the bounces are moved to Processed" grep -q 'Processed (bounces moved): 6 ' "$TMP/out"
# a Dovecot master of the demo's: "/usr/sbin/dovecot -c $TMP/t/.../dovecot.conf"
demo_dovecot_gone() {
	for p in /proc/[0-9]*; do
		case $(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) in
		*"dovecot -c $TMP/t/"*) return 1 ;;
		esac
	done
	return 0
}
check "no Dovecot left running" demo_dovecot_gone
check "its temporary directories removed" [ -z "$(ls -A "$TMP/t")" ]
finish
