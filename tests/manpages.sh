#!/bin/sh
# manpages.sh - bouncewatch(1) and bouncewatch.conf(5) render without a
# warning, document every subcommand and option the program has and every
# setting (with its default) that check-config prints, and `make install`
# lays out the binary, both pages, the example configuration and the unit.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

MAN1=$top_srcdir/src/bouncewatch.1
MAN5=$top_srcdir/src/bouncewatch.conf.5
command -v groff >/dev/null 2>&1 || command -v man >/dev/null 2>&1 ||
	skip_all "neither groff nor man is installed"
[ -x "$BOUNCEWATCH" ] || skip_all "bouncewatch is not built"

# ------------------------------------------------------------------ warnings
for page in "$MAN1" "$MAN5"; do
	name=${page##*/}
	if command -v groff >/dev/null 2>&1; then
		groff -man -ww -z "$page" > "$TMP/warn" 2>&1
	else
		LC_ALL=C man --warnings -l "$page" 2>&1 > /dev/null | grep -v '^$' > "$TMP/warn"
	fi
	check "$name renders without a warning" [ ! -s "$TMP/warn" ]
	[ -s "$TMP/warn" ] && sed 's/^/# /' "$TMP/warn"
done

# render PAGE: plain ASCII text, one paragraph per long line
render() {
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tascii -rLL=250n -P-cbou "$1" 2>/dev/null
	else
		MANWIDTH=250 LC_ALL=C man -l "$1" 2>/dev/null | sed 's/.\x08//g'
	fi
}
render "$MAN1" > "$TMP/man1.txt"
render "$MAN5" > "$TMP/man5.txt"
check "bouncewatch.1 renders to text" [ -s "$TMP/man1.txt" ]
check "bouncewatch.conf.5 renders to text" [ -s "$TMP/man5.txt" ]

# ------------------------------------------------------------------ bouncewatch(1)
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
	check "bouncewatch.1 has a $s section" grep -q "^$s\$" "$TMP/man1.txt"
done
"$BOUNCEWATCH" --help > "$TMP/help"
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$TMP/help")
check "bouncewatch --help lists commands" [ -n "$cmds" ]
for c in $cmds; do
	# each command is a subsection: a line of its own, indented 3
	check "bouncewatch.1 documents '$c'" grep -q "^   $c\$" "$TMP/man1.txt"
	"$BOUNCEWATCH" "$c" --help > "$TMP/chelp" 2>&1
	for o in $(grep -o -- '--[a-z][a-z-]*' "$TMP/chelp" | sort -u); do
		check "bouncewatch.1 mentions $c $o" grep -q -- "$o" "$TMP/man1.txt"
	done
done
for o in $(grep -o -- '--[a-z][a-z-]*' "$TMP/help" | sort -u); do
	check "bouncewatch.1 mentions global $o" grep -q -- "$o" "$TMP/man1.txt"
done
check "exit codes 0, 1, 2 are documented" \
	sh -c "sed -n '/^EXIT STATUS/,/^[A-Z]/p' '$TMP/man1.txt' | grep -c '^       [012] ' | grep -qx 3"

# ------------------------------------------------------------------ bouncewatch.conf(5)
cat > "$TMP/full.conf" <<'CONF'
accounts = ( { name = "a"; url = "imaps://imap.example.com"; user = "u"; password_env = "X"; } );
hooks = ( { name = "h"; url = "https://hooks.example.com/"; } );
CONF
"$BOUNCEWATCH" check-config -c "$TMP/full.conf" > "$TMP/dump" 2>&1
check "check-config prints the effective settings" grep -q '^state = ' "$TMP/dump"
# every "name = value;" of the dump: a term line in the page starting with
# the name, and when that line gives a default, it is the dump's value
"$PYTHON3" - "$TMP/dump" "$TMP/man5.txt" > "$TMP/conf-check" <<'PY'
import re, sys
dump = [l.rstrip("\n") for l in open(sys.argv[1])]
page = open(sys.argv[2]).read().splitlines()
terms = [l.strip() for l in page if re.match(r"^       \S", l)]
seen = set()
for line in dump:
    m = re.match(r"^\s*([a-z_.]+) = (.*);$", line)
    if not m:
        continue
    name, value = m.groups()
    if name in seen:
        continue
    seen.add(name)
    hits = [t for t in terms if re.match(r"^(\S+, )*" + re.escape(name) + r"\b", t)]
    if not hits:
        print("not ok - bouncewatch.conf.5 documents %s" % name)
        continue
    # a name used in two places (batch: accounts and hooks) needs one match
    withdef = [t for t in hits if "default" in t and "default none" not in t]
    good = [t for t in withdef if re.search(
        r"\bdefault " + re.escape(value) + r"(?=[,)]|$)", t)]
    bad = withdef if withdef and not good else []
    if bad:
        print("not ok - %s: default %s, the page says: %s" % (name, value, bad[0]))
    else:
        print("ok - bouncewatch.conf.5 documents %s (default %s)" % (name, value))
PY
n_bad=$(grep -c '^not ok' "$TMP/conf-check")
n_ok=$(grep -c '^ok' "$TMP/conf-check")
sed 's/^/# /' "$TMP/conf-check"
check "every setting documented with its default ($n_ok of $((n_ok + n_bad)))" \
	[ "$n_bad" -eq 0 -a "$n_ok" -ge 50 ]

# ------------------------------------------------------------------ make install
if [ -f "$top_builddir/Makefile" ] && command -v make >/dev/null 2>&1; then
	D=$TMP/destdir
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$D" \
		> "$TMP/install.log" 2>&1
	check "make install DESTDIR=... succeeds" [ $? -eq 0 ]
	prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
	sysconfdir=$(sed -n 's/^sysconfdir = //p' "$top_builddir/Makefile" | sed "s|\${prefix}|$prefix|")
	check "the binary: $prefix/bin/bouncewatch" [ -x "$D$prefix/bin/bouncewatch" ]
	check "bouncewatch.1 in man1" [ -f "$D$prefix/share/man/man1/bouncewatch.1" ]
	check "bouncewatch.conf.5 in man5" [ -f "$D$prefix/share/man/man5/bouncewatch.conf.5" ]
	check "the example configuration in $sysconfdir/bouncewatch" [ -f "$D$sysconfdir/bouncewatch/bouncewatch.conf.example" ]
	U=$D$prefix/lib/systemd/system/bouncewatch.service
	check "the unit in $prefix/lib/systemd/system" [ -f "$U" ]
	check "the installed unit runs the installed binary" \
		grep -q -x "ExecStart=$prefix/bin/bouncewatch run --foreground" "$U"
	check "the sysusers.d file" [ -f "$D$prefix/lib/sysusers.d/bouncewatch.conf" ]
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" uninstall DESTDIR="$D" \
		> /dev/null 2>&1
	check "make uninstall leaves no file behind" [ -z "$(find "$D" -type f)" ]
fi

finish
