#!/usr/bin/env bash
# Lists the system calls that src/ makes outside the system-call layer (src/qseqpacketsystem*),
# and fails when there is one. The library calls the system as ::name(...), so a call is a
# "::name(" that no class name precedes, outside comments and string literals.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
calls='socket|socketpair|bind|connect|listen|accept|accept4|shutdown|getsockopt|setsockopt|getsockname|getpeername|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|poll|ppoll|select|epoll_wait|epoll_create1|epoll_ctl|close|fcntl|open|openat|fstat|lstat|stat|chmod|fchmod|unlink|mmap|munmap|madvise|memfd_create|read|write|pread|pwrite|dup|dup2|dup3|getpid|geteuid|getegid|getgroups|sysconf|ioctl|nanosleep|usleep|sleep'
found=$(for file in src/*.cpp src/*.h; do
    case "$file" in src/qseqpacketsystem*) continue ;; esac
    # Drop // comments and string literals, then look for ::call( and retryOnEintr(.
    sed -E -e 's://.*$::' -e 's/"([^"\\]|\\.)*"/""/g' "$file" \
        | grep -nE "(^|[^A-Za-z0-9_])::($calls)\(|retryOnEintr\(" \
        | sed "s|^|$file:|" || true
done)
if [[ -n "$found" ]]; then
    echo "check-syscalls: system calls outside src/qseqpacketsystem*:"
    echo "$found"
    exit 1
fi
echo "check-syscalls: no system call in src/ outside src/qseqpacketsystem*"
