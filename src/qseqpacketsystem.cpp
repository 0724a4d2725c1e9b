// SPDX-License-Identifier: MIT
#include "qseqpacketsystem_p.h"

#include <QtCore/qstring.h>

#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace QSeqpacketSystem {

QSeqpacketSocket::SocketError errorFromErrno(int error)
{
    switch (error) {
    case 0:
        return QSeqpacketSocket::NoError;
    case ECONNREFUSED:
        return QSeqpacketSocket::ConnectionRefusedError;
    case ENOENT:
    case ENOTDIR:
        return QSeqpacketSocket::ServerNotFoundError;
    case EACCES:
    case EPERM:
    case EROFS:
        return QSeqpacketSocket::SocketAccessError;
    case EPIPE:
    case ENOTCONN:
        return QSeqpacketSocket::PeerClosedError;
    case ECONNRESET:
        return QSeqpacketSocket::ConnectionResetError;
    case EMSGSIZE:
        return QSeqpacketSocket::PacketTooLargeError;
    case ETOOMANYREFS:
        return QSeqpacketSocket::TooManyDescriptorsError;
    case EAGAIN:
        return QSeqpacketSocket::WouldBlockError;
    case ENAMETOOLONG:
        return QSeqpacketSocket::InvalidAddressError;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
        return QSeqpacketSocket::ResourceError;
    case EBADF:
    case ENOTSOCK:
    case EINVAL:
    case EISCONN:
    case EALREADY:
        return QSeqpacketSocket::OperationError;
    case ENOPROTOOPT:
    case EOPNOTSUPP:
    case ENOSYS:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
        return QSeqpacketSocket::UnsupportedOperationError;
    case EPROTOTYPE:
        return QSeqpacketSocket::ConnectionRefusedError;
    case EADDRINUSE:
        return QSeqpacketSocket::AddressInUseError;
    default:
        return QSeqpacketSocket::UnknownSocketError;
    }
}

QString describe(const QString &operation, int error)
{
    return QStringLiteral("%1: %2").arg(operation, QString::fromLocal8Bit(strerror(error)));
}

void closeDescriptor(int fd)
{
    if (fd >= 0)
        ::close(fd);
}

bool setNonBlocking(int fd, int *error)
{
    const int flags = retryOnEintr([&] { return ::fcntl(fd, F_GETFL); });
    if (flags == -1 || (!(flags & O_NONBLOCK)
                        && retryOnEintr([&] { return ::fcntl(fd, F_SETFL, flags | O_NONBLOCK); }) == -1)) {
        *error = errno;
        return false;
    }
    return true;
}

bool setCloseOnExec(int fd, int *error)
{
    const int flags = retryOnEintr([&] { return ::fcntl(fd, F_GETFD); });
    if (flags == -1 || (!(flags & FD_CLOEXEC)
                        && retryOnEintr([&] { return ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC); }) == -1)) {
        *error = errno;
        return false;
    }
    return true;
}

int intOption(int fd, int level, int option, int *error)
{
    int value = 0;
    socklen_t length = sizeof(value);
    if (::getsockopt(fd, level, option, &value, &length) == -1) {
        *error = errno;
        return -1;
    }
    return value;
}

bool setIntOption(int fd, int level, int option, int value, int *error)
{
    if (::setsockopt(fd, level, option, &value, sizeof(value)) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

socklen_t toSockaddr(const QSeqpacketAddress &address, sockaddr_un *sun)
{
    std::memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    switch (address.kind()) {
    case QSeqpacketAddress::Unnamed:
        return sizeof(sa_family_t);
    case QSeqpacketAddress::Path: {
        const QByteArray path = address.nativePath();
        std::memcpy(sun->sun_path, path.constData(), size_t(path.size()));
        return socklen_t(offsetof(sockaddr_un, sun_path) + size_t(path.size()) + 1);
    }
    case QSeqpacketAddress::Abstract: {
        const QByteArray name = address.abstractName();
        std::memcpy(sun->sun_path + 1, name.constData(), size_t(name.size()));
        return socklen_t(offsetof(sockaddr_un, sun_path) + 1 + size_t(name.size()));
    }
    }
    return sizeof(sa_family_t);
}

QSeqpacketAddress fromSockaddr(const sockaddr_un &sun, socklen_t length)
{
    const socklen_t pathOffset = offsetof(sockaddr_un, sun_path);
    if (length <= pathOffset || sun.sun_family != AF_UNIX)
        return QSeqpacketAddress();
    const size_t pathBytes = qMin<size_t>(length - pathOffset, sizeof(sun.sun_path));
    if (sun.sun_path[0] == '\0')
        return QSeqpacketAddress::fromAbstractName(QByteArray(sun.sun_path + 1, qsizetype(pathBytes - 1)));
    // A path is NUL-terminated, unless it fills sun_path exactly.
    const size_t end = strnlen(sun.sun_path, pathBytes);
    return QSeqpacketAddress::fromNativePath(QByteArray(sun.sun_path, qsizetype(end)));
}

QSeqpacketAddress localAddressOf(int fd)
{
    sockaddr_un sun;
    socklen_t length = sizeof(sun);
    std::memset(&sun, 0, sizeof(sun));
    if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr *>(&sun), &length) == -1)
        return QSeqpacketAddress();
    return fromSockaddr(sun, length);
}

QSeqpacketAddress peerAddressOf(int fd)
{
    sockaddr_un sun;
    socklen_t length = sizeof(sun);
    std::memset(&sun, 0, sizeof(sun));
    if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr *>(&sun), &length) == -1)
        return QSeqpacketAddress();
    return fromSockaddr(sun, length);
}

} // namespace QSeqpacketSystem
