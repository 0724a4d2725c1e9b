// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSYSTEM_P_H
#define QSEQPACKETSYSTEM_P_H

// The system-call layer: every system call the library makes is here (and in
// qseqpacketsystemfiles_p.h for socket files), so that the socket and server sources hold their
// state machines alone. EINTR is retried here so no caller has to remember; a failure leaves
// its errno in *error (or in errno, for the inline calls of the data path), which errorFromErrno()
// and describe() turn into a QSeqpacketSocket::SocketError and a message.

#include "qseqpacketsocket.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qstring.h>

#include <cerrno>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace QSeqpacketSystem {

// Repeats a system call while it fails with EINTR.
template <typename Call>
auto retryOnEintr(Call call) -> decltype(call())
{
    decltype(call()) result;
    do {
        result = call();
    } while (result == -1 && errno == EINTR);
    return result;
}

// The SocketError that describes errno value \a error for most socket calls.
QSeqpacketSocket::SocketError errorFromErrno(int error);
// "operation: system reason" with the text of errno value \a error.
QString describe(const QString &operation, int error);

// ---- descriptors ------------------------------------------------------------------------------

// Closes \a fd, ignoring EINTR as Linux wants (the descriptor is gone either way).
void closeDescriptor(int fd);
// A close-on-exec duplicate of \a fd, or -1 with *error set.
int duplicateDescriptor(int fd, int *error);
bool setNonBlocking(int fd, int *error);
bool setCloseOnExec(int fd, int *error);

// ---- sockets ----------------------------------------------------------------------------------

// A new non-blocking, close-on-exec AF_UNIX SOCK_SEQPACKET socket, or -1 with *error set.
int openSeqpacketSocket(int *error);
// Two connected ones (socketpair); false with *error set.
bool openSeqpacketPair(int fds[2], int *error);
// bind(); \a address must be valid.
bool bindTo(int fd, const QSeqpacketAddress &address, int *error);
// connect(); 0 once connected, else errno (EAGAIN: the server's backlog is full, try again).
// After EINTR the connection goes on in the kernel, so the call is repeated to learn how it ended.
int connectTo(int fd, const QSeqpacketAddress &address);
bool listenOn(int fd, int backlog, int *error);
// accept4() of one waiting connection, non-blocking and close-on-exec; -1 with *error set
// (EAGAIN where none waits).
int acceptConnection(int fd, int *error);
// shutdown() of SHUT_RD, SHUT_WR or SHUT_RDWR.
bool shutdownSocket(int fd, int how, int *error);

// Returns -1 and sets *error where the option cannot be read.
int intOption(int fd, int level, int option, int *error);
bool setIntOption(int fd, int level, int option, int value, int *error);

// What a descriptor must be to be adopted.
enum class SocketRole { Connected, Listening };
// Empty where \a fd is an AF_UNIX SOCK_SEQPACKET socket in \a role; else why it is not
// ("descriptor 7 is not a socket").
QString socketRoleProblem(int fd, SocketRole role);

// sockaddr_un bytes for an address and back. toSockaddr() expects a valid address.
socklen_t toSockaddr(const QSeqpacketAddress &address, sockaddr_un *sun);
QSeqpacketAddress fromSockaddr(const sockaddr_un &sun, socklen_t length);

// Where \a fd is bound and what it is connected to; an unnamed address where the system says nothing.
QSeqpacketAddress localAddressOf(int fd);
QSeqpacketAddress peerAddressOf(int fd);

// ---- who is on the other end ------------------------------------------------------------------

// The peer's pid, uid and gid (SO_PEERCRED) with its supplementary groups (SO_PEERGROUPS, Linux
// 4.13; none where the kernel has no such option, or where \a groups says to skip them). Invalid
// credentials and *error set where even SO_PEERCRED fails.
enum class PeerGroups { Include, Skip };
QSeqpacketCredentials peerCredentialsOf(int fd, int *error, PeerGroups groups = PeerGroups::Include);
// The peer's security context (SO_PEERSEC) without trailing NULs; *error set where there is none
// (ENOPROTOOPT: no security module gives one).
QByteArray peerSecurityContextOf(int fd, int *error);
// A pidfd of the peer process (SO_PEERPIDFD, Linux 6.5), close-on-exec; -1 with *error set
// (ENOPROTOOPT: an older kernel).
int peerProcessDescriptorOf(int fd, int *error);
// This process's pid, effective uid and gid and supplementary groups.
QSeqpacketCredentials currentProcessCredentials();

// ---- waiting ----------------------------------------------------------------------------------

struct PollResult
{
    enum Outcome { Ready, TimedOut, Failed };
    Outcome outcome = TimedOut;
    short revents = 0; // what poll() reported (POLLHUP and POLLERR come unasked)
    int error = 0;     // errno where Failed
};
// The one blocking wait of the library: poll() of \a fd for \a events until \a deadline (an
// expired deadline asks without waiting; a forever one waits as long as it takes). EINTR waits
// on for the time that is left. Where \a fd is negative it only waits for the deadline.
PollResult pollUntil(int fd, short events, const QDeadlineTimer &deadline);

