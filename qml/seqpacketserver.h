// SPDX-License-Identifier: MIT
#ifndef SEQPACKETSERVER_QML_H
#define SEQPACKETSERVER_QML_H

#include "seqpacketendpoint.h"
#include "seqpacketpeermodel.h"
#include "seqpacketqmlglobal.h"
#include "seqpacketsocket.h"

#include <QSeqpacketServer>

#include <QtQml/qqmlengine.h>
#include <QtQml/qqmlparserstatus.h>

/*!
 * \qmltype SeqpacketServer
 * \brief Listens on an AF_UNIX SOCK_SEQPACKET address and makes a SeqpacketSocket per peer.
 *
 * Set address ("/path", "@abstract", or "" for a name the kernel picks) and listening: true, or
 * call listen(). Each peer that connects is announced by peerConnected(peer) and listed in peers;
 * when it goes, peerDisconnected(peer) is emitted, the peer leaves peers and is deleted soon after.
 * Packets from any peer also arrive through packetReceived(peer, packet).
 */
class SEQPACKETQML_EXPORT SeqpacketServer : public SeqpacketEndpoint, public QQmlParserStatus
{
    Q_OBJECT
    QML_ELEMENT
    Q_INTERFACES(QQmlParserStatus)

    Q_PROPERTY(bool listening READ isListening WRITE setListening NOTIFY listeningChanged)
    Q_PROPERTY(QString serverAddress READ serverAddress NOTIFY listeningChanged)
    Q_PROPERTY(SeqpacketPeerModel *peers READ peers CONSTANT)
    Q_PROPERTY(int peerCount READ peerCount NOTIFY peerCountChanged)
    Q_PROPERTY(qint64 connectionCount READ connectionCount NOTIFY connectionCountChanged)
    Q_PROPERTY(bool removeStaleSocket READ removeStaleSocket WRITE setRemoveStaleSocket
               NOTIFY removeStaleSocketChanged)
    Q_PROPERTY(SocketAccess socketAccess READ socketAccess WRITE setSocketAccess NOTIFY socketAccessChanged)

public:
    /*! Who may connect to a socket file, beyond what the umask allows. */
    enum SocketAccess {
        DefaultAccess = QSeqpacketServer::NoOptions,
        UserAccess = QSeqpacketServer::UserAccessOption,
        GroupAccess = QSeqpacketServer::UserAccessOption | QSeqpacketServer::GroupAccessOption,
        WorldAccess = QSeqpacketServer::WorldAccessOption
    };
    Q_ENUM(SocketAccess)

    explicit SeqpacketServer(QObject *parent = nullptr);
    ~SeqpacketServer() override;

    void classBegin() override {}
    void componentComplete() override;

    bool isListening() const;
    void setListening(bool listening);
    QString serverAddress() const;
    SeqpacketPeerModel *peers() const { return m_peers; }
    int peerCount() const { return m_peers->count(); }
    qint64 connectionCount() const { return m_connectionCount; }
    bool removeStaleSocket() const { return m_removeStaleSocket; }
    void setRemoveStaleSocket(bool remove);
    SocketAccess socketAccess() const { return m_socketAccess; }
    void setSocketAccess(SocketAccess access);

    QSeqpacketServer *server() const { return m_server; }

    /*! Listens on address ("" lets the kernel pick an abstract name). */
    Q_INVOKABLE bool listen();
    /*! Sets address to \a address and listens on it. */
    Q_INVOKABLE bool listen(const QString &address);
    /*! Stops listening (connected peers stay). */
    Q_INVOKABLE void close();
    /*! Closes every peer's connection at once. */
    Q_INVOKABLE void abortPeers();

Q_SIGNALS:
    void listeningChanged();
    void peerCountChanged();
    void connectionCountChanged();
    void removeStaleSocketChanged();
    void socketAccessChanged();

    void peerConnected(SeqpacketSocket *peer);
    void peerDisconnected(SeqpacketSocket *peer);
    void packetReceived(SeqpacketSocket *peer, const QVariantMap &packet);
    void descriptorReceived(SeqpacketSocket *peer, const QVariantMap &descriptor, const QVariantMap &packet);

private:
    void onNewConnection();
    void peerGone(SeqpacketSocket *peer);

    QSeqpacketServer *m_server = nullptr;
    SeqpacketPeerModel *m_peers = nullptr;
    qint64 m_connectionCount = 0;
    bool m_removeStaleSocket = false;
    SocketAccess m_socketAccess = DefaultAccess;
    bool m_complete = false;
    bool m_listenWhenComplete = false;
};

#endif // SEQPACKETSERVER_QML_H
