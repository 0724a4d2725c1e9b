// SPDX-License-Identifier: MIT
#ifndef SEQPACKETSOCKET_QML_H
#define SEQPACKETSOCKET_QML_H

#include "seqpacketendpoint.h"
#include "seqpacketqmlglobal.h"

#include <QSeqpacketSocket>

class SeqpacketChannel;

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvariant.h>
#include <QtQml/qqmlengine.h>

/*!
 * \qmltype SeqpacketSocket
 * \brief A connection: an AF_UNIX SOCK_SEQPACKET socket for QML.
 *
 * Made in QML it is a client: set address ("/path" or "@abstract") and call connectToServer().
 * A SeqpacketServer makes one for each peer that connects.
 *
 * Received packets arrive through packetReceived(packet), where packet is a JavaScript object:
 *   data (ArrayBuffer), text, hex (helpers over at most decodeLimit bytes), isText, size (bytes
 *   received), originalSize (size on the wire), truncated, descriptorCount, descriptorsTruncated,
 *   descriptors (a list of descriptor objects, see below), direction ("in"), sequence (1, 2, ...),
 *   time (Date), timestamp (ms since the epoch). C++ reads them with seqpacketpacketkeys.h.
 * Each received descriptor is also announced through descriptorReceived(descriptor, packet):
 *   number, target (/proc/self/fd link), type ("regular", "memfd", "socket", "fifo", ...),
 *   isMemfd, size, mode, access, inode, device, seals, hasContent, firstBytes (ArrayBuffer, at
 *   most descriptorPreviewSize bytes of a regular file or memfd), firstBytesText, firstBytesHex.
 * The descriptors are open while the handlers run and are closed as soon as they return: nothing
 * received is left open.
 *
 * Every successful send emits packetSent(packet) with the same fields and direction "out".
 *
 * receiveLimit, decodeLimit and descriptorPreviewSize (SeqpacketEndpoint) apply to each packet as
 * it is read; a server's peers share the server's receiveOptions. With receiveOptions.decodeFrames
 * a packet that tries to be a frame of the message protocol also has a "frame" map.
 *
 * While a SeqpacketChannel is attached (its socket is this), the channel reads every packet:
 * this socket then emits no packetReceived or descriptorReceived and does not count what comes
 * in; it reads again once the channel lets go.
 */
class SEQPACKETQML_EXPORT SeqpacketSocket : public SeqpacketEndpoint
{
    Q_OBJECT
    QML_ELEMENT
    // The library's State and SocketError, not copies: SeqpacketSocket.ConnectedState in QML is
    // QSeqpacketSocket::ConnectedState.
    QML_EXTENDED_NAMESPACE(QSeqpacketSocket)

    Q_PROPERTY(QSeqpacketSocket::State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool connected READ isConnected NOTIFY stateChanged)

    Q_PROPERTY(QString localAddress READ localAddress NOTIFY peerChanged)
    Q_PROPERTY(QString peerAddress READ peerAddress NOTIFY peerChanged)
    Q_PROPERTY(bool peerCredentialsValid READ peerCredentialsValid NOTIFY peerChanged)
    Q_PROPERTY(qint64 peerPid READ peerPid NOTIFY peerChanged)
    Q_PROPERTY(qint64 peerUid READ peerUid NOTIFY peerChanged)
    Q_PROPERTY(qint64 peerGid READ peerGid NOTIFY peerChanged)
    Q_PROPERTY(QString peerUser READ peerUser NOTIFY peerChanged)
    Q_PROPERTY(QString peerGroup READ peerGroup NOTIFY peerChanged)
    Q_PROPERTY(QVariantList peerGroups READ peerGroups NOTIFY peerChanged)
    Q_PROPERTY(QString peerSecurityContext READ peerSecurityContext NOTIFY peerChanged)
    Q_PROPERTY(qint64 sendBufferSize READ sendBufferSize NOTIFY peerChanged)
    Q_PROPERTY(qint64 receiveBufferSize READ receiveBufferSize NOTIFY peerChanged)
    Q_PROPERTY(qint64 maxPacketSize READ maxPacketSize NOTIFY peerChanged)

    Q_PROPERTY(qint64 packetsSent READ packetsSent NOTIFY countersChanged)
    Q_PROPERTY(qint64 bytesSent READ bytesSent NOTIFY countersChanged)
    Q_PROPERTY(qint64 descriptorsSent READ descriptorsSent NOTIFY countersChanged)
    Q_PROPERTY(qint64 packetsReceived READ packetsReceived NOTIFY countersChanged)
    Q_PROPERTY(qint64 bytesReceived READ bytesReceived NOTIFY countersChanged)
    Q_PROPERTY(qint64 descriptorsReceived READ descriptorsReceived NOTIFY countersChanged)
    Q_PROPERTY(qint64 packetsToWrite READ packetsToWrite NOTIFY countersChanged)

public:
    /*!
     * The module's own error, beyond QSeqpacketSocket::SocketError: error holds one of those or
     * this. (QML sees QSeqpacketSocket's enums on this type: SeqpacketSocket.ConnectedState,
     * SeqpacketSocket.ConnectionRefusedError, ...)
     */
    enum ModuleError {
        InvalidDataError = 1000 //!< bad hex, a value that is not bytes, a file that cannot be opened
    };
    Q_ENUM(ModuleError)

