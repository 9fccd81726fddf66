#!/bin/sh
# deps.sh - install with apt-get whatever bouncewatch needs to build and test
# that this Debian machine lacks.  Idempotent, and silent when all is there.
#
#   contrib/deps.sh          build + test dependencies
#   contrib/deps.sh --bench  also the competitors the benchmarks compare with
set -e

PKGS="autoconf automake make gcc clang pkg-config python3 openssl ca-certificates
libetpan-dev libconfig-dev libcmocka-dev libsqlite3-dev libcurl4-gnutls-dev
libjansson-dev libgnutls28-dev nettle-dev libmicrohttpd-dev sqlite3
dovecot-core dovecot-imapd valgrind curl libpq-dev postgresql"
BENCH_PKGS="libsisimai-perl python3-flufl.bounce hyperfine time bc curl nginx-light wrk"

[ "${1:-}" = "--bench" ] && PKGS="$PKGS $BENCH_PKGS"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Dovecot's package would start a system-wide instance: keep it from doing so.
if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing > /dev/null
