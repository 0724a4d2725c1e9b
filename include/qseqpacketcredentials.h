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
    QSeqpacketCredentials(const QSeqpacketCredentials &other);
    QSeqpacketCredentials(QSeqpacketCredentials &&other) noexcept;
    QSeqpacketCredentials &operator=(const QSeqpacketCredentials &other);
    QSeqpacketCredentials &operator=(QSeqpacketCredentials &&other) noexcept;
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

    bool operator==(const QSeqpacketCredentials &other) const;
    bool operator!=(const QSeqpacketCredentials &other) const { return !(*this == other); }

    void swap(QSeqpacketCredentials &other) noexcept { d.swap(other.d); }

private:
    QSharedDataPointer<QSeqpacketCredentialsPrivate> d;
};

QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketCredentials &credentials);

Q_DECLARE_SHARED(QSeqpacketCredentials)
Q_DECLARE_METATYPE(QSeqpacketCredentials)

#endif // QSEQPACKETCREDENTIALS_H