    explicit SeqpacketSocket(QObject *parent = nullptr);
    /*!
     * Wraps \a socket, an accepted connection, and takes ownership of it; reads with
     * \a receiveOptions (the server's, shared by its peers), which must outlive it. Used by
     * SeqpacketServer.
     */
    SeqpacketSocket(QSeqpacketSocket *socket, SeqpacketReceiveOptions *receiveOptions, QObject *parent);
    ~SeqpacketSocket() override;

    QSeqpacketSocket::State state() const;
    bool isConnected() const { return state() == QSeqpacketSocket::ConnectedState; }

    QString localAddress() const { return m_localAddress; }
    QString peerAddress() const { return m_peerAddress; }
    bool peerCredentialsValid() const { return m_peerCredentialsValid; }
    qint64 peerPid() const { return m_peerPid; }
    qint64 peerUid() const { return m_peerUid; }
    qint64 peerGid() const { return m_peerGid; }
    QString peerUser() const { return m_peerUser; }
    QString peerGroup() const { return m_peerGroup; }
    QVariantList peerGroups() const { return m_peerGroups; }
    QString peerSecurityContext() const { return m_peerSecurityContext; }
    /*! The send buffer the kernel applied (SO_SNDBUF), as of the connection; -1 unconnected. */
    qint64 sendBufferSize() const { return m_sendBufferSize; }
    /*! The receive buffer the kernel applied (SO_RCVBUF), as of the connection; -1 unconnected. */
    qint64 receiveBufferSize() const { return m_receiveBufferSize; }
    /*! The largest packet one send can carry (QSeqpacketSocket::maxPacketSize()); -1 unconnected. */
    qint64 maxPacketSize() const { return m_maxPacketSize; }

    qint64 packetsSent() const { return m_packetsSent; }
    qint64 bytesSent() const { return m_bytesSent; }
    qint64 descriptorsSent() const { return m_descriptorsSent; }
    qint64 packetsReceived() const { return m_packetsReceived; }
    qint64 bytesReceived() const { return m_bytesReceived; }
    qint64 descriptorsReceived() const { return m_descriptorsReceived; }
    qint64 packetsToWrite() const;

    /*! The wrapped socket (for C++ users of the module). */
    QSeqpacketSocket *socket() const { return m_socket; }
    /*! The SeqpacketChannel that reads this socket's packets, or null. */
    SeqpacketChannel *channel() const;

    /*! Connects to address. */
    Q_INVOKABLE void connectToServer();
    /*! Sets address to \a address and connects to it. */
    Q_INVOKABLE void connectToServer(const QString &address);
    /*! Writes queued packets, then closes. */
    Q_INVOKABLE void disconnectFromServer();
    /*! Closes at once, dropping unsent and unread packets. */
    Q_INVOKABLE void abort();

    /*! Sends \a text (UTF-8) as one packet. */
    Q_INVOKABLE bool sendText(const QString &text);
    /*! Sends the bytes written as \a hex ("48 65 6c", "0x48:0x65", "48656c"). */
    Q_INVOKABLE bool sendHex(const QString &hex);
    /*! Sends \a data: an ArrayBuffer, a string (UTF-8) or a list of byte values. */
    Q_INVOKABLE bool sendBytes(const QVariant &data);
    /*!
     * Opens the file at \a path (a path or a file: URL) read-only and sends its descriptor with
     * \a data (as sendBytes() takes it; nothing by default). The descriptor is closed here
     * once the packet has taken it.
     */
    Q_INVOKABLE bool sendFile(const QString &path, const QVariant &data = QVariant());
    /*!
     * Makes a memfd named \a name holding \a content, seals it against writes and sends its
     * descriptor with \a data.
     */
    Q_INVOKABLE bool sendMemfd(const QString &name, const QVariant &content,
                               const QVariant &data = QVariant());

Q_SIGNALS:
    void stateChanged();
    void peerChanged();
    void countersChanged();

    void connected();
    void disconnected();
    void packetReceived(const QVariantMap &packet);
    void descriptorReceived(const QVariantMap &descriptor, const QVariantMap &packet);
    void packetSent(const QVariantMap &packet);

private:
    friend class SeqpacketChannel; // attaches itself, and reports what it could not send
    void setChannel(SeqpacketChannel *channel);
    void attach(QSeqpacketSocket *socket);
    void onPacketReady();
    void onSocketError(QSeqpacketSocket::SocketError error);
    void onStateChanged();
    void updatePeer();
    void applySenderProcesses();
    void resetCounters();
    bool send(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds);
    QVariantMap describePacket(const QSeqpacketPacket &packet, qint64 timestamp, const QString &direction,
                               qint64 sequence) const;

    QSeqpacketSocket *m_socket = nullptr;
    QPointer<SeqpacketChannel> m_channel;
    QSeqpacketSocket::State m_lastState = QSeqpacketSocket::UnconnectedState;
    bool m_ignoreErrors = false;

    QString m_localAddress;
    QString m_peerAddress;
    bool m_peerCredentialsValid = false;
    qint64 m_peerPid = -1;
    qint64 m_peerUid = -1;
    qint64 m_peerGid = -1;
    QString m_peerUser;
    QString m_peerGroup;
    QVariantList m_peerGroups;
    QString m_peerSecurityContext;
    qint64 m_sendBufferSize = -1;
    qint64 m_receiveBufferSize = -1;
    qint64 m_maxPacketSize = -1;

    qint64 m_packetsSent = 0;
    qint64 m_bytesSent = 0;
    qint64 m_descriptorsSent = 0;
    qint64 m_packetsReceived = 0;
    qint64 m_bytesReceived = 0;
    qint64 m_descriptorsReceived = 0;
};

#endif // SEQPACKETSOCKET_QML_H
