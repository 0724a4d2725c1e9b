// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSOCKET_H
#define QSEQPACKETSOCKET_H

#include "qseqpacketglobal.h"
#include "qseqpacketaddress.h"
#include "qseqpacketcredentials.h"
#include "qseqpacketfiledescriptor.h"
#include "qseqpacketpacket.h"

#include <QtCore/qbytearrayview.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>

#include <utility>

class QSeqpacketSocketPrivate;

/*!
 * \brief A connected, non-blocking AF_UNIX SOCK_SEQPACKET socket.
 *
 * Every sendPacket() is one packet on the wire, delivered whole and in order; file descriptors
 * travel with packets; the peer's credentials are known. The socket never blocks the event loop:
 * a QSocketNotifier tells it when the descriptor is readable or writable. In a thread without an
 * event loop the waitFor...() calls drive it instead.
 *
 * Received packets are taken off the kernel in batches (recvmmsg) into a bounded queue that
 * receivePacket() reads from; packets the kernel cannot take at once are kept in a send queue
 * and written in batches (sendmmsg) when the socket becomes writable.
 *
 * A client, driven by the event loop:
 * \code
 * auto *socket = new QSeqpacketSocket(this);
 * connect(socket, &QSeqpacketSocket::packetReady, this, [socket] {
 *     while (socket->hasPendingPackets()) {
 *         const QSeqpacketPacket packet = socket->receivePacket();
 *         qDebug() << packet.data() << packet.fileDescriptors();
 *     }
 * });
 * connect(socket, &QSeqpacketSocket::disconnected, this, [] { qDebug() << "peer closed"; });
 * connect(socket, &QSeqpacketSocket::errorOccurred, this, [socket] {
 *     qWarning() << socket->errorString();
 * });
 *
 * socket->connectToServer(QSeqpacketAddress::fromString(QStringLiteral("@my-service")));
 * socket->sendPacket("hello");           // one packet, delivered whole
 * socket->sendPacket(QByteArrayView());  // a zero-length packet is a packet too
 * \endcode
 *
 * Without an event loop (a worker thread, a test), with a pair of sockets connected to each other:
 * \code
 * auto [a, b] = QSeqpacketSocket::createPair(this);
 * a->sendPacket("one");
 * a->sendPacket(QList<QByteArrayView>{ "t", "w", "o" });   // one packet from three buffers
 *
 * if (b->waitForPacket(1000)) {
 *     char buffer[16];
 *     const qint64 size = b->receivePacket(buffer, sizeof buffer);   // no allocation
 *     qDebug() << QByteArray(buffer, size);                            // "one"
 *     qDebug() << b->receivePacket().data();                           // "two"
 * }
 *
 * a->disconnectFromServer();
 * b->waitForDisconnected(1000);   // true: b has read the end of the connection
 * \endcode
 *
 * \sa QSeqpacketServer, QSeqpacketPacket, QSeqpacketAddress
 */
class QSEQPACKET_EXPORT QSeqpacketSocket : public QObject
{
    Q_OBJECT
    /*! The connection's state: state(), announced by stateChanged(). */
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
public:
    /*! Where the socket is in its life; see state() and stateChanged(). */
    enum State {
        UnconnectedState, //!< no connection: not yet connected, or closed
        ConnectingState,  //!< connectToServer() waits for room in the server's backlog
        ConnectedState,   //!< connected: packets can be sent and received
        ClosingState      //!< closing: queued packets are written first, then disconnected() follows
    };
    Q_ENUM(State)

