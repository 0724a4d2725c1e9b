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

    // A packet as it came off the socket.
    // Moves data and descriptors in: no reference counts touched on the way (each an atomic
    // operation, per packet).
    static QSeqpacketPacket makeReceived(QByteArray &&data, QList<QSeqpacketFileDescriptor> &&fds,
                                         bool fdsTruncated, const QSeqpacketCredentials &credentials,
                                         const QSeqpacketFileDescriptor &processFd, qint64 receivedAt);
    // The credentials setCredentials() asked to send; invalid where none.
    static QSeqpacketCredentials credentialsToSend(const QSeqpacketPacket &packet)
    {
        return packet.d->sendCredentials ? packet.d->credentials : QSeqpacketCredentials();
    }
    // The same packet cut to maxSize bytes (the rest is gone, as the kernel would do).
    static QSeqpacketPacket truncatedTo(QSeqpacketPacket packet, qint64 maxSize);
    static QSeqpacketPacketPrivate *get(QSeqpacketPacket &packet) { return packet.d.data(); }
    static const QSeqpacketPacketPrivate *get(const QSeqpacketPacket &packet) { return packet.d.constData(); }
};

#endif
