#!/usr/bin/env bash
# Installs everything QSeqpacket needs to build, test and run its examples on Debian 12 (bookworm):
# a C++17 compiler, CMake, Qt 6 (Core for the library; Quick, Quick Controls and Quick Test for
# the QML module and GUI tools), Xvfb for GUI tests without a display, Doxygen for the API
# reference (the docs target), Python 3 with cbor2 for the protocol tests' peer, and gcovr for the
# coverage figures (scripts/coverage.sh).
#
# Run as root, or as a user who may sudo. Safe to run again: when every package is already
# installed it only checks (dpkg-query) and does not touch apt at all.
set -euo pipefail

PACKAGES=(
    # toolchain
    build-essential
    cmake
    pkg-config
    # Qt 6 for C++ (Core, Gui, Test, ...) and its platform plugins (xcb, offscreen)
    qt6-base-dev
    qt6-base-dev-tools
    qmake6        # the qmake consumer of tests/consumer (scripts/check-packages.sh)
    qt6-qpa-plugins
    libgl-dev
    # Qt Quick / QML for C++ and the QML tools (qmltestrunner, qmllint)
    qt6-declarative-dev
    qt6-declarative-dev-tools
    # QML modules a Qt Quick Controls application and Qt Quick Test load at run time
    qml6-module-qtqml
    qml6-module-qtqml-models
    qml6-module-qtqml-workerscript
    qml6-module-qtquick
    qml6-module-qtquick-window
    qml6-module-qtquick-layouts
    qml6-module-qtquick-templates
    qml6-module-qtquick-controls
    qml6-module-qtquick-dialogs
    qml6-module-qt-labs-folderlistmodel
    qml6-module-qt-labs-platform
    qml6-module-qttest
    # headless GUI tests and screenshots
    xvfb
    xauth
    fonts-dejavu-core
    # the API reference: cmake --build build --target docs
    doxygen
    # the protocol peer of tst_channel_protocol (tests/auto/channel/protocolpeer.py): Python 3
    # and Debian's cbor2, an encoder and decoder of CBOR that shares nothing with Qt's
    python3
    python3-cbor2
    # line and branch coverage of src/ (scripts/coverage.sh)
    gcovr
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#PACKAGES[@]} packages are installed"
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps: these packages are missing and I am not root (and there is no sudo):" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
echo "install-deps: done"
