# Shared by scripts/test.sh and scripts/demo.sh (sourced, not run): one build directory, one way
# to configure it, so that running the demo after the tests (or the other way round) reuses the build.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
BUILD_DIR=${QSEQPACKET_BUILD_DIR:-$REPO_ROOT/build}
# Debug keeps Q_ASSERT and the library's internal checks on; override with CMAKE_BUILD_TYPE=...
BUILD_TYPE=${CMAKE_BUILD_TYPE:-Debug}

install_deps() {
    bash "$REPO_ROOT/scripts/install-deps.sh"
}

configure() {
    cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
}

# Runs a command under a virtual X display when there is no display, so that GUI tests and tools
# work on a headless machine; runs it directly otherwise.
with_display() {
    if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]] && command -v xvfb-run >/dev/null 2>&1; then
        xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
    else
        "$@"
    fi
}
