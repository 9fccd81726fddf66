#!/bin/bash
# imap-demo.sh - a real `bouncewatch scan` of a throw-away Dovecot on
# 127.0.0.1, seeded with the sample bounces of tests/samples/imap/.
#
#   tests/imap-demo.sh [BOUNCEWATCH]      (default: ./bouncewatch, then PATH)
#
# Needs dovecot-core, dovecot-imapd and openssl.  Nothing outside a temporary
# directory is touched; the server is stopped and removed at the end (set
# KEEP_DOVECOT=1 to keep the directory for a look).
here=$(cd "$(dirname "$0")" && pwd)
BW=${1:-${BOUNCEWATCH:-}}
if [ -z "$BW" ]; then
	if [ -x ./bouncewatch ]; then BW=./bouncewatch; else BW=$(command -v bouncewatch); fi
fi
[ -n "$BW" ] && [ -x "$BW" ] || { echo "imap-demo: no bouncewatch binary (give its path)" >&2; exit 2; }
export BOUNCEWATCH_ALLOW_ROOT=1   # the demo may run as root in a container

. "$here/dovecot.sh"
dc_start || exit 1
trap dc_cleanup EXIT
dc_add_user bounces demo-password
dc_deliver bounces INBOX "$here"/samples/imap/*.eml
W=$DC_DIR/demo
mkdir -p "$W"
printf 'demo-password\n' > "$W/password"
chmod 600 "$W/password"
cat > "$W/bouncewatch.conf" <<EOF
state = "$W/state.db";
accounts = (
  { name = "demo";
    url = "imaps://127.0.0.1:$DC_SPORT";
    user = "bounces";
    password_file = "$W/password";
    tls_ca_file = "$DC_CA";          # the self-signed certificate of this Dovecot
    folders = [ "INBOX" ];
    on_bounce = "move:Processed";
    on_other = "none";
  }
);
EOF
echo "== Dovecot on 127.0.0.1:$DC_SPORT (IMAPS), $(dc_count bounces INBOX) messages in INBOX"
echo "== bouncewatch -c $W/bouncewatch.conf scan"
"$BW" -c "$W/bouncewatch.conf" scan
rc=$?
echo "== after the scan: INBOX $(dc_count bounces INBOX) (left for a human), Processed $(dc_count bounces Processed)"
echo "== bouncewatch suppress list"
"$BW" -c "$W/bouncewatch.conf" suppress list 2>/dev/null || true
echo "== a second scan finds nothing new"
"$BW" -c "$W/bouncewatch.conf" scan --quiet
exit $rc