    /*! What went wrong; see error() and errorString(), which also gives the system's reason. */
    enum SocketError {
        NoError,                 //!< nothing failed
        ConnectionRefusedError,  //!< nobody listens at the address (ECONNREFUSED), or it is not a seqpacket socket
        ServerNotFoundError,     //!< the socket file does not exist (ENOENT)
        SocketAccessError,       //!< permission denied (EACCES, EPERM)
        PeerClosedError,         //!< the peer is gone (EPIPE), or the write side was shut down
        ConnectionResetError,    //!< the peer closed with packets it had not read (ECONNRESET)
        PacketTooLargeError,     //!< larger than the socket's send buffer allows (EMSGSIZE)
        TooManyDescriptorsError, //!< more descriptors than the kernel takes in one packet (253)
        WouldBlockError,         //!< with a send queue limit of 0: the kernel cannot take the packet now
        SendQueueFullError,      //!< the send queue limit would be exceeded
        InvalidAddressError,     //!< the address cannot exist
        ResourceError,           //!< out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM)
        OperationError,          //!< not allowed in the socket's state, or a bad argument
        UnsupportedOperationError, //!< the kernel or system lacks the feature
        UnknownSocketError,      //!< any other failure; errorString() says which
        AddressInUseError,       //!< binding: the address is taken (EADDRINUSE)
        TimeoutError             //!< a waitFor...() call timed out (set without errorOccurred())
    };
    Q_ENUM(SocketError)

    /*! Which direction shutdown() closes. */
    enum ShutdownDirection {
        ShutdownRead = 0x1,                         //!< stop receiving (SHUT_RD)
        ShutdownWrite = 0x2,                        //!< stop sending, once queued packets are written (SHUT_WR)
        ShutdownBoth = ShutdownRead | ShutdownWrite //!< both directions
    };
    Q_ENUM(ShutdownDirection)

    /*! Constructs an unconnected socket, a child of \a parent. */
    explicit QSeqpacketSocket(QObject *parent = nullptr);
    /*! Closes the connection at once; unsent and unread packets and their descriptors are dropped. */
    ~QSeqpacketSocket() override;

    /*! The connection's state; UnconnectedState for a new socket. */
    State state() const;
    /*! The last error; NoError until something fails. */
    SocketError error() const;
    /*! What failed and the system's reason. */
    QString errorString() const;

    // --- making a connection -------------------------------------------------------------

    /*!
     * Connects to \a server. The socket is connected when this returns (the kernel queues the
     * connection until the server accepts it) unless the server's backlog is full, in which case
     * the socket stays in ConnectingState and retries until waitForConnected() or abort().
     * Failure sets error() and emits errorOccurred().
     */
    void connectToServer(const QSeqpacketAddress &server);
    /*! Binds to \a bindAddress first (an unnamed one lets the kernel pick an abstract name), then connects. */
    void connectToServer(const QSeqpacketAddress &server, const QSeqpacketAddress &bindAddress);

    /*!
     * Two sockets connected to each other (socketpair), children of \a parent (owned by the caller
     * where it is null). Where the system refuses, both are unconnected and error() says why.
     */
    static std::pair<QSeqpacketSocket *, QSeqpacketSocket *> createPair(QObject *parent = nullptr);

    /*!
     * Adopts \a fd, which must be a connected AF_UNIX SOCK_SEQPACKET socket; it is made
     * non-blocking and close-on-exec. Any current connection is aborted first. On failure \a fd
     * is left to the caller and false is returned.
     */
    bool setSocketDescriptor(int fd);
    /*! The descriptor, or -1 when unconnected. */
    int socketDescriptor() const;
    /*!
     * Hands the descriptor to the caller, who must close it, and leaves the socket unconnected.
     * Queued packets the kernel does not take at once are dropped; packets already received stay
     * readable. Returns -1 when there is none.
     */
    int releaseSocketDescriptor();
    /*! Another socket on a duplicate of the same connection, a child of \a parent; nullptr on failure. */
    QSeqpacketSocket *duplicate(QObject *parent = nullptr);

    /*! The address this socket is bound to (Unnamed where it is not). */
    QSeqpacketAddress localAddress() const;
    /*! The address the peer is bound to (Unnamed for a client or a socket pair). */
    QSeqpacketAddress peerAddress() const;
    /*! The peer's pid, uid, gid (and groups where the kernel has SO_PEERGROUPS) at connect time. */
    QSeqpacketCredentials peerCredentials() const;
    /*!
     * The peer's security context (SO_PEERSEC), such as an SELinux label. Where the system has none,
     * returns an empty array and sets error() to UnsupportedOperationError. A query that fails
     * sets error() without errorOccurred(): the connection itself is fine.
     */
    QByteArray peerSecurityContext() const;
    /*!
     * A pidfd for the peer process (SO_PEERPIDFD, Linux 6.5). Where the kernel has none, returns an
     * invalid descriptor and sets error() to UnsupportedOperationError.
     */
    QSeqpacketFileDescriptor peerProcessFileDescriptor() const;

