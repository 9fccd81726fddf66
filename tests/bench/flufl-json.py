#!/usr/bin/python3
"""flufl-json.py - flufl.bounce's verdicts as JSON lines in the format
score.py reads (Debian's python3-flufl.bounce, so /usr/bin/python3):
    /usr/bin/python3 tests/bench/flufl-json.py FILE... > flufl.jsonl
"""
import email
import email.policy
import json
import os
import sys

from flufl.bounce import all_failures

for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.compat32)
    try:
        perm, temp = all_failures(msg)
    except Exception as exc:          # a detector that trips over a message
        perm, temp = set(), set()
        print("%s: %s" % (path, exc), file=sys.stderr)
    events = [{"recipient": a.decode() if isinstance(a, bytes) else a, "kind": "hard"} for a in sorted(perm)]
    events += [{"recipient": a.decode() if isinstance(a, bytes) else a, "kind": "soft"} for a in sorted(temp)]
    print(json.dumps({"file": os.path.basename(path), "events": events}))
