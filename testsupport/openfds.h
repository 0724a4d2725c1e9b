// SPDX-License-Identifier: MIT
// This process's open descriptors, read from /proc/self/fd: the one descriptor count and listing
// of the tests (tests/auto/shared/testutil.h builds its Qt-typed snapshot on it), their helper
// programs (tests/auto/cloexec/fdlister.cpp), the fuzzers, the soak test and the benchmark.
// Plain libc and the C++ standard library only (no Qt, no QSeqpacket). The descriptor of the
// listing itself is never counted or listed.
#ifndef QSEQPACKET_OPENFDS_H
#define QSEQPACKET_OPENFDS_H

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

namespace TestUtil {

/*!
 * Calls \a visit(fd) for every open descriptor of this process (the entries of /proc/self/fd but
 * the directory's own). Returns false, visiting nothing, where /proc/self/fd cannot be read.
 */
template <typename Visit>
bool forEachOpenFd(Visit &&visit)
{
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return false;
    const int own = ::dirfd(dir);
    while (const dirent *entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.')
            continue;
        const int fd = std::atoi(entry->d_name);
        if (fd != own)
            visit(fd);
    }
    ::closedir(dir);
    return true;
}

/*! The number of descriptors this process has open; -1 where /proc/self/fd cannot be read. */
inline int openFdCount()
{
    int count = 0;
    return forEachOpenFd([&count](int) { ++count; }) ? count : -1;
}

/*!
 * What the descriptor \a fd of this process refers to: the target of /proc/self/fd/<fd>
 * ("/path", "socket:[1234]", "/memfd:name (deleted)", "anon_inode:[eventfd]"), "?" where it
 * cannot be read (closed meanwhile).
 */
inline std::string fdTarget(int fd)
{
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    char target[512];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    return n > 0 ? std::string(target, size_t(n)) : std::string("?");
}

/*! Every open descriptor of this process with its target (fdTarget()), in directory order. */
inline std::vector<std::pair<int, std::string>> openFdList()
{
    std::vector<std::pair<int, std::string>> list;
    forEachOpenFd([&list](int fd) { list.emplace_back(fd, fdTarget(fd)); });
    return list;
}

} // namespace TestUtil

#endif // QSEQPACKET_OPENFDS_H
