// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSERVER_H
#define QSEQPACKETSERVER_H

#include "qseqpacketglobal.h"
#include "qseqpacketaddress.h"
#include "qseqpacketcredentials.h"
#include "qseqpacketsocket.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qobject.h>

#include <cstddef>
#include <functional>

class QSeqpacketServerPrivate;

/*!
 * \brief Listens for AF_UNIX SOCK_SEQPACKET connections.
 *
 * Listens on a path, an abstract name, or an unnamed address (the kernel then picks an abstract
 * name; serverAddress() tells which), on an adopted listening descriptor, or on one handed over by
 * systemd-style socket activation. Each accepted connection becomes a QSeqpacketSocket, a child
 * of the server, waiting in nextPendingConnection().
 *
 * An echo server on a socket file that only its own user may connect to:
 * \code
 * const QString path = QStringLiteral("/tmp/echo.sock");
 * auto *server = new QSeqpacketServer(this);
 * server->setSocketOptions(QSeqpacketServer::UserAccessOption);
 * connect(server, &QSeqpacketServer::newConnection, this, [server] {
 *     while (QSeqpacketSocket *client = server->nextPendingConnection()) {
 *         qDebug() << "client" << client->peerCredentials();
 *         connect(client, &QSeqpacketSocket::packetReady, client, [client] {
 *             while (client->hasPendingPackets())
 *                 client->sendPacket(client->receivePacket());   // data and descriptors back
 *         });
 *         connect(client, &QSeqpacketSocket::disconnected, client, &QObject::deleteLater);
 *     }
 * });
 *
 * QSeqpacketServer::removeServer(path);   // a socket file left by a server that died, if any
 * if (!server->listen(path))
 *     qWarning() << server->errorString();
 * \endcode
 *
 * In a thread without an event loop, waitForNewConnection() accepts instead:
 * \code
 * QSeqpacketServer server;
 * if (server.listen(QStringLiteral("@my-service")) && server.waitForNewConnection(-1)) {
 *     QSeqpacketSocket *client = server.nextPendingConnection();
 *     if (client->waitForPacket(5000))
 *         qDebug() << client->receivePacket();
 * }
 * \endcode
 *
 * \sa QSeqpacketSocket, QSeqpacketAddress
 */
class QSEQPACKET_EXPORT QSeqpacketServer : public QObject
{
    Q_OBJECT
public:
    /*! Who may connect to a socket file, beyond what the umask allows. */
    enum SocketOption {
        NoOptions = 0x0,          //!< the file's permissions follow the process's umask
        UserAccessOption = 0x1,   //!< the owner only
        GroupAccessOption = 0x2,  //!< the owner's group
        OtherAccessOption = 0x4,  //!< everybody else
        WorldAccessOption = 0x7   //!< everyone
    };
    /*! A combination of SocketOption values; see setSocketOptions(). */
    Q_DECLARE_FLAGS(SocketOptions, SocketOption)
    Q_FLAG(SocketOptions)

    /*! What listenActivated() does besides taking its socket. */
    enum ActivationOption {
        NoActivationOptions = 0x0,   //!< leave the environment as it is
        /*!
         * Once the socket is taken, remove LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES and
         * LISTEN_PIDFDID from the environment and make every descriptor handed over close-on-exec,
         * as sd_listen_fds(1) does, so that a child process does not take them for its own.
         */
        UnsetEnvironmentOption = 0x1
    };
    /*! A combination of ActivationOption values; see listenActivated(). */
    Q_DECLARE_FLAGS(ActivationOptions, ActivationOption)
    Q_FLAG(ActivationOptions)

    /*! Constructs a server that does not listen yet, a child of \a parent. */
    explicit QSeqpacketServer(QObject *parent = nullptr);
    /*! Stops listening, as close() does. */
    ~QSeqpacketServer() override;

    /*!
     * Listens on \a address. A path that holds the socket file of a server that has died fails
     * with AddressInUseError until removeServer() removes it; so does the path of a live server.
     */
    bool listen(const QSeqpacketAddress &address);
    /*! Listens on QSeqpacketAddress::fromString(\a address). */
    bool listen(const QString &address);
    /*! Adopts \a listeningFd, a listening AF_UNIX SOCK_SEQPACKET socket (made non-blocking and close-on-exec). */
    bool setSocketDescriptor(int listeningFd);
    /*!
     * Listens on a socket handed over by systemd-style socket activation (LISTEN_PID, LISTEN_FDS,
     * LISTEN_FDNAMES; descriptors from 3): the first listening seqpacket socket among them, or the
     * one named \a name in LISTEN_FDNAMES. Where LISTEN_PIDFDID is set (systemd 256 and later on
     * Linux 6.9 and later), it must name this process's pidfd too, so that a process that reused
     * the process id of the intended one does not take its sockets.
     */
    bool listenActivated(const QString &name = QString());
    /*! As listenActivated(const QString &), with \a options; see ActivationOption. */
    bool listenActivated(const QString &name, ActivationOptions options);
    /*! Stops listening and removes the socket file this server created (and no other). */
    void close();

    /*! True while the server listens. */
    bool isListening() const;
    /*! The address listened on; for an unnamed listen, the abstract name the kernel picked. */
    QSeqpacketAddress serverAddress() const;
    /*! The listening descriptor, or -1. */
    int socketDescriptor() const;

