// SPDX-License-Identifier: MIT
#include "qseqpacketsocket.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketpacket_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qdebug.h>
#include <QtCore/qpointer.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <climits>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SO_PEERGROUPS
#  define SO_PEERGROUPS 59
#endif
#ifndef SO_PEERPIDFD
#  define SO_PEERPIDFD 77
#endif

using namespace QSeqpacketSystem;

namespace {

// The kernel keeps 32 bytes of a socket's send buffer for itself (unix_dgram_sendmsg).
constexpr int SendBufferOverhead = 32;
constexpr int MaxConnectRetryInterval = 100;

QString addressText(const QSeqpacketAddress &address)
{
    return address.kind() == QSeqpacketAddress::Unnamed ? QStringLiteral("(unnamed)") : address.toString();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Private helpers
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::setState(QSeqpacketSocket::State newState)
{
    Q_Q(QSeqpacketSocket);
    if (state == newState)
        return;
    state = newState;
    emit q->stateChanged(newState);
}

void QSeqpacketSocketPrivate::setError(QSeqpacketSocket::SocketError newError, const QString &message)
{
    Q_Q(QSeqpacketSocket);
    error = newError;
    errorString = message;
    qCDebug(lcSeqpacketSocket) << q << message;
    emit q->errorOccurred(newError);
}

void QSeqpacketSocketPrivate::setErrorFromErrno(const QString &operation, int errorNumber)
{
    setError(errorFromErrno(errorNumber), describe(operation, errorNumber));
}

void QSeqpacketSocketPrivate::setQueryError(QSeqpacketSocket::SocketError newError, const QString &message)
{
    // A query that cannot be answered says so in error(), but the connection is fine: no
    // errorOccurred(), which applications often take as the end of the connection.
    error = newError;
    errorString = message;
}

void QSeqpacketSocketPrivate::setTimeoutError(const QString &operation)
{
    error = QSeqpacketSocket::TimeoutError;
    errorString = QStringLiteral("%1: timed out").arg(operation);
}

void QSeqpacketSocketPrivate::ensureNotifiers()
{
    Q_Q(QSeqpacketSocket);
    if (readNotifier || !QAbstractEventDispatcher::instance(q->thread()) || QThread::currentThread() != q->thread())
        return; // no event loop here: the waitFor...() calls drive the socket
    readNotifier = new QSocketNotifier(QSocketNotifier::Read, q);
    readNotifier->setEnabled(false);
    QObject::connect(readNotifier, &QSocketNotifier::activated, q, [this] { readAndDispatch(); });
}

void QSeqpacketSocketPrivate::ensureWriteNotifier()
{
    Q_Q(QSeqpacketSocket);
    // Made on the first queued packet: most connections never fill the kernel's buffer, and an
    // idle connection should cost as little as possible.
    if (writeNotifier || !readNotifier)
        return;
    writeNotifier = new QSocketNotifier(QSocketNotifier::Write, q);
    writeNotifier->setEnabled(false);
    QObject::connect(writeNotifier, &QSocketNotifier::activated, q, [this] { flushQueue(); });
}

void QSeqpacketSocketPrivate::updateNotifiers()
{
    if (fd >= 0)
        ensureNotifiers();
    if (!readNotifier)
        return;
    const bool wantRead = fd >= 0 && !inputEnded && receiver.count() < receiveQueuePackets
            && receiver.bytes() < receiveQueueBytes;
    const bool wantWrite = fd >= 0 && !sender.isEmpty();
    if (wantWrite)
        ensureWriteNotifier();
    // A notifier must be off before its descriptor changes (and before that one is closed).
    if (readNotifier->socket() != fd) {
        readNotifier->setEnabled(false);
        readNotifier->setSocket(fd);
    }
    if (writeNotifier && writeNotifier->socket() != fd) {
        writeNotifier->setEnabled(false);
        writeNotifier->setSocket(fd);
    }
    if (fd < 0)
        return;
    readNotifier->setEnabled(wantRead);
    if (writeNotifier)
        writeNotifier->setEnabled(wantWrite);
}

bool QSeqpacketSocketPrivate::verifyConnectedSeqpacket(int candidate, QString *reason) const
{
    int errorNumber = 0;
    const int domain = intOption(candidate, SOL_SOCKET, SO_DOMAIN, &errorNumber);
    if (domain == -1) {
        *reason = errorNumber == ENOTSOCK ? QStringLiteral("descriptor %1 is not a socket").arg(candidate)
                                          : describe(QStringLiteral("descriptor %1").arg(candidate), errorNumber);
        return false;
    }
    if (domain != AF_UNIX) {
        *reason = QStringLiteral("descriptor %1 is not an AF_UNIX socket").arg(candidate);
        return false;
    }
    const int type = intOption(candidate, SOL_SOCKET, SO_TYPE, &errorNumber);
    if (type != SOCK_SEQPACKET) {
        *reason = type == SOCK_STREAM ? QStringLiteral("descriptor %1 is a SOCK_STREAM socket, not SOCK_SEQPACKET").arg(candidate)
                : type == SOCK_DGRAM  ? QStringLiteral("descriptor %1 is a SOCK_DGRAM socket, not SOCK_SEQPACKET").arg(candidate)
                                      : QStringLiteral("descriptor %1 is not a SOCK_SEQPACKET socket").arg(candidate);
        return false;
    }
    if (intOption(candidate, SOL_SOCKET, SO_ACCEPTCONN, &errorNumber) == 1) {
        *reason = QStringLiteral("descriptor %1 is a listening socket; QSeqpacketServer takes those").arg(candidate);
        return false;
    }
    sockaddr_un peer;
    socklen_t length = sizeof(peer);
    if (::getpeername(candidate, reinterpret_cast<sockaddr *>(&peer), &length) == -1) {
        *reason = errno == ENOTCONN ? QStringLiteral("descriptor %1 is not connected").arg(candidate)
                                    : describe(QStringLiteral("getpeername(%1)").arg(candidate), errno);
        return false;
    }
    return true;
}

bool QSeqpacketSocketPrivate::adoptConnected(int newFd, const QString &operation)
{
    if (const int errorNumber = QSeqpacketReceiver::prepareDescriptor(newFd)) {
        setErrorFromErrno(operation + QStringLiteral(": setsockopt(SO_TIMESTAMP)"), errorNumber);
        return false;
    }
    if (perPacketCredentials) {
        int errorNumber = 0;
        if (!setIntOption(newFd, SOL_SOCKET, SO_PASSCRED, 1, &errorNumber)) {
            setErrorFromErrno(operation + QStringLiteral(": setsockopt(SO_PASSCRED)"), errorNumber);
            return false;
        }
    } else {
        // A descriptor can arrive with SO_PASSCRED already on (systemd's PassCredentials=yes,
        // a listening socket that had it, whoever handed it over). The kernel then puts
        // credentials in front of every packet's descriptors, and the receive buffer must have
        // room for them, or the last descriptors of a full packet are lost.
        int errorNumber = 0;
        const int passCred = intOption(newFd, SOL_SOCKET, SO_PASSCRED, &errorNumber);
        if (errorNumber) {
            setErrorFromErrno(operation + QStringLiteral(": getsockopt(SO_PASSCRED)"), errorNumber);
            return false;
        }
        if (passCred)
            qCDebug(lcSeqpacketSocket) << "descriptor" << newFd << "has SO_PASSCRED on: per-packet credentials are on";
        // What this descriptor does, not a request: the next descriptor adopted is asked again.
        receiver.setCredentialsExpected(passCred > 0);
    }
    int errorNumber = 0;
    sendBufferSize = intOption(newFd, SOL_SOCKET, SO_SNDBUF, &errorNumber);
    fd = newFd;
    inputEnded = endOfInputPending = false;
    readShutdownByUs = writeShutdownRequested = writeShutdownDone = resetReported = false;
    updateNotifiers();
    return true;
}

// ---------------------------------------------------------------------------------------------
// Connecting
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::attemptConnect()
{
    Q_Q(QSeqpacketSocket);
    sockaddr_un sun;
    const socklen_t length = toSockaddr(connectAddress, &sun);
    int result = ::connect(fd, reinterpret_cast<const sockaddr *>(&sun), length);
    // After EINTR the connection goes on in the kernel; a second call tells how it ended.
    while (result == -1 && errno == EINTR)
        result = ::connect(fd, reinterpret_cast<const sockaddr *>(&sun), length);
    if (result == -1 && errno == EISCONN)
        result = 0;
    if (result == -1 && errno == EAGAIN) {
        // The server's backlog is full: it has not accepted earlier clients yet.
        scheduleConnectRetry();
        return;
    }
    if (result == -1) {
        const int errorNumber = errno;
        closeDescriptor(fd);
        fd = -1;
        updateNotifiers();
        QPointer<QSeqpacketSocket> guard(q);
        setErrorFromErrno(QStringLiteral("connectToServer: connect(%1)").arg(addressText(connectAddress)), errorNumber);
        if (guard)
            setState(QSeqpacketSocket::UnconnectedState);
        return;
    }
    if (connectRetryTimer)
        connectRetryTimer->stop();
    if (!adoptConnected(fd, QStringLiteral("connectToServer"))) {
        closeDescriptor(fd);
        fd = -1;
        setState(QSeqpacketSocket::UnconnectedState);
        return;
    }
    qCDebug(lcSeqpacketSocket) << q << "connected to" << connectAddress;
    QPointer<QSeqpacketSocket> guard(q);
    setState(QSeqpacketSocket::ConnectedState);
    if (guard)
        emit q->connected();
}

void QSeqpacketSocketPrivate::scheduleConnectRetry()
{
    Q_Q(QSeqpacketSocket);
    if (!connectRetryTimer) {
        connectRetryTimer = new QTimer(q);
        connectRetryTimer->setSingleShot(true);
        QObject::connect(connectRetryTimer, &QTimer::timeout, q, [this] {
            if (state == QSeqpacketSocket::ConnectingState && fd >= 0)
                attemptConnect();
        });
    }
    connectRetryTimer->start(connectRetryInterval);
    connectRetryInterval = qMin(connectRetryInterval * 2, MaxConnectRetryInterval);
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::handleReadResult(const QSeqpacketReceiver::ReadResult &result)
{
    if (result.endOfInput) {
        inputEnded = true;
        endOfInputPending = true;
    }
    if (result.reset && !resetReported) {
        resetReported = true;
        setError(QSeqpacketSocket::ConnectionResetError,
                 QStringLiteral("receivePacket: the peer closed the connection with packets it had not read (%1)")
                         .arg(QString::fromLocal8Bit(strerror(ECONNRESET))));
    }
    if (result.error) {
        // Any other failure ends input, so that the notifier cannot spin on it.
        inputEnded = true;
        endOfInputPending = true;
        setErrorFromErrno(QStringLiteral("receivePacket: recvmmsg"), result.error);
    }
    updateNotifiers();
}

void QSeqpacketSocketPrivate::readAndDispatch(bool unlimited)
{
    Q_Q(QSeqpacketSocket);
    if (fd < 0 || inputEnded) {
        updateNotifiers();
        return;
    }
    QPointer<QSeqpacketSocket> guard(q);
    const QSeqpacketReceiver::ReadResult result = unlimited
            ? receiver.readFromKernel(fd, -1, -1)
            : receiver.readFromKernel(fd, receiveQueuePackets, receiveQueueBytes);
    handleReadResult(result);
    if (!guard)
        return;
    if (result.packets > 0) {
        // Small reads are request/response traffic: there the slot's last receive would only
        // hear EAGAIN. In a stream, asking again finds more and saves an event-loop round.
        constexpr int SmallRead = 8;
        const bool previousHint = kernelDrainedHint;
        kernelDrainedHint = result.drained && result.packets < SmallRead;
        emitPacketReady();
        if (!guard)
            return;
        kernelDrainedHint = previousHint;
    }
    if (endOfInputPending)
        processEndOfInput();
}

void QSeqpacketSocketPrivate::fillIfEmpty()
{
    if (!receiver.isEmpty() || fd < 0 || inputEnded || kernelDrainedHint)
        return;
    // A packetReady() slot that reads while hasPendingPackets() would never return to the event
    // loop against a peer as fast as it: within one dispatch the queue is refilled once, and the
    // read notifier brings the rest after the event loop has had its turn.
    if (emittingPacketReady) {
        if (refilledThisDispatch)
            return;
        refilledThisDispatch = true;
    }
    const QSeqpacketReceiver::ReadResult result = receiver.readFromKernel(fd, receiveQueuePackets, receiveQueueBytes);
    handleReadResult(result);
    // Called from inside a receive or query: packetReady() and the end of the connection wait
    // for the event loop (or a waitFor...() call).
    if (result.packets > 1 || endOfInputPending)
        schedulePendingWork();
}

void QSeqpacketSocketPrivate::schedulePendingWork()
{
    Q_Q(QSeqpacketSocket);
    if (pendingWorkScheduled)
        return;
    pendingWorkScheduled = true;
    QMetaObject::invokeMethod(q, [this] {
        Q_Q(QSeqpacketSocket);
        pendingWorkScheduled = false;
        QPointer<QSeqpacketSocket> guard(q);
        if (!receiver.isEmpty())
            emitPacketReady();
        if (guard && endOfInputPending)
            processEndOfInput();
    }, Qt::QueuedConnection);
}

void QSeqpacketSocketPrivate::emitPacketReady()
{
    Q_Q(QSeqpacketSocket);
    if (emittingPacketReady)
        return; // a slot that waits for packets gets them through its own loop
    QPointer<QSeqpacketSocket> guard(q);
    emittingPacketReady = true;
    refilledThisDispatch = false;
    while (!receiver.isEmpty()) {
        const qint64 takenBefore = packetsTakenCount;
        emit q->packetReady();
        if (!guard)
            return;
        // A slot that read nothing is not called again until new packets arrive.
        if (packetsTakenCount == takenBefore)
            break;
    }
    emittingPacketReady = false;
}

void QSeqpacketSocketPrivate::packetTaken()
{
    ++packetsTakenCount;
    updateNotifiers(); // room in the queue again: resume reading
}

void QSeqpacketSocketPrivate::processEndOfInput()
{
    Q_Q(QSeqpacketSocket);
    if (!endOfInputPending)
        return;
    endOfInputPending = false;
    if (fd < 0)
        return;

    pollfd p = { fd, POLLOUT, 0 };
    retryOnEintr([&] { return ::poll(&p, 1, 0); });
    const bool peerGone = p.revents & POLLHUP; // both directions are shut: the peer closed

    if (readShutdownByUs && !peerGone)
        return; // our own shutdown(ShutdownRead): the connection goes on for sending

    QPointer<QSeqpacketSocket> guard(q);
    int errorNumber = 0;
    const int pending = intOption(fd, SOL_SOCKET, SO_ERROR, &errorNumber);
    if (pending == ECONNRESET && !resetReported) {
        resetReported = true;
        setError(QSeqpacketSocket::ConnectionResetError,
                 QStringLiteral("receivePacket: the peer closed the connection with packets it had not read (%1)")
                         .arg(QString::fromLocal8Bit(strerror(ECONNRESET))));
        if (!guard)
            return;
    }
    emit q->readChannelFinished();
    if (!guard || fd < 0)
        return;
    if (!sender.isEmpty() && !peerGone && !writeShutdownDone) {
        // The peer only stopped sending; it still reads. Write what is queued, then close.
        setState(QSeqpacketSocket::ClosingState);
        if (guard)
            flushQueue();
        return;
    }
    closeConnection();
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

bool QSeqpacketSocketPrivate::sendParts(const iovec *parts, int partCount, qint64 size,
                                        const QList<QSeqpacketFileDescriptor> &fds, const QByteArray *wholeData)
{
    const QString operation = QStringLiteral("sendPacket");
    if (state != QSeqpacketSocket::ConnectedState) {
        setError(QSeqpacketSocket::OperationError,
                 state == QSeqpacketSocket::ClosingState
                         ? QStringLiteral("%1: the socket is closing").arg(operation)
                         : QStringLiteral("%1: the socket is not connected").arg(operation));
        return false;
    }
    if (writeShutdownRequested) {
        setError(QSeqpacketSocket::OperationError,
                 QStringLiteral("%1: the write side of the socket is shut down").arg(operation));
        return false;
    }
    if (fds.size() > MaxDescriptorsPerPacket) {
        setError(QSeqpacketSocket::TooManyDescriptorsError,
                 QStringLiteral("%1: %2 descriptors, more than the %3 the kernel takes with one packet")
                         .arg(operation).arg(fds.size()).arg(MaxDescriptorsPerPacket));
        return false;
    }
    for (const QSeqpacketFileDescriptor &descriptor : fds) {
        if (!descriptor.isValid()) {
            setError(QSeqpacketSocket::OperationError,
                     QStringLiteral("%1: an invalid descriptor is among those to send").arg(operation));
            return false;
        }
    }
    if (size > INT_MAX) {
        setError(QSeqpacketSocket::PacketTooLargeError,
                 QStringLiteral("%1: %2 bytes is more than one packet can hold").arg(operation).arg(size));
        return false;
    }

    if (sender.isEmpty()) {
        const int errorNumber = QSeqpacketSender::sendNow(fd, parts, partCount, fds);
        if (errorNumber == 0)
            return true;
        if (errorNumber != EAGAIN) {
            handleSendFailure(errorNumber, operation + QStringLiteral(": sendmsg"));
            return false;
        }
    }

    // The kernel cannot take it now (or earlier packets wait): queue it, within the limits.
    if (sendQueueLimit == 0) {
        setError(QSeqpacketSocket::WouldBlockError,
                 QStringLiteral("%1: the kernel cannot take the packet now and the send queue limit is 0").arg(operation));
        return false;
    }
    // A packet the send buffer can never hold would wait in the queue forever. The size read at
    // adoption is asked again only for a packet that does not fit it (SO_SNDBUF may have grown).
    if (size > sendBufferSize - SendBufferOverhead) {
        int errorNumber = 0;
        const int current = intOption(fd, SOL_SOCKET, SO_SNDBUF, &errorNumber);
        if (current > 0)
            sendBufferSize = current;
    }
    const int sendBuffer = sendBufferSize;
    if (sendBuffer > 0 && size > sendBuffer - SendBufferOverhead) {
        setError(QSeqpacketSocket::PacketTooLargeError,
                 QStringLiteral("%1: %2 bytes is more than the socket's send buffer (%3 bytes) can ever take")
                         .arg(operation).arg(size).arg(sendBuffer));
        return false;
    }
    if (sendQueueLimit > 0 && sender.bytes() + size > sendQueueLimit) {
        setError(QSeqpacketSocket::SendQueueFullError,
                 QStringLiteral("%1: the send queue holds %2 bytes; %3 more would pass its limit of %4")
                         .arg(operation).arg(sender.bytes()).arg(size).arg(sendQueueLimit));
        return false;
    }
    QByteArray data;
    if (wholeData) {
        data = *wholeData; // shared, not copied
    } else {
        data.reserve(qsizetype(size));
        for (int i = 0; i < partCount; ++i)
            data.append(static_cast<const char *>(parts[i].iov_base), qsizetype(parts[i].iov_len));
    }
    if (data.isNull())
        data = QByteArray(""); // an empty packet still has a buffer to point at
    sender.enqueue(data, fds);
    updateNotifiers();
    return true;
}

void QSeqpacketSocketPrivate::handleSendFailure(int errorNumber, const QString &operation)
{
    Q_Q(QSeqpacketSocket);
    QPointer<QSeqpacketSocket> guard(q);
    if (errorNumber == EINVAL) {
        // sendmsg() refuses a control message only for its descriptors.
        setError(QSeqpacketSocket::TooManyDescriptorsError, describe(operation, errorNumber));
        return;
    }
    if (errorNumber == ECONNRESET) {
        if (resetReported)
            errorNumber = EPIPE;
        resetReported = true;
    }
    setErrorFromErrno(operation, errorNumber);
    if (!guard)
        return;
    if (errorNumber == EPIPE || errorNumber == ECONNRESET) {
        // The peer reads no more, so the queue can never be written. What the peer sent is still
        // delivered: reading goes on until end-of-file, which then closes the connection.
        sender.clear();
        if (inputEnded || readShutdownByUs) {
            endOfInputPending = false;
            closeConnection();
        } else {
            updateNotifiers();
        }
    }
}

void QSeqpacketSocketPrivate::flushQueue()
{
    Q_Q(QSeqpacketSocket);
    if (fd < 0)
        return;
    QPointer<QSeqpacketSocket> guard(q);
    while (!sender.isEmpty()) {
        const QSeqpacketSender::FlushResult result = sender.flush(fd);
        if (result.written > 0) {
            emit q->packetsWritten(result.written);
            if (!guard || fd < 0)
                return;
        }
        if (!result.error)
            break;
        if (result.packetDropped) {
            setErrorFromErrno(QStringLiteral("sendPacket: sendmmsg of a queued packet"), result.error);
            if (!guard || fd < 0)
                return;
            continue; // the packets behind it can still go
        }
        handleSendFailure(result.error, QStringLiteral("sendPacket: sendmmsg"));
        return;
    }
    updateNotifiers();
    if (sender.isEmpty()) {
        if (writeShutdownRequested && !writeShutdownDone)
            finishWriteShutdown();
        if (state == QSeqpacketSocket::ClosingState)
            closeConnection();
    }
}

void QSeqpacketSocketPrivate::finishWriteShutdown()
{
    writeShutdownDone = true;
    if (::shutdown(fd, SHUT_WR) == -1)
        setErrorFromErrno(QStringLiteral("shutdown: shutdown(SHUT_WR)"), errno);
}

// ---------------------------------------------------------------------------------------------
// Ending
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::closeConnection()
{
    Q_Q(QSeqpacketSocket);
    if (connectRetryTimer)
        connectRetryTimer->stop();
    const bool wasConnected = state == QSeqpacketSocket::ConnectedState || state == QSeqpacketSocket::ClosingState;
    if (fd >= 0) {
        const int closing = fd;
        fd = -1;
        updateNotifiers(); // off before the descriptor goes
        closeDescriptor(closing);
    }
    if (!sender.isEmpty())
        qCDebug(lcSeqpacketSocket) << q << "dropping" << sender.packets() << "unsent packets";
    sender.clear();
    inputEnded = true;
    endOfInputPending = false;
    QPointer<QSeqpacketSocket> guard(q);
    setState(QSeqpacketSocket::UnconnectedState);
    if (guard && wasConnected)
        emit q->disconnected();
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

bool QSeqpacketSocketPrivate::waitOnce(const QDeadlineTimer &deadline, bool wantRead)
{
    pollfd p = { fd, 0, 0 };
    if (wantRead && !inputEnded)
        p.events |= POLLIN;
    if (!sender.isEmpty())
        p.events |= POLLOUT;
    const qint64 remaining = deadline.remainingTime();
    const int timeout = remaining < 0 ? -1 : int(qMin<qint64>(remaining, INT_MAX));
    const int ready = retryOnEintr([&] { return ::poll(&p, 1, timeout); });
    if (ready == 0)
        return false;
    if (ready == -1) {
        setErrorFromErrno(QStringLiteral("waitFor: poll"), errno);
        return false;
    }
    if (p.revents & POLLOUT)
        flushQueue();
    if (fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) && wantRead)
        readAndDispatch();
    return true;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

QSeqpacketSocket::QSeqpacketSocket(QObject *parent)
    : QObject(parent), d_ptr(new QSeqpacketSocketPrivate(this))
{
}

QSeqpacketSocket::~QSeqpacketSocket()
{
    Q_D(QSeqpacketSocket);
    // No signals from a destructor: just let everything go.
    if (d->fd >= 0) {
        if (d->readNotifier)
            d->readNotifier->setEnabled(false);
        if (d->writeNotifier)
            d->writeNotifier->setEnabled(false);
        closeDescriptor(d->fd);
        d->fd = -1;
    }
}

QSeqpacketSocket::State QSeqpacketSocket::state() const
{
    return d_func()->state;
}

QSeqpacketSocket::SocketError QSeqpacketSocket::error() const
{
    return d_func()->error;
}

QString QSeqpacketSocket::errorString() const
{
    Q_D(const QSeqpacketSocket);
    return d->errorString.isEmpty() ? tr("No error") : d->errorString;
}

void QSeqpacketSocket::connectToServer(const QSeqpacketAddress &server)
{
    d_func()->connectToServer(server, nullptr);
}

void QSeqpacketSocket::connectToServer(const QSeqpacketAddress &server, const QSeqpacketAddress &bindAddress)
{
    d_func()->connectToServer(server, &bindAddress);
}

void QSeqpacketSocketPrivate::connectToServer(const QSeqpacketAddress &server, const QSeqpacketAddress *bindTo)
{
    Q_Q(QSeqpacketSocket);
    using S = QSeqpacketSocket;
    const QSeqpacketAddress bindAddress = bindTo ? *bindTo : QSeqpacketAddress();
    const bool bindFirst = bindTo != nullptr;
    if (state != S::UnconnectedState) {
        setError(S::OperationError, QStringLiteral("connectToServer: the socket is already %1")
                                            .arg(state == S::ConnectingState ? QStringLiteral("connecting")
                                                                             : QStringLiteral("connected")));
        return;
    }
    if (!server.isValid()) {
        setError(S::InvalidAddressError, QStringLiteral("connectToServer: %1").arg(server.errorString()));
        return;
    }
    if (server.kind() == QSeqpacketAddress::Unnamed) {
        setError(S::InvalidAddressError, QStringLiteral("connectToServer: an unnamed address names no server"));
        return;
    }
    if (!bindAddress.isValid()) {
        setError(S::InvalidAddressError, QStringLiteral("connectToServer: bind address: %1").arg(bindAddress.errorString()));
        return;
    }
    error = S::NoError;
    errorString.clear();
    receiver.clear();

    const int newFd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (newFd == -1) {
        setErrorFromErrno(QStringLiteral("connectToServer: socket(AF_UNIX, SOCK_SEQPACKET)"), errno);
        return;
    }
    fd = newFd;
    connectAddress = server;
    connectRetryInterval = 1;
    QPointer<QSeqpacketSocket> guard(q);
    setState(S::ConnectingState);
    if (!guard)
        return;
    if (bindFirst) {
        sockaddr_un sun;
        const socklen_t length = toSockaddr(bindAddress, &sun);
        if (::bind(fd, reinterpret_cast<const sockaddr *>(&sun), length) == -1) {
            const int errorNumber = errno;
            closeDescriptor(fd);
            fd = -1;
            setErrorFromErrno(QStringLiteral("connectToServer: bind(%1)").arg(addressText(bindAddress)), errorNumber);
            if (guard)
                setState(S::UnconnectedState);
            return;
        }
    }
    attemptConnect();
}

std::pair<QSeqpacketSocket *, QSeqpacketSocket *> QSeqpacketSocket::createPair(QObject *parent)
{
    auto *first = new QSeqpacketSocket(parent);
    auto *second = new QSeqpacketSocket(parent);
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == -1) {
        const int errorNumber = errno;
        first->d_func()->setErrorFromErrno(QStringLiteral("createPair: socketpair"), errorNumber);
        second->d_func()->setErrorFromErrno(QStringLiteral("createPair: socketpair"), errorNumber);
        return { first, second };
    }
    QSeqpacketSocket *sockets[2] = { first, second };
    for (int i = 0; i < 2; ++i) {
        QSeqpacketSocketPrivate *d = sockets[i]->d_func();
        if (d->adoptConnected(fds[i], QStringLiteral("createPair")))
            d->state = ConnectedState; // nobody can be listening yet: no signal to emit
        else
            closeDescriptor(fds[i]);
    }
    return { first, second };
}

bool QSeqpacketSocket::setSocketDescriptor(int fd)
{
    Q_D(QSeqpacketSocket);
    QString reason;
    if (fd < 0) {
        d->setError(OperationError, QStringLiteral("setSocketDescriptor: %1 is not a descriptor").arg(fd));
        return false;
    }
    if (!d->verifyConnectedSeqpacket(fd, &reason)) {
        d->setError(OperationError, QStringLiteral("setSocketDescriptor: %1").arg(reason));
        return false;
    }
    int errorNumber = 0;
    if (!setNonBlocking(fd, &errorNumber) || !setCloseOnExec(fd, &errorNumber)) {
        d->setErrorFromErrno(QStringLiteral("setSocketDescriptor: fcntl"), errorNumber);
        return false;
    }
    if (d->state != UnconnectedState)
        abort();
    d->error = NoError;
    d->errorString.clear();
    d->receiver.clear();
    if (!d->adoptConnected(fd, QStringLiteral("setSocketDescriptor")))
        return false;
    d->setState(ConnectedState);
    return true;
}

int QSeqpacketSocket::socketDescriptor() const
{
    return d_func()->fd;
}

int QSeqpacketSocket::releaseSocketDescriptor()
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0)
        return -1;
    if (!d->sender.isEmpty()) {
        d->sender.flush(d->fd);
        if (!d->sender.isEmpty())
            qCWarning(lcSeqpacketSocket) << this << "releaseSocketDescriptor: dropping" << d->sender.packets()
                                         << "packets the kernel could not take";
        d->sender.clear();
    }
    if (d->connectRetryTimer)
        d->connectRetryTimer->stop();
    const int fd = d->fd;
    d->fd = -1;
    d->inputEnded = true;
    d->endOfInputPending = false;
    d->updateNotifiers();
    d->setState(UnconnectedState);
    return fd;
}

QSeqpacketSocket *QSeqpacketSocket::duplicate(QObject *parent)
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0 || d->state != ConnectedState) {
        d->setError(OperationError, QStringLiteral("duplicate: the socket is not connected"));
        return nullptr;
    }
    const int copy = retryOnEintr([&] { return ::fcntl(d->fd, F_DUPFD_CLOEXEC, 0); });
    if (copy == -1) {
        d->setErrorFromErrno(QStringLiteral("duplicate: fcntl(F_DUPFD_CLOEXEC)"), errno);
        return nullptr;
    }
    auto *socket = new QSeqpacketSocket(parent);
    socket->setPerPacketCredentials(d->perPacketCredentials);
    if (!socket->setSocketDescriptor(copy)) {
        d->setError(socket->error(), QStringLiteral("duplicate: %1").arg(socket->errorString()));
        closeDescriptor(copy);
        delete socket;
        return nullptr;
    }
    return socket;
}

