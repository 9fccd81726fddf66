#!/usr/bin/env python3
"""classify.py - classification speed of bouncewatch against Sisimai and
flufl.bounce, in one run, on the same messages.

The input is the shared dev corpus (read in place), repeated into one mbox of
at least --messages messages.  Each tool classifies the whole mbox in one
process; start-up is measured separately (the same tool on a one-message
mbox) and subtracted.  Prints messages per second (one process, so one core),
peak RSS, and the ratios.  bouncewatch is measured twice: `parse` (text
output) and `parse --json`; the ratios use the --json rate.

    tests/bench/classify.py --bouncewatch _build/gcc/bouncewatch [--messages 50000]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("BW_SHARED", os.path.join(TOP, "..", "shared"))

SISIMAI = r'''
use Sisimai;
my $r = Sisimai->make($ARGV[0]);
printf "%d\n", scalar(@{$r || []});
'''

FLUFL = r'''
import mailbox, sys
from flufl.bounce import all_failures
n = 0
for msg in mailbox.mbox(sys.argv[1], create=False):
    perm, temp = all_failures(msg)
    n += len(perm) + len(temp)
print(n)
'''


def load_messages(corpus):
    msgs = []
    for name in sorted(os.listdir(corpus)):
        if not name.endswith(".eml"):
            continue
        data = open(os.path.join(corpus, name), "rb").read().replace(b"\r\n", b"\n")
        # an mbox From_ line splits messages; quote body lines that look like one
        lines = data.split(b"\n")
        out = [b">" + l if l.startswith(b"From ") and i > 0 else l for i, l in enumerate(lines)]
        if lines and lines[0].startswith(b"From "):
            out = out[1:]
        msgs.append(b"\n".join(out).rstrip(b"\n") + b"\n")
    return msgs


def write_mbox(path, msgs, count):
    with open(path, "wb") as fh:
        for i in range(count):
            fh.write(b"From bench@example.invalid Thu Jan  1 00:00:00 2026\n")
            fh.write(msgs[i % len(msgs)])
            fh.write(b"\n")


def run(cmd):
    """Run cmd; return (seconds, peak RSS in MiB, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = b""
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        out = out[-4096:] + chunk[-4096:]
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return dt, ru.ru_maxrss / 1024.0, out


def measure(name, cmd_for, big, one, n, repeat):
    best = None
    for _ in range(repeat):
        t_big, rss, _ = run(cmd_for(big))
        t_one, _, _ = run(cmd_for(one))
        work = max(t_big - t_one, 1e-9)
        r = (n - 1) / work
        if best is None or r > best[0]:
            best = (r, t_one, rss, t_big)
    rate, startup, rss, total = best
    print("%-13s %10.0f msg/s   start-up %6.3f s   total %7.2f s   peak RSS %7.1f MiB"
          % (name, rate, startup, total, rss))
    return rate, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bouncewatch", required=True)
    ap.add_argument("--messages", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is kept")
    ap.add_argument("--no-competitors", action="store_true")
    args = ap.parse_args()
    corpus = os.path.join(SHARED, "corpus", "dev")
    if not os.path.isdir(corpus):
        sys.exit("classify.py: corpus not found at %s" % corpus)
    msgs = load_messages(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "big.mbox")
        one = os.path.join(tmp, "one.mbox")
        write_mbox(big, msgs, args.messages)
        write_mbox(one, msgs, 1)
        print("classify: %d messages (the dev corpus, %d distinct, repeated), %.1f MiB, one process each"
              % (args.messages, len(msgs), os.path.getsize(big) / 1048576.0))
        bw = os.path.abspath(args.bouncewatch)
        # text output (one line per event) and JSON lines: both are `parse`
        measure("bouncewatch", lambda f: [bw, "parse", f], big, one, args.messages, args.repeat)
        ours, our_rss = measure("bw --json", lambda f: [bw, "parse", "--json", f], big, one,
                                args.messages, args.repeat)
        if args.no_competitors:
            return
        rates = {}
        try:
            rates["sisimai"] = measure("sisimai", lambda f: ["perl", "-e", SISIMAI, f], big, one,
                                       args.messages, 1)
        except OSError as exc:
            print("sisimai: not run (%s)" % exc)
        try:
            rates["flufl.bounce"] = measure("flufl.bounce", lambda f: ["/usr/bin/python3", "-c", FLUFL, f],
                                            big, one, args.messages, 1)
        except OSError as exc:
            print("flufl.bounce: not run (%s)" % exc)
        for name, (rate, rss) in rates.items():
            print("ratio: bouncewatch / %-12s %7.1fx messages per second, %5.2fx peak RSS"
                  % (name, ours / rate, our_rss / rss if rss else float("nan")))


if __name__ == "__main__":
    main()
