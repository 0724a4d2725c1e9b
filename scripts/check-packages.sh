#!/usr/bin/env bash
# Installs the Debian packages that scripts/package.sh made, builds the consumer program against
# /usr with CMake (find_package, no prefix path), qmake (pkg-config) and a plain compiler
# (pkg-config), runs it and the Inspector's --version, then removes the packages and checks that
# none of their files is left. Run as root (or with sudo), on a machine where QSeqpacket is not
# installed otherwise.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEB_BUILD_DIR=${QSEQPACKET_DEB_BUILD_DIR:-$REPO_ROOT/build-deb}
PACKAGES=(libqseqpacket0 libqseqpacket-dev qml6-module-qseqpacket qseqpacket-inspector)
if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
work=$(mktemp -d /tmp/qseqpacket-packages.XXXXXX)
trap 'rm -rf "$work"' EXIT

say() { printf 'check-packages: %s\n' "$*"; }

for package in "${PACKAGES[@]}"; do
    if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -q '^installed$'; then
        echo "check-packages: $package is installed already; remove it first" >&2
        exit 1
    fi
done

say "installing ${DEB_BUILD_DIR}/packages/*.deb (apt-get takes what they need from Debian)"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "$DEB_BUILD_DIR"/packages/*.deb </dev/null >"$work/apt-install.log" 2>&1 \
    || { cat "$work/apt-install.log"; exit 1; }
for package in "${PACKAGES[@]}"; do
    dpkg-query -L "$package" >>"$work/files.txt"
done
say "$(sort -u "$work/files.txt" | wc -l) paths installed by ${#PACKAGES[@]} packages"

say "CMake consumer, find_package(QSeqpacket) from /usr without a prefix path"
cmake -S "$REPO_ROOT/tests/consumer" -B "$work/cmake" >"$work/cmake.log"
cmake --build "$work/cmake" -j2 >>"$work/cmake.log"
"$work/cmake/qseqpacket-consumer"

say "qmake consumer, CONFIG += link_pkgconfig, PKGCONFIG += qseqpacket"
mkdir -p "$work/qmake"
(cd "$work/qmake" && qmake6 "$REPO_ROOT/tests/consumer/qmake/consumer.pro" >/dev/null && make -s -j2)
"$work/qmake/qseqpacket-consumer-qmake"

say "plain compile: g++ main.cpp \$(pkg-config --cflags --libs qseqpacket)"
g++ -std=c++17 -o "$work/plain" "$REPO_ROOT/tests/consumer/main.cpp" $(pkg-config --cflags --libs qseqpacket)
"$work/plain"

say "the Inspector: $(qseqpacket-inspector --version)"
# Its user interface loads from the installed QML module with what the packages pulled from Debian.
QT_QPA_PLATFORM=offscreen qseqpacket-inspector --listen "@qseqpacket-check-packages-$$" --quit-after 1500 \
    >"$work/inspector.log" 2>&1 || { cat "$work/inspector.log"; exit 1; }
say "the Inspector ran for 1.5 s offscreen"
test -f /usr/share/applications/qseqpacket-inspector.desktop
qmldir=$(dpkg-query -L qml6-module-qseqpacket | grep '/QSeqpacket/qmldir$')
say "the QML module: $qmldir"

say "removing the packages"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y "${PACKAGES[@]}" </dev/null \
    >"$work/apt-remove.log" 2>&1 || { cat "$work/apt-remove.log"; exit 1; }
left=0
while IFS= read -r path; do
    # Directories such as /usr/lib stay (other packages own them); files and our own
    # directories must be gone.
    if [[ -e "$path" && ! -d "$path" ]] || [[ -d "$path" && "$path" == *QSeqpacket* ]]; then
        echo "check-packages: left behind: $path" >&2
        left=1
    fi
done < <(sort -u "$work/files.txt")
[[ $left -eq 0 ]]
say "installed, used from CMake, qmake and pkg-config, and removed without a trace"