QSeqpacketAddress QSeqpacketSocket::localAddress() const
{
    return localAddressOf(d_func()->fd);
}

QSeqpacketAddress QSeqpacketSocket::peerAddress() const
{
    return peerAddressOf(d_func()->fd);
}

QSeqpacketCredentials QSeqpacketSocket::peerCredentials() const
{
    Q_D(const QSeqpacketSocket);
    if (d->fd < 0)
        return {};
    ucred credentials;
    socklen_t length = sizeof(credentials);
    if (::getsockopt(d->fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == -1) {
        qCWarning(lcSeqpacketSocket, "%s", qPrintable(describe(QStringLiteral("peerCredentials: getsockopt(SO_PEERCRED)"), errno)));
        return {};
    }
    // SO_PEERGROUPS (Linux 4.13): ask for the size first; ENOPROTOOPT means an older kernel.
    QList<uint> groups;
    QList<gid_t> raw(16);
    for (int attempt = 0; attempt < 4; ++attempt) {
        socklen_t bytes = socklen_t(raw.size() * qsizetype(sizeof(gid_t)));
        if (::getsockopt(d->fd, SOL_SOCKET, SO_PEERGROUPS, raw.data(), &bytes) == 0) {
            for (qsizetype i = 0; i < qsizetype(bytes / sizeof(gid_t)); ++i)
                groups.append(uint(raw.at(i)));
            break;
        }
        if (errno != ERANGE) {
            if (errno != ENOPROTOOPT)
                qCDebug(lcSeqpacketSocket, "%s", qPrintable(describe(QStringLiteral("peerCredentials: getsockopt(SO_PEERGROUPS)"), errno)));
            break;
        }
        raw.resize(qsizetype(bytes / sizeof(gid_t)) + 1);
    }
    return QSeqpacketCredentials(credentials.pid, credentials.uid, credentials.gid, groups);
}

QByteArray QSeqpacketSocket::peerSecurityContext()
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0) {
        d->setQueryError(OperationError, QStringLiteral("peerSecurityContext: the socket is not connected"));
        return {};
    }
    QByteArray context(256, Qt::Uninitialized);
    for (int attempt = 0; attempt < 4; ++attempt) {
        socklen_t length = socklen_t(context.size());
        if (::getsockopt(d->fd, SOL_SOCKET, SO_PEERSEC, context.data(), &length) == 0) {
            context.truncate(qsizetype(length));
            while (context.endsWith('\0'))
                context.chop(1);
            return context;
        }
        if (errno != ERANGE)
            break;
        context.resize(qsizetype(length) + 1);
    }
    const int errorNumber = errno;
    if (errorNumber == ENOPROTOOPT) {
        d->setQueryError(UnsupportedOperationError,
                    QStringLiteral("peerSecurityContext: no security module gives this system a peer context (%1)")
                            .arg(describe(QStringLiteral("SO_PEERSEC"), errorNumber)));
    } else {
        d->setQueryError(errorFromErrno(errorNumber), describe(QStringLiteral("peerSecurityContext: getsockopt(SO_PEERSEC)"), errorNumber));
    }
    return {};
}

