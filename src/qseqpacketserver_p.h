// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSERVER_P_H
#define QSEQPACKETSERVER_P_H

#include "qseqpacketserver.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketsystemfiles_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qpointer.h>

#include <functional>
#include <optional>

class QSocketNotifier;
class QTimer;

class QSeqpacketServerPrivate
{
    Q_DECLARE_PUBLIC(QSeqpacketServer)
    Q_DECLARE_TR_FUNCTIONS(QSeqpacketServer)
public:
    explicit QSeqpacketServerPrivate(QSeqpacketServer *q) : q_ptr(q) {}

    // As in QSeqpacketSocketPrivate: setError() records what failed; setErrorAndEmit() also
    // tells the application, through acceptError() (the only failure a server signals: the
    // others are the results of the calls that failed). The errno overloads describe the
    // system's reason for \a operation.
    void setError(QSeqpacketSocket::SocketError error, const QString &message);
    void setError(const QString &operation, int errnoValue);
    void setErrorAndEmit(QSeqpacketSocket::SocketError error, const QString &message);
    void setErrorAndEmit(const QString &operation, int errnoValue);
    // A setter's value is refused: OperationError, errorString() and a warning; the setting stays.
    void refuseSetting(const QString &why);
    // Takes a listening descriptor: notifier, address, state.
    void startListening(int fd, const QSeqpacketAddress &address);
    void updateNotifier();
    // Accepts while connections wait and there is room among the pending ones.
    void acceptConnections();
    void scheduleAcceptRetry();
    bool createSocketFile(int fd, const QSeqpacketAddress &address);

    QSeqpacketServer *q_ptr;
    int fd = -1;
    QSeqpacketAddress address;
    QSeqpacketServer::SocketOptions options = QSeqpacketServer::NoOptions;
    int backlog = 128;
    int maxPending = 30;
    // Sockets accepted and not yet taken. Each knows it is here (its pendingIn), so that one the
    // application deletes meanwhile leaves the list (forgetPending()) without the QPointer that
    // would cost every connection an allocation of its shared reference count.
    QList<QSeqpacketSocket *> pending;
    static void forgetPending(QSeqpacketServer *server, QSeqpacketSocket *socket);
    static QSeqpacketServerPrivate *get(QSeqpacketServer *server) { return server->d_func(); }
    // Whether the peer of the accepted \a fd may connect: the filters and the per-user limit.
    // False where it may not, or where a filter deleted the server (then *serverGone is set).
    bool admit(int fd, bool *serverGone);
    // Counts \a socket against \a uid until it is disconnected or deleted.
    void countConnection(QSeqpacketSocket *socket, uint uid);
    void connectionEnded(QObject *socket);

    // SO_PASSCRED and SO_PASSPIDFD of the listening socket: every connection accepted has them too.
    QSeqpacketSocketPrivate::KnownOptions acceptedOptions;
    std::function<bool(const QSeqpacketCredentials &)> credentialsFilter;
    std::function<bool(const QSeqpacketSocket &)> connectionFilter;
    int maxConnectionsPerUser = 0;
    QHash<uint, int> connectionsPerUser;   // live connections by user id, while a limit is set
    QHash<QObject *, uint> countedConnections;
    // The user of the connection incomingConnection() is making, for addPendingConnection().
    std::optional<uint> acceptingUser;
    QSocketNotifier *notifier = nullptr;
    QTimer *retryTimer = nullptr;
    int retryInterval = 0;
    bool acceptPaused = false; // out of descriptors: waiting for the retry timer
    // The socket file this server made, so close() removes that file and no other.
    bool ownsFile = false;
    QSeqpacketSystem::FileIdentity file;

    QSeqpacketSocket::SocketError error = QSeqpacketSocket::NoError;
    QString errorString;
};

#endif
