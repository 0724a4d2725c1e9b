// SPDX-License-Identifier: MIT
#include "qseqpacketchannel.h"
#include "qseqpacketchannel_p.h"
#include "qseqpacketframe_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketmessage_p.h"
#include "qseqpacketsocket.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qtimer.h>

#include <limits>

namespace {

// The library's error names (PROTOCOL.md): sent by the peer, or made here without any packet.
const QString NoReplyError = QStringLiteral("qseqpacket.NoReply");
const QString UnknownRequestError = QStringLiteral("qseqpacket.UnknownRequest");
const QString TooManyRequestsError = QStringLiteral("qseqpacket.TooManyRequests");
const QString TimeoutError = QStringLiteral("qseqpacket.Timeout");
const QString DisconnectedError = QStringLiteral("qseqpacket.Disconnected");
const QString TooLargeError = QStringLiteral("qseqpacket.TooLarge");

// How many locally finished request ids are remembered to tell a late reply from a stray one.
constexpr qsizetype RecentlyFinishedKept = 256;
// The channel's own answers (NoReply, UnknownRequest, TooManyRequests) are not queued behind this
// much that the peer has not read yet: a peer that asks and never reads gets no more of them.
constexpr qint64 AutomaticAnswerQueueLimit = 1024 * 1024;

// A reply made here, its details a text that says why.
QSeqpacketReply localError(const QString &errorName, const QString &why)
{
    return QSeqpacketReply(errorName, QSeqpacketMessage(why));
}

QFuture<QSeqpacketReply> finishedFuture(const QSeqpacketReply &reply)
{
    QFutureInterface<QSeqpacketReply> promise;
    promise.reportStarted();
    promise.reportResult(reply);
    promise.reportFinished();
    return promise.future();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

void QSeqpacketChannelPrivate::readPackets()
{
    Q_Q(QSeqpacketChannel);
    QPointer<QSeqpacketChannel> guard(q);
    while (guard && socket && socket->hasPendingPackets())
        handlePacket(socket->receivePacket());
}

void QSeqpacketChannelPrivate::handlePacket(const QSeqpacketPacket &packet)
{
    Q_Q(QSeqpacketChannel);
    const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(packet, maxMessageSize);
    if (!frame.isValid()) {
        // The packet, and with it every descriptor it brought, goes when this returns.
        qCDebug(lcSeqpacketChannel) << q << "dropped a packet:" << frame.errorString();
        emit q->protocolError(frame.errorString());
        return;
    }
    const QSeqpacketMessage message = QSeqpacketMessagePrivate::makeReceived(
            QSeqpacketFramePrivate::bodyOf(frame), frame.fileDescriptors(), packet.credentials(),
            packet.processFileDescriptor());
    switch (frame.type()) {
    case QSeqpacketFrame::MessageFrame:
        emit q->messageReceived(frame.name(), message);
        return;
    case QSeqpacketFrame::RequestFrame:
        handleRequest(frame, message);
        return;
    case QSeqpacketFrame::ReplyFrame:
    case QSeqpacketFrame::ErrorReplyFrame: {
        const QSeqpacketReply reply = frame.type() == QSeqpacketFrame::ReplyFrame
                ? QSeqpacketReply(message) : QSeqpacketReply(frame.name(), message);
        if (finish(frame.id(), reply))
            return;
        emit q->protocolError(recentlyFinished.contains(frame.id())
                                      ? tr("a reply to request %1, which finished before it came (timed out or "
                                           "canceled)").arg(frame.id())
                                      : tr("a reply to request %1, which does not wait for one").arg(frame.id()));
        return;
    }
    case QSeqpacketFrame::SpilledFrame:
        break; // fromPacket() returns the frame inside
    }
}

void QSeqpacketChannelPrivate::handleRequest(const QSeqpacketFrame &frame, const QSeqpacketMessage &message)
{
    Q_Q(QSeqpacketChannel);
    if (unansweredCount >= maxUnansweredRequests) {
        // The peer asks faster than we answer: say so now rather than hold more.
        sendAutomaticAnswer(frame.id(), TooManyRequestsError,
                            tr("%1 requests wait for an answer already").arg(unansweredCount));
        return;
    }
    static const QMetaMethod requestReceived = QMetaMethod::fromSignal(&QSeqpacketChannel::requestReceived);
    if (!q->isSignalConnected(requestReceived)) {
        sendAutomaticAnswer(frame.id(), UnknownRequestError, tr("nothing handles requests here (%1)").arg(frame.name()));
        return;
    }
    ++unanswered[frame.id()];
    ++unansweredCount;
    // The slot may keep copies; when the last one goes unanswered it answers qseqpacket.NoReply.
    emit q->requestReceived(QSeqpacketRequestPrivate::make(link, frame.id(), frame.name(), message));
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

qint64 QSeqpacketChannelPrivate::currentSpillThreshold() const
{
    // What one packet can carry, as the socket last read SO_SNDBUF (no system call per frame).
    const int sendBuffer = QSeqpacketSocketPrivate::get(socket)->knownSendBufferSize();
    const qint64 onePacket = sendBuffer > QSeqpacketSystem::SendBufferOverhead
            ? sendBuffer - QSeqpacketSystem::SendBufferOverhead
            : socket->maxPacketSize();
    // A frame that does not fit one packet spills whatever the threshold says (BEHAVIOUR.md).
    return spillThreshold >= 0 ? qMin(spillThreshold, onePacket) : onePacket;
}

QSeqpacketChannelPrivate::SendFailure QSeqpacketChannelPrivate::sendFrame(QSeqpacketFrame::Type type, quint64 id,
                                                                          const QString &name,
                                                                          const QSeqpacketMessage &message)
{
    if (!socket || socket->state() != QSeqpacketSocket::ConnectedState) {
        errorString = tr("the socket is not connected");
        return SendFailure::Connection;
    }
    const QList<QSeqpacketFileDescriptor> fds = message.fileDescriptors();
    if (fds.size() > QSeqpacketSystem::MaxDescriptorsPerPacket) {
        errorString = tr("%1 descriptors, more than the %2 one message can carry")
                              .arg(fds.size()).arg(QSeqpacketSystem::MaxDescriptorsPerPacket);
        return SendFailure::Frame;
    }
    QString why;
    const QSeqpacketPacket packet = encoder.toPacket(type, id, name, QSeqpacketMessagePrivate::bodyOf(message), fds,
                                                     currentSpillThreshold(), &why);
    if (!packet.isValid()) {
        errorString = why;
        return SendFailure::Frame;
    }
    if (socket->sendPacket(packet))
        return SendFailure::None;
    errorString = socket->errorString();
    switch (socket->error()) {
    case QSeqpacketSocket::PeerClosedError:
    case QSeqpacketSocket::ConnectionResetError:
        return SendFailure::Connection;
    default:
        return socket->state() == QSeqpacketSocket::ConnectedState ? SendFailure::Frame : SendFailure::Connection;
    }
}

// ---------------------------------------------------------------------------------------------
// Our requests
// ---------------------------------------------------------------------------------------------

void QSeqpacketChannelPrivate::sendAutomaticAnswer(quint64 id, const QString &errorName, const QString &why)
{
    if (socket && socket->bytesToWrite() >= AutomaticAnswerQueueLimit) {
        if (!automaticAnswersDropped++)
            qCWarning(lcSeqpacketChannel, "the peer reads none of our answers (%lld bytes wait): answers such as %s "
                      "are dropped until it does", socket->bytesToWrite(), qPrintable(errorName));
        return;
    }
    automaticAnswersDropped = 0;
    sendFrame(QSeqpacketFrame::ErrorReplyFrame, id, errorName, QSeqpacketMessage(why));
}

bool QSeqpacketChannelPrivate::finish(quint64 id, const QSeqpacketReply &reply)
{
    const auto found = pending.find(id);
    if (found == pending.end())
        return false;
    PendingRequest request = std::move(found.value());
    pending.erase(found);
    if (request.deadline >= 0) {
        for (auto it = deadlines.find(request.deadline); it != deadlines.end() && it.key() == request.deadline; ++it) {
            if (it.value() == id) {
                deadlines.erase(it);
                break;
            }
        }
    }
    if (request.watcher) {
        request.watcher->disconnect();
        request.watcher->deleteLater(); // it may be telling us of the cancel right now
    }
    // A later deadline than the one timeoutTimer runs for needs nothing: it fires for the
    // earliest and schedules the next.
    if (!request.promise.isCanceled())
        request.promise.reportResult(reply);
    request.promise.reportFinished();
    return true;
}

void QSeqpacketChannelPrivate::refuseSetting(const QString &why)
{
    errorString = why;
    qCWarning(lcSeqpacketChannel, "%s", qPrintable(why));
}

void QSeqpacketChannelPrivate::forget(quint64 id)
{
    recentlyFinished.append(id);
    if (recentlyFinished.size() > RecentlyFinishedKept)
        recentlyFinished.removeFirst();
}

void QSeqpacketChannelPrivate::failAll(const QString &errorName, const QString &why)
{
    const QList<quint64> ids = pending.keys();
    for (quint64 id : ids)
        finish(id, localError(errorName, why));
    if (timeoutTimer)
        timeoutTimer->stop();
    timerDeadline = -1;
}

void QSeqpacketChannelPrivate::scheduleTimeouts()
{
    Q_Q(QSeqpacketChannel);
    if (deadlines.isEmpty()) {
        if (timeoutTimer)
            timeoutTimer->stop();
        timerDeadline = -1;
        return;
    }
    if (!timeoutTimer) {
        timeoutTimer = new QTimer(q);
        timeoutTimer->setSingleShot(true);
        QObject::connect(timeoutTimer, &QTimer::timeout, q, [this] { expireRequests(); });
    }
    timerDeadline = deadlines.firstKey();
    const qint64 remaining = timerDeadline - QDeadlineTimer::current().deadline();
    timeoutTimer->start(int(qBound(qint64(0), remaining, qint64(std::numeric_limits<int>::max()))));
}

void QSeqpacketChannelPrivate::watchRequests()
{
    Q_Q(QSeqpacketChannel);
    // Requests sent in an earlier round have waited one interval at least; those of this round
    // wait for the next.
    QList<quint64> canceled;
    bool waiting = false;
    for (auto it = pending.begin(); it != pending.end(); ++it) {
        PendingRequest &request = it.value();
        if (request.watcher)
            continue;
        if (request.round == watchRound) {
            waiting = true;
            continue;
        }
        if (request.promise.isCanceled()) {
            canceled.append(it.key());
            continue;
        }
        const quint64 id = it.key();
        request.watcher = new QFutureWatcher<QSeqpacketReply>(q);
        QObject::connect(request.watcher, &QFutureWatcherBase::canceled, q, [this, id] {
            forget(id);
            finish(id, QSeqpacketReply());
            scheduleTimeouts();
        });
        // A cancel from before now is told too.
        request.watcher->setFuture(request.promise.future());
    }
    ++watchRound;
    for (quint64 id : std::as_const(canceled)) {
        forget(id);
        finish(id, QSeqpacketReply());
    }
    if (!canceled.isEmpty())
        scheduleTimeouts();
    if (waiting)
        watchTimer->start();
}

void QSeqpacketChannelPrivate::expireRequests()
{
    const qint64 now = QDeadlineTimer::current().deadline();
    while (!deadlines.isEmpty() && deadlines.firstKey() <= now) {
        const quint64 id = deadlines.first();
        forget(id);
        finish(id, localError(TimeoutError, tr("no reply to request %1 within its time").arg(id)));
    }
    scheduleTimeouts();
}

// ---------------------------------------------------------------------------------------------
// The peer's requests
// ---------------------------------------------------------------------------------------------

bool QSeqpacketChannelPrivate::answer(quint64 id, QSeqpacketFrame::Type type, const QString &name,
                                      const QSeqpacketMessage &message)
{
    const SendFailure failure = sendFrame(type, id, name, message);
    if (failure == SendFailure::Frame)
        return false; // the request stays unanswered: another answer, or NoReply when it goes
    requestDone(id);
    return failure == SendFailure::None;
}

void QSeqpacketChannelPrivate::answerNoReply(quint64 id)
{
    sendAutomaticAnswer(id, NoReplyError, tr("the request was dropped without an answer"));
    requestDone(id);
}

void QSeqpacketChannelPrivate::requestDone(quint64 id)
{
    const auto found = unanswered.find(id);
    if (found == unanswered.end())
        return;
    if (--found.value() <= 0)
        unanswered.erase(found);
    --unansweredCount;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

QSeqpacketChannel::QSeqpacketChannel(QSeqpacketSocket *socket, QObject *parent)
    : QObject(parent), d_ptr(new QSeqpacketChannelPrivate(this))
{
    Q_D(QSeqpacketChannel);
    d->socket = socket;
    d->link = QSharedPointer<QSeqpacketChannelLink>::create();
    d->link->channel = this;
    if (!socket) {
        qCWarning(lcSeqpacketChannel, "QSeqpacketChannel: no socket");
        return;
    }
    connect(socket, &QSeqpacketSocket::packetReady, this, [d] { d->readPackets(); });
    connect(socket, &QSeqpacketSocket::disconnected, this, [d] {
        d->failAll(DisconnectedError, tr("the connection ended before the reply came"));
    });
    connect(socket, &QObject::destroyed, this, [d] {
        d->failAll(DisconnectedError, tr("the socket was deleted before the reply came"));
    });
    // Packets that came before the channel was made are its too.
    QMetaObject::invokeMethod(this, [d] { d->readPackets(); }, Qt::QueuedConnection);
}

QSeqpacketChannel::~QSeqpacketChannel()
{
    Q_D(QSeqpacketChannel);
    {
        QMutexLocker locker(&d->link->mutex);
        d->link->channel = nullptr;
    }
    // The peer's requests that still wait: answered for, so that its side does not wait in vain.
    const QList<quint64> ids = d->unanswered.keys();
    for (quint64 id : ids) {
        for (int i = d->unanswered.value(id); i > 0; --i)
            d->sendAutomaticAnswer(id, NoReplyError, QSeqpacketChannelPrivate::tr("the channel was closed before an answer"));
    }
    d->unanswered.clear();
    d->unansweredCount = 0;
    d->failAll(DisconnectedError, QSeqpacketChannelPrivate::tr("the channel was deleted before the reply came"));
}

QSeqpacketSocket *QSeqpacketChannel::socket() const
{
    return d_func()->socket;
}

bool QSeqpacketChannel::send(const QString &name, const QSeqpacketMessage &message)
{
    return d_func()->sendFrame(QSeqpacketFrame::MessageFrame, 0, name, message)
            == QSeqpacketChannelPrivate::SendFailure::None;
}

QFuture<QSeqpacketReply> QSeqpacketChannel::request(const QString &name, const QSeqpacketMessage &message,
                                                    int timeoutMsecs)
{
    Q_D(QSeqpacketChannel);
    quint64 id = d->nextId;
    while (id == 0 || d->pending.contains(id))
        ++id;
    d->nextId = id + 1;

    switch (d->sendFrame(QSeqpacketFrame::RequestFrame, id, name, message)) {
    case QSeqpacketChannelPrivate::SendFailure::None:
        break;
    case QSeqpacketChannelPrivate::SendFailure::Connection:
        return finishedFuture(localError(DisconnectedError, d->errorString));
    case QSeqpacketChannelPrivate::SendFailure::Frame:
        return finishedFuture(localError(TooLargeError, d->errorString));
    }

    QSeqpacketChannelPrivate::PendingRequest request;
    request.promise.reportStarted();
    const QFuture<QSeqpacketReply> future = request.promise.future();
    if (timeoutMsecs >= 0) {
        request.deadline = QDeadlineTimer(timeoutMsecs).deadline();
        d->deadlines.insert(request.deadline, id);
    }
    // No QFutureWatcher yet: most replies come long before anyone cancels. One that still waits
    // when watchTimer fires a second time gets one (which tells of a cancel from before it too).
    request.round = d->watchRound;
    const qint64 deadline = request.deadline;
    d->pending.insert(id, std::move(request));
    if (!d->watchTimer) {
        d->watchTimer = new QTimer(this);
        d->watchTimer->setSingleShot(true);
        d->watchTimer->setInterval(QSeqpacketChannelPrivate::WatchInterval);
        connect(d->watchTimer, &QTimer::timeout, this, [d] { d->watchRequests(); });
    }
    if (!d->watchTimer->isActive())
        d->watchTimer->start();
    if (timeoutMsecs >= 0 && (!d->timeoutTimer || !d->timeoutTimer->isActive() || deadline < d->timerDeadline))
        d->scheduleTimeouts();
    return future;
}

int QSeqpacketChannel::pendingRequests() const
{
    return int(d_func()->pending.size());
}

int QSeqpacketChannel::unansweredRequests() const
{
    return d_func()->unansweredCount;
}

void QSeqpacketChannel::setMaxMessageSize(qint64 bytes)
{
    Q_D(QSeqpacketChannel);
    if (bytes < 0) {
        d->refuseSetting(tr("setMaxMessageSize: %1 bytes is not a size (0 or more); the limit stays %2")
                                 .arg(bytes).arg(d->maxMessageSize));
        return;
    }
    d->maxMessageSize = bytes;
}

qint64 QSeqpacketChannel::maxMessageSize() const
{
    return d_func()->maxMessageSize;
}

void QSeqpacketChannel::setSpillThreshold(qint64 bytes)
{
    d_func()->spillThreshold = bytes < 0 ? -1 : bytes;
}

qint64 QSeqpacketChannel::spillThreshold() const
{
    return d_func()->spillThreshold;
}

void QSeqpacketChannel::setMaxUnansweredRequests(int count)
{
    Q_D(QSeqpacketChannel);
    if (count < 0) {
        d->refuseSetting(tr("setMaxUnansweredRequests: %1 is not a number of requests (0 or more); the limit "
                            "stays %2").arg(count).arg(d->maxUnansweredRequests));
        return;
    }
    d->maxUnansweredRequests = count;
}

int QSeqpacketChannel::maxUnansweredRequests() const
{
    return d_func()->maxUnansweredRequests;
}

QString QSeqpacketChannel::errorString() const
{
    return d_func()->errorString;
}
