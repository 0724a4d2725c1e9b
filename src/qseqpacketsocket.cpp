// SPDX-License-Identifier: MIT
#include "qseqpacketsocket.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketpacket_p.h"
#include "qseqpacketserver_p.h"
#include "qseqpacketsmallcopy_p.h"
#include "qseqpacketsystem_p.h"
#include "qseqpacketwatch_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qdebug.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <climits>
#include <cstring>
#include <sys/uio.h>

using namespace QSeqpacketSystem;

namespace {

constexpr int MaxConnectRetryInterval = 100;

// An address as error messages show it.
QString describeAddress(const QSeqpacketAddress &address)
{
    return address.kind() == QSeqpacketAddress::Unnamed ? QSeqpacketSocket::tr("(unnamed)") : address.toString();
}

QString readOperation(QSeqpacketSocketPrivate::ReadMode mode)
{
    return mode == QSeqpacketSocketPrivate::ReadMode::Take ? QStringLiteral("receivePacket")
                                                           : QStringLiteral("peekPacket");
}

// What connectNotify() and every send compare with.
const QMetaMethod &packetsWrittenSignal()
{
    static const QMetaMethod signal = QMetaMethod::fromSignal(&QSeqpacketSocket::packetsWritten);
    return signal;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// State and errors
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
}

void QSeqpacketSocketPrivate::setError(const QString &operation, int errnoValue)
{
    setError(errorFromErrno(errnoValue), describe(operation, errnoValue));
}

void QSeqpacketSocketPrivate::setErrorAndEmit(QSeqpacketSocket::SocketError newError, const QString &message)
{
    Q_Q(QSeqpacketSocket);
    setError(newError, message);
    emit q->errorOccurred(newError);
}

void QSeqpacketSocketPrivate::setErrorAndEmit(const QString &operation, int errnoValue)
{
    setErrorAndEmit(errorFromErrno(errnoValue), describe(operation, errnoValue));
}

void QSeqpacketSocketPrivate::setQueryError(QSeqpacketSocket::SocketError newError, const QString &message) const
{
    // The contract says a failed query sets error(); the connection itself is untouched.
    const_cast<QSeqpacketSocketPrivate *>(this)->setError(newError, message);
}

void QSeqpacketSocketPrivate::setQueryError(const QString &operation, int errnoValue) const
{
    setQueryError(errorFromErrno(errnoValue), describe(operation, errnoValue));
}

void QSeqpacketSocketPrivate::setTimeoutError(const QString &operation)
{
    setError(QSeqpacketSocket::TimeoutError, tr("%1: timed out").arg(operation));
}

// ---------------------------------------------------------------------------------------------
// Notifiers
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::ensureWatch()
{
    Q_Q(QSeqpacketSocket);
    if (watch || !QAbstractEventDispatcher::instance(q->thread()) || QThread::currentThread() != q->thread())
        return; // no event loop here: the waitFor...() calls drive the socket
    watch.emplace(this);
}

void QSeqpacketSocketPrivate::updateNotifiers()
{
    if (fd >= 0)
        ensureWatch();
    if (!watch)
        return;
    const bool wantRead = fd >= 0 && !input.ended && !input.paused && !(input.readerBehind && queueFull());
    const bool wantWrite = fd >= 0 && !sender.isEmpty() && !output.paused;
    watch->watch(fd, wantRead, wantWrite);
}

bool QSeqpacketSocketPrivate::adoptConnected(int newFd, const QString &operation, const KnownOptions *known)
{
    int errorNumber = QSeqpacketReceiver::prepareDescriptor(newFd);
    if (errorNumber) {
        setErrorAndEmit(tr("%1: setsockopt(SO_TIMESTAMP)").arg(operation), errorNumber);
        return false;
    }
    if (perPacketCredentials) {
        if (!setIntOption(newFd, SOL_SOCKET, SO_PASSCRED, 1, &errorNumber)) {
            setErrorAndEmit(tr("%1: setsockopt(SO_PASSCRED)").arg(operation), errorNumber);
            return false;
        }
    } else {
        // A descriptor can arrive with SO_PASSCRED already on (systemd's PassCredentials=yes,
        // a listening socket that had it, whoever handed it over). The kernel then puts
        // credentials in front of every packet's descriptors, and the receive buffer must have
        // room for them, or the last descriptors of a full packet are lost.
        const int passCred = known ? int(known->passCredentials) : intOption(newFd, SOL_SOCKET, SO_PASSCRED, &errorNumber);
        if (passCred == -1) {
            setErrorAndEmit(tr("%1: getsockopt(SO_PASSCRED)").arg(operation), errorNumber);
            return false;
        }
        if (passCred)
            qCDebug(lcSeqpacketSocket) << "descriptor" << newFd << "has SO_PASSCRED on: per-packet credentials are on";
        // What this descriptor does, not a request: the next descriptor adopted is asked again.
        receiver.setCredentialsExpected(passCred > 0);
    }
    if (perPacketProcessFd) {
        if (!setIntOption(newFd, SOL_SOCKET, SoPassPidfd, 1, &errorNumber)) {
            setErrorAndEmit(tr("%1: setsockopt(SO_PASSPIDFD)").arg(operation), errorNumber);
            return false;
        }
        receiver.setProcessDescriptorExpected(true);
    } else {
        // As SO_PASSCRED: a pidfd in front of the descriptors needs room. A kernel without
        // SO_PASSPIDFD (before 6.5) says ENOPROTOOPT: none come.
        receiver.setProcessDescriptorExpected(known ? known->passProcessFd
                                                    : intOption(newFd, SOL_SOCKET, SoPassPidfd, &errorNumber) > 0);
    }
    if (requestedSendBuffer > 0 && !applyBufferSize(newFd, SO_SNDBUF, requestedSendBuffer, operation))
        return false;
    if (requestedReceiveBuffer > 0 && !applyBufferSize(newFd, SO_RCVBUF, requestedReceiveBuffer, operation))
        return false;
    sendBufferSize = 0; // read when first needed: most connections never need it
    if (receiver.descriptorLimit() == 0) {
        int ignored = 0;
        // Where the kernel has SO_PASSRIGHTS (6.16) packets with descriptors are refused there.
        setIntOption(newFd, SOL_SOCKET, SoPassRights, 0, &ignored);
    }
    fd = newFd;
    input = InputState();
    output = OutputState();
    resetReported = false;
    updateNotifiers();
    setState(QSeqpacketSocket::ConnectedState);
    return true;
}

int QSeqpacketSocketPrivate::knownSendBufferSize()
{
    if (sendBufferSize <= 0 && fd >= 0) {
        int errorNumber = 0;
        sendBufferSize = qMax(intOption(fd, SOL_SOCKET, SO_SNDBUF, &errorNumber), 0);
    }
    return sendBufferSize;
}

bool QSeqpacketSocketPrivate::applyBufferSize(int descriptor, int option, qint64 bytes, const QString &operation)
{
    int errorNumber = 0;
    if (setIntOption(descriptor, SOL_SOCKET, option, int(bytes), &errorNumber))
        return true;
    setErrorAndEmit(option == SO_SNDBUF ? tr("%1: setsockopt(SO_SNDBUF)").arg(operation)
                                        : tr("%1: setsockopt(SO_RCVBUF)").arg(operation), errorNumber);
    return false;
}

// ---------------------------------------------------------------------------------------------
// Connecting
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::connectToServer(const QSeqpacketAddress &server, const QSeqpacketAddress *bindAddress)
{
    using S = QSeqpacketSocket;
    if (state != S::UnconnectedState) {
        setErrorAndEmit(S::OperationError, state == S::ConnectingState
                                ? tr("connectToServer: the socket is already connecting")
                                : tr("connectToServer: the socket is already connected"));
        return;
    }
    if (!server.isValid()) {
        setErrorAndEmit(S::InvalidAddressError, tr("connectToServer: %1").arg(server.errorString()));
        return;
    }
    if (server.kind() == QSeqpacketAddress::Unnamed) {
        setErrorAndEmit(S::InvalidAddressError, tr("connectToServer: an unnamed address names no server"));
        return;
    }
    if (bindAddress && !bindAddress->isValid()) {
        setErrorAndEmit(S::InvalidAddressError, tr("connectToServer: bind address: %1").arg(bindAddress->errorString()));
        return;
    }
    error = S::NoError;
    errorString.clear();
    receiver.clear();

    int errorNumber = 0;
    const int newFd = openSeqpacketSocket(&errorNumber);
    if (newFd == -1) {
        setErrorAndEmit(tr("connectToServer: socket(AF_UNIX, SOCK_SEQPACKET)"), errorNumber);
        return;
    }
    fd = newFd;
    retry().connectAddress = server;
    retries->connectInterval = 1;
    QSeqpacketDeletionGuard guard(guards);
    setState(S::ConnectingState);
    if (!guard)
        return;
    // The kernel stamps a packet with its sender's credentials when it is sent, and only where
    // the receiving socket asks for them by then: asked for after connect(), the first packets
    // of a server that writes at once would come without them. (As in C, an unbound socket that
    // asks gets an abstract name of the kernel's at connect(), autobind.)
    if (perPacketCredentials && !setIntOption(fd, SOL_SOCKET, SO_PASSCRED, 1, &errorNumber)) {
        failConnecting(tr("connectToServer: setsockopt(SO_PASSCRED)"), errorNumber);
        return;
    }
    if (perPacketProcessFd && !setIntOption(fd, SOL_SOCKET, SoPassPidfd, 1, &errorNumber)) {
        failConnecting(tr("connectToServer: setsockopt(SO_PASSPIDFD)"), errorNumber);
        return;
    }
    if (bindAddress && !bindTo(fd, *bindAddress, &errorNumber)) {
        failConnecting(tr("connectToServer: bind(%1)").arg(describeAddress(*bindAddress)), errorNumber);
        return;
    }
    attemptConnect();
}

void QSeqpacketSocketPrivate::failConnecting(const QString &operation, int errnoValue)
{
    closeDescriptor(fd);
    fd = -1;
    updateNotifiers();
    QSeqpacketDeletionGuard guard(guards);
    setErrorAndEmit(operation, errnoValue);
    if (guard)
        setState(QSeqpacketSocket::UnconnectedState);
}

void QSeqpacketSocketPrivate::attemptConnect()
{
    Q_Q(QSeqpacketSocket);
    const QSeqpacketAddress &server = *retries->connectAddress; // connectToServer() set it
    const int errorNumber = connectTo(fd, server);
    if (errorNumber == EAGAIN) {
        // The server's backlog is full: it has not accepted earlier clients yet.
        scheduleConnectRetry();
        return;
    }
    if (errorNumber) {
        failConnecting(tr("connectToServer: connect(%1)").arg(describeAddress(server)), errorNumber);
        return;
    }
    if (retries->connectTimer)
        retries->connectTimer->stop();
    QSeqpacketDeletionGuard guard(guards);
    const bool adopted = adoptConnected(fd, QStringLiteral("connectToServer"));
    if (!guard)
        return;
    if (!adopted) {
        closeDescriptor(fd);
        fd = -1;
        setState(QSeqpacketSocket::UnconnectedState);
        return;
    }
    qCDebug(lcSeqpacketSocket) << q << "connected to" << *retries->connectAddress;
    emit q->connected();
}

void QSeqpacketSocketPrivate::scheduleConnectRetry()
{
    Q_Q(QSeqpacketSocket);
    Retries &r = retry();
    if (!r.connectTimer) {
        r.connectTimer = new QTimer(q);
        r.connectTimer->setSingleShot(true);
        QObject::connect(r.connectTimer, &QTimer::timeout, q, [this] {
            if (state == QSeqpacketSocket::ConnectingState && fd >= 0)
                attemptConnect();
        });
    }
    r.connectTimer->start(r.connectInterval);
    r.connectInterval = qMin(r.connectInterval * 2, MaxConnectRetryInterval);
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::reportReset()
{
    if (resetReported)
        return;
    resetReported = true;
    setErrorAndEmit(QSeqpacketSocket::ConnectionResetError,
                    tr("receivePacket: the peer closed the connection with packets it had not read (%1)")
                            .arg(QString::fromLocal8Bit(strerror(ECONNRESET))));
}

void QSeqpacketSocketPrivate::handleReadResult(const QSeqpacketReceiver::ReadResult &result)
{
    // A slot of errorOccurred() may delete the socket: nothing of it is touched after that (the
    // callers check their own guard).
    QSeqpacketDeletionGuard guard(guards);
    if (result.endOfInput) {
        input.ended = true;
        input.endPending = true;
    }
    if (result.reset) {
        reportReset();
        if (!guard)
            return;
    }
    if (result.error) {
        // Named as the call that failed: recvmmsg(), or recv(MSG_PEEK) and recvmsg() where a
        // thread reads one packet at a time (its batch buffers could not be mapped).
        const QString operation = tr("receivePacket: %1").arg(QLatin1String(result.call));
        if (isTransient(result.error)) {
            pauseAfterTransientFailure(operation, result.error, true);
        } else {
            // Any other failure ends input, so that the notifier cannot spin on it.
            input.ended = true;
            input.endPending = true;
            setErrorAndEmit(operation, result.error);
            if (!guard)
                return;
        }
    } else if (result.packets > 0 && !output.paused && retries) {
        retries->transientInterval = 0;
    }
    updateNotifiers();
}

void QSeqpacketSocketPrivate::pauseAfterTransientFailure(const QString &operation, int errnoValue, bool reading)
{
    Q_Q(QSeqpacketSocket);
    constexpr int FirstRetryInterval = 5;
    constexpr int MaxRetryInterval = 1000;
    (reading ? input.paused : output.paused) = true;
    Retries &r = retry();
    r.transientInterval = r.transientInterval == 0 ? FirstRetryInterval : qMin(r.transientInterval * 2, MaxRetryInterval);
    r.transientAt = QDeadlineTimer(r.transientInterval);
    setError(QSeqpacketSocket::ResourceError,
             tr("%1: %2; trying again in %3 ms").arg(operation, QString::fromLocal8Bit(strerror(errnoValue)))
                     .arg(r.transientInterval));
    qCWarning(lcSeqpacketSocket, "%s", qPrintable(errorString));
    updateNotifiers();
    if (!QAbstractEventDispatcher::instance(q->thread()) || QThread::currentThread() != q->thread())
        return; // no event loop: waitOnce() waits for transientAt
    if (!r.transientTimer) {
        r.transientTimer = new QTimer(q);
        r.transientTimer->setSingleShot(true);
        QObject::connect(r.transientTimer, &QTimer::timeout, q, [this] { resumeAfterTransientFailure(); });
    }
    r.transientTimer->start(r.transientInterval);
}

void QSeqpacketSocketPrivate::resumeAfterTransientFailure()
{
    const bool wasWriting = output.paused;
    const bool wasReading = input.paused;
    input.paused = output.paused = false;
    QSeqpacketDeletionGuard guard(guards);
    if (wasWriting)
        flushQueue();
    if (guard && wasReading)
        readAndDispatch(ReadLimit::QueueLimits);
    if (guard)
        updateNotifiers();
}

void QSeqpacketSocketPrivate::readAndDispatch(ReadLimit limit)
{
    if (fd < 0 || input.ended) {
        updateNotifiers();
        return;
    }
    if (limit == ReadLimit::QueueLimits && queueFull()) {
        input.readerBehind = true;
        updateNotifiers();
        return;
    }
    QSeqpacketDeletionGuard guard(guards);
    const QSeqpacketReceiver::ReadResult result = limit == ReadLimit::Unlimited
            ? receiver.readFromKernel(fd, -1, -1)
            : receiver.readFromKernel(fd, receiveQueuePackets, receiveQueueBytes);
    handleReadResult(result);
    if (!guard)
        return;
    if (result.packets > 0) {
        // Small reads are request/response traffic: there the slot's last receive would only
        // hear EAGAIN. In a stream, asking again finds more and saves an event-loop round.
        constexpr int SmallRead = 8;
        const bool previousHint = input.kernelDrained;
        input.kernelDrained = result.drained && result.packets < SmallRead;
        emitPacketReady();
        if (!guard)
            return;
        input.kernelDrained = previousHint;
    }
    if (input.endPending)
        processEndOfInput();
}

void QSeqpacketSocketPrivate::fillIfEmpty()
{
    if (!receiver.isEmpty() || fd < 0 || input.ended || input.kernelDrained)
        return;
    // A packetReady() slot that reads while hasPendingPackets() would never return to the event
    // loop against a peer as fast as it: within one dispatch the queue is refilled once, and the
    // read notifier brings the rest after the event loop has had its turn.
    if (dispatch.emitting) {
        if (dispatch.refilled)
            return;
        dispatch.refilled = true;
    }
    const QSeqpacketReceiver::ReadResult result = receiver.readFromKernel(fd, receiveQueuePackets, receiveQueueBytes);
    handleReadResult(result);
    // Called from inside a receive or query: packetReady() and the end of the connection wait
    // for the event loop (or a waitFor...() call). Inside packetReady() the emitting loop itself
    // announces what this read brought (it emits again while packets wait and the slot takes
    // some); a posted call there would cost every refill an event and a wake-up write.
    if ((result.packets > 1 && !dispatch.emitting) || input.endPending)
        schedulePendingWork();
}

void QSeqpacketSocketPrivate::schedulePendingWork()
{
    Q_Q(QSeqpacketSocket);
    if (dispatch.workScheduled)
        return;
    dispatch.workScheduled = true;
    QMetaObject::invokeMethod(q, [this] {
        dispatch.workScheduled = false;
        QSeqpacketDeletionGuard guard(guards);
        if (!receiver.isEmpty())
            emitPacketReady();
        if (guard && input.endPending)
            processEndOfInput();
    }, Qt::QueuedConnection);
}

void QSeqpacketSocketPrivate::emitPacketReady()
{
    Q_Q(QSeqpacketSocket);
    if (dispatch.emitting)
        return; // a slot that waits for packets gets them through its own loop
    QSeqpacketDeletionGuard guard(guards);
    dispatch.emitting = true;
    dispatch.refilled = false;
    while (!receiver.isEmpty()) {
        const qint64 takenBefore = dispatch.packetsTaken;
        emit q->packetReady();
        if (!guard)
            return;
        // A slot that read nothing is not called again until new packets arrive.
        if (dispatch.packetsTaken == takenBefore)
            break;
    }
    dispatch.emitting = false;
}

void QSeqpacketSocketPrivate::packetTaken(bool queueWasFull)
{
    ++dispatch.packetsTaken;
    // Reading stops only at the queue's limits: room again resumes it. Below them the read
    // notifier does not depend on this packet, and asking it again costs every packet a call.
    if (queueWasFull || !watch) {
        input.readerBehind = false;
        updateNotifiers();
    }
}

bool QSeqpacketSocketPrivate::queueHasPacket()
{
    fillIfEmpty();
    return !receiver.isEmpty();
}

QSeqpacketPacket QSeqpacketSocketPrivate::takeFromQueue()
{
    const bool queueWasFull = queueFull();
    QSeqpacketPacket packet = receiver.takeHead();
    packetTaken(queueWasFull);
    return packet;
}

QSeqpacketPacket QSeqpacketSocketPrivate::packetFromQueue(ReadMode mode, qint64 maxSize)
{
    if (maxSize < -1) {
        setErrorAndEmit(QSeqpacketSocket::OperationError,
                        tr("%1: the size %2 is negative").arg(readOperation(mode)).arg(maxSize));
        return QSeqpacketPacket(); // invalid: nothing received
    }
    if (!queueHasPacket())
        return QSeqpacketPacket();
    QSeqpacketPacket packet = mode == ReadMode::Peek ? receiver.peekHead() : takeFromQueue();
    // Read through the const private: a peeked packet shares it with the queue, and only a packet
    // that is cut may detach from it.
    if (maxSize >= 0 && QSeqpacketPacketPrivate::get(std::as_const(packet))->data.size() > maxSize)
        packet = QSeqpacketPacketPrivate::truncatedTo(std::move(packet), maxSize);
    return packet;
}

qint64 QSeqpacketSocketPrivate::copyFromQueue(ReadMode mode, char *data, qint64 maxSize, bool *truncated)
{
    if (maxSize < 0 || (!data && maxSize > 0)) {
        setErrorAndEmit(QSeqpacketSocket::OperationError, maxSize < 0
                                ? tr("%1: the size %2 is negative").arg(readOperation(mode)).arg(maxSize)
                                : tr("%1: no buffer for %2 bytes").arg(readOperation(mode)).arg(maxSize));
        return -1;
    }
    if (!queueHasPacket())
        return -1;
    auto copy = [&](const QSeqpacketPacketPrivate *packet) {
        const qint64 stored = qMin<qint64>(packet->data.size(), maxSize);
        qseqpacketCopy(data, packet->data.constData(), size_t(stored));
        if (truncated)
            *truncated = packet->truncated || packet->data.size() > maxSize;
        return stored;
    };
    if (mode == ReadMode::Peek)
        return copy(receiver.head());
    const QSeqpacketPacket packet = takeFromQueue(); // closes its descriptors when it goes
    return copy(QSeqpacketPacketPrivate::get(packet));
}

void QSeqpacketSocketPrivate::processEndOfInput()
{
    Q_Q(QSeqpacketSocket);
    if (!input.endPending)
        return;
    input.endPending = false;
    if (fd < 0)
        return;

    // Both directions are shut where the peer closed: poll() says POLLHUP, without waiting.
    const bool peerGone = pollUntil(fd, POLLOUT, QDeadlineTimer(0)).revents & POLLHUP;

    if (input.shutdownByUs && !peerGone)
        return; // our own shutdown(ShutdownRead): the connection goes on for sending

    QSeqpacketDeletionGuard guard(guards);
    int errorNumber = 0;
    if (intOption(fd, SOL_SOCKET, SO_ERROR, &errorNumber) == ECONNRESET) {
        reportReset();
        if (!guard)
            return;
    }
    emit q->readChannelFinished();
    if (!guard || fd < 0)
        return;
    if (!sender.isEmpty() && !peerGone && !output.shutdownDone) {
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
                                        const QList<QSeqpacketFileDescriptor> &fds, const ucred *credentials,
                                        const QByteArray *wholeData)
{
    using S = QSeqpacketSocket;
    if (state != S::ConnectedState) {
        setErrorAndEmit(S::OperationError, state == S::ClosingState
                                ? tr("sendPacket: the socket is closing")
                                : tr("sendPacket: the socket is not connected"));
        return false;
    }
    if (output.shutdownRequested) {
        setErrorAndEmit(S::OperationError, tr("sendPacket: the write side of the socket is shut down"));
        return false;
    }
    if (fds.size() > MaxDescriptorsPerPacket) {
        setErrorAndEmit(S::TooManyDescriptorsError,
                        tr("sendPacket: %1 descriptors, more than the %2 the kernel takes with one packet")
                                .arg(fds.size()).arg(MaxDescriptorsPerPacket));
        return false;
    }
    for (const QSeqpacketFileDescriptor &descriptor : fds) {
        if (!descriptor.isValid()) {
            setErrorAndEmit(S::OperationError, tr("sendPacket: an invalid descriptor is among those to send"));
            return false;
        }
    }
    if (size > INT_MAX) {
        setErrorAndEmit(S::PacketTooLargeError, tr("sendPacket: %1 bytes is more than one packet can hold").arg(size));
        return false;
    }

    if (sender.isEmpty()) {
        const int errorNumber = QSeqpacketSender::sendNow(fd, parts, partCount, fds, credentials);
        if (errorNumber == 0) {
            receiver.noteSent();
            countWrittenLater(1);
            return true;
        }
        if (errorNumber == EMSGSIZE || errorNumber == EPERM || errorNumber == ESRCH) {
            reportRefusedPacket(errorNumber, size, !fds.isEmpty(), credentials != nullptr);
            return false;
        }
        // A full buffer (EAGAIN): the packet waits in the queue (below). Short of memory in the
        // kernel: the same, and the queue is written again after a pause. With raw semantics (a
        // limit of 0) that is an error.
        if (errorNumber != EAGAIN) {
            const QString operation =
                    tr("sendPacket: %1").arg(QLatin1String(QSeqpacketSender::sendNowCall(partCount, fds, credentials)));
            if (!isTransient(errorNumber) || sendQueueLimit == 0) {
                handleSendFailure(errorNumber, operation, !fds.isEmpty());
                return false;
            }
            pauseAfterTransientFailure(operation, errorNumber, false);
        }
    }

    // The kernel cannot take it now (or earlier packets wait): queue it, within the limits.
    if (sendQueueLimit == 0) {
        setErrorAndEmit(S::WouldBlockError,
                        tr("sendPacket: the kernel cannot take the packet now and the send queue limit is 0"));
        return false;
    }
    // A packet the send buffer can never hold would wait in the queue forever. The size read at
    // adoption is asked again only for a packet that does not fit it (SO_SNDBUF may have grown).
    if (size > knownSendBufferSize() - SendBufferOverhead) {
        int errorNumber = 0;
        const int current = intOption(fd, SOL_SOCKET, SO_SNDBUF, &errorNumber);
        if (current > 0)
            sendBufferSize = current;
    }
    if (sendBufferSize > 0 && size > sendBufferSize - SendBufferOverhead) {
        setErrorAndEmit(S::PacketTooLargeError, tooLargeMessage(size));
        return false;
    }
    if (sendQueueLimit > 0 && sender.bytes() + size > sendQueueLimit) {
        setErrorAndEmit(S::SendQueueFullError,
                        tr("sendPacket: the send queue holds %1 bytes; %2 more would pass its limit of %3")
                                .arg(sender.bytes()).arg(size).arg(sendQueueLimit));
        return false;
    }
    QByteArray data = wholeData ? *wholeData // shared, not copied
                                : sender.copyForQueue(parts, partCount, size);
    if (data.isNull())
        data = QByteArray(""); // an empty packet still has a buffer to point at
    sender.enqueue(data, fds, credentials);
    updateNotifiers();
    return true;
}

QString QSeqpacketSocketPrivate::tooLargeMessage(qint64 size) const
{
    // Where the send buffer can still grow, say how far; otherwise who can raise the ceiling.
    const qint64 ceiling = 2 * maxSendBufferRequest() - SendBufferOverhead;
    const qint64 limit = sendBufferSize - SendBufferOverhead;
    if (size <= ceiling) {
        return tr("sendPacket: %1 bytes is more than the %2 one packet can carry with this socket's send buffer "
                  "(SO_SNDBUF %3 bytes); setSendBufferSize(%1) raises the limit, up to %4 bytes")
                .arg(size).arg(limit).arg(sendBufferSize).arg(ceiling);
    }
    return tr("sendPacket: %1 bytes is more than the %2 one packet can carry with this socket's send buffer "
              "(SO_SNDBUF %3 bytes); setSendBufferSize() raises the limit only up to %4 bytes (twice "
              "net.core.wmem_max, which the system's administrator can raise)")
            .arg(size).arg(limit).arg(sendBufferSize).arg(ceiling);
}

void QSeqpacketSocketPrivate::reportRefusedPacket(int errnoValue, qint64 size, bool withDescriptors, bool withCredentials)
{
    using S = QSeqpacketSocket;
    const QString reason = QString::fromLocal8Bit(strerror(errnoValue));
    if (errnoValue == EMSGSIZE) {
        int ignored = 0;
        const int current = intOption(fd, SOL_SOCKET, SO_SNDBUF, &ignored);
        if (current > 0)
            sendBufferSize = current;
        setErrorAndEmit(S::PacketTooLargeError, tooLargeMessage(size));
    } else if (errnoValue == ESRCH) {
        setErrorAndEmit(S::OperationError,
                        tr("sendPacket: the process id of the packet's credentials names no process (%1)").arg(reason));
    } else if (withCredentials && !withDescriptors) {
        setErrorAndEmit(S::SocketAccessError,
                        tr("sendPacket: the kernel refused the packet's credentials: a process without privileges "
                           "may send only its own process id, user id and group id (%1)").arg(reason));
    } else if (withDescriptors && !withCredentials) {
        setErrorAndEmit(S::SocketAccessError,
                        tr("sendPacket: the peer refuses descriptors (it turned SO_PASSRIGHTS off) (%1)").arg(reason));
    } else {
        setErrorAndEmit(S::SocketAccessError,
                        tr("sendPacket: the peer refuses descriptors (SO_PASSRIGHTS), or the kernel the packet's "
                           "credentials (%1)").arg(reason));
    }
}

bool QSeqpacketSocketPrivate::packetsWrittenIsConnected() const
{
    if (!packetsWrittenEverConnected.load(std::memory_order_relaxed))
        return false;
    return q_func()->isSignalConnected(packetsWrittenSignal());
}

void QSeqpacketSocketPrivate::countWrittenLater(qint64 count)
{
    Q_Q(QSeqpacketSocket);
    unreportedWritten += count;
    // A report already waiting in the event queue takes these too: asked first, as it is the
    // common case of a burst (whether the signal is connected costs ~50 instructions to ask).
    if (writtenReportScheduled)
        return;
    // Nobody listens: no event to post on every send; the first connection hears of these
    // packets (connectNotify()).
    if (!packetsWrittenIsConnected())
        return;
    if (!QAbstractEventDispatcher::instance(q->thread()))
        return; // without an event loop the next waitFor...() call reports them
    writtenReportScheduled = true;
    QMetaObject::invokeMethod(q, [this] {
        writtenReportScheduled = false;
        reportWritten(0);
    }, Qt::QueuedConnection);
}

void QSeqpacketSocketPrivate::reportWritten(qint64 count)
{
    Q_Q(QSeqpacketSocket);
    count += unreportedWritten;
    unreportedWritten = 0;
    if (count > 0)
        emit q->packetsWritten(count);
}

void QSeqpacketSocketPrivate::handleSendFailure(int errorNumber, const QString &operation, bool withDescriptors)
{
    QSeqpacketDeletionGuard guard(guards);
    if (errorNumber == EINVAL && withDescriptors) {
        // sendmsg() refuses a control message only for its descriptors.
        setErrorAndEmit(QSeqpacketSocket::TooManyDescriptorsError, describe(operation, errorNumber));
        return;
    }
    if (errorNumber == ECONNRESET) {
        if (resetReported)
            errorNumber = EPIPE;
        resetReported = true;
    }
    setErrorAndEmit(operation, errorNumber);
    if (!guard)
        return;
    if (errorNumber == EPIPE || errorNumber == ECONNRESET) {
        // The peer reads no more, so the queue can never be written. What the peer sent is still
        // delivered: reading goes on until end-of-file, which then closes the connection.
        sender.clear();
        if (input.ended || input.shutdownByUs) {
            input.endPending = false;
            closeConnection();
        } else {
            updateNotifiers();
        }
    }
}

void QSeqpacketSocketPrivate::flushQueue()
{
    if (fd < 0)
        return;
    QSeqpacketDeletionGuard guard(guards);
    while (!sender.isEmpty()) {
        const QSeqpacketSender::FlushResult result = sender.flush(fd);
        if (result.written > 0 || unreportedWritten > 0) {
            reportWritten(result.written);
            if (!guard || fd < 0)
                return;
        }
        if (!result.error) {
            if (result.written > 0 && retries)
                retries->transientInterval = 0;
            break;
        }
        if (isTransient(result.error)) {
            // The queue stays as it is, in order; it is written again after a pause.
            pauseAfterTransientFailure(tr("sendPacket: sendmmsg"), result.error, false);
            return;
        }
        if (result.packetDropped) {
            if (result.error == EMSGSIZE || result.error == EPERM || result.error == ESRCH)
                reportRefusedPacket(result.error, result.droppedSize, result.droppedHadDescriptors,
                                    result.droppedHadCredentials);
            else
                setErrorAndEmit(tr("sendPacket: sendmmsg of a queued packet"), result.error);
            if (!guard || fd < 0)
                return;
            continue; // the packets behind it can still go
        }
        handleSendFailure(result.error, tr("sendPacket: sendmmsg"), true);
        return;
    }
    updateNotifiers();
    if (sender.isEmpty()) {
        if (output.shutdownRequested && !output.shutdownDone)
            finishWriteShutdown();
        if (state == QSeqpacketSocket::ClosingState)
            closeConnection();
    }
}

bool QSeqpacketSocketPrivate::finishWriteShutdown()
{
    output.shutdownDone = true;
    int errorNumber = 0;
    if (shutdownSocket(fd, SHUT_WR, &errorNumber))
        return true;
    setErrorAndEmit(tr("shutdown: shutdown(SHUT_WR)"), errorNumber);
    return false;
}

// ---------------------------------------------------------------------------------------------
// Ending
// ---------------------------------------------------------------------------------------------

void QSeqpacketSocketPrivate::closeConnection()
{
    Q_Q(QSeqpacketSocket);
    if (retries && retries->connectTimer)
        retries->connectTimer->stop();
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
    input.ended = true;
    input.endPending = false;
    QSeqpacketDeletionGuard guard(guards);
    setState(QSeqpacketSocket::UnconnectedState);
    if (guard && wasConnected)
        emit q->disconnected();
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

bool QSeqpacketSocketPrivate::waitOnce(const QDeadlineTimer &deadline, WaitInterest interest)
{
    // Without an event loop, packets sendPacket() handed over at once are reported here.
    if (unreportedWritten > 0 && !writtenReportScheduled)
        reportWritten(0);
    if (fd < 0)
        return false;
    if (input.paused || output.paused) {
        // Without an event loop nothing else resumes: wait out the pause here (not past the deadline).
        const Retries &r = retry(); // made by the pause
        const qint64 pause = r.transientAt.remainingTime();
        const qint64 remaining = deadline.remainingTime();
        pollUntil(-1, 0, QDeadlineTimer(remaining < 0 ? pause : qMin(pause, remaining)));
        if (!r.transientAt.hasExpired())
            return false; // the deadline came first
        if (r.transientTimer)
            r.transientTimer->stop();
        resumeAfterTransientFailure();
        return fd >= 0;
    }
    const bool wantRead = interest == WaitInterest::ReadsAndWrites;
    short events = 0;
    if (wantRead && !input.ended)
        events |= POLLIN;
    if (!sender.isEmpty())
        events |= POLLOUT;
    const PollResult waited = pollUntil(fd, events, deadline);
    if (waited.outcome == PollResult::TimedOut)
        return false;
    if (waited.outcome == PollResult::Failed) {
        setErrorAndEmit(tr("waitFor: poll"), waited.error);
        return false;
    }
    if (waited.revents & POLLOUT)
        flushQueue();
    if (fd >= 0 && (waited.revents & (POLLIN | POLLHUP | POLLERR)) && wantRead)
        readAndDispatch(ReadLimit::QueueLimits);
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
    if (d->pendingIn) // deleted before the server's nextPendingConnection() handed it out
        QSeqpacketServerPrivate::forgetPending(d->pendingIn, this);
    // No signals from a destructor: just let everything go.
    if (d->fd >= 0) {
        if (d->watch)
            d->watch->watch(-1, false, false); // before the descriptor goes
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

std::pair<QSeqpacketSocket *, QSeqpacketSocket *> QSeqpacketSocket::createPair(QObject *parent)
{
    auto *first = new QSeqpacketSocket(parent);
    auto *second = new QSeqpacketSocket(parent);
    int fds[2];
    int errorNumber = 0;
    if (!openSeqpacketPair(fds, &errorNumber)) {
        first->d_func()->setErrorAndEmit(tr("createPair: socketpair"), errorNumber);
        second->d_func()->setErrorAndEmit(tr("createPair: socketpair"), errorNumber);
        return { first, second };
    }
    // Nobody can be listening to the new sockets yet: their first signals reach no one.
    if (!first->d_func()->adoptConnected(fds[0], QStringLiteral("createPair")))
        closeDescriptor(fds[0]);
    if (!second->d_func()->adoptConnected(fds[1], QStringLiteral("createPair")))
        closeDescriptor(fds[1]);
    return { first, second };
}

bool QSeqpacketSocket::setSocketDescriptor(int fd)
{
    Q_D(QSeqpacketSocket);
    if (fd < 0) {
        d->setErrorAndEmit(OperationError, tr("setSocketDescriptor: %1 is not a descriptor").arg(fd));
        return false;
    }
    const QString problem = socketRoleProblem(fd, SocketRole::Connected);
    if (!problem.isEmpty()) {
        d->setErrorAndEmit(OperationError, tr("setSocketDescriptor: %1").arg(problem));
        return false;
    }
    int errorNumber = 0;
    if (!setNonBlocking(fd, &errorNumber) || !setCloseOnExec(fd, &errorNumber)) {
        d->setErrorAndEmit(tr("setSocketDescriptor: fcntl"), errorNumber);
        return false;
    }
    if (d->state != UnconnectedState)
        abort();
    d->error = NoError;
    d->errorString.clear();
    d->receiver.clear();
    return d->adoptConnected(fd, QStringLiteral("setSocketDescriptor"));
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
    if (d->retries && d->retries->connectTimer)
        d->retries->connectTimer->stop();
    const int fd = d->fd;
    d->fd = -1;
    d->input.ended = true;
    d->input.endPending = false;
    d->updateNotifiers();
    d->setState(UnconnectedState);
    return fd;
}

QSeqpacketSocket *QSeqpacketSocket::duplicate(QObject *parent)
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0 || d->state != ConnectedState) {
        d->setErrorAndEmit(OperationError, tr("duplicate: the socket is not connected"));
        return nullptr;
    }
    int errorNumber = 0;
    const int copy = duplicateDescriptor(d->fd, &errorNumber);
    if (copy == -1) {
        d->setErrorAndEmit(tr("duplicate: fcntl(F_DUPFD_CLOEXEC)"), errorNumber);
        return nullptr;
    }
    auto *socket = new QSeqpacketSocket(parent);
    socket->setPerPacketCredentials(d->perPacketCredentials);
    socket->d_func()->perPacketProcessFd = d->perPacketProcessFd;
    socket->d_func()->receiver.setDescriptorLimit(d->receiver.descriptorLimit());
    if (!socket->setSocketDescriptor(copy)) {
        d->setErrorAndEmit(socket->error(), tr("duplicate: %1").arg(socket->errorString()));
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
    int errorNumber = 0;
    const QSeqpacketCredentials credentials = peerCredentialsOf(d->fd, &errorNumber);
    if (!credentials.isValid())
        qCWarning(lcSeqpacketSocket, "%s", qPrintable(describe(QStringLiteral("peerCredentials: getsockopt(SO_PEERCRED)"), errorNumber)));
    return credentials;
}

QByteArray QSeqpacketSocket::peerSecurityContext() const
{
    Q_D(const QSeqpacketSocket);
    if (d->fd < 0) {
        d->setQueryError(OperationError, tr("peerSecurityContext: the socket is not connected"));
        return {};
    }
    int errorNumber = 0;
    const QByteArray context = peerSecurityContextOf(d->fd, &errorNumber);
    if (errorNumber == ENOPROTOOPT) {
        d->setQueryError(UnsupportedOperationError,
                         tr("peerSecurityContext: no security module gives this system a peer context (%1)")
                                 .arg(describe(QStringLiteral("SO_PEERSEC"), errorNumber)));
    } else if (errorNumber) {
        d->setQueryError(tr("peerSecurityContext: getsockopt(SO_PEERSEC)"), errorNumber);
    }
    return context;
}

QSeqpacketFileDescriptor QSeqpacketSocket::peerProcessFileDescriptor() const
{
    Q_D(const QSeqpacketSocket);
    if (d->fd < 0) {
        d->setQueryError(OperationError, tr("peerProcessFileDescriptor: the socket is not connected"));
        return {};
    }
    int errorNumber = 0;
    const int pidfd = peerProcessDescriptorOf(d->fd, &errorNumber);
    if (errorNumber == ENOPROTOOPT) {
        d->setQueryError(UnsupportedOperationError,
                         tr("peerProcessFileDescriptor: this kernel has no SO_PEERPIDFD (Linux 6.5 or later) (%1)")
                                 .arg(QString::fromLocal8Bit(strerror(errorNumber))));
    } else if (errorNumber) {
        d->setQueryError(tr("peerProcessFileDescriptor: getsockopt(SO_PEERPIDFD)"), errorNumber);
    }
    return QSeqpacketFileDescriptor::adopt(pidfd);
}

bool QSeqpacketSocket::sendPacket(QByteArrayView data)
{
    return sendPacket(data, {});
}

bool QSeqpacketSocket::sendPacket(QByteArrayView data, const QList<QSeqpacketFileDescriptor> &fds)
{
    iovec part = { const_cast<char *>(data.data()), size_t(data.size()) };
    return d_func()->sendParts(&part, 1, data.size(), fds, nullptr, nullptr);
}

bool QSeqpacketSocket::sendPacket(const QSeqpacketPacket &packet)
{
    const QByteArray data = packet.data();
    iovec part = { const_cast<char *>(data.constData()), size_t(data.size()) };
    const QSeqpacketCredentials credentials = QSeqpacketPacketPrivate::credentialsToSend(packet);
    if (!credentials.isValid())
        return d_func()->sendParts(&part, 1, data.size(), packet.fileDescriptors(), nullptr, &data);
    const ucred raw = { pid_t(credentials.processId()), uid_t(credentials.userId()), gid_t(credentials.groupId()) };
    return d_func()->sendParts(&part, 1, data.size(), packet.fileDescriptors(), &raw, &data);
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
    return d->sendParts(vectors.data(), int(vectors.size()), size, fds, nullptr, nullptr);
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

bool QSeqpacketSocket::setSendBufferSize(qint64 bytes)
{
    Q_D(QSeqpacketSocket);
    if (bytes <= 0 || bytes > INT_MAX) {
        d->setErrorAndEmit(OperationError, tr("setSendBufferSize: %1 bytes is not a buffer size (1 to %2)")
                                                   .arg(bytes).arg(INT_MAX));
        return false;
    }
    if (d->fd >= 0) {
        if (!d->applyBufferSize(d->fd, SO_SNDBUF, bytes, QStringLiteral("setSendBufferSize")))
            return false;
        int ignored = 0;
        d->sendBufferSize = intOption(d->fd, SOL_SOCKET, SO_SNDBUF, &ignored);
    }
    d->requestedSendBuffer = bytes;
    return true;
}

qint64 QSeqpacketSocket::sendBufferSize() const
{
    Q_D(const QSeqpacketSocket);
    if (d->fd < 0)
        return d->requestedSendBuffer;
    int errorNumber = 0;
    const int size = intOption(d->fd, SOL_SOCKET, SO_SNDBUF, &errorNumber);
    if (size == -1)
        d->setQueryError(tr("sendBufferSize: getsockopt(SO_SNDBUF)"), errorNumber);
    return size;
}

bool QSeqpacketSocket::setReceiveBufferSize(qint64 bytes)
{
    Q_D(QSeqpacketSocket);
    if (bytes <= 0 || bytes > INT_MAX) {
        d->setErrorAndEmit(OperationError, tr("setReceiveBufferSize: %1 bytes is not a buffer size (1 to %2)")
                                                   .arg(bytes).arg(INT_MAX));
        return false;
    }
    if (d->fd >= 0 && !d->applyBufferSize(d->fd, SO_RCVBUF, bytes, QStringLiteral("setReceiveBufferSize")))
        return false;
    d->requestedReceiveBuffer = bytes;
    return true;
}

qint64 QSeqpacketSocket::receiveBufferSize() const
{
    Q_D(const QSeqpacketSocket);
    if (d->fd < 0)
        return d->requestedReceiveBuffer;
    int errorNumber = 0;
    const int size = intOption(d->fd, SOL_SOCKET, SO_RCVBUF, &errorNumber);
    if (size == -1)
        d->setQueryError(tr("receiveBufferSize: getsockopt(SO_RCVBUF)"), errorNumber);
    return size;
}

qint64 QSeqpacketSocket::maxPacketSize() const
{
    const qint64 buffer = d_func()->fd < 0 ? -1 : sendBufferSize();
    return buffer < 0 ? -1 : qMax<qint64>(buffer - SendBufferOverhead, 0);
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
    return d->receiver.isEmpty() ? -1 : d->receiver.head()->sizeBeforeTruncation();
}

QSeqpacketPacket QSeqpacketSocket::receivePacket(qint64 maxSize)
{
    return d_func()->packetFromQueue(QSeqpacketSocketPrivate::ReadMode::Take, maxSize);
}

qint64 QSeqpacketSocket::receivePacket(char *data, qint64 maxSize, bool *truncated)
{
    return d_func()->copyFromQueue(QSeqpacketSocketPrivate::ReadMode::Take, data, maxSize, truncated);
}

QSeqpacketPacket QSeqpacketSocket::peekPacket(qint64 maxSize)
{
    return d_func()->packetFromQueue(QSeqpacketSocketPrivate::ReadMode::Peek, maxSize);
}

qint64 QSeqpacketSocket::peekPacket(char *data, qint64 maxSize, bool *truncated)
{
    return d_func()->copyFromQueue(QSeqpacketSocketPrivate::ReadMode::Peek, data, maxSize, truncated);
}

bool QSeqpacketSocket::setPerPacketCredentials(bool enabled)
{
    Q_D(QSeqpacketSocket);
    int errorNumber = 0;
    if (d->fd >= 0 && !setIntOption(d->fd, SOL_SOCKET, SO_PASSCRED, enabled ? 1 : 0, &errorNumber)) {
        d->setErrorAndEmit(tr("setPerPacketCredentials: setsockopt(SO_PASSCRED)"), errorNumber);
        return false;
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
    if (count < 0 || count > MaxDescriptorsPerPacket) {
        d->setErrorAndEmit(OperationError, tr("setReceiveDescriptorLimit: %1 is not between 0 and %2")
                                                   .arg(count).arg(MaxDescriptorsPerPacket));
        return;
    }
    const bool refusalChanges = (count == 0) != (d->receiver.descriptorLimit() == 0);
    d->receiver.setDescriptorLimit(count);
    if (refusalChanges && d->fd >= 0) {
        // SO_PASSRIGHTS (Linux 6.16) lets the kernel refuse descriptors for us; older kernels
        // say ENOPROTOOPT and the limit of 0 closes what arrives instead.
        int errorNumber = 0;
        if (!setIntOption(d->fd, SOL_SOCKET, SoPassRights, count == 0 ? 0 : 1, &errorNumber) && errorNumber != ENOPROTOOPT)
            d->setErrorAndEmit(tr("setReceiveDescriptorLimit: setsockopt(SO_PASSRIGHTS)"), errorNumber);
    }
}

int QSeqpacketSocket::receiveDescriptorLimit() const
{
    return d_func()->receiver.descriptorLimit();
}

bool QSeqpacketSocket::setPerPacketProcessFileDescriptor(bool enabled)
{
    Q_D(QSeqpacketSocket);
    int errorNumber = 0;
    bool applied = true;
    if (d->fd >= 0) {
        applied = setIntOption(d->fd, SOL_SOCKET, SoPassPidfd, enabled ? 1 : 0, &errorNumber);
    } else if (enabled && !socketOptionSupported(SoPassPidfd)) {
        // Said now rather than when a connection is adopted, where it would fail the connection.
        applied = false;
        errorNumber = ENOPROTOOPT;
    }
    if (!applied) {
        if (errorNumber == ENOPROTOOPT) {
            d->setErrorAndEmit(UnsupportedOperationError,
                               tr("setPerPacketProcessFileDescriptor: this kernel has no SO_PASSPIDFD (Linux 6.5 or "
                                  "later) (%1)").arg(QString::fromLocal8Bit(strerror(errorNumber))));
        } else {
            d->setErrorAndEmit(tr("setPerPacketProcessFileDescriptor: setsockopt(SO_PASSPIDFD)"), errorNumber);
        }
        return false;
    }
    d->perPacketProcessFd = enabled;
    d->receiver.setProcessDescriptorExpected(enabled);
    return true;
}

bool QSeqpacketSocket::perPacketProcessFileDescriptor() const
{
    return d_func()->receiver.processDescriptorExpected();
}

bool QSeqpacketSocket::shutdown(ShutdownDirection direction)
{
    Q_D(QSeqpacketSocket);
    if (d->fd < 0 || d->state != ConnectedState) {
        d->setErrorAndEmit(OperationError, tr("shutdown: the socket is not connected"));
        return false;
    }
    if (direction & ShutdownRead) {
        int errorNumber = 0;
        if (!shutdownSocket(d->fd, SHUT_RD, &errorNumber)) {
            d->setErrorAndEmit(tr("shutdown: shutdown(SHUT_RD)"), errorNumber);
            return false;
        }
        d->input.shutdownByUs = true;
    }
    if (direction & ShutdownWrite) {
        d->output.shutdownRequested = true;
        if (d->sender.isEmpty() && !d->output.shutdownDone && !d->finishWriteShutdown())
            return false;
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
    QSeqpacketDeletionGuard guard(d->guards);
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
        d->setErrorAndEmit(tr("takeError: getsockopt(SO_ERROR)"), errorNumber);
        return d->error;
    }
    if (pending == 0)
        return NoError;
    if (pending == ECONNRESET)
        d->resetReported = true;
    d->setError(tr("takeError: pending socket error"), pending);
    return errorFromErrno(pending);
}

bool QSeqpacketSocket::waitForConnected(int msecs)
{
    return waitForConnected(QDeadlineTimer(msecs));
}

bool QSeqpacketSocket::waitForPacket(int msecs)
{
    return waitForPacket(QDeadlineTimer(msecs));
}

bool QSeqpacketSocket::waitForPacketsWritten(int msecs)
{
    return waitForPacketsWritten(QDeadlineTimer(msecs));
}

bool QSeqpacketSocket::waitForDisconnected(int msecs)
{
    return waitForDisconnected(QDeadlineTimer(msecs));
}

bool QSeqpacketSocket::waitForConnected(QDeadlineTimer deadline)
{
    Q_D(QSeqpacketSocket);
    // The server's backlog is full while the socket is still connecting; nothing to poll on
    // but time, so it asks again every few milliseconds.
    constexpr qint64 RetryPause = 5;
    while (d->state == ConnectingState) {
        d->attemptConnect();
        if (d->state != ConnectingState)
            break;
        if (deadline.hasExpired()) {
            d->setTimeoutError(QStringLiteral("waitForConnected"));
            return false;
        }
        const qint64 remaining = deadline.remainingTime();
        pollUntil(-1, 0, QDeadlineTimer(remaining < 0 ? RetryPause : qMin(remaining, RetryPause)));
    }
    return d->state == ConnectedState;
}

bool QSeqpacketSocket::waitForPacket(QDeadlineTimer deadline)
{
    Q_D(QSeqpacketSocket);
    for (;;) {
        if (hasPendingPackets())
            return true;
        if (d->input.endPending)
            d->processEndOfInput();
        if (d->fd < 0 || d->input.ended)
            return false;
        if (!d->waitOnce(deadline, QSeqpacketSocketPrivate::WaitInterest::ReadsAndWrites)) {
            if (deadline.hasExpired())
                d->setTimeoutError(QStringLiteral("waitForPacket"));
            return !d->receiver.isEmpty();
        }
    }
}

bool QSeqpacketSocket::waitForPacketsWritten(QDeadlineTimer deadline)
{
    Q_D(QSeqpacketSocket);
    QSeqpacketDeletionGuard guard(d->guards);
    // Packets sendPacket() handed to the kernel at once count as written now.
    d->reportWritten(0);
    if (!guard)
        return false;
    while (!d->sender.isEmpty()) {
        if (d->fd < 0)
            return false;
        const bool roomToRead = !d->queueFull();
        if (!d->waitOnce(deadline, roomToRead ? QSeqpacketSocketPrivate::WaitInterest::ReadsAndWrites
                                              : QSeqpacketSocketPrivate::WaitInterest::WritesOnly)) {
            if (deadline.hasExpired())
                d->setTimeoutError(QStringLiteral("waitForPacketsWritten"));
            return false;
        }
    }
    return true;
}

bool QSeqpacketSocket::waitForDisconnected(QDeadlineTimer deadline)
{
    Q_D(QSeqpacketSocket);
    while (d->state != UnconnectedState) {
        if (d->input.endPending)
            d->processEndOfInput();
        if (d->state == UnconnectedState)
            break;
        if (d->fd < 0)
            return false;
        // Read everything until end-of-file (the caller waits for the end, not for packets) and
        // write what is queued. With nothing left to read or write (after our own read shutdown)
        // only the peer's close, POLLHUP, can end this; poll() reports it unasked.
        short events = d->input.ended ? 0 : POLLIN;
        if (!d->sender.isEmpty())
            events |= POLLOUT;
        const PollResult waited = pollUntil(d->fd, events, deadline);
        if (waited.outcome == PollResult::TimedOut) {
            d->setTimeoutError(QStringLiteral("waitForDisconnected"));
            return false;
        }
        if (waited.outcome == PollResult::Failed) {
            d->setErrorAndEmit(tr("waitForDisconnected: poll"), waited.error);
            return false;
        }
        if (waited.revents & POLLOUT)
            d->flushQueue();
        if (d->fd < 0)
            continue;
        if (d->input.ended && (waited.revents & POLLHUP))
            d->closeConnection();
        else if (!d->input.ended && (waited.revents & (POLLIN | POLLHUP | POLLERR)))
            d->readAndDispatch(QSeqpacketSocketPrivate::ReadLimit::Unlimited);
    }
    return true;
}

void QSeqpacketSocket::connectNotify(const QMetaMethod &signal)
{
    if (signal == packetsWrittenSignal()) {
        Q_D(QSeqpacketSocket);
        d->packetsWrittenEverConnected.store(true, std::memory_order_relaxed);
        // Packets written while nothing listened are counted too, once, from the socket's event
        // loop (the connection may be made from another thread).
        QMetaObject::invokeMethod(this, [d] { d->reportWritten(0); }, Qt::QueuedConnection);
    }
    QObject::connectNotify(signal);
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
