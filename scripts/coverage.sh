#!/usr/bin/env bash
# Line and branch coverage of the library (src/) by the whole ctest suite, fault-injection tests
# included (docs/security.md, "Fault injection and coverage").
#
#   bash scripts/coverage.sh
#
# Builds build-coverage/ (Debug, --coverage; no QML module, Inspector or benchmark: the QML tests
# only reach the library through calls the C++ tests make too, and building Qt Quick code with
# coverage doubles the build), runs ctest there from zeroed counters, and prints gcovr's figures
# for src/ with the lines left uncovered. Fails below COVERAGE_MIN_LINES (95) % of lines or
# COVERAGE_MIN_BRANCHES (85) % of branches.
#
# gcovr flags: --exclude-throw-branches drops the branches GCC adds for exceptions that may pass
# through a call (every call that is not noexcept has one; the library throws none of its own);
# --exclude-unreachable-branches drops branches on lines without code of their own (the closing
# brace of a scope that destroys objects). Both are compiler bookkeeping, not decisions of the
# library. Lines of inline functions from Qt's headers count for Qt's files, which are filtered
# out; the library's own inline headers (src/*_p.h) count.
#
# -fprofile-update=atomic: the library counts from several threads (receive threads, requests
# answered from any thread); plain counters updated at once by two threads come out wrong (gcov
# then prints "taken -1", which gcovr cannot parse).
#
# Environment: QSEQPACKET_COVERAGE_DIR (build directory), COVERAGE_MIN_LINES,
# COVERAGE_MIN_BRANCHES, COVERAGE_CTEST_ARGS (extra ctest arguments, e.g. -R tst_fault).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

COVERAGE_DIR=${QSEQPACKET_COVERAGE_DIR:-$REPO_ROOT/build-coverage}
MIN_LINES=${COVERAGE_MIN_LINES:-95}
MIN_BRANCHES=${COVERAGE_MIN_BRANCHES:-85}

step() { printf '\n== coverage: %s\n' "$*"; }

install_deps
step "build in $COVERAGE_DIR (Debug, --coverage)"
cmake -S "$REPO_ROOT" -B "$COVERAGE_DIR" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="--coverage -fprofile-update=atomic" \
    -DQSEQPACKET_BUILD_QML=OFF -DQSEQPACKET_BUILD_BENCHMARKS=OFF -DQSEQPACKET_BUILD_DOCS=OFF >/dev/null
cmake --build "$COVERAGE_DIR" -j2

step "ctest from zeroed counters"
find "$COVERAGE_DIR" -name '*.gcda' -delete
read -r -a ctest_args <<<"${COVERAGE_CTEST_ARGS:-}"
with_display ctest --test-dir "$COVERAGE_DIR" --output-on-failure --no-tests=error "${ctest_args[@]}" 2>&1 \
    | tee "$COVERAGE_DIR/ctest-coverage.log"
ctest_rc=${PIPESTATUS[0]}

step "gcovr: src/ (lines left uncovered under Missing)"
gcovr_args=(--root "$REPO_ROOT" --object-directory "$COVERAGE_DIR" --filter "$REPO_ROOT/src/"
            --exclude-throw-branches --exclude-unreachable-branches -j 2)
# gcov writes its .gcov files to the working directory (gcovr removes them): the build directory.
cd "$COVERAGE_DIR"
gcovr "${gcovr_args[@]}" --txt "$COVERAGE_DIR/coverage-lines.txt" --print-summary \
    | tee "$COVERAGE_DIR/coverage-summary.txt"
gcovr "${gcovr_args[@]}" --branches --txt "$COVERAGE_DIR/coverage-branches.txt" >/dev/null
cat "$COVERAGE_DIR/coverage-lines.txt"

lines=$(sed -n 's/^lines: \([0-9.]*\)%.*/\1/p' "$COVERAGE_DIR/coverage-summary.txt")
branches=$(sed -n 's/^branches: \([0-9.]*\)%.*/\1/p' "$COVERAGE_DIR/coverage-summary.txt")
step "summary"
echo "coverage of src/: lines $(grep '^lines:' "$COVERAGE_DIR/coverage-summary.txt" | cut -d' ' -f2-), branches $(grep '^branches:' "$COVERAGE_DIR/coverage-summary.txt" | cut -d' ' -f2-) (at least $MIN_LINES % and $MIN_BRANCHES %)"
pairs=$(cat "$COVERAGE_DIR"/tests/auto/fault/*.pairs 2>/dev/null | sort -u | wc -l)
echo "fault injection: $pairs distinct (system call, errno or short count) pairs injected"
echo "ctest: $(grep -E 'tests passed|tests failed' "$COVERAGE_DIR/ctest-coverage.log" | tail -1)"
failed=0
if [[ $ctest_rc -ne 0 ]]; then
    echo "coverage: ctest failed" >&2
    failed=1
fi
if ! awk -v v="$lines" -v m="$MIN_LINES" 'BEGIN { exit !(v >= m) }'; then
    echo "coverage: lines $lines % is below $MIN_LINES %" >&2
    failed=1
fi
if ! awk -v v="$branches" -v m="$MIN_BRANCHES" 'BEGIN { exit !(v >= m) }'; then
    echo "coverage: branches $branches % is below $MIN_BRANCHES %" >&2
    failed=1
fi
exit $failed
