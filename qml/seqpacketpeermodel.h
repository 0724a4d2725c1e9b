// SPDX-License-Identifier: MIT
#ifndef SEQPACKETPEERMODEL_H
#define SEQPACKETPEERMODEL_H

#include "seqpacketqmlglobal.h"
#include "seqpacketsocket.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qlist.h>
#include <QtQml/qqmlengine.h>

/*!
 * \qmltype SeqpacketPeerModel
 * \brief The connected peers of a SeqpacketServer, as a list model.
 *
 * Roles: socket (the SeqpacketSocket), address (the peer's address), pid, uid, gid, user, group,
 * label ("user (pid N)"). What /proc says about a peer's process is SeqpacketDiagnostics' to tell.
 */
class SEQPACKETQML_EXPORT SeqpacketPeerModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("SeqpacketServer.peers makes it")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    enum Role {
        SocketRole = Qt::UserRole + 1,
        AddressRole,
        PidRole,
        UidRole,
        GidRole,
        UserRole,
        GroupRole,
        LabelRole
    };

    explicit SeqpacketPeerModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_peers.size()); }
    /*! The peer in row \a row, or null. */
    Q_INVOKABLE SeqpacketSocket *get(int row) const;
    Q_INVOKABLE int indexOf(SeqpacketSocket *peer) const;

    void append(SeqpacketSocket *peer);
    void remove(SeqpacketSocket *peer);
    QList<SeqpacketSocket *> peers() const { return m_peers; }

Q_SIGNALS:
    void countChanged();

private:
    QList<SeqpacketSocket *> m_peers;
};

#endif // SEQPACKETPEERMODEL_H
