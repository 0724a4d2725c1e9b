#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (-fsanitize=fuzzer,address,undefined; the
# library is built with clang too, in its own build directory) and runs each for a while.
#
#   bash scripts/fuzz.sh [--seconds N] [--jobs N] [target ...]
#
#   --seconds N  how long each target runs (default 30; CI uses 30)
#   --jobs N     parallel fuzzing processes per target (libFuzzer -fork=N; default 1)
#   target       fuzz_address, fuzz_address_kernel, fuzz_receive, fuzz_frame (default: all)
#
# Long runs, e.g. an hour each on every core:
#   bash scripts/fuzz.sh --seconds 3600 --jobs "$(nproc)"
# Inputs the fuzzers find interesting go to $QSEQPACKET_FUZZ_DIR/corpus/<target>/ (not the
# committed seeds in fuzz/corpus/<target>/; copy good ones there with `<target> -merge=1`);
# crashes to $QSEQPACKET_FUZZ_DIR/artifacts/. Reproduce one with
#   build-fuzz/fuzz/<target> <crash-file>
# QSEQPACKET_FUZZ_TRACE=1 makes fuzz_receive print what an input does (to read a crash).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
FUZZ_DIR=${QSEQPACKET_FUZZ_DIR:-$REPO_ROOT/build-fuzz}
TARGETS_ALL=(fuzz_address fuzz_address_kernel fuzz_receive fuzz_frame)

seconds=30
jobs=1
targets=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -eq 0 ]] && targets=("${TARGETS_ALL[@]}")

bash "$REPO_ROOT/scripts/install-deps.sh"
missing=()
for pkg in clang libclang-rt-14-dev; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true) == installed ]] || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    echo "fuzz: installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
fi

echo "== fuzz: building in $FUZZ_DIR with clang"
CC=clang CXX=clang++ cmake -S "$REPO_ROOT" -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQSEQPACKET_BUILD_FUZZERS=ON -DQSEQPACKET_SANITIZE="address;undefined" \
    -DQSEQPACKET_BUILD_TESTS=OFF -DQSEQPACKET_BUILD_EXAMPLES=OFF -DQSEQPACKET_BUILD_BENCHMARKS=OFF \
    -DQSEQPACKET_BUILD_QML=OFF -DQSEQPACKET_INSTALL=OFF -DQSEQPACKET_LTO=OFF >/dev/null
cmake --build "$FUZZ_DIR" -j2 --target "${targets[@]}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
mkdir -p "$FUZZ_DIR/artifacts"
summary=()
status=0
for target in "${targets[@]}"; do
    corpus="$FUZZ_DIR/corpus/$target"
    seeds="$REPO_ROOT/fuzz/corpus/$target"
    mkdir -p "$corpus"
    log="$FUZZ_DIR/$target.log"
    echo "== fuzz: $target for ${seconds} s (seeds: fuzz/corpus/$target, $(ls "$seeds" | wc -l) files)"
    fork=()
    [[ $jobs -gt 1 ]] && fork=(-fork="$jobs" -ignore_crashes=0)
    rc=0
    "$FUZZ_DIR/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=4096 \
        -artifact_prefix="$FUZZ_DIR/artifacts/$target-" "${fork[@]}" "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    runs=$( (grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" || true) | awk '{s += $2} END {print s + 0}')
    if [[ $runs -eq 0 ]]; then # -fork mode reports "#N: cov: ..." lines instead
        runs=$( (grep -o '^#[0-9]*' "$log" || true) | tail -1 | tr -d '#')
    fi
    cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | awk '{print $2}')
    if [[ $rc -eq 0 ]]; then
        summary+=("$(printf '%-20s ok      %10s executions in %s s, coverage %s, work corpus %s inputs' \
            "$target" "${runs:-?}" "$seconds" "${cov:-?}" "$(ls "$corpus" | wc -l)")")
    else
        status=1
        summary+=("$(printf '%-20s FAILED  after %s executions: see %s' "$target" "${runs:-?}" "$log")")
        grep -E -A40 'ERROR|fuzz_[a-z_]*: |deadly signal|SUMMARY' "$log" | head -80 || tail -60 "$log"
    fi
done
echo
echo "== fuzz: summary"
printf '  %s\n' "${summary[@]}"
exit $status
