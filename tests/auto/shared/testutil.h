// SPDX-License-Identifier: MIT
// Helpers shared by the QSeqpacket auto tests: descriptor accounting through /proc/self/fd,
// raw AF_UNIX SOCK_SEQPACKET sockets made with plain syscalls (a reference peer that does not
// depend on the library), memfds and reading a descriptor's content back. Their Qt-free core is
// in testsupport/ (QSeqpacket::TestSupport), which the peer processes, the fuzzers, the soak test
// and the benchmark share: rawsocket.h (sendmsg/recvmsg with SCM_RIGHTS, addresses, poll) and
// openfds.h (the descriptor count and listing that the snapshots here are made from).
#ifndef QSEQPACKET_TESTUTIL_H
#define QSEQPACKET_TESTUTIL_H

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QRandomGenerator>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <utility>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "openfds.h"
#include "rawsocket.h"

namespace TestUtil {

// ---- descriptor accounting --------------------------------------------------------------

/*!
 * Every open descriptor of this process and what it refers to (openfds.h: readlink of
 * /proc/self/fd/N). openFdCount() (openfds.h) counts the same descriptors.
 */
inline QMap<int, QByteArray> openFdTargets()
{
    QMap<int, QByteArray> result;
    for (const auto &[fd, target] : openFdList())
        result.insert(fd, QByteArray::fromStdString(target));
    return result;
}

/*!
 * The snapshot to compare before and after: openFdTargets(), but a named file by its identity
 * (device and inode), not its path.
 */
inline QMap<int, QByteArray> openFds()
{
    QMap<int, QByteArray> result;
    for (const auto &[fd, target] : openFdList()) {
        // A named file by its identity, not its path: a file that another process renames while
        // a test runs (ctest's log, which this process inherits) is still the same descriptor.
        struct stat status;
        if (target.rfind('/', 0) == 0 && target.rfind("/memfd:", 0) != 0 && ::fstat(fd, &status) == 0
            && S_ISREG(status.st_mode)) {
            result.insert(fd, QStringLiteral("file %1:%2").arg(status.st_dev).arg(status.st_ino).toUtf8());
        } else {
            result.insert(fd, QByteArray::fromStdString(target));
        }
    }
    return result;
}

/*! The epoll sets this process has open (the library's event hubs, one per thread that has one). */
inline int openEventSetCount()
{
    int count = 0;
    for (const auto &[fd, target] : openFdList())
        count += target == "anon_inode:[eventpoll]" ? 1 : 0;
    return count;
}

/*! A readable account of what differs between two snapshots, for failure messages. */
inline QByteArray describeFdDifference(const QMap<int, QByteArray> &before,
                                       const QMap<int, QByteArray> &after)
{
    QStringList lines;
    for (auto it = after.cbegin(); it != after.cend(); ++it) {
        if (!before.contains(it.key()))
            lines << QStringLiteral("new fd %1 -> %2").arg(it.key()).arg(QString::fromUtf8(it.value()));
        else if (before.value(it.key()) != it.value())
            lines << QStringLiteral("fd %1 changed %2 -> %3")
                         .arg(it.key())
                         .arg(QString::fromUtf8(before.value(it.key())), QString::fromUtf8(it.value()));
    }
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        if (!after.contains(it.key()))
            lines << QStringLiteral("closed fd %1 (was %2)").arg(it.key()).arg(QString::fromUtf8(it.value()));
    }
    return QStringLiteral("open descriptors %1 -> %2: %3")
        .arg(before.size())
        .arg(after.size())
        .arg(lines.join(QStringLiteral("; ")))
        .toUtf8();
}

inline bool isFdOpen(int fd)
{
    if (fd < 0)
        return false;
    errno = 0;
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

inline bool hasCloexec(int fd)
{
    const int flags = ::fcntl(fd, F_GETFD);
    return flags != -1 && (flags & FD_CLOEXEC);
}

inline bool isNonBlocking(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL);
    return flags != -1 && (flags & O_NONBLOCK);
}

/*! The inode identity of \a fd: two descriptors with equal identities refer to the same file. */
inline QByteArray fileIdentity(int fd)
{
    struct stat st;
    if (::fstat(fd, &st) != 0)
        return QByteArray();
    return QByteArray::number(quint64(st.st_dev)) + ':' + QByteArray::number(quint64(st.st_ino));
}

/*! A descriptor closed on scope exit unless released. */
class UniqueFd
{
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) { }
    UniqueFd(UniqueFd &&other) noexcept : m_fd(other.release()) { }
    UniqueFd &operator=(UniqueFd &&other) noexcept
    {
        reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    bool isValid() const { return m_fd >= 0; }
    int release()
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    void reset(int fd = -1)
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }

private:
    int m_fd = -1;
};

// ---- CPU time ---------------------------------------------------------------------------

/*! The CPU time (user + system, all threads) this process has used, in milliseconds. */
inline qint64 cpuTimeMs()
{
    rusage usage;
    ::getrusage(RUSAGE_SELF, &usage);
    return qint64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
            + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

/*! True in a process that valgrind runs (its preloaded helpers are in LD_PRELOAD, also in a
    forked child): tests that repeat a racy step many times repeat it a few times there, where
    each forked child's exit costs a leak check of the whole heap. */
inline bool underValgrind()
{
    return qgetenv("LD_PRELOAD").contains("vgpreload");
}

// ---- file content -----------------------------------------------------------------------

/*! A memfd holding \a content; close-on-exec unless \a cloexec is false. -1 on failure. */
inline int makeMemfd(const QByteArray &content, bool cloexec = true)
{
    const int fd = ::memfd_create("qseqpacket-test", cloexec ? MFD_CLOEXEC : 0);
    if (fd < 0)
        return -1;
    qsizetype done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.constData() + done, size_t(content.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ::close(fd);
            return -1;
        }
        done += n;
    }
    return fd;
}

/*! The whole content of \a fd read with pread() from offset 0 (the file offset is untouched). */
inline QByteArray preadAll(int fd)
{
    QByteArray result;
    char buffer[65536];
    off_t offset = 0;
    for (int guard = 0; guard < 10000; ++guard) {
        const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.append(buffer, int(n));
        offset += n;
    }
    return result;
}

/*! The whole content of \a fd read with lseek(0) then read(). */
inline QByteArray seekReadAll(int fd)
{
    if (::lseek(fd, 0, SEEK_SET) != 0)
        return QByteArray("<lseek failed>");
    QByteArray result;
    char buffer[65536];
    for (int guard = 0; guard < 10000; ++guard) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.append(buffer, int(n));
    }
    return result;
}

// ---- addresses --------------------------------------------------------------------------

/*! An abstract name unique to this process and call. */
inline QByteArray uniqueAbstractName(const char *tag)
{
    static std::atomic<int> counter{0};
    return QByteArray("qseqpacket-test-") + tag + '-' + QByteArray::number(::getpid()) + '-'
        + QByteArray::number(++counter) + '-'
        + QByteArray::number(QRandomGenerator::global()->generate(), 16);
}

/*! Fills \a addr for a path (or, with a leading '@', an abstract name). Returns the length. */
inline socklen_t fillSockaddr(sockaddr_un *addr, const QByteArray &nameOrPath, bool abstract)
{
    return fillSockaddr(addr, nameOrPath.constData(), size_t(nameOrPath.size()), abstract);
}

// ---- raw sockets ------------------------------------------------------------------------

/*! A listening socket made with plain syscalls (the library's server class is not used). */
class RawListener
{
public:
    RawListener() = default;
    RawListener(const RawListener &) = delete;
    RawListener &operator=(const RawListener &) = delete;
    ~RawListener() { close(); }

    bool listenAbstract(const QByteArray &name, int backlog = 16, int type = SOCK_SEQPACKET)
    {
        return listenImpl(name, true, backlog, type);
    }
    bool listenPath(const QByteArray &path, int backlog = 16, int type = SOCK_SEQPACKET)
    {
        return listenImpl(path, false, backlog, type);
    }

    /*! Waits up to \a timeoutMs for a connection and accepts it; -1 on timeout or failure. */
    int acceptOne(int timeoutMs = 10000, bool cloexec = true)
    {
        if (pollFor(m_fd, POLLIN, timeoutMs) <= 0)
            return -1;
        int fd;
        do {
            fd = cloexec ? ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC) : ::accept(m_fd, nullptr, nullptr);
        } while (fd < 0 && errno == EINTR);
        return fd;
    }

    void close()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        if (!m_abstract && !m_name.isEmpty())
            ::unlink(m_name.constData());
        m_name.clear();
    }

    int fd() const { return m_fd; }
    QByteArray name() const { return m_name; }
    bool isAbstract() const { return m_abstract; }
    /*! The textual form understood by the peer helper: "@name" or the path. */
    QByteArray peerArgument() const { return m_abstract ? '@' + m_name : m_name; }

