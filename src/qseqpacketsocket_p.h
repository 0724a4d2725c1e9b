// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSOCKET_P_H
#define QSEQPACKETSOCKET_P_H

#include "qseqpacketsocket.h"
#include "qseqpacketdeletionguard_p.h"
#include "qseqpacketreceiver_p.h"
#include "qseqpacketsender_p.h"
#include "qseqpacketwatch_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>

#include <cerrno>

#include <atomic>
#include <memory>
#include <optional>

class QSeqpacketServer;
class QTimer;
struct iovec;
struct ucred;

// The socket's state machine. Every system call it makes goes through QSeqpacketSystem; the
// packets themselves wait in the receiver and the sender.
class QSeqpacketSocketPrivate
{
    Q_DECLARE_PUBLIC(QSeqpacketSocket)
    Q_DECLARE_TR_FUNCTIONS(QSeqpacketSocket)
public:
    // How much readAndDispatch() takes off the kernel.
    enum class ReadLimit { QueueLimits, Unlimited };
    // receivePacket() takes the head of the queue; peekPacket() leaves it there.
    enum class ReadMode { Take, Peek };
    // What a waitFor...() round waits for besides writing the send queue.
    enum class WaitInterest { WritesOnly, ReadsAndWrites };

    explicit QSeqpacketSocketPrivate(QSeqpacketSocket *q) : q_ptr(q) {}
    ~QSeqpacketSocketPrivate() { QSeqpacketDeletionGuard::ownerDestroyed(guards); }

    static QSeqpacketSocketPrivate *get(QSeqpacketSocket *socket) { return socket->d_func(); }

    // What a descriptor is known to have on already, so that adopting it need not ask the kernel:
    // an accepted connection has what its listening socket had (unix_sock_inherit_flags()).
    struct KnownOptions
    {
        bool passCredentials = false; // SO_PASSCRED
        bool passProcessFd = false;   // SO_PASSPIDFD
    };

    // The one way into ConnectedState: takes a connected descriptor that is already non-blocking
    // and close-on-exec, turns on the socket options the receiver needs and emits stateChanged().
    // Returns false and reports (with errorOccurred()) where those options cannot be set; the
    // descriptor then stays the caller's. Without \a known the descriptor's options are asked.
    bool adoptConnected(int fd, const QString &operation, const KnownOptions *known = nullptr);
    // SO_SNDBUF, read from the kernel the first time it is needed after a descriptor is adopted.
    int knownSendBufferSize();

    void setState(QSeqpacketSocket::State newState);
    // setError() records what failed, for error() and errorString(): a query that cannot be
    // answered, a timeout. setErrorAndEmit() also emits errorOccurred(): the connection or the
    // call failed. The errno overloads describe the system's reason for \a operation.
    void setError(QSeqpacketSocket::SocketError error, const QString &message);
    void setError(const QString &operation, int errnoValue);
    void setErrorAndEmit(QSeqpacketSocket::SocketError error, const QString &message);
    void setErrorAndEmit(const QString &operation, int errnoValue);

    // The watch follows the socket's needs: reading while the receive queue has room and input
    // has not ended, writing while packets are queued.
    void updateNotifiers();
    void ensureWatch();

    void connectToServer(const QSeqpacketAddress &server, const QSeqpacketAddress *bindAddress);
    void attemptConnect();
    void scheduleConnectRetry();
    // Closes a descriptor that never got connected and goes back to UnconnectedState.
    void failConnecting(const QString &operation, int errnoValue);

    // Reads what the kernel has (up to the queue limits), then tells the application.
    void readAndDispatch(ReadLimit limit);
    // Where the receive queue is empty, reads without telling anyone yet (a query or receive call).
    void fillIfEmpty();
    void emitPacketReady();
    void schedulePendingWork();
    void handleReadResult(const QSeqpacketReceiver::ReadResult &result);
    void reportReset();
    void processEndOfInput();
    void packetTaken(bool queueWasFull);
    // The head of the receive queue for receivePacket() and peekPacket(); none where none waits.
    // Whether a packet is queued, after reading the kernel where none is (see fillIfEmpty()).
    bool queueHasPacket();
    // The first queued packet, taken out (there is one).
    QSeqpacketPacket takeFromQueue();
    QSeqpacketPacket packetFromQueue(ReadMode mode, qint64 maxSize);
    qint64 copyFromQueue(ReadMode mode, char *data, qint64 maxSize, bool *truncated);

    bool sendParts(const iovec *parts, int partCount, qint64 size, const QList<QSeqpacketFileDescriptor> &fds,
                   const ucred *credentials, const QByteArray *wholeData);
    void flushQueue();
    // \a withDescriptors: what was sent may have carried descriptors (EINVAL then means too many).
    void handleSendFailure(int error, const QString &operation, bool withDescriptors);
    // A send the kernel refused for the packet's own sake (too large, descriptors or credentials
    // refused): an error for that packet alone; the connection goes on.
    void reportRefusedPacket(int errnoValue, qint64 size, bool withDescriptors, bool withCredentials);
    QString tooLargeMessage(qint64 size) const;
    bool finishWriteShutdown(); // false where shutdown(SHUT_WR) failed (errorOccurred() said why)
    // packetsWritten(): counts \a count packets that reached the kernel, reported from the event
    // loop (or the next waitFor...() call) rather than from inside sendPacket().
    void countWrittenLater(qint64 count);
    void reportWritten(qint64 count);
    bool packetsWrittenIsConnected() const;

    // Buffer sizes and options asked for before a descriptor is adopted are applied to it.
    bool applyBufferSize(int descriptor, int option, qint64 bytes, const QString &operation);
    // A query of a const function records why it failed (error() without errorOccurred()).
    void setQueryError(QSeqpacketSocket::SocketError error, const QString &message) const;
    void setQueryError(const QString &operation, int errnoValue) const;