QSeqpacketFileDescriptor QSeqpacketSocket::peerProcessFileDescriptor()
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0) {
        d->setQueryError(OperationError, QStringLiteral("peerProcessFileDescriptor: the socket is not connected"));
        return {};
    }
    int pidfd = -1;
    socklen_t length = sizeof(pidfd);
    if (::getsockopt(d->fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &length) == -1) {
        const int errorNumber = errno;
        if (errorNumber == ENOPROTOOPT) {
            d->setQueryError(UnsupportedOperationError,
                        QStringLiteral("peerProcessFileDescriptor: this kernel has no SO_PEERPIDFD (Linux 6.5 or later) (%1)")
                                .arg(QString::fromLocal8Bit(strerror(errorNumber))));
        } else {
            d->setQueryError(errorFromErrno(errorNumber), describe(QStringLiteral("peerProcessFileDescriptor: getsockopt(SO_PEERPIDFD)"), errorNumber));
        }
        return {};
    }
    return QSeqpacketFileDescriptor::adopt(pidfd); // the kernel makes pidfds close-on-exec
}

bool QSeqpacketSocket::sendPacket(QByteArrayView data)
{
    return sendPacket(data, {});
}

bool QSeqpacketSocket::sendPacket(QByteArrayView data, const QList<QSeqpacketFileDescriptor> &fds)
{
    iovec part = { const_cast<char *>(data.data()), size_t(data.size()) };
    return d_func()->sendParts(&part, 1, data.size(), fds, nullptr);
}

