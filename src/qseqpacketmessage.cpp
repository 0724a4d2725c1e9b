// SPDX-License-Identifier: MIT
#include "qseqpacketmessage.h"
#include "qseqpacketmessage_p.h"

#include <QtCore/qdebug.h>

namespace {

// Empty messages (the default) share one private, which is never freed: a copy that changes
// detaches first. QSeqpacketReply, QSeqpacketRequest and QFuture's results make one before
// they are assigned the real message; an allocation each was a tenth of a round trip's.
QSeqpacketMessagePrivate *emptyMessage()
{
    static QSeqpacketMessagePrivate *const empty = [] {
        auto *d = new QSeqpacketMessagePrivate;
        d->ref.ref(); // the reference that keeps it
        return d;
    }();
    return empty;
}

} // namespace

QSeqpacketMessage::QSeqpacketMessage(const QCborValue &body, const QList<QSeqpacketFileDescriptor> &fds)
    : d(body.isUndefined() && fds.isEmpty() ? emptyMessage() : new QSeqpacketMessagePrivate(QSeqpacketBody(body), fds))
{
}

QSeqpacketMessage::QSeqpacketMessage(const QSeqpacketMessage &other) = default;
QSeqpacketMessage::QSeqpacketMessage(QSeqpacketMessage &&other) noexcept = default;
QSeqpacketMessage &QSeqpacketMessage::operator=(const QSeqpacketMessage &other) = default;
QSeqpacketMessage &QSeqpacketMessage::operator=(QSeqpacketMessage &&other) noexcept = default;
QSeqpacketMessage::~QSeqpacketMessage() = default;

QCborValue QSeqpacketMessage::body() const { return d->body.toCborValue(); }
void QSeqpacketMessage::setBody(const QCborValue &body) { d->body = QSeqpacketBody(body); }
QByteArray QSeqpacketMessage::bodyBytes() const { return d->body.toBytes(); }
void QSeqpacketMessage::setBodyBytes(const QByteArray &bytes) { d->body = QSeqpacketBody::fromBytes(bytes); }
QList<QSeqpacketFileDescriptor> QSeqpacketMessage::fileDescriptors() const { return d->fds; }
void QSeqpacketMessage::setFileDescriptors(const QList<QSeqpacketFileDescriptor> &fds) { d->fds = fds; }
QSeqpacketCredentials QSeqpacketMessage::credentials() const { return d->credentials; }
QSeqpacketFileDescriptor QSeqpacketMessage::processFileDescriptor() const { return d->processFd; }

QDebug operator<<(QDebug debug, const QSeqpacketMessage &message)
{
    QDebugStateSaver saver(debug);
    const QString body = QSeqpacketMessagePrivate::bodyOf(message).diagnosticPreview(80);
    debug.nospace().noquote() << "QSeqpacketMessage(" << body;
    if (!message.fileDescriptors().isEmpty())
        debug << ", " << message.fileDescriptors().size() << " descriptors";
    debug << ')';
    return debug;
}
