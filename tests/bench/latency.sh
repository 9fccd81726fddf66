#!/bin/bash
# latency.sh - from a bounce landing in the mailbox to the hook request at the
# receiver, with `bouncewatch run` watching the folder in IDLE mode.  Each of
# K bounces (its own recipient) is written into the maildir of a loopback
# Dovecot (as its LDA would), and the time until the receiver logs its
# `suppress` request is measured.  Prints the median and the maximum.
#   tests/bench/latency.sh BOUNCEWATCH [K]              (default 20)
set -u
bw=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
k=${2:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/dovecot.sh"
export BOUNCEWATCH_ALLOW_ROOT=1
work=$(mktemp -d)
chmod 755 "$work"
bw_pid=""; recv_pid=""
trap '[ -n "$bw_pid" ] && kill "$bw_pid" 2>/dev/null; [ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null; dc_cleanup >/dev/null 2>&1; rm -rf "$work"' EXIT
dc_start
dc_add_user lat lat-pass
dc_mkfolder lat INBOX
printf 'lat-pass\n' > "$work/pass"; chmod 600 "$work/pass"
python3 "$top/tests/receiver.py" --log "$work/recv.log" --port-file "$work/port" > /dev/null 2>&1 &
recv_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
cat > "$work/bw.conf" <<EOF
state = "$work/state.db";
log = { level = "warning"; };
accounts = ( { name = "lat"; url = "imap://127.0.0.1:$DC_PORT"; tls_ca_file = "$DC_CA";
  user = "lat"; password_file = "$work/pass"; folders = [ "INBOX" ]; mode = "idle"; } );
hooks = ( { name = "rec"; url = "http://127.0.0.1:$(cat "$work/port")/hook"; events = [ "suppress" ]; } );
EOF
"$bw" -c "$work/bw.conf" run --foreground > "$work/run.log" 2>&1 &
bw_pid=$!
sleep 2    # logged in and idling

python3 - "$(dc_folder_dir lat INBOX)" "$work/recv.log" "$k" "$top/tests/samples/postfix-userunknown.eml" \
	"$DC_OWNER_UID" "$DC_OWNER_GID" <<'PY'
import json, os, statistics, sys, time
maildir, log, k, sample, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
data = open(sample, "rb").read()
lat = []
for i in range(k):
    rcpt = "lat%d@example.org" % i
    m = data.replace(b"anna@example.org", rcpt.encode()).replace(b"anna=example.org", b"lat%d=example.org" % i)
    m = m.replace(b"Message-Id: <", b"Message-Id: <lat%d." % i)
    name = "%d.M%dP%d.latency" % (time.time(), i, os.getpid())
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as fh:
        fh.write(m)
    os.chown(tmp, uid, gid)
    t0 = time.time()
    os.rename(tmp, os.path.join(maildir, "new", name))
    got = None
    while got is None and time.time() - t0 < 30:
        if os.path.exists(log):
            for line in open(log):
                r = json.loads(line)
                if rcpt in r.get("body", ""):
                    got = r["time"] - t0
        time.sleep(0.01)
    lat.append(got if got is not None else float("inf"))
    time.sleep(0.2)
ok = [x for x in lat if x != float("inf")]
print("latency: %d bounces appended one at a time, run in IDLE mode: median %.3f s, max %.3f s, %d lost"
      % (k, statistics.median(ok) if ok else float("nan"), max(ok) if ok else float("nan"), k - len(ok)))
PY
