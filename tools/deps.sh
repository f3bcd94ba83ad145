# tools/deps.sh - sourced by tools/run and tools/test: install the Debian 12
# packages flowsentry needs to build and test, only those missing.
# shellcheck shell=bash

FS_BUILD_PKGS="meson ninja-build pkg-config gcc clang python3
  libevent-dev libhiredis-dev libndpi-dev libmaxminddb-dev libpcap-dev
  libcurl4-openssl-dev libcmocka-dev"
FS_TEST_PKGS="redis-server tshark softflowd mmdb-bin python3-aiosmtpd libfaketime"

fs_install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends "${missing[@]}" >&2
}

# Run a command quietly; print what it said only when it fails (a build
# error must reach CI's log, not /dev/null).
quiet() {
	local log rc=0
	log=$("$@" 2>&1) || rc=$?
	[ $rc -eq 0 ] || printf '%s\n' "$log" >&2
	return $rc
}
