// SPDX-License-Identifier: MIT
// Lists this process's open descriptors, one "number target" line each (readlink of
// /proc/self/fd/N), leaving out the descriptor of the listing itself. Exec'd by tst_cloexec.
// Plain libc and the C++ standard library (testsupport/openfds.h, header-only): no Qt, no QSeqpacket.
#include <cstdio>

#include "openfds.h"

int main()
{
    const bool listed = TestUtil::forEachOpenFd(
        [](int fd) { std::printf("%d %s\n", fd, TestUtil::fdTarget(fd).c_str()); });
    if (!listed) {
        std::perror("opendir /proc/self/fd");
        return 2;
    }
    return std::fflush(stdout) == 0 ? 0 : 2;
}
