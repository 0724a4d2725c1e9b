// SPDX-License-Identifier: MIT
// The raw AF_UNIX helpers of the tests: addresses, sendmsg/recvmsg with SCM_RIGHTS descriptors and
// poll. Plain syscalls and the C++ standard library only (no Qt, no QSeqpacket): the tests' peer
// processes (tests/auto/shared/peer, tests/auto/qml/peer) and the raw peers of fuzz/ and soak/
// include this header and stay an implementation independent of the library;
// tests/auto/shared/testutil.h builds its Qt-typed helpers on it.
#ifndef QSEQPACKET_RAWSOCKET_H
#define QSEQPACKET_RAWSOCKET_H

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

namespace TestUtil {

/*! Fills \a addr for the abstract name or the path \a name of \a size bytes. Returns the length. */
inline socklen_t fillSockaddr(sockaddr_un *addr, const char *name, size_t size, bool abstract)
{
    std::memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (abstract) {
        const size_t n = std::min(size, sizeof addr->sun_path - 1);
        std::memcpy(addr->sun_path + 1, name, n);
        return socklen_t(offsetof(sockaddr_un, sun_path) + 1 + n);
    }
    const size_t n = std::min(size, sizeof addr->sun_path - 1);
    std::memcpy(addr->sun_path, name, n);
    return socklen_t(offsetof(sockaddr_un, sun_path) + n + 1);
}

/*! Fills \a addr from the peers' textual form: "@name" for an abstract name, anything else a path. */
inline socklen_t parseSockaddr(sockaddr_un *addr, const std::string &text)
{
    if (!text.empty() && text[0] == '@')
        return fillSockaddr(addr, text.data() + 1, text.size() - 1, true);
    return fillSockaddr(addr, text.data(), text.size(), false);
}

/*! poll() for \a events on \a fd, retried on EINTR. Returns poll's result. */
inline int pollFor(int fd, short events, int timeoutMs)
{
    pollfd p = {fd, events, 0};
    int r;
    do {
        r = ::poll(&p, 1, timeoutMs);
    } while (r < 0 && errno == EINTR);
    return r;
}

/*!
 * Sends one packet of \a size bytes with plain sendmsg (MSG_NOSIGNAL, retried on EINTR), with the
 * \a count descriptors at \a fds in one SCM_RIGHTS message when there are any. Returns sendmsg's
 * result (errno tells why when it is negative).
 */
inline ssize_t rawSendMsg(int fd, const char *data, size_t size, const int *fds = nullptr, size_t count = 0)
{
    iovec iov = {const_cast<char *>(data), size};
    msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (count > 0) {
        control.assign(CMSG_SPACE(sizeof(int) * count), 0);
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * count);
        std::memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
    }
    ssize_t n;
    do {
        n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

/*!
 * Receives one packet with one plain recvmsg(\a flags) into \a buffer (retried on EINTR), room for
 * 253 descriptors (SCM_MAX_FD) and credentials. Appends the received descriptors to \a fds (the
 * caller owns them), stores msg_flags in \a msgFlags and the SCM_CREDENTIALS that came (SO_PASSCRED
 * on) in \a credentials when given (pid 0 where none came). Returns recvmsg's result.
 */
inline ssize_t rawRecvMsg(int fd, char *buffer, size_t size, int flags, std::vector<int> *fds,
                          int *msgFlags = nullptr, ucred *credentials = nullptr)
{
    iovec iov = {buffer, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253) + CMSG_SPACE(sizeof(ucred))];
    msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(fd, &msg, flags);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return n;
    if (credentials)
        *credentials = ucred{0, uid_t(-1), gid_t(-1)};
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (credentials && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
            std::memcpy(credentials, CMSG_DATA(c), sizeof(ucred));
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int received;
                std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                fds->push_back(received);
            }
        }
    }
    if (msgFlags)
        *msgFlags = msg.msg_flags;
    return n;
}

/*!
 * Whether the other side of \a fd has shut down right now (POLLRDHUP or POLLHUP): after a read of
 * 0 bytes without descriptors, this tells end-of-file from an empty packet.
 */
inline bool peerHasShutDown(int fd)
{
    pollfd q = {fd, POLLRDHUP, 0};
    return ::poll(&q, 1, 0) == 1 && (q.revents & (POLLRDHUP | POLLHUP));
}

} // namespace TestUtil

#endif // QSEQPACKET_RAWSOCKET_H