// ---- the per-thread event set (QSeqpacketEventHub) -------------------------------------------

// A close-on-exec epoll set; -1 with *error set.
int createEventSet(int *error);
// epoll_ctl() of \a fd in \a set: EPOLL_CTL_ADD, _MOD or _DEL, with \a events and \a data
// (epoll_event.data.u64); false with *error set.
bool controlEventSet(int set, int operation, int fd, quint32 events, quint64 data, int *error);
// epoll_wait() without waiting: the ready entries, at most \a max, into \a events; -1 with
// *error set.
int readyEvents(int set, epoll_event *events, int max, int *error);

// ---- the data path (inline: called per batch) -------------------------------------------------
// These return what the system call returns, with errno set on failure, as the receive and send
// loops want to look at errno themselves.

inline int receiveMessages(int fd, mmsghdr *headers, unsigned count, int flags)
{
    return retryOnEintr([&] { return ::recvmmsg(fd, headers, count, flags, nullptr); });
}

inline ssize_t receiveMessage(int fd, msghdr *header, int flags)
{
    return retryOnEintr([&] { return ::recvmsg(fd, header, flags); });
}

// The size of the next packet without taking it (MSG_PEEK | MSG_TRUNC); -1 with errno set.
inline ssize_t nextPacketSize(int fd)
{
    return retryOnEintr([&] { return ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT); });
}

// send() of one buffer: a packet without descriptors or credentials, for which the kernel need
// not copy in a msghdr (qseqpacket-syscall-costs: about 150 ns less than sendmsg()).
inline ssize_t sendBuffer(int fd, const void *data, size_t size, int flags)
{
    return retryOnEintr([&] { return ::send(fd, data, size, flags); });
}

inline ssize_t sendMessage(int fd, const msghdr *header, int flags)
{
    return retryOnEintr([&] { return ::sendmsg(fd, header, flags); });
}

inline int sendMessages(int fd, mmsghdr *headers, unsigned count, int flags)
{
    return retryOnEintr([&] { return ::sendmmsg(fd, headers, count, flags); });
}

// ---- memfds (the message channel's spilled frames) -------------------------------------------

// The four seals a spilled frame's memfd must carry: nobody can change it while it is read.
constexpr int SpillSeals = 0x0001 | 0x0002 | 0x0004 | 0x0008; // F_SEAL_SEAL | SHRINK | GROW | WRITE

// The steps of a sealed memfd, for a frame written into it as it is encoded: an empty memfd that
// can be sealed (-1 with *error set), all of \a size bytes written at its end (false with *error
// set), and SpillSeals added (false with *error set).
int createSealableMemfd(const char *name, int *error);
bool writeAll(int fd, const char *data, qint64 size, int *error);
bool addSpillSeals(int fd, int *error);
// The seals on \a fd (F_GET_SEALS); -1 with *error set (EINVAL: not a memfd, or no seals possible).
int sealsOf(int fd, int *error);
// The size of the regular file \a fd refers to; -1 with *error set, or where it is no regular file
// (*error 0 then).
qint64 regularFileSize(int fd, int *error);
// A read-only private mapping of the first \a size bytes of \a fd; null with *error set.
const char *mapReadOnly(int fd, qint64 size, int *error);
void unmap(const char *memory, qint64 size);

// ---- memory -----------------------------------------------------------------------------------

size_t pageSize();
// \a size bytes of address space that costs memory only where it is touched; null where the
// system refuses (errno set).
void *reserveMemory(size_t size);
void releaseMemory(void *memory, size_t size);
// Gives the pages of [memory, memory + size) back to the system; they read as zero again.
void discardPages(void *memory, size_t size);

// The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr int MaxDescriptorsPerPacket = 253;
// The kernel keeps 32 bytes of a socket's send buffer for itself: a packet may have SO_SNDBUF - 32
// bytes (unix_dgram_sendmsg).
constexpr int SendBufferOverhead = 32;

// Socket options and control messages newer than the C library's headers may know.
constexpr int SoPassPidfd = 76;   // SO_PASSPIDFD, Linux 6.5
constexpr int SoPeerPidfd = 77;   // SO_PEERPIDFD, Linux 6.5
constexpr int SoPassRights = 83;  // SO_PASSRIGHTS, Linux 6.16
constexpr int ScmPidfd = 0x04;    // SCM_PIDFD, Linux 6.5

// Whether this kernel knows the SOL_SOCKET \a option of AF_UNIX sockets (it does not answer
// ENOPROTOOPT), asked once on a socket made for the purpose.
bool socketOptionSupported(int option);
// net.core.wmem_max: the largest SO_SNDBUF request an unprivileged process gets (the kernel
// doubles it); the kernel's default where it cannot be read.
qint64 maxSendBufferRequest();
// The inode of a pidfd of this process (what systemd puts in LISTEN_PIDFDID); -1 where the
// kernel has no pidfds (before Linux 5.3) or no unique pidfd inodes (before 6.9).
qint64 ownPidfdInode();

} // namespace QSeqpacketSystem

#endif
