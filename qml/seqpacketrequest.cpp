// SPDX-License-Identifier: MIT
#include "seqpacketrequest.h"
#include "seqpacketcbor_p.h"
#include "seqpacketchannel.h"
#include "seqpacketinfo_p.h"

#include <QtQml/qqmlinfo.h>

SeqpacketRequest::SeqpacketRequest(const QSeqpacketRequest &request, int previewSize, SeqpacketChannel *channel)
    : m_request(request),
      m_channel(channel),
      m_name(request.name()),
      m_id(double(request.id()))
{
    const QSeqpacketMessage message = request.message();
    m_body = SeqpacketCbor::toVariant(message.body());
    m_descriptors = SeqpacketInfo::describeDescriptors(message.fileDescriptors(), previewSize);
}

// An unanswered request's last copy answers qseqpacket.NoReply as it goes (the library's rule).
SeqpacketRequest::~SeqpacketRequest() = default;

bool SeqpacketRequest::reply(const QJSValue &body)
{
    return answer(QString(), body);
}

bool SeqpacketRequest::replyError(const QString &errorName, const QJSValue &body)
{
    if (errorName.isEmpty()) {
        qmlWarning(this) << "replyError(): an error reply needs a name";
        return false;
    }
    return answer(errorName, body);
}

bool SeqpacketRequest::answer(const QString &errorName, const QJSValue &body)
{
    if (m_answered) {
        qmlWarning(this) << "the request " << m_name << " was answered already";
        return false;
    }
    if (!m_channel) {
        qmlWarning(this) << "the request " << m_name << " cannot be answered: its channel is gone";
        return false;
    }
    const char *operation = errorName.isEmpty() ? "reply" : "replyError";
    QCborValue cbor;
    if (!m_channel->bodyFor(operation, body, &cbor))
        return false;
    const QSeqpacketMessage message(cbor);
    const bool sent = errorName.isEmpty() ? m_request.reply(message) : m_request.replyError(errorName, message);
    if (!sent) {
        // Too large for the connection, most likely: the request waits for another answer.
        const QString why = m_channel->channel() ? m_channel->channel()->errorString()
                                                 : QStringLiteral("the channel has no socket");
        m_channel->reportError(QSeqpacketSocket::OperationError, QStringLiteral("%1: %2")
                                                                         .arg(QLatin1String(operation), why));
        return false;
    }
    m_answered = true;
    // Answered: the descriptors that came with the request close now, not when the garbage
    // collector takes this object.
    m_request = QSeqpacketRequest();
    emit answeredChanged();
    return true;
}