    /*! The socket file's permissions for the next listen(). */
    void setSocketOptions(SocketOptions options);
    /*! The socket file's permissions for the next listen(); NoOptions by default. */
    SocketOptions socketOptions() const;

    /*!
     * The kernel's backlog of connections not yet accepted, for the next listen() (default 128).
     * A negative \a size is refused: the backlog stays, with OperationError and errorString().
     */
    void setListenBacklogSize(int size);
    /*! The backlog for the next listen(); see setListenBacklogSize(). */
    int listenBacklogSize() const;
    /*!
     * At most \a count accepted connections wait for nextPendingConnection() (default 30); while
     * that many wait the server accepts no more, and new clients wait in the kernel's backlog.
     * 0 counts as 1; a negative \a count is refused (OperationError, errorString()).
     */
    void setMaxPendingConnections(int count);
    /*! How many accepted connections may wait; see setMaxPendingConnections(). */
    int maxPendingConnections() const;

    /*! True when an accepted connection waits in nextPendingConnection(). */
    bool hasPendingConnections() const;
    /*! The next accepted connection, a child of the server; nullptr where none waits. */
    QSeqpacketSocket *nextPendingConnection();
    /*! Waits for a connection in a thread without an event loop; \a timedOut tells why it returned false. */
    bool waitForNewConnection(int msecs = 0, bool *timedOut = nullptr);
    /*! As waitForNewConnection(int, bool *), until \a deadline. */
    bool waitForNewConnection(QDeadlineTimer deadline, bool *timedOut = nullptr);

    /*!
     * Decides, from its credentials (with supplementary groups), whether a peer may connect; a
     * rejected connection is closed before anyone sees it. An empty function accepts everyone.
     * Replaces a filter set with the other overload. A filter that throws rejects the connection.
     */
    void setPeerFilter(std::function<bool(const QSeqpacketCredentials &)> filter);
    /*!
     * Decides whether a peer may connect from the connection itself, before anyone sees it: the
     * filter may ask it anything a const QSeqpacketSocket answers (peerCredentials() with groups,
     * peerProcessFileDescriptor(), peerSecurityContext(), peerAddress()). A rejected connection is
     * closed; an accepted one goes on to incomingConnection() as any other. Replaces a filter set
     * with the other overload. A filter that throws rejects the connection; one that deletes the
     * server ends accepting.
     * \code
     * server->setPeerFilter([](const QSeqpacketSocket &connection) {
     *     // Only this user's processes, and only those in the client's SELinux domain.
     *     return connection.peerCredentials().userId() == ::getuid()
     *             && connection.peerSecurityContext().contains(":my_client_t:");
     * });
     * \endcode
     */
    void setPeerFilter(std::function<bool(const QSeqpacketSocket &connection)> filter);
    /*! Removes the peer filter, of either kind: everyone may connect again. Also what setPeerFilter({}) does. */
    void setPeerFilter(std::nullptr_t);

    /*!
     * At most \a count live connections of one user id (0, the default: no limit): a connection
     * beyond it is closed before anyone sees it, so that one user cannot take all of the server's
     * descriptors. A connection counts from its accept until it is disconnected or deleted.
     * Connections accepted while no limit was set are not counted. A negative \a count is
     * refused (OperationError, errorString()); the limit stays.
     */
    void setMaxConnectionsPerUser(int count);
    /*! The most live connections of one user id; 0 for no limit. See setMaxConnectionsPerUser(). */
    int maxConnectionsPerUser() const;

    /*!
     * Removes the socket file at \a path if no server listens on it any more. Never removes the
     * socket of a live server, nor a file that is not a socket. True when no stale file remains.
     */
    static bool removeServer(const QString &path);

    /*! The last error, a QSeqpacketSocket::SocketError; NoError until something fails. */
    QSeqpacketSocket::SocketError serverError() const;
    /*! What failed and the system's reason. */
    QString errorString() const;

Q_SIGNALS:
    /*!
     * New connections wait in nextPendingConnection(). Emitted once for all those accepted
     * together: take them in a loop until it returns nullptr. Not emitted from
     * waitForNewConnection().
     */
    void newConnection();
    /*! Accepting failed (for example out of descriptors); the server keeps listening and retries. */
    void acceptError(QSeqpacketSocket::SocketError socketError);

protected:
    /*!
     * Called with each accepted descriptor (non-blocking, close-on-exec) that passed the peer
     * filter. The default makes a QSeqpacketSocket of it and adds it with addPendingConnection();
     * a reimplementation may hand the descriptor to another thread instead.
     */
    virtual void incomingConnection(int socketDescriptor);
    /*!
     * Queues \a socket for nextPendingConnection(); for a reimplementation of
     * incomingConnection(). newConnection() follows once the connections accepted together have
     * gone through incomingConnection().
     */
    void addPendingConnection(QSeqpacketSocket *socket);

private:
    Q_DECLARE_PRIVATE(QSeqpacketServer)
    Q_DISABLE_COPY(QSeqpacketServer)
    QScopedPointer<QSeqpacketServerPrivate> d_ptr;
};

Q_DECLARE_OPERATORS_FOR_FLAGS(QSeqpacketServer::SocketOptions)
Q_DECLARE_OPERATORS_FOR_FLAGS(QSeqpacketServer::ActivationOptions)

#endif // QSEQPACKETSERVER_H
