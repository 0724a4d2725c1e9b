// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSOCKET_P_H
#define QSEQPACKETSOCKET_P_H

#include "qseqpacketsocket.h"
#include "qseqpacketreceiver_p.h"
#include "qseqpacketsender_p.h"

#include <QtCore/qdeadlinetimer.h>

class QSocketNotifier;
class QTimer;
struct iovec;

class QSeqpacketSocketPrivate
{
    Q_DECLARE_PUBLIC(QSeqpacketSocket)
public:
    explicit QSeqpacketSocketPrivate(QSeqpacketSocket *q) : q_ptr(q) {}

    static QSeqpacketSocketPrivate *get(QSeqpacketSocket *socket) { return socket->d_func(); }

    // Takes a connected descriptor that is already non-blocking and close-on-exec. Returns false
    // and reports where the socket options the receiver needs cannot be set.
    bool adoptConnected(int fd, const QString &operation);
    // Checks that \a fd is a connected AF_UNIX SOCK_SEQPACKET socket; errno-style reason otherwise.
    bool verifyConnectedSeqpacket(int fd, QString *reason) const;

    void setState(QSeqpacketSocket::State newState);
    void setError(QSeqpacketSocket::SocketError error, const QString &message);
    void setErrorFromErrno(const QString &operation, int error);

    // Notifiers follow the socket's needs: reading while the receive queue has room and input
    // has not ended, writing while packets are queued.
    void updateNotifiers();
    void ensureNotifiers();
    void ensureWriteNotifier();

    void connectToServer(const QSeqpacketAddress &server, const QSeqpacketAddress *bindAddress);
    void attemptConnect();
    void scheduleConnectRetry();

    // Reads what the kernel has (up to the queue limits), then tells the application.
    void readAndDispatch(bool unlimited = false);
    // Where the receive queue is empty, reads without telling anyone yet (a query or receive call).
    void fillIfEmpty();
    void emitPacketReady();
    void schedulePendingWork();
    void handleReadResult(const QSeqpacketReceiver::ReadResult &result);
    void processEndOfInput();
    void packetTaken();

    bool sendParts(const iovec *parts, int partCount, qint64 size,
                   const QList<QSeqpacketFileDescriptor> &fds, const QByteArray *wholeData);
    void flushQueue();
    void handleSendFailure(int error, const QString &operation);
    void finishWriteShutdown();

    // Ends the connection: closes the descriptor, drops unsent packets (received ones stay
    // readable) and emits stateChanged() and, where it was connected, disconnected().
    void closeConnection();

    // One poll() round for the waitFor...() calls; returns false on timeout.
    bool waitOnce(const QDeadlineTimer &deadline, bool wantRead);
    void setTimeoutError(const QString &operation);
    void setQueryError(QSeqpacketSocket::SocketError error, const QString &message);

    QSeqpacketSocket *q_ptr;
    int fd = -1;
    QSeqpacketSocket::State state = QSeqpacketSocket::UnconnectedState;
    QSeqpacketSocket::SocketError error = QSeqpacketSocket::NoError;
    QString errorString;

    QSocketNotifier *readNotifier = nullptr;
    QSocketNotifier *writeNotifier = nullptr;

    QTimer *connectRetryTimer = nullptr;
    QSeqpacketAddress connectAddress;
    int connectRetryInterval = 1;

    QSeqpacketReceiver receiver;
    QSeqpacketSender sender;
    qint64 sendQueueLimit = -1;
    int receiveQueuePackets = 256;
    qint64 receiveQueueBytes = 4 * 1024 * 1024;

    qint64 packetsTakenCount = 0;  // lets emitPacketReady() see whether a slot read anything
    bool emittingPacketReady = false;
    bool refilledThisDispatch = false; // the kernel was read for a packetReady() slot, see fillIfEmpty()
    bool pendingWorkScheduled = false;
    bool inputEnded = false;        // the kernel said end-of-file; nothing more will be read
    bool endOfInputPending = false; // ... and the socket has not acted on it yet
    bool readShutdownByUs = false;
    bool writeShutdownRequested = false;
    bool writeShutdownDone = false;
    bool resetReported = false;
    // What setPerPacketCredentials() asked for. Whether the current descriptor delivers
    // credentials (asked for, or SO_PASSCRED already on when adopted) is receiver.credentialsExpected().
    bool perPacketCredentials = false;
    // Set while packetReady() is emitted for a small read that emptied the kernel's queue: a
    // receive call that finds our queue empty then need not ask the kernel again (it would only
    // say EAGAIN; a request/response exchange saves two system calls a packet).
    bool kernelDrainedHint = false;
    int sendBufferSize = 0; // SO_SNDBUF, read when the connection is adopted
};

#endif