bool QSeqpacketSocket::sendPacket(const QSeqpacketPacket &packet)
{
    const QByteArray data = packet.data();
    iovec part = { const_cast<char *>(data.constData()), size_t(data.size()) };
    return d_func()->sendParts(&part, 1, data.size(), packet.fileDescriptors(), &data);
}

bool QSeqpacketSocket::sendPacket(const QList<QByteArrayView> &parts)
{
    return sendPacket(parts, {});
}

bool QSeqpacketSocket::sendPacket(const QList<QByteArrayView> &parts, const QList<QSeqpacketFileDescriptor> &fds)
{
    Q_D(QSeqpacketSocket);
    if (parts.size() > IOV_MAX) {
        // More pieces than one sendmsg() takes: join them.
        QByteArray joined;
        for (QByteArrayView part : parts)
            joined.append(part);
        return sendPacket(QSeqpacketPacket(joined, fds));
    }
    QVarLengthArray<iovec, 16> vectors;
    qint64 size = 0;
    for (QByteArrayView part : parts) {
        vectors.append({ const_cast<char *>(part.data()), size_t(part.size()) });
        size += part.size();
    }
    return d->sendParts(vectors.data(), int(vectors.size()), size, fds, nullptr);
}

qint64 QSeqpacketSocket::packetsToWrite() const
{
    return d_func()->sender.packets();
}

