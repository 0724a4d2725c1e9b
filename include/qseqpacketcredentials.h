// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETCREDENTIALS_H
#define QSEQPACKETCREDENTIALS_H

#include "qseqpacketglobal.h"

#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>

class QDebug;
class QSeqpacketCredentialsPrivate;

/*!
 * \brief The identity of a process at the other end of a socket, as the kernel reports it.
 *
 * Peer credentials (QSeqpacketSocket::peerCredentials()) are those the peer had when the
 * connection was made; per-packet credentials (QSeqpacketPacket::credentials()) are those the
 * sender had when it sent that packet.
 *
 * \code
 * // A socket pair's peer is the process that made the pair: this one.
 * auto [first, second] = QSeqpacketSocket::createPair(this);
 * const QSeqpacketCredentials peer = first->peerCredentials();
 * Q_ASSERT(peer.isValid());
 * Q_ASSERT(peer.processId() == QCoreApplication::applicationPid());
 * Q_ASSERT(peer.userId() == ::geteuid());
 *
 * // Only processes of our own user may connect to this server.
 * auto *server = new QSeqpacketServer(this);
 * server->setPeerFilter([](const QSeqpacketCredentials &peer) {
 *     return peer.userId() == ::geteuid();
 * });
 * \endcode
 *
 * \sa QSeqpacketSocket::peerCredentials(), QSeqpacketSocket::setPerPacketCredentials(),
 *     QSeqpacketServer::setPeerFilter()
 */
class QSEQPACKET_EXPORT QSeqpacketCredentials
{
public:
    /*! Constructs invalid credentials. */
    QSeqpacketCredentials();
    /*!
     * Constructs credentials for process \a processId running as \a userId / \a groupId.
     * \a supplementaryGroups is empty where they are not known.
     */
    QSeqpacketCredentials(qint64 processId, uint userId, uint groupId,
                          const QList<uint> &supplementaryGroups = {});
    /*! Constructs a copy of \a other. */
    QSeqpacketCredentials(const QSeqpacketCredentials &other);
    /*! Move-constructs credentials from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketCredentials(QSeqpacketCredentials &&other) noexcept;
    /*! Assigns \a other to these credentials. */
    QSeqpacketCredentials &operator=(const QSeqpacketCredentials &other);
    /*! Move-assigns \a other to these credentials. */
    QSeqpacketCredentials &operator=(QSeqpacketCredentials &&other) noexcept;
    /*! Destroys the credentials. */
    ~QSeqpacketCredentials();

    /*! The credentials of the calling process. */
    static QSeqpacketCredentials currentProcess();

    /*! True when the kernel reported these credentials. */
    bool isValid() const;
    /*! The process id; 0 where the kernel did not know it (a process in another pid namespace). */
    qint64 processId() const;
    /*! The effective user id; uint(-1) when invalid. */
    uint userId() const;
    /*! The effective group id; uint(-1) when invalid. */
    uint groupId() const;
    /*! Supplementary groups (SO_PEERGROUPS); empty where the kernel does not report them. */
    QList<uint> supplementaryGroups() const;

    /*! True when both are invalid, or both have the same pid, uid, gid and supplementary groups. */
    bool operator==(const QSeqpacketCredentials &other) const;
    /*! True unless the credentials are equal; see operator==(). */
    bool operator!=(const QSeqpacketCredentials &other) const { return !(*this == other); }

    /*! Swaps these credentials with \a other; never fails. */
    void swap(QSeqpacketCredentials &other) noexcept { d.swap(other.d); }

private:
    QSharedDataPointer<QSeqpacketCredentialsPrivate> d;
};

/*!
 * \relates QSeqpacketCredentials
 * Writes \a credentials to \a debug, for example QSeqpacketCredentials(pid 1234, uid 1000, gid 1000),
 * with the supplementary groups where there are any.
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketCredentials &credentials);

Q_DECLARE_SHARED(QSeqpacketCredentials)
Q_DECLARE_METATYPE(QSeqpacketCredentials)

#endif // QSEQPACKETCREDENTIALS_H