    // Ends the connection: closes the descriptor, drops unsent packets (received ones stay
    // readable) and emits stateChanged() and, where it was connected, disconnected().
    void closeConnection();

    // The kernel is short of memory (ENOMEM, ENOBUFS): nothing is lost, but asking again at once
    // would spin. Reading or writing pauses and is tried again after a growing interval; error()
    // says so, without errorOccurred(): the connection is fine.
    static bool isTransient(int errnoValue) { return errnoValue == ENOMEM || errnoValue == ENOBUFS; }
    void pauseAfterTransientFailure(const QString &operation, int errnoValue, bool reading);
    void resumeAfterTransientFailure();

    // One round of a waitFor...() call: waits until the descriptor is ready or the deadline
    // passes, then writes and reads what it can; returns false on timeout or failure.
    bool waitOnce(const QDeadlineTimer &deadline, WaitInterest interest);
    void setTimeoutError(const QString &operation);

    QSeqpacketSocket *q_ptr;
    int fd = -1;
    QSeqpacketSocket::State state = QSeqpacketSocket::UnconnectedState;
    QSeqpacketSocket::SocketError error = QSeqpacketSocket::NoError;
    QString errorString;

    // Where the thread has an event loop. Held here, not allocated: one allocation less per
    // accepted connection.
    std::optional<QSeqpacketWatch> watch;

    QSeqpacketReceiver receiver;
    QSeqpacketSender sender;
    qint64 sendQueueLimit = -1;
    int receiveQueuePackets = 256;
    qint64 receiveQueueBytes = 4 * 1024 * 1024;
    // At the queue's limits the kernel is not read until the reader takes a packet.
    bool queueFull() const { return receiver.count() >= receiveQueuePackets || receiver.bytes() >= receiveQueueBytes; }

    // The receive side of the connection; reset when a descriptor is adopted.
    struct InputState
    {
        bool ended = false;        // the kernel said end-of-file; nothing more will be read
        bool endPending = false;   // ... and the socket has not acted on it yet
        bool shutdownByUs = false; // shutdown(ShutdownRead): the peer may still be there
        // Set while packetReady() is emitted for a small read that emptied the kernel's queue: a
        // receive call that finds our queue empty then need not ask the kernel again (it would
        // only say EAGAIN; a request/response exchange saves two system calls a packet).
        bool kernelDrained = false;
        bool paused = false;       // the kernel was short of memory: read again after a while
        // The read notifier fired while the queue was at its limits: the reader is behind, and
        // the notifier rests until a packet is taken. Until it fires so, a full queue leaves it
        // on: a reader that keeps up empties the queue before the event loop's next round, and
        // switching the notifier off and on again costs the event loop a wake-up each time.
        bool readerBehind = false;
    } input;

    // The send side of the connection; reset when a descriptor is adopted.
    struct OutputState
    {
        bool shutdownRequested = false; // shutdown(ShutdownWrite), done once the queue is written
        bool shutdownDone = false;
        bool paused = false;            // the kernel was short of memory: write again after a while
    } output;

    // How packetReady() is being delivered.
    struct DispatchState
    {
        qint64 packetsTaken = 0;   // lets emitPacketReady() see whether a slot read anything
        bool emitting = false;     // inside emitPacketReady()
        bool refilled = false;     // the kernel was read for a packetReady() slot, see fillIfEmpty()
        bool workScheduled = false; // schedulePendingWork() has a call in the event queue
    } dispatch;

    // The guards of the calls in progress that emit signals: a slot may delete the socket.
    QSeqpacketDeletionGuard *guards = nullptr;
    // The server whose pending connections hold this socket, if any (see QSeqpacketServerPrivate).
    QSeqpacketServer *pendingIn = nullptr;

    // ECONNRESET is reported once a connection, by whichever direction meets it first.
    bool resetReported = false;
    // What setPerPacketCredentials() asked for. Whether the current descriptor delivers
    // credentials (asked for, or SO_PASSCRED already on when adopted) is receiver.credentialsExpected().
    bool perPacketCredentials = false;
    // What setPerPacketProcessFileDescriptor() asked for; the receiver says what the descriptor does.
    bool perPacketProcessFd = false;
    qint64 requestedSendBuffer = -1;    // setSendBufferSize(), -1 where not asked
    qint64 requestedReceiveBuffer = -1; // setReceiveBufferSize(), -1 where not asked
    int sendBufferSize = 0; // SO_SNDBUF as last read; 0 until knownSendBufferSize() reads it

    // Retrying: connecting to a server whose backlog is full, reading or writing again after the
    // kernel was short of memory. Made when first needed: most sockets never retry.
    struct Retries
    {
        QTimer *connectTimer = nullptr;
        std::optional<QSeqpacketAddress> connectAddress; // where connectToServer() connects
        int connectInterval = 1;
        QTimer *transientTimer = nullptr;
        QDeadlineTimer transientAt; // when paused reading or writing is tried again
        int transientInterval = 0;  // ms; grows while the failures go on, 0 after a success
    };
    std::unique_ptr<Retries> retries;
    Retries &retry()
    {
        if (!retries)
            retries = std::make_unique<Retries>();
        return *retries;
    }

    qint64 unreportedWritten = 0;      // packets sendPacket() handed over, for packetsWritten()
    bool writtenReportScheduled = false;
    // Set by the first connection to packetsWritten(), possibly from another thread. Until then
    // sends skip asking Qt whether the signal is connected (a hundred instructions a packet).
    std::atomic<bool> packetsWrittenEverConnected { false };
};

#endif
