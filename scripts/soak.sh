#!/usr/bin/env bash
# Builds and runs the soak test (soak/main.cpp, qseqpacket-soak): a million packets with
# descriptors across processes, 100 runs in which the peer is killed with SIGKILL, sockets
# across threads, and 100,000 message-channel requests with descriptors and spilled bodies;
# descriptor counts before and after each phase.
#
#   bash scripts/soak.sh            # full mode: 1,000,000 packets, 100 kills, 100,000 requests
#   bash scripts/soak.sh --short    # CI: 50,000 packets, 100 kills, 10,000 requests
#   bash scripts/soak.sh --packets 5000000 --kills 1000 --seed 42   # any qseqpacket-soak options
#
# The build directory is $QSEQPACKET_SOAK_BUILD_DIR, by default build-soak/ (RelWithDebInfo);
# CI points it at the Debug build that scripts/test.sh made, so only the soak program is built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
SOAK_BUILD_DIR=${QSEQPACKET_SOAK_BUILD_DIR:-$REPO_ROOT/build-soak}

bash "$REPO_ROOT/scripts/install-deps.sh"
if [[ ! -f "$SOAK_BUILD_DIR/CMakeCache.txt" ]]; then
    cmake -S "$REPO_ROOT" -B "$SOAK_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DQSEQPACKET_BUILD_EXAMPLES=OFF -DQSEQPACKET_BUILD_BENCHMARKS=OFF -DQSEQPACKET_BUILD_QML=OFF >/dev/null
fi
cmake --build "$SOAK_BUILD_DIR" -j2 --target qseqpacket-soak
echo "== soak: $SOAK_BUILD_DIR/soak/qseqpacket-soak $*"
"$SOAK_BUILD_DIR/soak/qseqpacket-soak" "$@" 2>&1 | tee "$SOAK_BUILD_DIR/soak.log"
exit "${PIPESTATUS[0]}"
