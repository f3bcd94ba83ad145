#!/usr/bin/env bash
# fuzz/smoke.sh - run one libFuzzer target for a bounded time.
#
#   fuzz/smoke.sh TARGET [SECONDS] [libFuzzer options...]
#
# TARGET is nf5, nf9, ipfix, sflow, pkthdr, stateful, cfg, wl or rules;
# SECONDS defaults to $FS_FUZZ_SECONDS or 40.  Builds the target first in
# $FS_FUZZ_BUILD (default build-fuzz; set up with clang and -Dfuzz=true if
# missing) unless FS_FUZZ_NOBUILD=1 (meson test sets it: it has built it).
#
# The seeds in fuzz/corpus/TARGET and the findings in fuzz/regress/TARGET
# are read; what the run learns goes to $BUILD/fuzz-work/TARGET, which is
# kept, so runs build on each other (delete it to start over).  A crash,
# leak, timeout or out-of-memory input is saved in fuzz/regress/TARGET/ and
# the script fails; minimise it with -minimize_crash=1 (docs/fuzzing.md).
# Every run appends "date target seconds executions status" to
# $BUILD/fuzz-work/stats.tsv.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ $# -lt 1 ]; then
	echo "usage: $0 TARGET [SECONDS] [libFuzzer options...]" >&2
	exit 2
fi
target=$1
shift
secs=${FS_FUZZ_SECONDS:-40}
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
	secs=$1
	shift
fi
case $target in
nf5|nf9|ipfix|sflow|pkthdr|stateful|cfg|wl|rules) ;;
*)	echo "$0: unknown target '$target'" >&2; exit 2 ;;
esac

build=${FS_FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build=$top/$build ;; esac
if [ "${FS_FUZZ_NOBUILD:-0}" != 1 ]; then
	if [ ! -f "$build/build.ninja" ]; then
		CC=clang meson setup "$build" -Dfuzz=true -Dtests=false \
		    -Db_lundef=false >/dev/null
	fi
	ninja -C "$build" "fuzz/fuzz_$target" >/dev/null
fi
exe=$build/fuzz/fuzz_$target
if [ ! -x "$exe" ]; then
	echo "$0: $exe is missing (configure with CC=clang and -Dfuzz=true)" >&2
	exit 2
fi

# Per-target dictionary and input size.
dict=
case $target in
nf5)		maxlen=4096;  dict=fuzz/nf5.dict ;;
nf9)		maxlen=8192;  dict=fuzz/nf9.dict ;;
ipfix)		maxlen=8192;  dict=fuzz/ipfix.dict ;;
sflow)		maxlen=8192;  dict=fuzz/sflow.dict ;;
pkthdr)		maxlen=1024;  dict=fuzz/pkthdr.dict ;;
stateful)	maxlen=32768; dict=$build/fuzz-work/stateful.dict ;;
cfg)		maxlen=4096;  dict=fuzz/cfg.dict ;;
wl)		maxlen=8192;  dict=fuzz/wl.dict ;;
rules)		maxlen=8192;  dict=fuzz/rules.dict ;;
esac
work=$build/fuzz-work/$target
regress=fuzz/regress/$target
mkdir -p "$work" "$regress"
if [ "$target" = stateful ]; then
	# Several protocols in one input: all their words.
	cat fuzz/nf5.dict fuzz/nf9.dict fuzz/ipfix.dict fuzz/sflow.dict >"$dict"
fi

before=$(mktemp)
log=$(mktemp)
trap 'rm -f "$before" "$log"' EXIT
LC_ALL=C ls "$regress" >"$before"

# The first directory receives new inputs; the seeds and regressions are
# only read.  -timeout: a hang; -rss_limit_mb: the decoders' caps.
rc=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
timeout --kill-after=30 $((secs + 120)) "$exe" \
	-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len="$maxlen" -dict="$dict" -print_final_stats=1 \
	-artifact_prefix="$regress/" "$@" \
	"$work" "fuzz/corpus/$target" "$regress" >"$log" 2>&1 || rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$secs" \
    "${execs:-0}" "$rc" >>"$build/fuzz-work/stats.tsv"

new=$(LC_ALL=C ls "$regress" | LC_ALL=C comm -13 "$before" - || true)
if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
	# The report: libFuzzer's log from the first sanitizer or crash line.
	grep -n -m1 -E '^(==[0-9]+==|.*runtime error|fuzz invariant|ALARM|.*-- out-of-memory)' "$log" >/dev/null &&
	    sed -n "$(grep -n -m1 -E '^(==[0-9]+==|.*runtime error|fuzz invariant|ALARM|.*-- out-of-memory)' "$log" | cut -d: -f1),\$p" "$log" | head -80
	tail -5 "$log"
	echo "FAIL $target after ${execs:-?} executions (exit $rc); saved:"
	for f in $new; do
		echo "  $regress/$f"
	done
	exit 1
fi
tail -3 "$log" | grep -v '^$' || true
echo "ok $target: ${execs:-?} executions in ${secs}s, no finding"
