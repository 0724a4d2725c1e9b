// SPDX-License-Identifier: MIT
#include "seqpacketchannel.h"
#include "seqpacketcbor_p.h"
#include "seqpacketinfo_p.h"
#include "seqpacketrequest.h"

#include <QtQml/qqmlinfo.h>

namespace {
// The library's name for a request canceled through its future; the QML callbacks get it.
const QString CanceledError = QStringLiteral("qseqpacket.Canceled");
const QString NoReplyError = QStringLiteral("qseqpacket.NoReply");

// A promise that a request handler returned answers the request when it settles. The handler may
// have answered already (request.reply() before its promise resolved): then nothing more goes.
constexpr char PromiseGlue[] = R"JS(
(function (promise, request) {
    promise.then(function (body) {
        if (!request.answered)
            request.reply(body)
    }, function (reason) {
        console.warn("SeqpacketChannel: the request handler of " + request.name + " failed: " + reason)
        if (!request.answered)
            request.replyError("qseqpacket.NoReply", "the request handler failed")
    })
})
)JS";
} // namespace

SeqpacketChannel::SeqpacketChannel(QObject *parent)
    : QObject(parent)
{
}

SeqpacketChannel::~SeqpacketChannel()
{
    // Our requests end with the channel; their callbacks are not called any more.
    for (const Pending &pending : std::as_const(m_pending)) {
        pending.watcher->disconnect(this);
        delete pending.watcher;
    }
    m_pending.clear();
    detach();
}

void SeqpacketChannel::setSocket(SeqpacketSocket *socket)
{
    if (m_socket == socket)
        return;
    if (socket && socket->channel() && socket->channel() != this) {
        qmlWarning(this) << "the socket has a channel already; one channel per socket";
        return;
    }
    detach();
    m_socket = socket;
    attach();
    emit socketChanged();
}

void SeqpacketChannel::attach()
{
    if (!m_socket)
        return;
    m_socket->setChannel(this);
    // When the socket goes (a server deletes its peers once they are gone), the channel goes
    // first, while the connection's socket is still there for its last answers.
    connect(m_socket, &QObject::destroyed, this, [this] {
        detach();
        emit socketChanged();
    });
    m_channel = new QSeqpacketChannel(m_socket->socket(), this);
    m_channel->setMaxMessageSize(m_maxMessageSize);
    m_channel->setSpillThreshold(m_spillThreshold);
    m_channel->setMaxUnansweredRequests(m_maxUnansweredRequests);
    connect(m_channel, &QSeqpacketChannel::messageReceived, this, &SeqpacketChannel::onMessageReceived);
    connect(m_channel, &QSeqpacketChannel::protocolError, this, &SeqpacketChannel::protocolError);
    m_handlerConnected = false;
    connectRequestHandler();
}

void SeqpacketChannel::detach()
{
    if (m_channel) {
        // Requests of the peer still unanswered are answered qseqpacket.NoReply; ours finish
        // with qseqpacket.Disconnected (their callbacks come from the event loop).
        delete m_channel;
        m_channel = nullptr;
    }
    m_handlerConnected = false;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->setChannel(nullptr);
    }
    m_socket = nullptr;
}

void SeqpacketChannel::connectRequestHandler()
{
    // The library answers qseqpacket.UnknownRequest while nothing is connected to requestReceived.
    const bool wanted = m_requestHandler.isCallable();
    if (!m_channel || wanted == m_handlerConnected)
        return;
    if (wanted)
        connect(m_channel, &QSeqpacketChannel::requestReceived, this, &SeqpacketChannel::onRequestReceived);
    else
        disconnect(m_channel, &QSeqpacketChannel::requestReceived, this, &SeqpacketChannel::onRequestReceived);
    m_handlerConnected = wanted;
}

void SeqpacketChannel::setRequestHandler(const QJSValue &handler)
{
    if (!handler.isCallable() && !handler.isUndefined() && !handler.isNull())
        qmlWarning(this) << "requestHandler is not a function: " << handler.toString();
    m_requestHandler = handler;
    connectRequestHandler();
    emit requestHandlerChanged();
}

