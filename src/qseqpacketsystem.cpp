// SPDX-License-Identifier: MIT
#include "qseqpacketsystem_p.h"

#include "qseqpacketcredentials.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>

#include <QtCore/qfile.h>

#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_PEERGROUPS
#  define SO_PEERGROUPS 59
#endif

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

int duplicateDescriptor(int fd, int *error)
{
    const int copy = retryOnEintr([&] { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); });
    if (copy == -1)
        *error = errno;
    return copy;
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

// ---- sockets ----------------------------------------------------------------------------------

int openSeqpacketSocket(int *error)
{
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        *error = errno;
    return fd;
}

bool openSeqpacketPair(int fds[2], int *error)
{
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

bool bindTo(int fd, const QSeqpacketAddress &address, int *error)
{
    sockaddr_un sun;
    const socklen_t length = toSockaddr(address, &sun);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&sun), length) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

int connectTo(int fd, const QSeqpacketAddress &address)
{
    sockaddr_un sun;
    const socklen_t length = toSockaddr(address, &sun);
    if (retryOnEintr([&] { return ::connect(fd, reinterpret_cast<const sockaddr *>(&sun), length); }) == 0)
        return 0;
    return errno == EISCONN ? 0 : errno; // EISCONN: a call interrupted earlier did connect
}

