#!/bin/sh
# systemd.sh - contrib/bouncewatch.service is a valid, sandboxed unit:
# `systemd-analyze verify` has nothing to say about it, the directives the
# daemon relies on are there, the offline security score stays low, and the
# sysusers file creates the user.  Skips (77) without systemd-analyze.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

UNIT=$top_srcdir/contrib/bouncewatch.service
SYSUSERS=$top_srcdir/contrib/bouncewatch.sysusers
command -v systemd-analyze >/dev/null 2>&1 || skip_all "systemd-analyze is not installed"
[ -x "$BOUNCEWATCH" ] || skip_all "bouncewatch is not built"

# verify wants every ExecStart= binary and every Documentation= man page to
# exist: point it at the built binary and the man pages of this tree.
mkdir -p "$TMP/unit" "$TMP/man/man1" "$TMP/man/man5"
sed -e "s|/usr/bin/bouncewatch|$BOUNCEWATCH|g" "$UNIT" > "$TMP/unit/bouncewatch.service"
cp "$top_srcdir/src/bouncewatch.1" "$TMP/man/man1/"
cp "$top_srcdir/src/bouncewatch.conf.5" "$TMP/man/man5/"
(cd "$TMP/unit" && MANPATH="$TMP/man" SYSTEMD_LOG_LEVEL=notice \
	systemd-analyze verify ./bouncewatch.service) > "$TMP/verify.out" 2>&1
rc=$?
check "systemd-analyze verify exits 0" [ $rc -eq 0 ]
check "systemd-analyze verify says nothing" [ ! -s "$TMP/verify.out" ]
[ -s "$TMP/verify.out" ] && sed 's/^/# /' "$TMP/verify.out"

# directive VALUE: the unit sets it (the last assignment counts)
has() {
	grep -q -x -- "$1" "$UNIT"
}
for d in "Type=exec" "User=bouncewatch" "Group=bouncewatch" "StateDirectory=bouncewatch" \
	"ConfigurationDirectory=bouncewatch" "ProtectSystem=strict" "ProtectHome=yes" \
	"PrivateTmp=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "SystemCallFilter=@system-service" \
	"ExecReload=/bin/kill -HUP \$MAINPID" "ExecStart=/usr/bin/bouncewatch run --foreground" \
	"RestartPreventExitStatus=2" "WantedBy=multi-user.target"; do
	check "unit: $d" has "$d"
done
check "the daemon stays in the foreground under systemd" \
	grep -q -- '--foreground' "$UNIT"

if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	(cd "$TMP/unit" && systemd-analyze security --offline=yes ./bouncewatch.service) \
		> "$TMP/security.out" 2>&1
	score=$(sed -n 's/.*Overall exposure level for bouncewatch.service: \([0-9.]*\).*/\1/p' \
		"$TMP/security.out")
	check "offline security exposure ($score) is at most 2.0" \
		awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
else
	echo "# systemd-analyze security --offline is not available: score not checked"
fi

if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$TMP/root/etc"
	: > "$TMP/root/etc/passwd"; : > "$TMP/root/etc/group"
	systemd-sysusers --root="$TMP/root" "$SYSUSERS" > /dev/null 2>&1
	check "sysusers creates the user bouncewatch" \
		grep -q '^bouncewatch:x:[0-9]*:[0-9]*:bouncewatch daemon:/var/lib/bouncewatch:' \
		"$TMP/root/etc/passwd"
	check "... and its group" grep -q '^bouncewatch:x:' "$TMP/root/etc/group"
fi

finish