    // --- sending ----------------------------------------------------------------------------

    /*! Sends \a data as one packet. Never blocks; see the send queue. */
    bool sendPacket(QByteArrayView data);
    /*! Sends \a data with \a fds (at most 253). The descriptors stay the caller's. */
    bool sendPacket(QByteArrayView data, const QList<QSeqpacketFileDescriptor> &fds);
    /*! Sends the data and descriptors of \a packet. */
    bool sendPacket(const QSeqpacketPacket &packet);
    /*! Sends one packet made of \a parts, in order (vectored I/O). */
    bool sendPacket(const QList<QByteArrayView> &parts);
    /*! Sends one packet made of \a parts, with \a fds. */
    bool sendPacket(const QList<QByteArrayView> &parts, const QList<QSeqpacketFileDescriptor> &fds);

    /*! Packets in the send queue, not yet taken by the kernel. */
    qint64 packetsToWrite() const;
    /*! Bytes in the send queue. */
    qint64 bytesToWrite() const;
    /*!
     * Limits the send queue to \a bytes: a packet that would take it past the limit fails with
     * SendQueueFullError. With 0 the socket has raw non-blocking semantics: a packet the kernel
     * cannot take now fails with WouldBlockError. A negative value means no limit (the default).
     */
    void setSendQueueLimit(qint64 bytes);
    /*! The send queue's limit in bytes; negative (the default) for none. See setSendQueueLimit(). */
    qint64 sendQueueLimit() const;

    /*!
     * Asks the kernel for a send buffer of \a bytes (SO_SNDBUF), now where the socket is
     * connected and for every descriptor it adopts later. The send buffer bounds the largest
     * packet (maxPacketSize()). The kernel doubles the request for its own bookkeeping and caps it
     * at twice net.core.wmem_max; sendBufferSize() tells what it applied. Fails with
     * OperationError for a size that is not 1 to INT_MAX bytes, nothing changed.
     */
    bool setSendBufferSize(qint64 bytes);
    /*!
     * The send buffer the kernel applied (SO_SNDBUF) where the socket is connected; otherwise
     * the size asked for with setSendBufferSize(), or -1.
     */
    qint64 sendBufferSize() const;
    /*!
     * Asks the kernel for a receive buffer of \a bytes (SO_RCVBUF), as setSendBufferSize() does
     * for sending: doubled, capped at twice net.core.rmem_max.
     */
    bool setReceiveBufferSize(qint64 bytes);
    /*! The receive buffer the kernel applied (SO_RCVBUF); unconnected, the size asked for, or -1. */
    qint64 receiveBufferSize() const;
    /*!
     * The largest payload one sendPacket() can carry now: the send buffer less the 32 bytes the
     * kernel keeps for itself; -1 where the socket is not connected. A larger packet fails with
     * PacketTooLargeError, whose message says how far setSendBufferSize() can raise it.
     */
    qint64 maxPacketSize() const;

    // --- receiving --------------------------------------------------------------------------

    /*!
     * True when a packet can be read now: one is queued, or the kernel has one (read without
     * blocking). Inside a packetReady() slot the kernel is asked only a bounded number of times,
     * see packetReady().
     */
    bool hasPendingPackets();
    /*! The next packet's real size in bytes; -1 where none waits. */
    qint64 pendingPacketSize();
    /*!
     * Takes the next packet off the queue. With \a maxSize >= 0 a longer payload is cut and the
     * packet says so; the rest is gone. Returns an invalid packet where none waits.
     */
    QSeqpacketPacket receivePacket(qint64 maxSize = -1);
    /*!
     * Takes the next packet into \a data (at most \a maxSize bytes) without allocating and returns
     * the bytes stored, or -1 where none waits or on bad input. \a truncated tells whether the
     * packet was longer. Descriptors that came with it are closed.
     */
    qint64 receivePacket(char *data, qint64 maxSize, bool *truncated = nullptr);
    /*! Like receivePacket() but leaves the packet on the queue; no descriptor is left behind. */
    QSeqpacketPacket peekPacket(qint64 maxSize = -1);
    /*! Like receivePacket(char *, qint64, bool *) but leaves the packet on the queue. */
    qint64 peekPacket(char *data, qint64 maxSize, bool *truncated = nullptr);