bool listenOn(int fd, int backlog, int *error)
{
    if (::listen(fd, backlog) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

int acceptConnection(int fd, int *error)
{
    const int accepted = retryOnEintr([&] { return ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
    if (accepted == -1)
        *error = errno;
    return accepted;
}

bool shutdownSocket(int fd, int how, int *error)
{
    if (::shutdown(fd, how) == -1) {
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

int createEventSet(int *error)
{
    const int set = ::epoll_create1(EPOLL_CLOEXEC);
    if (set == -1)
        *error = errno;
    return set;
}

bool controlEventSet(int set, int operation, int fd, quint32 events, quint64 data, int *error)
{
    epoll_event event = {};
    event.events = events;
    event.data.u64 = data;
    if (retryOnEintr([&] { return ::epoll_ctl(set, operation, fd, &event); }) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

int readyEvents(int set, epoll_event *events, int max, int *error)
{
    const int ready = retryOnEintr([&] { return ::epoll_wait(set, events, max, 0); });
    if (ready == -1)
        *error = errno;
    return ready;
}

QString socketRoleProblem(int fd, SocketRole role)
{
    const auto tr = [](const char *text) { return QCoreApplication::translate("QSeqpacketSocket", text); };
    int errorNumber = 0;
    const int domain = intOption(fd, SOL_SOCKET, SO_DOMAIN, &errorNumber);
    if (domain == -1) {
        return errorNumber == ENOTSOCK ? tr("descriptor %1 is not a socket").arg(fd)
                                       : describe(tr("descriptor %1").arg(fd), errorNumber);
    }
    if (domain != AF_UNIX)
        return tr("descriptor %1 is not an AF_UNIX socket").arg(fd);
    const int type = intOption(fd, SOL_SOCKET, SO_TYPE, &errorNumber);
    if (type == -1)
        return describe(tr("descriptor %1: getsockopt(SO_TYPE)").arg(fd), errorNumber);
    if (type != SOCK_SEQPACKET) {
        return type == SOCK_STREAM ? tr("descriptor %1 is a SOCK_STREAM socket, not SOCK_SEQPACKET").arg(fd)
             : type == SOCK_DGRAM  ? tr("descriptor %1 is a SOCK_DGRAM socket, not SOCK_SEQPACKET").arg(fd)
                                   : tr("descriptor %1 is not a SOCK_SEQPACKET socket").arg(fd);
    }
    const int listening = intOption(fd, SOL_SOCKET, SO_ACCEPTCONN, &errorNumber);
    if (listening == -1)
        return describe(tr("descriptor %1: getsockopt(SO_ACCEPTCONN)").arg(fd), errorNumber);
    if (role == SocketRole::Listening)
        return listening == 1 ? QString() : tr("descriptor %1 is not listening").arg(fd);
    if (listening == 1)
        return tr("descriptor %1 is a listening socket; QSeqpacketServer takes those").arg(fd);
    sockaddr_un peer;
    socklen_t length = sizeof(peer);
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) == -1) {
        return errno == ENOTCONN ? tr("descriptor %1 is not connected").arg(fd)
                                 : describe(tr("getpeername(%1)").arg(fd), errno);
    }
    return QString();
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

// ---- who is on the other end ------------------------------------------------------------------

namespace {

// SO_PEERGROUPS: the kernel says how much room it needs where the buffer is too small (ERANGE).
QList<uint> peerGroupsOf(int fd)
{
    QList<uint> groups;
    QList<gid_t> raw(16);
    for (int attempt = 0; attempt < 4; ++attempt) {
        socklen_t bytes = socklen_t(raw.size() * qsizetype(sizeof(gid_t)));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, raw.data(), &bytes) == 0) {
            for (qsizetype i = 0; i < qsizetype(bytes / sizeof(gid_t)); ++i)
                groups.append(uint(raw.at(i)));
            break;
        }
        if (errno != ERANGE)
            break; // ENOPROTOOPT: a kernel older than 4.13; the groups are unknown, not an error
        raw.resize(qsizetype(bytes / sizeof(gid_t)) + 1);
    }
    return groups;
}

} // namespace

QSeqpacketCredentials peerCredentialsOf(int fd, int *error, PeerGroups groups)
{
    ucred credentials;
    socklen_t length = sizeof(credentials);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == -1) {
        *error = errno;
        return {};
    }
    return QSeqpacketCredentials(credentials.pid, credentials.uid, credentials.gid,
                                 groups == PeerGroups::Include ? peerGroupsOf(fd) : QList<uint>());
}

QByteArray peerSecurityContextOf(int fd, int *error)
{
    QByteArray context(256, Qt::Uninitialized);
    for (int attempt = 0; attempt < 4; ++attempt) {
        socklen_t length = socklen_t(context.size());
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERSEC, context.data(), &length) == 0) {
            context.truncate(qsizetype(length));
            while (context.endsWith('\0'))
                context.chop(1);
            return context;
        }
        if (errno != ERANGE)
            break;
        context.resize(qsizetype(length) + 1);
    }
    *error = errno;
    return {};
}

int peerProcessDescriptorOf(int fd, int *error)
{
    int pidfd = -1;
    socklen_t length = sizeof(pidfd);
    if (::getsockopt(fd, SOL_SOCKET, SoPeerPidfd, &pidfd, &length) == -1) {
        *error = errno;
        return -1;
    }
    return pidfd; // the kernel makes pidfds close-on-exec
}

QSeqpacketCredentials currentProcessCredentials()
{
    QList<uint> groups;
    const int count = ::getgroups(0, nullptr);
    if (count > 0) {
        QList<gid_t> raw(count);
        const int got = ::getgroups(count, raw.data());
        for (int i = 0; i < got; ++i)
            groups.append(uint(raw.at(i)));
    }
    return QSeqpacketCredentials(::getpid(), ::geteuid(), ::getegid(), groups);
}

namespace {

qint64 sysctlValue(const char *path, qint64 fallback)
{
    QFile file(QString::fromLatin1(path));
    if (!file.open(QIODevice::ReadOnly))
        return fallback;
    bool ok = false;
    const qint64 value = file.readAll().trimmed().toLongLong(&ok);
    return ok && value > 0 ? value : fallback;
}

} // namespace

bool socketOptionSupported(int option)
{
    int error = 0;
    const int probe = openSeqpacketSocket(&error);
    if (probe == -1)
        return true; // cannot tell; the real call will say
    int value = 0;
    socklen_t length = sizeof(value);
    const bool supported = ::getsockopt(probe, SOL_SOCKET, option, &value, &length) == 0 || errno != ENOPROTOOPT;
    closeDescriptor(probe);
    return supported;
}

qint64 maxSendBufferRequest()
{
    return sysctlValue("/proc/sys/net/core/wmem_max", 212992);
}

qint64 ownPidfdInode()
{
#ifdef SYS_pidfd_open
    const int pidfd = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
    if (pidfd == -1)
        return -1;
    struct stat info;
    const int result = ::fstat(pidfd, &info);
    closeDescriptor(pidfd);
    return result == 0 ? qint64(info.st_ino) : -1;
#else
    return -1;
#endif
}

// ---- waiting ----------------------------------------------------------------------------------

PollResult pollUntil(int fd, short events, const QDeadlineTimer &deadline)
{
    PollResult result;
    pollfd p = { fd, events, 0 };
    for (;;) {
        const qint64 remaining = deadline.remainingTime(); // -1: forever
        const int timeout = remaining < 0 ? -1 : int(qMin<qint64>(remaining, INT_MAX));
        const int ready = ::poll(&p, 1, timeout);
        if (ready > 0) {
            result.outcome = PollResult::Ready;
            result.revents = p.revents;
            return result;
        }
        if (ready == 0) {
            // poll() rounds down to whole milliseconds; a deadline a fraction away is not past yet.
            if (!deadline.hasExpired() && timeout != 0)
                continue;
            result.outcome = PollResult::TimedOut;
            return result;
        }
        if (errno != EINTR) {
            result.outcome = PollResult::Failed;
            result.error = errno;
            return result;
        }
    }
}

// ---- memfds -----------------------------------------------------------------------------------

int createSealableMemfd(const char *name, int *error)
{
    const int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd == -1)
        *error = errno;
    return fd;
}

bool writeAll(int fd, const char *data, qint64 size, int *error)
{
    qint64 written = 0;
    while (written < size) {
        const ssize_t n = retryOnEintr([&] { return ::write(fd, data + written, size_t(size - written)); });
        if (n <= 0) {
            *error = n == 0 ? EIO : errno;
            return false;
        }
        written += n;
    }
    return true;
}

bool addSpillSeals(int fd, int *error)
{
    if (retryOnEintr([&] { return ::fcntl(fd, F_ADD_SEALS, SpillSeals); }) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

int sealsOf(int fd, int *error)
{
    const int seals = retryOnEintr([&] { return ::fcntl(fd, F_GET_SEALS); });
    if (seals == -1)
        *error = errno;
    return seals;
}

qint64 regularFileSize(int fd, int *error)
{
    struct stat info;
    if (::fstat(fd, &info) == -1) {
        *error = errno;
        return -1;
    }
    if (!S_ISREG(info.st_mode)) {
        *error = 0;
        return -1;
    }
    return qint64(info.st_size);
}

const char *mapReadOnly(int fd, qint64 size, int *error)
{
    void *memory = ::mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (memory == MAP_FAILED) {
        *error = errno;
        return nullptr;
    }
    return static_cast<const char *>(memory);
}

void unmap(const char *memory, qint64 size)
{
    if (memory)
        ::munmap(const_cast<char *>(memory), size_t(size));
}

// ---- memory -----------------------------------------------------------------------------------

size_t pageSize()
{
    static const size_t size = size_t(::sysconf(_SC_PAGESIZE));
    return size;
}

void *reserveMemory(size_t size)
{
    void *memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return memory == MAP_FAILED ? nullptr : memory;
}

void releaseMemory(void *memory, size_t size)
{
    if (memory)
        ::munmap(memory, size);
}

void discardPages(void *memory, size_t size)
{
    ::madvise(memory, size, MADV_DONTNEED);
}

} // namespace QSeqpacketSystem
