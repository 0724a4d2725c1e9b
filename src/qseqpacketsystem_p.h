// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSYSTEM_P_H
#define QSEQPACKETSYSTEM_P_H

// Thin, checked wrappers over the system calls the library makes: EINTR is retried here so no
// caller has to remember, and errno becomes a QSeqpacketSocket::SocketError plus a message.

#include "qseqpacketsocket.h"

#include <QtCore/qstring.h>

#include <cerrno>
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

// Closes \a fd, ignoring EINTR as Linux wants (the descriptor is gone either way).
void closeDescriptor(int fd);

bool setNonBlocking(int fd, int *error);
bool setCloseOnExec(int fd, int *error);

// Returns -1 and sets *error where the option cannot be read.
int intOption(int fd, int level, int option, int *error);
bool setIntOption(int fd, int level, int option, int value, int *error);

// sockaddr_un bytes for an address and back. toSockaddr() expects a valid address.
socklen_t toSockaddr(const QSeqpacketAddress &address, sockaddr_un *sun);
QSeqpacketAddress fromSockaddr(const sockaddr_un &sun, socklen_t length);

QSeqpacketAddress localAddressOf(int fd);
QSeqpacketAddress peerAddressOf(int fd);

// The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr int MaxDescriptorsPerPacket = 253;

} // namespace QSeqpacketSystem

#endif
