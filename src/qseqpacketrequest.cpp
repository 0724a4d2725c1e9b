// SPDX-License-Identifier: MIT
#include "qseqpacketrequest.h"
#include "qseqpacketrequest_p.h"
#include "qseqpacketchannel.h"
#include "qseqpacketchannel_p.h"

#include <QtCore/qdebug.h>
#include <QtCore/qthread.h>

QSeqpacketRequest QSeqpacketRequestPrivate::make(const QSharedPointer<QSeqpacketChannelLink> &link, quint64 id,
                                                 const QString &name, const QSeqpacketMessage &message)
{
    QSeqpacketRequest request;
    request.d = new QSeqpacketRequestPrivate;
    request.d->link = link;
    request.d->id = id;
    request.d->name = name;
    request.d->message = message;
    return request;
}

bool QSeqpacketRequestPrivate::answer(QSeqpacketFrame::Type type, const QString &errorName,
                                      const QSeqpacketMessage &answerMessage)
{
    if (!link || !answered.testAndSetOrdered(0, 1))
        return false;
    QMutexLocker locker(&link->mutex);
    QSeqpacketChannel *channel = link->channel;
    if (!channel)
        return false;
    if (QThread::currentThread() == channel->thread()) {
        // The channel lives in this thread: it cannot go while we use it.
        locker.unlock();
        if (QSeqpacketChannelPrivate::get(channel)->answer(id, type, errorName, answerMessage))
            return true;
        answered.storeRelease(0); // not sent: it may be answered again, or NoReply when it goes
        return false;
    }
    QMetaObject::invokeMethod(channel, [link = link, id = id, type, errorName, answerMessage] {
        QSeqpacketChannel *target = nullptr;
        {
            QMutexLocker lock(&link->mutex);
            target = link->channel;
        }
        if (target && !QSeqpacketChannelPrivate::get(target)->answer(id, type, errorName, answerMessage))
            QSeqpacketChannelPrivate::get(target)->answerNoReply(id);
    }, Qt::QueuedConnection);
    return true;
}

QSeqpacketRequestPrivate::~QSeqpacketRequestPrivate()
{
    if (!link || answered.loadAcquire())
        return;
    QMutexLocker locker(&link->mutex);
    QSeqpacketChannel *channel = link->channel;
    if (!channel)
        return;
    if (QThread::currentThread() == channel->thread()) {
        locker.unlock();
        QSeqpacketChannelPrivate::get(channel)->answerNoReply(id);
        return;
    }
    QMetaObject::invokeMethod(channel, [link = link, id = id] {
        QSeqpacketChannel *target = nullptr;
        {
            QMutexLocker lock(&link->mutex);
            target = link->channel;
        }
        if (target)
            QSeqpacketChannelPrivate::get(target)->answerNoReply(id);
    }, Qt::QueuedConnection);
}

QSeqpacketRequest::QSeqpacketRequest() = default;
QSeqpacketRequest::QSeqpacketRequest(const QSeqpacketRequest &other) = default;
QSeqpacketRequest::QSeqpacketRequest(QSeqpacketRequest &&other) noexcept = default;
QSeqpacketRequest &QSeqpacketRequest::operator=(const QSeqpacketRequest &other) = default;
QSeqpacketRequest &QSeqpacketRequest::operator=(QSeqpacketRequest &&other) noexcept = default;
QSeqpacketRequest::~QSeqpacketRequest() = default;

bool QSeqpacketRequest::isValid() const { return d; }
QString QSeqpacketRequest::name() const { return d ? d->name : QString(); }
QSeqpacketMessage QSeqpacketRequest::message() const { return d ? d->message : QSeqpacketMessage(); }
quint64 QSeqpacketRequest::id() const { return d ? d->id : 0; }
bool QSeqpacketRequest::isAnswered() const { return d && d->answered.loadAcquire(); }

bool QSeqpacketRequest::reply(const QSeqpacketMessage &message) const
{
    return d && d->answer(QSeqpacketFrame::ReplyFrame, QString(), message);
}

bool QSeqpacketRequest::replyError(const QString &errorName, const QSeqpacketMessage &details) const
{
    return d && !errorName.isEmpty() && d->answer(QSeqpacketFrame::ErrorReplyFrame, errorName, details);
}

QDebug operator<<(QDebug debug, const QSeqpacketRequest &request)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketRequest(";
    if (!request.isValid())
        return debug << "invalid)";
    debug << request.id() << ", " << request.name() << ", " << request.message();
    if (request.isAnswered())
        debug << ", answered";
    debug << ')';
    return debug;
}