void SeqpacketChannel::setRequestTimeout(int msecs)
{
    msecs = qMax(-1, msecs);
    if (m_requestTimeout == msecs)
        return;
    m_requestTimeout = msecs;
    emit requestTimeoutChanged();
}

void SeqpacketChannel::setMaxMessageSize(qint64 bytes)
{
    if (bytes < 0) {
        qmlWarning(this) << "maxMessageSize: " << bytes << " bytes is not a size (0 or more); it stays "
                         << m_maxMessageSize;
        return;
    }
    if (m_maxMessageSize == bytes)
        return;
    m_maxMessageSize = bytes;
    if (m_channel)
        m_channel->setMaxMessageSize(bytes);
    emit maxMessageSizeChanged();
}

void SeqpacketChannel::setSpillThreshold(qint64 bytes)
{
    bytes = bytes < 0 ? -1 : bytes;
    if (m_spillThreshold == bytes)
        return;
    m_spillThreshold = bytes;
    if (m_channel)
        m_channel->setSpillThreshold(bytes);
    emit spillThresholdChanged();
}

void SeqpacketChannel::setMaxUnansweredRequests(int count)
{
    if (count < 0) {
        qmlWarning(this) << "maxUnansweredRequests: " << count << " is not a number of requests (0 or more); it "
                         << "stays " << m_maxUnansweredRequests;
        return;
    }
    if (m_maxUnansweredRequests == count)
        return;
    m_maxUnansweredRequests = count;
    if (m_channel)
        m_channel->setMaxUnansweredRequests(count);
    emit maxUnansweredRequestsChanged();
}

int SeqpacketChannel::descriptorPreviewSize() const
{
    return m_socket ? m_socket->descriptorPreviewSize() : 0;
}

void SeqpacketChannel::reportError(int error, const QString &message)
{
    if (m_socket)
        m_socket->setError(error, message);
    else
        qmlWarning(this) << message;
}

bool SeqpacketChannel::bodyFor(const char *operation, const QJSValue &body, QCborValue *out)
{
    QString why;
    if (SeqpacketCbor::fromJS(body, out, &why))
        return true;
    reportError(SeqpacketSocket::InvalidDataError, QStringLiteral("%1: %2").arg(QLatin1String(operation), why));
    return false;
}

bool SeqpacketChannel::send(const QString &name, const QJSValue &body)
{
    if (!m_channel) {
        qmlWarning(this) << "send(): the channel has no socket";
        return false;
    }
    QCborValue cbor;
    if (!bodyFor("send", body, &cbor))
        return false;
    if (m_channel->send(name, QSeqpacketMessage(cbor)))
        return true;
    // The socket reported its own failures already; what the channel found is said here.
    if (m_socket && m_socket->error() == QSeqpacketSocket::NoError)
        reportError(QSeqpacketSocket::OperationError, QStringLiteral("send: %1").arg(m_channel->errorString()));
    return false;
}

int SeqpacketChannel::request(const QString &name, const QJSValue &body, const QJSValue &callback)
{
    return request(name, body, callback, m_requestTimeout);
}

int SeqpacketChannel::request(const QString &name, const QJSValue &body, const QJSValue &callback, int timeoutMsecs)
{
    // request(name, callback): no body.
    if (body.isCallable() && callback.isUndefined())
        return request(name, QJSValue(), body, timeoutMsecs);
    QFuture<QSeqpacketReply> future;
    QCborValue cbor;
    QString why;
    if (!m_channel) {
        future = QtFuture::makeReadyFuture(QSeqpacketReply(QStringLiteral("qseqpacket.Disconnected"),
                                                           QSeqpacketMessage(QStringLiteral("the channel has no socket"))));
    } else if (!SeqpacketCbor::fromJS(body, &cbor, &why)) {
        // Also the socket's error, as for send(); the callback learns it as a request that could not go.
        reportError(SeqpacketSocket::InvalidDataError, QStringLiteral("request: %1").arg(why));
        future = QtFuture::makeReadyFuture(QSeqpacketReply(QStringLiteral("qseqpacket.TooLarge"),
                                                           QSeqpacketMessage(why)));
    } else {
        future = m_channel->request(name, QSeqpacketMessage(cbor), timeoutMsecs);
    }
    const int handle = m_nextHandle++;
    if (m_nextHandle <= 0)
        m_nextHandle = 1;
    Pending pending;
    pending.callback = callback;
    pending.watcher = new QFutureWatcher<QSeqpacketReply>(this);
    // A finished future's watcher reports from the event loop too: the callback never runs
    // within request().
    connect(pending.watcher, &QFutureWatcherBase::finished, this, [this, handle] { onReplyFinished(handle); });
    pending.watcher->setFuture(future);
    m_pending.insert(handle, pending);
    emit pendingRequestsChanged();
    return handle;
}