    /*!
     * With \a enabled each received packet carries its sender's credentials (SO_PASSCRED). Note
     * that the kernel then gives an unbound socket an abstract address when it connects or first
     * sends.
     *
     * The kernel stamps a packet with credentials when it is sent, and only where the receiving
     * socket asks for them by then. Enabled before connectToServer(), it holds from the very first
     * packet; enabled on a connected socket (an accepted one, say), packets the peer sent before
     * come without credentials.
     */
    bool setPerPacketCredentials(bool enabled);
    /*!
     * Whether received packets carry their sender's credentials: set with
     * setPerPacketCredentials(), or found on when a descriptor that already had SO_PASSCRED was
     * adopted (setSocketDescriptor(), an accepted connection of a listener that had it).
     */
    bool perPacketCredentials() const;

    /*!
     * The most descriptors accepted with one packet (0 to 253, default 253); more are closed by
     * the kernel before they reach this process, and the packet reports truncated descriptors.
     *
     * With 0, where the kernel can (SO_PASSRIGHTS, Linux 6.16 or later), it refuses packets with
     * descriptors altogether: they never reach this process, and the sender's sendmsg() fails
     * with EPERM (a QSeqpacketSocket sender gets SocketAccessError and a message that says so;
     * its connection goes on). On older kernels such packets arrive with their descriptors
     * closed and flagged, as for any other limit.
     */
    void setReceiveDescriptorLimit(int count);
    /*! The most descriptors accepted with one packet; see setReceiveDescriptorLimit(). */
    int receiveDescriptorLimit() const;

    /*!
     * With \a enabled each received packet carries a pidfd of its sender
     * (QSeqpacketPacket::processFileDescriptor(); SO_PASSPIDFD, Linux 6.5 or later): a handle on
     * the sending process that, unlike its process id, cannot come to mean another process. On an
     * older kernel this fails with UnsupportedOperationError and nothing changes. The pidfds count
     * against the receive buffer for control messages, so a packet's 253 descriptors still arrive whole.
     * As with setPerPacketCredentials(), packets the peer sent before it was enabled come without
     * a pidfd: enable it before connectToServer() to have one with every packet.
     */
    bool setPerPacketProcessFileDescriptor(bool enabled);
    /*!
     * Whether received packets carry a pidfd of their sender: set with
     * setPerPacketProcessFileDescriptor(), or found on when a descriptor that already had
     * SO_PASSPIDFD was adopted.
     */
    bool perPacketProcessFileDescriptor() const;

    // --- ending -----------------------------------------------------------------------------

    /*!
     * Shuts down one or both directions. A write shutdown takes effect once queued packets are
     * written; no packet can be sent after it.
     */
    bool shutdown(ShutdownDirection direction);
    /*! Writes queued packets, then closes (ClosingState until then) and emits disconnected(). */
    void disconnectFromServer();
    /*! Closes at once, dropping unsent and unread packets. */
    void abort();
    /*! Reads and clears the kernel's pending socket error (SO_ERROR); NoError where none. Sets error() without errorOccurred(). */
    SocketError takeError();

    // --- waiting ----------------------------------------------------------------------------