qint64 QSeqpacketSocket::bytesToWrite() const
{
    return d_func()->sender.bytes();
}

void QSeqpacketSocket::setSendQueueLimit(qint64 bytes)
{
    d_func()->sendQueueLimit = bytes < 0 ? -1 : bytes;
}

qint64 QSeqpacketSocket::sendQueueLimit() const
{
    return d_func()->sendQueueLimit;
}

bool QSeqpacketSocket::hasPendingPackets()
{
    Q_D(QSeqpacketSocket);
    d->fillIfEmpty();
    return !d->receiver.isEmpty();
}

qint64 QSeqpacketSocket::pendingPacketSize()
{
    Q_D(QSeqpacketSocket);
    d->fillIfEmpty();
    return d->receiver.isEmpty() ? -1 : d->receiver.head().originalSize();
}

QSeqpacketPacket QSeqpacketSocket::receivePacket(qint64 maxSize)
{
    Q_D(QSeqpacketSocket);
    if (maxSize < -1) {
        d->setError(OperationError, QStringLiteral("receivePacket: the size %1 is negative").arg(maxSize));
        return QSeqpacketPacket(QByteArray(), {}); // invalid: nothing received
    }
    d->fillIfEmpty();
    if (d->receiver.isEmpty())
        return QSeqpacketPacket();
    const QSeqpacketPacket packet = d->receiver.takeHead();
    d->packetTaken();
    return QSeqpacketPacketPrivate::truncatedTo(packet, maxSize);
}

