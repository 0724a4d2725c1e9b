// SPDX-License-Identifier: MIT
#include "bindprobe.h"

#include <QtCore/QMutex>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace {

QMutex mutex;
QByteArray armedPath;
int seen = 0;
mode_t modes = 0;

using BindFunction = int (*)(int, const sockaddr *, socklen_t);

} // namespace

namespace BindProbe {

void arm(const QByteArray &path)
{
    QMutexLocker locker(&mutex);
    armedPath = path;
    seen = 0;
    modes = 0;
}

void disarm()
{
    QMutexLocker locker(&mutex);
    armedPath.clear();
}

int observations()
{
    QMutexLocker locker(&mutex);
    return seen;
}

mode_t modesSeen()
{
    QMutexLocker locker(&mutex);
    return modes;
}

} // namespace BindProbe

// Interposes on the C library's bind() (the executable's definition comes first in symbol lookup,
// also for calls made by libQSeqpacket).
extern "C" int bind(int fd, const sockaddr *address, socklen_t length)
{
    static const BindFunction realBind = reinterpret_cast<BindFunction>(::dlsym(RTLD_NEXT, "bind"));
    const int result = realBind(fd, address, length);
    if (result != 0 || !address || address->sa_family != AF_UNIX)
        return result;
    const int savedErrno = errno;
    QMutexLocker locker(&mutex);
    if (!armedPath.isEmpty()) {
        const auto *sun = reinterpret_cast<const sockaddr_un *>(address);
        const size_t pathBytes = length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
        const QByteArray path(sun->sun_path, qsizetype(::strnlen(sun->sun_path, pathBytes)));
        struct stat info;
        if (path == armedPath && ::lstat(path.constData(), &info) == 0) {
            ++seen;
            modes |= info.st_mode & 07777;
        }
    }
    errno = savedErrno;
    return result;
}
