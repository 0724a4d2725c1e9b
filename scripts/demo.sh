#!/usr/bin/env bash
# Installs what is missing, builds QSeqpacket and runs the demo: two processes exchanging packets,
# a zero-length packet and a file descriptor (examples/packet-exchange).
# Run from anywhere:  bash scripts/demo.sh   (as root, or as a user who may sudo for apt)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_deps
configure
cmake --build "$BUILD_DIR" --target packet-exchange -j2
echo
echo "== running $BUILD_DIR/examples/packet-exchange/packet-exchange"
exec "$BUILD_DIR/examples/packet-exchange/packet-exchange" "$@"