qint64 QSeqpacketSocket::receivePacket(char *data, qint64 maxSize, bool *truncated)
{
    Q_D(QSeqpacketSocket);
    if (maxSize < 0 || (!data && maxSize > 0)) {
        d->setError(OperationError, maxSize < 0
                            ? QStringLiteral("receivePacket: the size %1 is negative").arg(maxSize)
                            : QStringLiteral("receivePacket: no buffer for %1 bytes").arg(maxSize));
        return -1;
    }
    d->fillIfEmpty();
    if (d->receiver.isEmpty())
        return -1;
    const QSeqpacketPacket packet = d->receiver.takeHead(); // its descriptors close with it
    d->packetTaken();
    const QByteArray bytes = packet.data();
    const qint64 stored = qMin<qint64>(bytes.size(), maxSize);
    if (stored > 0)
        std::memcpy(data, bytes.constData(), size_t(stored));
    if (truncated)
        *truncated = packet.isTruncated() || bytes.size() > maxSize;
    return stored;
}

QSeqpacketPacket QSeqpacketSocket::peekPacket(qint64 maxSize)
{
    Q_D(QSeqpacketSocket);
    if (maxSize < -1) {
        d->setError(OperationError, QStringLiteral("peekPacket: the size %1 is negative").arg(maxSize));
        return QSeqpacketPacket();
    }
    d->fillIfEmpty();
    if (d->receiver.isEmpty())
        return QSeqpacketPacket();
    return QSeqpacketPacketPrivate::truncatedTo(d->receiver.head(), maxSize);
}