    /*!
     * Waits up to \a msecs milliseconds (-1: no limit) until a connectToServer() that is still in
     * ConnectingState has connected. True when the socket is connected; false when it failed, or
     * on time-out with error() set to TimeoutError.
     */
    bool waitForConnected(int msecs = 30000);
    /*! Waits until a packet can be read; true at once when one already can. */
    bool waitForPacket(int msecs = 30000);
    /*! Waits until the send queue is empty; true at once when it is. */
    bool waitForPacketsWritten(int msecs = 30000);
    /*! Waits until the connection has ended (peer closed, or queued packets flushed after disconnectFromServer()). */
    bool waitForDisconnected(int msecs = 30000);
    /*! As waitForConnected(int), until \a deadline. */
    bool waitForConnected(QDeadlineTimer deadline);
    /*! As waitForPacket(int), until \a deadline. */
    bool waitForPacket(QDeadlineTimer deadline);
    /*! As waitForPacketsWritten(int), until \a deadline. */
    bool waitForPacketsWritten(QDeadlineTimer deadline);
    /*! As waitForDisconnected(int), until \a deadline. */
    bool waitForDisconnected(QDeadlineTimer deadline);

Q_SIGNALS:
    /*!
     * connectToServer() has connected. Where the server accepts at once that is before
     * connectToServer() returns, so connect to this signal first. Sockets from createPair(),
     * setSocketDescriptor(), duplicate() or a QSeqpacketServer start connected without it.
     */
    void connected();
    /*!
     * The connection has ended: the peer closed, disconnectFromServer() finished, abort() was
     * called, or a failure closed it. The socket is now in UnconnectedState; packets it had
     * already received stay readable, unless abort() dropped them.
     */
    void disconnected();
    /*! The socket went into \a state. */
    void stateChanged(QSeqpacketSocket::State state);
    /*!
     * Something failed with \a socketError; errorString() says what and why. Some failures set
     * error() without this signal, as their functions say (a waitFor...() that timed out, takeError()).
     */
    void errorOccurred(QSeqpacketSocket::SocketError socketError);
    /*!
     * At least one packet waits. Emitted again after a slot that read some but not all of them; a
     * slot that reads nothing is not called again until new packets arrive.
     *
     * A slot may read while hasPendingPackets(): within one emission the library reads from the
     * kernel a bounded amount (the receive queue once more), then hasPendingPackets() is false and
     * the slot returns, even against a peer that sends as fast as it reads. The rest comes with
     * the next packetReady(), after the event loop has served timers and other sockets.
     *
     * Packets can arrive before anyone is connected to this signal (an accepted socket, or one
     * just moved to another thread): after connecting, check hasPendingPackets() once.
     */
    void packetReady();
    /*!
     * \a count packets reached the kernel. Every packet is counted once, also one that
     * sendPacket() handed to the kernel at once; this signal then comes from the event loop (or
     * the next waitFor...() call), never from inside sendPacket(), so a slot may send the next
     * packets. Packets written while nothing was connected to this signal are counted with the
     * first connection, from the event loop.
     */
    void packetsWritten(qint64 count);
    /*!
     * The peer will send nothing more (it closed or shut down its write side). Emitted after the
     * last packet's packetReady() and just before the socket closes: packets still queued for
     * a peer that reads are written first (ClosingState), then disconnected() follows.
     */
    void readChannelFinished();

protected:
    /*!
     * Handles \a event as QObject::event() does; a move to another thread also moves how the
     * socket watches its descriptor. A subclass that overrides this calls it for the events it
     * does not handle itself.
     */
    bool event(QEvent *event) override;
    /*!
     * Notes that \a signal has been connected; the socket counts its packets for
     * packetsWritten() only from the first connection to it on. A subclass that overrides this
     * calls it.
     */
    void connectNotify(const QMetaMethod &signal) override;

private:
    Q_DECLARE_PRIVATE(QSeqpacketSocket)
    Q_DISABLE_COPY(QSeqpacketSocket)
    QScopedPointer<QSeqpacketSocketPrivate> d_ptr;
    friend class QSeqpacketServer;
    friend class QSeqpacketServerPrivate;
};

/*!
 * \relates QSeqpacketSocket
 * Writes \a socket to \a debug: its address in memory, object name, descriptor and state, for
 * example QSeqpacketSocket(0x55d0c3a1e2b0, fd 7, QSeqpacketSocket::ConnectedState).
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketSocket *socket);

#endif // QSEQPACKETSOCKET_H
