#!/usr/bin/env bash
# Installs what is missing, builds QSeqpacket and runs the demo: the QSeqpacket Inspector,
# listening on an abstract address, with three demo peer processes that connect to it: two send
# text, binary records, empty packets and a memfd's descriptor, one speaks QSeqpacketChannel's
# message protocol (shown decoded). You watch the packets, the descriptors and the peers'
# credentials live.
#
# Run from anywhere:  bash scripts/demo.sh   (as root, or as a user who may sudo for apt)
# Extra arguments go to the Inspector (e.g. --theme dark).
#
# Without a display (an SSH session, CI) the Inspector runs headless for a few seconds and saves
# a screenshot of what it showed, then the text demo (examples/packet-exchange) runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_deps
configure
cmake --build "$BUILD_DIR" --target qseqpacket-inspector qseqpacket-demo-peer packet-exchange -j2

inspector="$BUILD_DIR/inspector/qseqpacket-inspector"
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
    echo
    echo "== starting the Inspector with three demo peers ($inspector --demo)"
    exec "$inspector" --demo "$@"
fi

shot="$BUILD_DIR/inspector-demo.png"
echo
echo "== no display: running the Inspector headless for a few seconds (QT_QPA_PLATFORM=offscreen)"
# Entry 4 of the first connection: the channel peer's snapshot, a frame spilled into a memfd.
QT_QPA_PLATFORM=offscreen "$inspector" --demo --select 4 --screenshot "$shot" --screenshot-delay 4000 "$@"
echo "   what it showed: $shot"
echo
echo "== running the text demo: $BUILD_DIR/examples/packet-exchange/packet-exchange"
exec "$BUILD_DIR/examples/packet-exchange/packet-exchange"
