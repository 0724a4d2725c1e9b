// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETPACKET_P_H
#define QSEQPACKETPACKET_P_H

#include "qseqpacketpacket.h"

#include <QtCore/qshareddata.h>

class QSeqpacketPacketPrivate : public QSharedData
{
public:
    QByteArray data;
    QList<QSeqpacketFileDescriptor> fds;
    QSeqpacketCredentials credentials;
    qint64 originalSize = -1; // -1: the payload is all there is
    qint64 receivedAt = 0;
    bool received = false;
    bool truncated = false;
    bool fdsTruncated = false;

    // A packet as it came off the socket.
    static QSeqpacketPacket makeReceived(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds,
                                         bool fdsTruncated, const QSeqpacketCredentials &credentials,
                                         qint64 receivedAt);
    // The same packet cut to maxSize bytes (the rest is gone, as the kernel would do).
    static QSeqpacketPacket truncatedTo(const QSeqpacketPacket &packet, qint64 maxSize);
    static QSeqpacketPacketPrivate *get(QSeqpacketPacket &packet) { return packet.d.data(); }
    static const QSeqpacketPacketPrivate *get(const QSeqpacketPacket &packet) { return packet.d.constData(); }
};

#endif
