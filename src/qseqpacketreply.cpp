// SPDX-License-Identifier: MIT
#include "qseqpacketreply.h"

#include <QtCore/qdebug.h>

class QSeqpacketReplyPrivate : public QSharedData
{
public:
    QSeqpacketMessage message;
    QString errorName;
    bool error = false;
};

QSeqpacketReply::QSeqpacketReply()
    : d(new QSeqpacketReplyPrivate)
{
}

QSeqpacketReply::QSeqpacketReply(const QSeqpacketMessage &message)
    : d(new QSeqpacketReplyPrivate)
{
    d->message = message;
}

QSeqpacketReply::QSeqpacketReply(const QString &errorName, const QSeqpacketMessage &details)
    : d(new QSeqpacketReplyPrivate)
{
    d->message = details;
    d->errorName = errorName;
    d->error = true;
}

QSeqpacketReply::QSeqpacketReply(const QSeqpacketReply &other) = default;
QSeqpacketReply::QSeqpacketReply(QSeqpacketReply &&other) noexcept = default;
QSeqpacketReply &QSeqpacketReply::operator=(const QSeqpacketReply &other) = default;
QSeqpacketReply &QSeqpacketReply::operator=(QSeqpacketReply &&other) noexcept = default;
QSeqpacketReply::~QSeqpacketReply() = default;

bool QSeqpacketReply::isError() const { return d->error; }
QString QSeqpacketReply::errorName() const { return d->errorName; }
QSeqpacketMessage QSeqpacketReply::message() const { return d->message; }

QDebug operator<<(QDebug debug, const QSeqpacketReply &reply)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketReply(";
    if (reply.isError())
        debug << "error " << reply.errorName() << ", ";
    debug << reply.message() << ')';
    return debug;
}
