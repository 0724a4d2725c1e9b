#!/usr/bin/env bash
# Builds the Debian packages of QSeqpacket (cmake/QSeqpacketPackaging.cmake) from a Release build
# configured for /usr, so that everything lands where Debian's Qt looks (the libraries and the
# QML module under /usr/lib/<multiarch>):
#
#   bash scripts/package.sh            # -> build-deb/packages/*.deb
#   sudo apt-get install ./build-deb/packages/*.deb
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEB_BUILD_DIR=${QSEQPACKET_DEB_BUILD_DIR:-$REPO_ROOT/build-deb}
install_deps
cmake -S "$REPO_ROOT" -B "$DEB_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DQSEQPACKET_BUILD_TESTS=OFF -DQSEQPACKET_BUILD_EXAMPLES=OFF -DQSEQPACKET_BUILD_BENCHMARKS=OFF \
    -DQSEQPACKET_BUILD_DOCS=OFF
cmake --build "$DEB_BUILD_DIR" -j2
rm -rf "$DEB_BUILD_DIR/packages"
(cd "$DEB_BUILD_DIR" && cpack -G DEB -B "$DEB_BUILD_DIR/packages")
rm -rf "$DEB_BUILD_DIR/packages/_CPack_Packages"
ls -1 "$DEB_BUILD_DIR"/packages/*.deb
