#!/usr/bin/env bash
# Sanitizer and valgrind runs (docs/security.md, "How this is checked").
#
#   bash scripts/sanitize.sh [asan] [tsan] [valgrind]     (no argument: all three)
#
#   asan      build-asan/ with -fsanitize=address,undefined (QSEQPACKET_SANITIZE), the whole ctest
#             suite under AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer (every
#             report is fatal), then the soak test in its short mode.
#   tsan      build-tsan/ with -fsanitize=thread: the threaded and channel tests (ctest -R
#             "$TSAN_TESTS") and the soak test's threads and channel phases.
#   valgrind  memcheck of the value-type, close-on-exec and socket tests, from the Debug
#             build (build/, as scripts/test.sh makes it): --leak-check=full, any error fails.
#
# Environment: QSEQPACKET_ASAN_DIR, QSEQPACKET_TSAN_DIR, QSEQPACKET_BUILD_DIR (valgrind's build),
# TSAN_TESTS (ctest regex, default "thread|channel|hub"),
# TSAN_EXCLUDE (ctest regex, default "^tst_fault_"), VALGRIND_TESTS (ctest regex), SOAK_ARGS (for
# the ASan soak run, default "--short"), VALGRIND_JOBS (memcheck runs at once, default: the
# cores), VALGRIND_FIRST (the slowest executables, started first). Suppressions:
# scripts/sanitizers/*.supp, each entry explained.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ASAN_DIR=${QSEQPACKET_ASAN_DIR:-$REPO_ROOT/build-asan}
TSAN_DIR=${QSEQPACKET_TSAN_DIR:-$REPO_ROOT/build-tsan}
SUPP_DIR=$REPO_ROOT/scripts/sanitizers
TSAN_TESTS=${TSAN_TESTS:-'thread|channel|hub'}
# The fault-injection tests preload a shim that wraps the system calls TSan's runtime intercepts
# too; the two together crash at start-up, and injected faults are not what TSan looks at.
TSAN_EXCLUDE=${TSAN_EXCLUDE:-'^tst_fault_'}
# Not tst_security: its flood test makes hundreds of recvmmsg() calls, and memcheck checks each
# call's 64 receive slots of 2 x net.core.wmem_max bytes (512 MiB where wmem_max is 4 MiB).
# Not tst_socket_hub, for the same reason: its rounds of 40 echoing pairs make two batch reads
# per pair, each checked over 512 MiB here, and do not finish within the test's 30 s; with
# wmem_max at 16 KiB the whole test passes under memcheck in 10 s (checked). ASan and TSan run it.
VALGRIND_TESTS=${VALGRIND_TESTS:-'^(tst_qseqpacketaddress|tst_qseqpacketfiledescriptor|tst_qseqpacketpacket|tst_qseqpacketcredentials|tst_cloexec|tst_socket_(packets|sendqueue|descriptors|connection|lifecycle|threads|misuse|options|edges)|tst_channel)$'}
SOAK_ARGS=${SOAK_ARGS:---short}
VALGRIND_JOBS=${VALGRIND_JOBS:-$(nproc)}
VALGRIND_FIRST=${VALGRIND_FIRST:-"tst_channel tst_socket_packets tst_socket_threads tst_socket_lifecycle"}