private:
    bool listenImpl(const QByteArray &name, bool abstract, int backlog, int type)
    {
        close();
        m_fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (m_fd < 0)
            return false;
        sockaddr_un addr;
        const socklen_t len = fillSockaddr(&addr, name, abstract);
        if (::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), len) != 0 || ::listen(m_fd, backlog) != 0) {
            ::close(m_fd);
            m_fd = -1;
            return false;
        }
        m_name = name;
        m_abstract = abstract;
        return true;
    }

    int m_fd = -1;
    QByteArray m_name;
    bool m_abstract = true;
};

/*! A connected pair of raw SOCK_SEQPACKET sockets (socketpair), blocking, close-on-exec. */
inline bool rawSocketPair(UniqueFd *a, UniqueFd *b, int type = SOCK_SEQPACKET, bool cloexec = true)
{
    int sv[2];
    if (::socketpair(AF_UNIX, type | (cloexec ? SOCK_CLOEXEC : 0), 0, sv) != 0)
        return false;
    a->reset(sv[0]);
    b->reset(sv[1]);
    return true;
}

/*!
 * A raw client (plain syscalls, close-on-exec) connected to "@name" or a path; -1 on failure, with
 * errno (and *\a error where given) telling why. *\a error is 0 on success.
 */
inline int rawConnect(const QByteArray &address, bool nonBlocking = false, int *error = nullptr)
{
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
    if (fd >= 0) {
        sockaddr_un sun;
        const bool abstract = address.startsWith('@');
        const socklen_t length = fillSockaddr(&sun, abstract ? address.mid(1) : address, abstract);
        int r;
        do {
            r = ::connect(fd, reinterpret_cast<sockaddr *>(&sun), length);
        } while (r < 0 && errno == EINTR);
        if (r != 0) {
            const int saved = errno;
            ::close(fd);
            errno = saved;
            fd = -1;
        }
    }
    if (error)
        *error = fd < 0 ? errno : 0;
    return fd;
}

/*! Sends one packet with plain sendmsg (blocking unless the socket is non-blocking). */
inline bool rawSend(int fd, const QByteArray &data, const QList<int> &fds = {})
{
    return rawSendMsg(fd, data.constData(), size_t(data.size()), fds.constData(), size_t(fds.size()))
        == data.size();
}

struct RawPacket
{
    bool ok = false;     // a packet (possibly empty) was received
    bool eof = false;    // recv reported end-of-file with the peer gone
    bool timedOut = false;
    int error = 0;       // errno of a failed recvmsg
    QByteArray data;
    QList<int> fds;      // owned by the caller: close them
    int flags = 0;       // msg_flags

    void closeFds()
    {
        for (int fd : std::as_const(fds))
            ::close(fd);
        fds.clear();
    }
};

/*!
 * Receives one packet with plain recvmsg, waiting up to \a timeoutMs. A return of 0 bytes while
 * the peer has shut down (POLLRDHUP) is taken as end-of-file; otherwise it is an empty packet.
 */
inline RawPacket rawReceive(int fd, int timeoutMs = 10000, int bufferSize = 1 << 20)
{
    RawPacket result;
    if (pollFor(fd, POLLIN | POLLRDHUP, timeoutMs) == 0) {
        result.timedOut = true;
        return result;
    }
    QByteArray buffer(bufferSize, Qt::Uninitialized);
    std::vector<int> fds;
    const ssize_t n = rawRecvMsg(fd, buffer.data(), size_t(buffer.size()), MSG_CMSG_CLOEXEC | MSG_DONTWAIT,
                                 &fds, &result.flags);
    if (n < 0) {
        result.error = errno;
        return result;
    }
    result.fds = QList<int>(fds.cbegin(), fds.cend());
    if (n == 0 && result.fds.isEmpty() && peerHasShutDown(fd)) {
        result.eof = true;
        return result;
    }
    result.ok = true;
    result.data = buffer.left(int(n));
    return result;
}

/*! A payload carrying a sequence number, padded to \a size bytes (at least the prefix). */
inline QByteArray sequencedPayload(int sequence, int size)
{
    QByteArray data = QByteArray("seq=") + QByteArray::number(sequence).rightJustified(8, '0') + ';';
    if (size > data.size())
        data.append(QByteArray(size - data.size(), char('a' + sequence % 26)));
    return data;
}

/*! The sequence number of a payload made by sequencedPayload(), -1 where it has none. */
inline int sequenceOf(const QByteArray &data)
{
    if (!data.startsWith("seq=") || data.size() < 13)
        return -1;
    bool ok = false;
    const int n = data.mid(4, 8).toInt(&ok);
    return ok ? n : -1;
}

} // namespace TestUtil

#endif // QSEQPACKET_TESTUTIL_H
