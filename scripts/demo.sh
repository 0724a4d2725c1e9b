#!/usr/bin/env bash
# Installs what is missing, builds QSeqpacket and runs the demo: the QSeqpacket Inspector,
# listening on an abstract address, with two demo peer processes that connect to it and send
# text, binary records, empty packets and a memfd's descriptor. You watch the packets,
# the descriptors and the peers' credentials live.
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
    echo "== starting the Inspector with two demo peers ($inspector --demo)"
    exec "$inspector" --demo "$@"
fi

shot="$BUILD_DIR/inspector-demo.png"
echo
echo "== no display: running the Inspector headless for a few seconds (QT_QPA_PLATFORM=offscreen)"
QT_QPA_PLATFORM=offscreen "$inspector" --demo --select 5 --screenshot "$shot" --screenshot-delay 4000 "$@"
echo "   what it showed: $shot"
echo
echo "== running the text demo: $BUILD_DIR/examples/packet-exchange/packet-exchange"
exec "$BUILD_DIR/examples/packet-exchange/packet-exchange"
