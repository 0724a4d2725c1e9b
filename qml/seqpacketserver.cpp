// SPDX-License-Identifier: MIT
#include "seqpacketserver.h"

SeqpacketServer::SeqpacketServer(QObject *parent)
    : SeqpacketEndpoint(nullptr, parent),
      m_server(new QSeqpacketServer(this)),
      m_peers(new SeqpacketPeerModel(this))
{
    connect(m_server, &QSeqpacketServer::newConnection, this, &SeqpacketServer::onNewConnection);
    connect(m_server, &QSeqpacketServer::acceptError, this, [this](QSeqpacketSocket::SocketError error) {
        setError(error, m_server->errorString());
    });
    connect(m_peers, &SeqpacketPeerModel::countChanged, this, &SeqpacketServer::peerCountChanged);
}

SeqpacketServer::~SeqpacketServer()
{
    // Peers are our children and go with us, quietly. They go here, before QObject deletes our
    // children in the order they were made: the receive options they share came first.
    const QList<SeqpacketSocket *> peers = findChildren<SeqpacketSocket *>(Qt::FindDirectChildrenOnly);
    for (SeqpacketSocket *peer : peers)
        peer->disconnect(this);
    m_server->disconnect(this);
    qDeleteAll(peers);
}

void SeqpacketServer::componentComplete()
{
    m_complete = true;
    if (m_listenWhenComplete)
        listen();
}

bool SeqpacketServer::isListening() const
{
    return m_server->isListening();
}

void SeqpacketServer::setListening(bool listening)
{
    if (!m_complete) {
        m_listenWhenComplete = listening;
        return;
    }
    if (listening == isListening())
        return;
    if (listening)
        listen();
    else
        close();
}

QString SeqpacketServer::serverAddress() const
{
    return m_server->isListening() ? m_server->serverAddress().toString() : QString();
}

void SeqpacketServer::setRemoveStaleSocket(bool remove)
{
    if (m_removeStaleSocket == remove)
        return;
    m_removeStaleSocket = remove;
    emit removeStaleSocketChanged();
}

void SeqpacketServer::setSocketAccess(SocketAccess access)
{
    if (m_socketAccess == access)
        return;
    m_socketAccess = access;
    emit socketAccessChanged();
}

bool SeqpacketServer::listen(const QString &address)
{
    setAddress(address);
    return listen();
}

bool SeqpacketServer::listen()
{
    if (m_server->isListening()) {
        m_server->close();
    }
    clearError();
    const QSeqpacketAddress where = QSeqpacketAddress::fromString(address());
    m_server->setSocketOptions(QSeqpacketServer::SocketOptions(int(m_socketAccess)));
    bool ok = m_server->listen(where);
    if (!ok && m_removeStaleSocket && m_server->serverError() == QSeqpacketSocket::AddressInUseError
        && where.kind() == QSeqpacketAddress::Path) {
        // removeServer() never removes the socket of a live server: this only clears a stale file.
        if (QSeqpacketServer::removeServer(where.path()))
            ok = m_server->listen(where);
    }
    if (!ok)
        setError(m_server->serverError(), m_server->errorString());
    emit listeningChanged();
    return ok;
}

void SeqpacketServer::close()
{
    const bool was = m_server->isListening();
    m_server->close();
    if (was)
        emit listeningChanged();
}

void SeqpacketServer::abortPeers()
{
    const QList<SeqpacketSocket *> peers = m_peers->peers();
    for (SeqpacketSocket *peer : peers)
        peer->abort();
}

void SeqpacketServer::onNewConnection()
{
    while (QSeqpacketSocket *socket = m_server->nextPendingConnection()) {
        // The peers read with our receive options: a change reaches those connected already.
        auto *peer = new SeqpacketSocket(socket, receiveOptions(), this);
        QQmlEngine::setObjectOwnership(peer, QQmlEngine::CppOwnership);
        connect(peer, &SeqpacketSocket::packetReceived, this, [this, peer](const QVariantMap &packet) {
            emit packetReceived(peer, packet);
        });
        connect(peer, &SeqpacketSocket::descriptorReceived, this,
                [this, peer](const QVariantMap &descriptor, const QVariantMap &packet) {
                    emit descriptorReceived(peer, descriptor, packet);
                });
        connect(peer, &SeqpacketSocket::disconnected, this, [this, peer] { peerGone(peer); });
        ++m_connectionCount;
        m_peers->append(peer);
        emit connectionCountChanged();
        emit peerConnected(peer);
        // The peer may have sent and closed before we looked: its packets wait to be read and
        // its disconnected() comes through the event loop, after the handlers above.
        if (peer->state() == QSeqpacketSocket::UnconnectedState)
            peerGone(peer);
    }
}

void SeqpacketServer::peerGone(SeqpacketSocket *peer)
{
    if (m_peers->indexOf(peer) < 0)
        return;
    m_peers->remove(peer);
    emit peerDisconnected(peer);
    peer->deleteLater();
}