qint64 QSeqpacketSocket::peekPacket(char *data, qint64 maxSize, bool *truncated)
{
    Q_D(QSeqpacketSocket);
    if (maxSize < 0 || (!data && maxSize > 0)) {
        d->setError(OperationError, maxSize < 0
                            ? QStringLiteral("peekPacket: the size %1 is negative").arg(maxSize)
                            : QStringLiteral("peekPacket: no buffer for %1 bytes").arg(maxSize));
        return -1;
    }
    d->fillIfEmpty();
    if (d->receiver.isEmpty())
        return -1;
    const QByteArray bytes = d->receiver.head().data();
    const qint64 stored = qMin<qint64>(bytes.size(), maxSize);
    if (stored > 0)
        std::memcpy(data, bytes.constData(), size_t(stored));
    if (truncated)
        *truncated = d->receiver.head().isTruncated() || bytes.size() > maxSize;
    return stored;
}

bool QSeqpacketSocket::setPerPacketCredentials(bool enabled)
{
    Q_D(QSeqpacketSocket);
    if (d->fd >= 0) {
        int errorNumber = 0;
        if (!setIntOption(d->fd, SOL_SOCKET, SO_PASSCRED, enabled ? 1 : 0, &errorNumber)) {
            d->setErrorFromErrno(QStringLiteral("setPerPacketCredentials: setsockopt(SO_PASSCRED)"), errorNumber);
            return false;
        }
    }
    d->perPacketCredentials = enabled;
    d->receiver.setCredentialsExpected(enabled);
    return true;
}

bool QSeqpacketSocket::perPacketCredentials() const
{
    return d_func()->receiver.credentialsExpected();
}

void QSeqpacketSocket::setReceiveDescriptorLimit(int count)
{
    Q_D(QSeqpacketSocket);
    if (count < 0 || count > QSeqpacketSystem::MaxDescriptorsPerPacket) {
        d->setError(OperationError, QStringLiteral("setReceiveDescriptorLimit: %1 is not between 0 and %2")
                                            .arg(count).arg(QSeqpacketSystem::MaxDescriptorsPerPacket));
        return;
    }
    d->receiver.setDescriptorLimit(count);
}

int QSeqpacketSocket::receiveDescriptorLimit() const
{
    return d_func()->receiver.descriptorLimit();
}

