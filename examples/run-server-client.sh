#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-server-client.sh: runs an example server and its clients together; the examples' ctest tests.
#
#   run-server-client.sh [--path] [--kill-first] [--setup COMMAND]
#                        SERVER [ARG...] -- [CLIENT-OPTION...] CLIENT [ARG...] [-- ...]
#
# In every argument, @ADDRESS@ becomes an address of this run's own: an abstract name
# (@qseqpacket-example-PID-RANDOM), or with --path a socket file in a fresh temporary directory;
# @TMPDIR@ becomes that directory, which is removed at the end.
#
#   --path          listen on a socket file instead of an abstract name
#   --kill-first    start the server once and kill it with SIGKILL first, so that it leaves its
#                   socket file behind (with --path): the real server must cope with the stale file
#   --setup COMMAND run COMMAND with bash -c before the server starts (to make files in @TMPDIR@)
#
# Client options, before each client's command:
#   --fail          the client must fail (exit non-zero, but not from a crash or the timeout)
#   --expect TEXT   the client's output must contain TEXT (may be given more than once)
#   --as-nobody     run the client as the user nobody (uid 65534); needs root, else the test is
#                   skipped (exit 77)
#
# Passes (exit 0) when the server started listening (it prints a line with "listening on"), every
# client ended as expected, the server exited with 0 on SIGTERM, and (with --path) its socket file
# is gone.

set -u

usage() {
    sed -n '4,30s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

use_path=0
kill_first=0
setup=
while [ $# -gt 0 ]; do
    case $1 in
        --path) use_path=1; shift ;;
        --kill-first) kill_first=1; shift ;;
        --setup) [ $# -ge 2 ] || usage; setup=$2; shift 2 ;;
        --help|-h) usage ;;
        *) break ;;
    esac
done

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/qseqpacket-example.XXXXXX") || exit 1
if [ "$use_path" = 1 ]; then
    address=$tmpdir/server.sock
else
    address=@qseqpacket-example-$$-$RANDOM
fi

server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmpdir"
}
trap cleanup EXIT

substitute() {
    local value=${1//@ADDRESS@/$address}
    printf '%s' "${value//@TMPDIR@/$tmpdir}"
}

# The server's command: everything up to the first "--".
server=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    server+=("$(substitute "$1")")
    shift
done
[ ${#server[@]} -gt 0 ] || usage

fail() {
    echo "FAIL: $*"
    if [ -f "$tmpdir/server.log" ]; then
        echo "--- server output:"
        cat "$tmpdir/server.log"
    fi
    exit 1
}

# Starts the server in the background and waits until it says it listens.
start_server() {
    # Emptied here, before the server starts: the output of an earlier start must not count.
    : >"$tmpdir/server.log"
    "${server[@]}" >>"$tmpdir/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q 'listening on' "$tmpdir/server.log" && return 0
        kill -0 "$server_pid" 2>/dev/null || fail "the server exited before it listened"
        sleep 0.1
    done
    fail "the server did not listen within 10 seconds"
}

if [ -n "$setup" ]; then
    bash -c "$(substitute "$setup")" || fail "setup failed: $setup"
fi

echo "address: $address"
echo "server:  ${server[*]}"

if [ "$kill_first" = 1 ]; then
    start_server
    kill -KILL "$server_pid"
    wait "$server_pid" 2>/dev/null
    server_pid=
    if [ "$use_path" = 1 ]; then
        [ -S "$address" ] || fail "the killed server left no socket file behind"
        echo "a server killed with SIGKILL left its socket file $address behind"
    fi
fi

start_server

# The clients, one after the other.
while [ $# -gt 0 ]; do
    shift # the "--"
    must_fail=0
    as_nobody=0
    expected=()
    while [ $# -gt 0 ]; do
        case $1 in
            --fail) must_fail=1; shift ;;
            --as-nobody) as_nobody=1; shift ;;
            --expect) [ $# -ge 2 ] || usage; expected+=("$(substitute "$2")"); shift 2 ;;
            *) break ;;
        esac
    done
    client=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        client+=("$(substitute "$1")")
        shift
    done
    [ ${#client[@]} -gt 0 ] || usage

    prefix=()
    if [ "$as_nobody" = 1 ]; then
        if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
            echo "SKIP: running a client as nobody needs root and setpriv"
            exit 77
        fi
        prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
        if ! "${prefix[@]}" test -x "${client[0]}" 2>/dev/null && [ -e "${client[0]}" ]; then
            echo "SKIP: the user nobody cannot run ${client[0]} (a directory on its path is closed to others)"
            exit 77
        fi
    fi

    echo
    echo "client:  ${prefix[*]:+${prefix[*]} }${client[*]}"
    timeout 30 "${prefix[@]}" "${client[@]}" >"$tmpdir/client.log" 2>&1
    status=$?
    sed 's/^/    /' "$tmpdir/client.log"
    if [ "$status" = 124 ]; then
        fail "the client timed out"
    elif [ "$status" -gt 128 ]; then
        fail "the client died with signal $((status - 128))"
    elif [ "$must_fail" = 1 ] && [ "$status" = 0 ]; then
        fail "the client should have failed but exited with 0"
    elif [ "$must_fail" = 0 ] && [ "$status" != 0 ]; then
        fail "the client exited with $status"
    fi
    for text in "${expected[@]}"; do
        grep -qF -- "$text" "$tmpdir/client.log" || fail "the client's output lacks \"$text\""
    done
    echo "    -> exit code $status, as expected"
done

# SIGTERM: the server must close cleanly and exit with 0.
kill -TERM "$server_pid"
for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "the server did not exit within 10 seconds of SIGTERM"
wait "$server_pid"
status=$?
server_pid=
[ "$status" = 0 ] || fail "the server exited with $status after SIGTERM"
if [ "$use_path" = 1 ] && [ -e "$address" ]; then
    fail "the server left its socket file $address behind"
fi

echo
echo "--- server output:"
cat "$tmpdir/server.log"
echo "PASS"
