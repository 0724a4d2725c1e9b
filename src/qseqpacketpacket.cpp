// SPDX-License-Identifier: MIT
#include "qseqpacketpacket.h"
#include "qseqpacketpacket_p.h"

#include <QtCore/qdebug.h>

namespace {
// The private of every invalid packet (no data, no descriptors) until one is changed: a receive
// that finds nothing returns one, once per packetReady() slot, and it allocates nothing.
QSeqpacketPacketPrivate *sharedInvalidPrivate()
{
    static const QSharedDataPointer<QSeqpacketPacketPrivate> shared(new QSeqpacketPacketPrivate);
    return const_cast<QSeqpacketPacketPrivate *>(shared.constData());
}
} // namespace

QSeqpacketPacket::QSeqpacketPacket(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds)
    : d(data.isNull() && fds.isEmpty() ? sharedInvalidPrivate() : new QSeqpacketPacketPrivate)
{
    if (!data.isNull())
        d->data = data;
    if (!fds.isEmpty())
        d->fds = fds;
}

QSeqpacketPacket::QSeqpacketPacket(QSeqpacketPacketPrivate *dd)
    : d(dd, QAdoptSharedDataTag())
{
}

QSeqpacketPacket::QSeqpacketPacket(const QSeqpacketPacket &other) = default;
QSeqpacketPacket::QSeqpacketPacket(QSeqpacketPacket &&other) noexcept = default;
QSeqpacketPacket &QSeqpacketPacket::operator=(const QSeqpacketPacket &other) = default;
QSeqpacketPacket &QSeqpacketPacket::operator=(QSeqpacketPacket &&other) noexcept = default;
QSeqpacketPacket::~QSeqpacketPacket()
{
    if (QSeqpacketPacketPrivate *p = d.take())
        QSeqpacketPacketPrivate::release(p);
}

QSeqpacketPacketPrivate *QSeqpacketPacketPrivate::newReceived(QByteArray &&data,
                                                              QList<QSeqpacketFileDescriptor> &&fds,
                                                              bool fdsTruncated,
                                                              const QSeqpacketCredentials &credentials,
                                                              const QSeqpacketFileDescriptor &processFd,
                                                              qint64 receivedAt)
{
    auto *d = new QSeqpacketPacketPrivate;
    d->ref.storeRelaxed(1); // this thread's alone until the queue gives it out
    d->data = std::move(data);
    d->fds = std::move(fds);
    d->received = true;
    d->fdsTruncated = fdsTruncated;
    if (credentials.isValid()) // most packets have none: no assignment for them
        d->credentials = credentials;
    if (processFd.isValid())
        d->processFd = processFd;
    d->receivedAt = receivedAt;
    return d;
}

QSeqpacketPacket QSeqpacketPacketPrivate::truncatedTo(QSeqpacketPacket packet, qint64 maxSize)
{
    const qint64 originalSize = packet.originalSize();
    QSeqpacketPacketPrivate *d = packet.d.data(); // a copy of its own where it is shared
    d->originalSize = originalSize;
    d->data.truncate(qsizetype(maxSize));
    d->truncated = true;
    return packet;
}

bool QSeqpacketPacket::isValid() const
{
    return d->received || !d->data.isNull() || !d->fds.isEmpty();
}

QByteArray QSeqpacketPacket::data() const { return d->data; }
void QSeqpacketPacket::setData(const QByteArray &data) { d->data = data; }
QList<QSeqpacketFileDescriptor> QSeqpacketPacket::fileDescriptors() const { return d->fds; }
void QSeqpacketPacket::setFileDescriptors(const QList<QSeqpacketFileDescriptor> &fds) { d->fds = fds; }
bool QSeqpacketPacket::isTruncated() const { return d->truncated; }

qint64 QSeqpacketPacket::originalSize() const
{
    return d->sizeBeforeTruncation();
}

bool QSeqpacketPacket::areFileDescriptorsTruncated() const { return d->fdsTruncated; }
QSeqpacketCredentials QSeqpacketPacket::credentials() const { return d->credentials; }
QSeqpacketFileDescriptor QSeqpacketPacket::processFileDescriptor() const { return d->processFd; }

void QSeqpacketPacket::setCredentials(const QSeqpacketCredentials &credentials)
{
    d->credentials = credentials;
    d->sendCredentials = credentials.isValid();
}
qint64 QSeqpacketPacket::receivedAt() const { return d->receivedAt; }

QDebug operator<<(QDebug debug, const QSeqpacketPacket &packet)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketPacket(";
    if (!packet.isValid())
        return debug << "invalid)";
    const QByteArray data = packet.data();
    debug << data.size() << " bytes";
    if (packet.isTruncated())
        debug << " of " << packet.originalSize() << ", truncated";
    if (!packet.fileDescriptors().isEmpty())
        debug << ", " << packet.fileDescriptors().size() << " descriptors";
    if (packet.areFileDescriptorsTruncated())
        debug << ", descriptors truncated";
    if (packet.credentials().isValid())
        debug << (packet.receivedAt() ? ", from pid " : ", as pid ") << packet.credentials().processId();
    if (packet.processFileDescriptor().isValid())
        debug << ", pidfd " << packet.processFileDescriptor().descriptor();
    constexpr qsizetype preview = 32;
    debug << ", " << data.left(preview);
    if (data.size() > preview)
        debug << "...";
    debug << ')';
    return debug;
}
