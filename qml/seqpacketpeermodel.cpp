// SPDX-License-Identifier: MIT
#include "seqpacketpeermodel.h"

SeqpacketPeerModel::SeqpacketPeerModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int SeqpacketPeerModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_peers.size());
}

QVariant SeqpacketPeerModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() < 0 || index.row() >= m_peers.size())
        return {};
    SeqpacketSocket *peer = m_peers.at(index.row());
    switch (role) {
    case SocketRole:
        return QVariant::fromValue(peer);
    case AddressRole:
        return peer->peerAddress();
    case PidRole:
        return peer->peerPid();
    case UidRole:
        return peer->peerUid();
    case GidRole:
        return peer->peerGid();
    case UserRole:
        return peer->peerUser();
    case GroupRole:
        return peer->peerGroup();
    case Qt::DisplayRole:
    case LabelRole: {
        const QString name = peer->peerUser().isEmpty() ? QStringLiteral("peer") : peer->peerUser();
        return peer->peerPid() > 0 ? QStringLiteral("%1 (pid %2)").arg(name).arg(peer->peerPid()) : name;
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> SeqpacketPeerModel::roleNames() const
{
    return {
        {Qt::DisplayRole, "display"},
        {SocketRole, "socket"},
        {AddressRole, "address"},
        {PidRole, "pid"},
        {UidRole, "uid"},
        {GidRole, "gid"},
        {UserRole, "user"},
        {GroupRole, "group"},
        {LabelRole, "label"},
    };
}

SeqpacketSocket *SeqpacketPeerModel::get(int row) const
{
    return row >= 0 && row < m_peers.size() ? m_peers.at(row) : nullptr;
}

int SeqpacketPeerModel::indexOf(SeqpacketSocket *peer) const
{
    return int(m_peers.indexOf(peer));
}

void SeqpacketPeerModel::append(SeqpacketSocket *peer)
{
    const int row = int(m_peers.size());
    beginInsertRows(QModelIndex(), row, row);
    m_peers.append(peer);
    endInsertRows();
    emit countChanged();
}

void SeqpacketPeerModel::remove(SeqpacketSocket *peer)
{
    const int row = int(m_peers.indexOf(peer));
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_peers.removeAt(row);
    endRemoveRows();
    emit countChanged();
}
