// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETPACKET_P_H
#define QSEQPACKETPACKET_P_H

#include "qseqpacketpacket.h"
#include "qseqpacketpacketpool_p.h"

#include <QtCore/qshareddata.h>

class QSeqpacketPacketPrivate : public QSharedData
{
public:
    QByteArray data;
    QList<QSeqpacketFileDescriptor> fds;
    QSeqpacketCredentials credentials;
    QSeqpacketFileDescriptor processFd;
    qint64 originalSize = -1; // -1: the payload is all there is
    qint64 receivedAt = 0;
    bool received = false;
    bool truncated = false;
    bool fdsTruncated = false;
    bool sendCredentials = false; // setCredentials(): credentials go out with the packet

    // One per packet received: from the thread's pool, see QSeqpacketPacketPool.
    static void *operator new(std::size_t size) { return QSeqpacketPacketPool::allocate(size); }
    static void operator delete(void *block, std::size_t size) noexcept { QSeqpacketPacketPool::release(block, size); }

    // A private as it came off the socket, with a count of 1 (the receive queue's reference): no
    // atomic operation until a second holder comes. Moves data and descriptors in.
    static QSeqpacketPacketPrivate *newReceived(QByteArray &&data, QList<QSeqpacketFileDescriptor> &&fds,
                                                bool fdsTruncated, const QSeqpacketCredentials &credentials,
                                                const QSeqpacketFileDescriptor &processFd, qint64 receivedAt);
    // A packet holding \a d, which hands it its own reference (the queue's, when it is taken).
    static QSeqpacketPacket adopt(QSeqpacketPacketPrivate *d) { return QSeqpacketPacket(d); }
    // A packet sharing \a d with its holder (a peek at the queue).
    static QSeqpacketPacket share(QSeqpacketPacketPrivate *d)
    {
        d->ref.ref();
        return QSeqpacketPacket(d);
    }
    // Drops one reference to \a d. The last holder (a received packet's usual end) frees it
    // without an atomic decrement: at a count of 1 no other thread holds one it could copy.
    static void release(QSeqpacketPacketPrivate *d) noexcept
    {
        if (d->ref.loadAcquire() == 1 || !d->ref.deref())
            delete d;
    }
    qint64 sizeBeforeTruncation() const { return originalSize >= 0 ? originalSize : data.size(); }
    // The credentials setCredentials() asked to send; invalid where none.
    static QSeqpacketCredentials credentialsToSend(const QSeqpacketPacket &packet)
    {
        return packet.d->sendCredentials ? packet.d->credentials : QSeqpacketCredentials();
    }
    // The same packet cut to maxSize bytes, fewer than it has (the rest is gone, as the kernel
    // would do). A peeked packet shares its private with the queue: the cut one gets its own.
    static QSeqpacketPacket truncatedTo(QSeqpacketPacket packet, qint64 maxSize);
    static const QSeqpacketPacketPrivate *get(const QSeqpacketPacket &packet) { return packet.d.constData(); }
};

#endif