bool SeqpacketChannel::cancelRequest(int handle)
{
    const auto found = m_pending.constFind(handle);
    if (found == m_pending.constEnd() || found->watcher->isFinished())
        return false;
    found->watcher->future().cancel();
    return true;
}

void SeqpacketChannel::cancelRequests()
{
    const QList<int> handles = m_pending.keys();
    for (int handle : handles)
        cancelRequest(handle);
}

void SeqpacketChannel::onReplyFinished(int handle)
{
    const Pending pending = m_pending.take(handle);
    if (!pending.watcher)
        return;
    const QFuture<QSeqpacketReply> future = pending.watcher->future();
    // The reply's descriptors close with the last copy of the future: after the callback.
    pending.watcher->deleteLater();
    emit pendingRequestsChanged();

    QSeqpacketReply reply;
    if (future.isCanceled() || future.resultCount() == 0)
        reply = QSeqpacketReply(CanceledError, QSeqpacketMessage(QStringLiteral("the request was canceled")));
    else
        reply = future.result();
    if (!pending.callback.isCallable())
        return;
    QJSEngine *engine = qjsEngine(this);
    if (!engine)
        return;
    const QSeqpacketMessage message = reply.message();
    QVariantMap object;
    object.insert(QStringLiteral("error"), reply.isError());
    object.insert(QStringLiteral("errorName"), reply.errorName());
    object.insert(QStringLiteral("body"), SeqpacketCbor::toVariant(message.body()));
    object.insert(QStringLiteral("descriptors"),
                  SeqpacketInfo::describeDescriptors(message.fileDescriptors(), descriptorPreviewSize()));
    const QJSValue result = pending.callback.call({engine->toScriptValue(object)});
    if (result.isError())
        qmlWarning(this) << "a request callback failed: " << result.toString();
}

void SeqpacketChannel::onMessageReceived(const QString &name, const QSeqpacketMessage &message)
{
    emit messageReceived(name, SeqpacketCbor::toVariant(message.body()),
                         SeqpacketInfo::describeDescriptors(message.fileDescriptors(), descriptorPreviewSize()));
}

void SeqpacketChannel::onRequestReceived(const QSeqpacketRequest &request)
{
    QJSEngine *engine = qjsEngine(this);
    if (!engine || !m_requestHandler.isCallable())
        return; // the last copy goes unanswered: the library answers qseqpacket.NoReply
    // JavaScript owns the request object: kept, it can be answered later; dropped unanswered,
    // the garbage collector's delete answers qseqpacket.NoReply.
    auto *wrapper = new SeqpacketRequest(request, descriptorPreviewSize(), this);
    QJSEngine::setObjectOwnership(wrapper, QJSEngine::JavaScriptOwnership);
    const QJSValue jsRequest = engine->newQObject(wrapper);
    const QJSValue result = m_requestHandler.call({jsRequest});
    if (result.isError()) {
        qmlWarning(this) << "the request handler of " << request.name() << " failed: " << result.toString();
        if (!wrapper->isAnswered())
            wrapper->replyError(NoReplyError, QJSValue(QStringLiteral("the request handler failed")));
        return;
    }
    if (wrapper->isAnswered() || result.isUndefined())
        return; // answered, or kept to be answered later
    const QJSValue then = result.isObject() ? result.property(QStringLiteral("then")) : QJSValue();
    if (then.isCallable()) {
        if (m_promiseGlue.isUndefined())
            m_promiseGlue = engine->evaluate(QString::fromLatin1(PromiseGlue));
        m_promiseGlue.call({result, jsRequest});
        return;
    }
    wrapper->reply(result);
}
