#!/usr/bin/env bash
# Installs what is missing, builds QSeqpacket with its tests and examples, and runs the tests.
# Run from anywhere:  bash scripts/test.sh   (as root, or as a user who may sudo for apt)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_deps
configure
cmake --build "$BUILD_DIR" -j2
# --no-tests=error: a build that registered no test is a failure, not a silent pass.
with_display ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error 2>&1 \
    | tee "$BUILD_DIR/ctest.log"