modes=("$@")
[[ ${#modes[@]} -eq 0 ]] && modes=(asan tsan valgrind)

step() { printf '\n== sanitize: %s\n' "$*"; }
results=()

need_packages() {
    local missing=()
    for pkg in "$@"; do
        [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true) == installed ]] || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    local sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    echo "sanitize: installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
}

# The names of the ctest tests matching $2 (and not $3, if given) in build dir $1 (each is also
# its executable's target).
test_names() {
    ctest --test-dir "$1" -N -R "$2" ${3:+-E "$3"} 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: \([^ ]*\).*/\1/p'
}

# The executables of build dir $1 that the commands of the tests matching $2 (and not $3) name:
# an example's test runs a script with the paths of its server and its client.
test_command_executables() {
    ctest --test-dir "$1" -N -V -R "$2" ${3:+-E "$3"} 2>/dev/null \
        | grep -o "$1/[^\" ]*" | sed 's,.*/,,' | sort -u
}

# The executable of each ctest test matching $2 in build dir $1, once built.
test_executables() {
    ctest --test-dir "$1" -N -V -R "$2" 2>/dev/null \
        | sed -n 's/^[0-9]*: Test command: \([^ ]*\).*/\1/p'
}

run_asan() {
    step "AddressSanitizer + UndefinedBehaviorSanitizer build in $ASAN_DIR"
    cmake -S "$REPO_ROOT" -B "$ASAN_DIR" -DCMAKE_BUILD_TYPE=Debug \
        -DQSEQPACKET_SANITIZE="address;undefined" -DQSEQPACKET_BUILD_BENCHMARKS=OFF >/dev/null || return 1
    cmake --build "$ASAN_DIR" -j2 || return 1
    # qml-installed runs the uninstrumented qmltestrunner from Debian, which cannot load an
    # instrumented plugin (the ASan runtime must come first); it tests installation, not memory.
    # fast_unwind_on_malloc=0: Debian's Qt has no frame pointers, so only the slow unwinder sees
    # the Qt frames that scripts/sanitizers/lsan.supp names (it costs ~15 s on the Qt Quick tests).
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:fast_unwind_on_malloc=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
    export LSAN_OPTIONS="suppressions=$SUPP_DIR/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SUPP_DIR/ubsan.supp"
    step "ctest under ASan+UBSan (all tests but qml-installed)"
    local start=$SECONDS
    with_display ctest --test-dir "$ASAN_DIR" --output-on-failure --no-tests=error -E '^qml-installed$' 2>&1 \
        | tee "$ASAN_DIR/ctest-asan.log"
    local rc=${PIPESTATUS[0]}
    results+=("asan+ubsan ctest: $(grep -E 'tests passed|tests failed' "$ASAN_DIR/ctest-asan.log" | tail -1) ($((SECONDS - start)) s)")
    [[ $rc -eq 0 ]] || return $rc
    step "soak $SOAK_ARGS under ASan+UBSan"
    start=$SECONDS
    cmake --build "$ASAN_DIR" --target qseqpacket-soak -j2 || return 1
    # shellcheck disable=SC2086
    "$ASAN_DIR/soak/qseqpacket-soak" $SOAK_ARGS 2>&1 | tee "$ASAN_DIR/soak-asan.log"
    rc=${PIPESTATUS[0]}
    results+=("asan+ubsan soak $SOAK_ARGS: $(tail -1 "$ASAN_DIR/soak-asan.log") ($((SECONDS - start)) s)")
    return $rc
}

run_tsan() {
    step "ThreadSanitizer build in $TSAN_DIR (threaded tests and the soak test)"
    # Qt from Debian is not built with -fsanitize=thread: see scripts/sanitizers/tsan.supp.
    cmake -S "$REPO_ROOT" -B "$TSAN_DIR" -DCMAKE_BUILD_TYPE=Debug -DQSEQPACKET_SANITIZE=thread \
        -DQSEQPACKET_BUILD_QML=OFF -DQSEQPACKET_BUILD_EXAMPLES=ON \
        -DQSEQPACKET_BUILD_BENCHMARKS=OFF >/dev/null || return 1
    # Only what the selected tests run: a test's target has its name, or, for an example's test
    # (example-NAME), the example's name.
    local targets=(qseqpacket-soak qseqpacket_test_peer) name all_targets
    all_targets=$(cmake --build "$TSAN_DIR" --target help 2>/dev/null | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
    while read -r name; do
        [[ -z $name ]] && continue
        if grep -qx -- "$name" <<<"$all_targets"; then
            targets+=("$name")
        elif grep -qx -- "${name#example-}" <<<"$all_targets"; then
            targets+=("${name#example-}")
        fi
    done < <(test_names "$TSAN_DIR" "$TSAN_TESTS" "$TSAN_EXCLUDE")
    while read -r name; do
        [[ -n $name ]] && grep -qx -- "$name" <<<"$all_targets" && targets+=("$name")
    done < <(test_command_executables "$TSAN_DIR" "$TSAN_TESTS" "$TSAN_EXCLUDE")
    cmake --build "$TSAN_DIR" -j2 --target "${targets[@]}" || return 1
    # ignore_noninstrumented_modules=1: Qt and glib are not instrumented; their own locks (futex
    # based) are invisible to TSan, so what they do inside themselves would be reported as races
    # of theirs. Only races that involve instrumented code (QSeqpacket, the tests) are reported.
    # die_after_fork=0: the tests start helper processes (QProcess) from a threaded process.
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:die_after_fork=0:suppressions=$SUPP_DIR/tsan.supp"
    local start=$SECONDS rc=0
    if [[ ${#targets[@]} -gt 2 ]]; then
        step "ctest -R '$TSAN_TESTS' -E '$TSAN_EXCLUDE' under TSan"
        ctest --test-dir "$TSAN_DIR" --output-on-failure -R "$TSAN_TESTS" -E "$TSAN_EXCLUDE" 2>&1 | tee "$TSAN_DIR/ctest-tsan.log" || rc=$?
        results+=("tsan ctest -R '$TSAN_TESTS' -E '$TSAN_EXCLUDE': $(grep -E 'tests passed|tests failed' "$TSAN_DIR/ctest-tsan.log" | tail -1)")
    else
        results+=("tsan: no test matches '$TSAN_TESTS'")
    fi
    step "soak --only threads under TSan"
    "$TSAN_DIR/soak/qseqpacket-soak" --short --only threads 2>&1 | tee "$TSAN_DIR/soak-tsan.log" || rc=$?
    results+=("tsan soak threads: $(tail -1 "$TSAN_DIR/soak-tsan.log")")
    step "soak --only channel under TSan"
    "$TSAN_DIR/soak/qseqpacket-soak" --only channel --requests 2000 2>&1 | tee "$TSAN_DIR/soak-channel-tsan.log" || rc=$?
    results+=("tsan soak channel: $(tail -1 "$TSAN_DIR/soak-channel-tsan.log") ($((SECONDS - start)) s in all)")
    return $rc
}

# One test executable under memcheck; its verdict goes to $BUILD_DIR/valgrind-NAME.log.result.
valgrind_one() {
    local exe=$1 name log t0=$SECONDS
    name=$(basename "$exe")
    log="$BUILD_DIR/valgrind-$name.log"
    # Leaks that count: definite and indirect. "Possibly lost" and "still reachable" are
    # Qt's and glib's process-lifetime caches (scripts/sanitizers/valgrind.supp explains).
    # QTEST_FUNCTION_TIMEOUT: Qt 6.4's test watchdog can miss the end of a quick test function
    # while valgrind runs one thread at a time, and then times the next functions together
    # against its 300 s (tst_channel failed so, at 312 s in all); timeout 900 bounds the run.
    if QT_QPA_PLATFORM=offscreen QTEST_FUNCTION_TIMEOUT=900000 timeout 900 valgrind --tool=memcheck --error-exitcode=1 \
        --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --track-fds=no --num-callers=30 --suppressions="$SUPP_DIR/valgrind.supp" \
        --log-file="$log" "$exe" >"$log.out" 2>&1; then
        echo "ok ($((SECONDS - t0)) s; $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log" | tail -1))" >"$log.result"
    else
        echo "FAILED ($((SECONDS - t0)) s): see $log and $log.out" >"$log.result"
    fi
}

run_valgrind() {
    need_packages valgrind
    step "valgrind memcheck of the unit tests ($BUILD_DIR, $VALGRIND_JOBS at a time)"
    configure >/dev/null || return 1
    # The executables, once each: a test executable may run as several ctest tests (with another
    # environment: tst_socket_hub_always, _off), whose names are no targets.
    local targets=(qseqpacket_test_peer qseqpacket_fdlister) name
    while read -r name; do
        [[ -n $name ]] && targets+=("$name")
    done < <(test_executables "$BUILD_DIR" "$VALGRIND_TESTS" | sed 's,.*/,,' | sort -u)
    cmake --build "$BUILD_DIR" -j2 --target "${targets[@]}" || return 1
    # The slowest first ($VALGRIND_FIRST), so that the parallel runs end together.
    local exes=() rest=() exe first
    while read -r exe; do
        [[ -z $exe ]] && continue
        if [[ " $VALGRIND_FIRST " == *" $(basename "$exe") "* ]]; then exes+=("$exe"); else rest+=("$exe"); fi
    done < <(test_executables "$BUILD_DIR" "$VALGRIND_TESTS" | sort -u)
    exes+=("${rest[@]}")
    local failed=0 passed=0 start=$SECONDS
    # memcheck runs a process's threads one at a time: one run per core.
    for exe in "${exes[@]}"; do
        rm -f "$BUILD_DIR/valgrind-$(basename "$exe").log.result"
        while [[ $(jobs -rp | wc -l) -ge $VALGRIND_JOBS ]]; do wait -n || true; done
        valgrind_one "$exe" &
    done
    wait
    for exe in "${exes[@]}"; do
        name=$(basename "$exe")
        local log="$BUILD_DIR/valgrind-$name.log" verdict
        verdict=$(cat "$log.result" 2>/dev/null || echo "FAILED (no verdict): see $log and $log.out")
        printf 'valgrind %-34s %s\n' "$name" "$verdict"
        if [[ $verdict == ok* ]]; then
            passed=$((passed + 1))
        else
            tail -n 40 "$log" "$log.out"
            failed=$((failed + 1))
        fi
    done
    results+=("valgrind memcheck: $passed passed, $failed failed of ${#exes[@]} test executables ($((SECONDS - start)) s, $VALGRIND_JOBS at a time)")
    [[ $failed -eq 0 ]]
}

install_deps
overall=0
for mode in "${modes[@]}"; do
    case $mode in
        asan) run_asan || overall=1 ;;
        tsan) run_tsan || overall=1 ;;
        valgrind) run_valgrind || overall=1 ;;
        *) echo "usage: $0 [asan] [tsan] [valgrind]" >&2; exit 2 ;;
    esac
done
step "summary"
printf '  %s\n' "${results[@]}"
exit $overall
