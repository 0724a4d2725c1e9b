// SPDX-License-Identifier: MIT
#include "qseqpacketmessage.h"
#include "qseqpacketmessage_p.h"

#include <QtCore/qdebug.h>

QSeqpacketMessage::QSeqpacketMessage(const QCborValue &body, const QList<QSeqpacketFileDescriptor> &fds)
    : d(new QSeqpacketMessagePrivate)
{
    d->body = body;
    d->fds = fds;
}

QSeqpacketMessage::QSeqpacketMessage(const QSeqpacketMessage &other) = default;
QSeqpacketMessage::QSeqpacketMessage(QSeqpacketMessage &&other) noexcept = default;
QSeqpacketMessage &QSeqpacketMessage::operator=(const QSeqpacketMessage &other) = default;
QSeqpacketMessage &QSeqpacketMessage::operator=(QSeqpacketMessage &&other) noexcept = default;
QSeqpacketMessage::~QSeqpacketMessage() = default;

QCborValue QSeqpacketMessage::body() const { return d->body; }
void QSeqpacketMessage::setBody(const QCborValue &body) { d->body = body; }
QList<QSeqpacketFileDescriptor> QSeqpacketMessage::fileDescriptors() const { return d->fds; }
void QSeqpacketMessage::setFileDescriptors(const QList<QSeqpacketFileDescriptor> &fds) { d->fds = fds; }
QSeqpacketCredentials QSeqpacketMessage::credentials() const { return d->credentials; }
QSeqpacketFileDescriptor QSeqpacketMessage::processFileDescriptor() const { return d->processFd; }

QDebug operator<<(QDebug debug, const QSeqpacketMessage &message)
{
    QDebugStateSaver saver(debug);
    constexpr qsizetype preview = 80;
    QString body = message.body().toDiagnosticNotation(QCborValue::Compact);
    if (body.size() > preview)
        body = body.left(preview) + QStringLiteral("...");
    debug.nospace().noquote() << "QSeqpacketMessage(" << body;
    if (!message.fileDescriptors().isEmpty())
        debug << ", " << message.fileDescriptors().size() << " descriptors";
    debug << ')';
    return debug;
}