bool QSeqpacketSocket::shutdown(ShutdownDirection direction)
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0 || d->state != ConnectedState) {
        d->setError(OperationError, QStringLiteral("shutdown: the socket is not connected"));
        return false;
    }
    if (direction & ShutdownRead) {
        if (::shutdown(d->fd, SHUT_RD) == -1) {
            d->setErrorFromErrno(QStringLiteral("shutdown: shutdown(SHUT_RD)"), errno);
            return false;
        }
        d->readShutdownByUs = true;
    }
    if (direction & ShutdownWrite) {
        d->writeShutdownRequested = true;
        if (d->sender.isEmpty() && !d->writeShutdownDone)
            d->finishWriteShutdown();
    }
    return true;
}

void QSeqpacketSocket::disconnectFromServer()
{
    Q_D(QSeqpacketSocket);
    switch (d->state) {
    case UnconnectedState:
    case ClosingState:
        return;
    case ConnectingState:
        abort();
        return;
    case ConnectedState:
        break;
    }
    QPointer<QSeqpacketSocket> guard(this);
    d->setState(ClosingState);
    if (!guard)
        return;
    if (d->sender.isEmpty())
        d->closeConnection();
    else
        d->flushQueue(); // closes once the queue is written
}

void QSeqpacketSocket::abort()
{
    Q_D(QSeqpacketSocket);
    d->receiver.clear();
    if (d->state == UnconnectedState && d->fd < 0)
        return;
    d->closeConnection();
}

QSeqpacketSocket::SocketError QSeqpacketSocket::takeError()
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0)
        return NoError;
    int errorNumber = 0;
    const int pending = intOption(d->fd, SOL_SOCKET, SO_ERROR, &errorNumber);
    if (pending == -1) {
        d->setErrorFromErrno(QStringLiteral("takeError: getsockopt(SO_ERROR)"), errorNumber);
        return d->error;
    }
    if (pending == 0)
        return NoError;
    if (pending == ECONNRESET)
        d->resetReported = true;
    d->setQueryError(errorFromErrno(pending), describe(QStringLiteral("takeError: pending socket error"), pending));
    return errorFromErrno(pending);
}

bool QSeqpacketSocket::waitForConnected(int msecs)
{
    Q_D(QSeqpacketSocket);
    const QDeadlineTimer deadline(msecs);
    while (d->state == ConnectingState) {
        d->attemptConnect();
        if (d->state != ConnectingState)
            break;
        if (deadline.hasExpired()) {
            d->setTimeoutError(QStringLiteral("waitForConnected"));
            return false;
        }
        // The server's backlog is full; nothing to poll on but time.
        const int pause = int(qMin<qint64>(deadline.isForever() ? 5 : deadline.remainingTime(), 5));
        ::poll(nullptr, 0, pause);
    }
    return d->state == ConnectedState;
}

bool QSeqpacketSocket::waitForPacket(int msecs)
{
    Q_D(QSeqpacketSocket);
    const QDeadlineTimer deadline(msecs);
    for (;;) {
        if (hasPendingPackets())
            return true;
        if (d->endOfInputPending)
            d->processEndOfInput();
        if (d->fd < 0 || d->inputEnded)
            return false;
        if (!d->waitOnce(deadline, true)) {
            if (deadline.hasExpired())
                d->setTimeoutError(QStringLiteral("waitForPacket"));
            return !d->receiver.isEmpty();
        }
    }
}

bool QSeqpacketSocket::waitForPacketsWritten(int msecs)
{
    Q_D(QSeqpacketSocket);
    const QDeadlineTimer deadline(msecs);
    while (!d->sender.isEmpty()) {
        if (d->fd < 0)
            return false;
        const bool roomToRead = d->receiver.count() < d->receiveQueuePackets;
        if (!d->waitOnce(deadline, roomToRead)) {
            if (deadline.hasExpired())
                d->setTimeoutError(QStringLiteral("waitForPacketsWritten"));
            return false;
        }
    }
    return true;
}

bool QSeqpacketSocket::waitForDisconnected(int msecs)
{
    Q_D(QSeqpacketSocket);
    const QDeadlineTimer deadline(msecs);
    while (d->state != UnconnectedState) {
        if (d->endOfInputPending)
            d->processEndOfInput();
        if (d->state == UnconnectedState)
            break;
        if (d->fd < 0)
            return false;
        if (d->inputEnded && d->sender.isEmpty()) {
            // Nothing left to read or write (our own read shutdown): only a timeout can end this.
            pollfd p = { d->fd, POLLOUT, 0 };
            const qint64 remaining = deadline.remainingTime();
            retryOnEintr([&] { return ::poll(&p, 1, remaining < 0 ? 10 : int(qMin<qint64>(remaining, 10))); });
            if (p.revents & POLLHUP) {
                d->closeConnection();
                break;
            }
            if (deadline.hasExpired()) {
                d->setTimeoutError(QStringLiteral("waitForDisconnected"));
                return false;
            }
            continue;
        }
        // Read everything until end-of-file: the caller waits for the end, not for packets.
        pollfd p = { d->fd, short(d->inputEnded ? 0 : POLLIN), 0 };
        if (!d->sender.isEmpty())
            p.events |= POLLOUT;
        const qint64 remaining = deadline.remainingTime();
        const int ready = retryOnEintr([&] { return ::poll(&p, 1, remaining < 0 ? -1 : int(qMin<qint64>(remaining, INT_MAX))); });
        if (ready == 0) {
            d->setTimeoutError(QStringLiteral("waitForDisconnected"));
            return false;
        }
        if (ready == -1) {
            d->setErrorFromErrno(QStringLiteral("waitForDisconnected: poll"), errno);
            return false;
        }
        if (p.revents & POLLOUT)
            d->flushQueue();
        if (d->fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
            d->readAndDispatch(true);
    }
    return true;
}

QDebug operator<<(QDebug debug, const QSeqpacketSocket *socket)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketSocket(";
    if (!socket)
        return debug << "nullptr)";
    debug << static_cast<const void *>(socket);
    if (!socket->objectName().isEmpty())
        debug << ", " << socket->objectName();
    debug << ", fd " << socket->socketDescriptor() << ", " << socket->state() << ')';
    return debug;
}
