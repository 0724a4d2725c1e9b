// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETCHANNEL_P_H
#define QSEQPACKETCHANNEL_P_H

#include "qseqpacketchannel.h"
#include "qseqpacketframe.h"
#include "qseqpacketframe_p.h"
#include "qseqpacketrequest_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qfutureinterface.h>
#include <QtCore/qfuturewatcher.h>
#include <QtCore/qhash.h>
#include <QtCore/qmap.h>
#include <QtCore/qpointer.h>

class QTimer;
class QSeqpacketPacket;

// The channel's state: requests waiting for replies (with their deadlines), the peer's requests
// waiting for answers, and the socket it reads.
class QSeqpacketChannelPrivate
{
    Q_DECLARE_PUBLIC(QSeqpacketChannel)
    Q_DECLARE_TR_FUNCTIONS(QSeqpacketChannel)
public:
    explicit QSeqpacketChannelPrivate(QSeqpacketChannel *q) : q_ptr(q) {}

    static QSeqpacketChannelPrivate *get(QSeqpacketChannel *channel) { return channel->d_func(); }

    // Why a frame could not be sent: the connection, or the frame itself.
    enum class SendFailure { None, Connection, Frame };

    void readPackets();
    void handlePacket(const QSeqpacketPacket &packet);
    void handleRequest(const QSeqpacketFrame &frame, const QSeqpacketMessage &message);
    SendFailure sendFrame(QSeqpacketFrame::Type type, quint64 id, const QString &name,
                          const QSeqpacketMessage &message);
    qint64 currentSpillThreshold() const;
    // An error reply the channel sends by itself; not where the peer has left too much unread.
    void sendAutomaticAnswer(quint64 id, const QString &errorName, const QString &why);

    // Finishes our request \a id with \a reply (a result where the future was not canceled).
    // False where no such request waits.
    bool finish(quint64 id, const QSeqpacketReply &reply);
    void failAll(const QString &errorName, const QString &why);
    // A setter's value is refused: errorString() and a warning say why; the setting stays.
    void refuseSetting(const QString &why);
    void forget(quint64 id); // a request that finished locally: its late reply is told apart
    void scheduleTimeouts();
    void expireRequests();
    // Gives the requests that have waited a while a QFutureWatcher, to hear of QFuture::cancel().
    void watchRequests();

    // The peer's request \a id: answered (true where sent), or answered qseqpacket.NoReply.
    bool answer(quint64 id, QSeqpacketFrame::Type type, const QString &name, const QSeqpacketMessage &message);
    void answerNoReply(quint64 id);
    void requestDone(quint64 id);

    QSeqpacketChannel *q_ptr;
    QPointer<QSeqpacketSocket> socket;
    QSharedPointer<QSeqpacketChannelLink> link;

    struct PendingRequest
    {
        QFutureInterface<QSeqpacketReply> promise;
        // Tells of QFuture::cancel(); made only for a request that is still waiting when
        // watchTimer fires a second time after it was sent (most replies come long before).
        QFutureWatcher<QSeqpacketReply> *watcher = nullptr;
        qint64 deadline = -1; // QDeadlineTimer::deadline() milliseconds; -1: none
        quint32 round = 0;    // watchRound when it was sent
    };
    QHash<quint64, PendingRequest> pending;
    QMultiMap<qint64, quint64> deadlines; // deadline -> request id
    QTimer *timeoutTimer = nullptr;
    qint64 timerDeadline = -1; // the deadline timeoutTimer runs for; -1: it does not run
    QTimer *watchTimer = nullptr;
    // How often waiting requests are looked at for a watcher: a cancel is noticed within twice
    // this (the future says isCanceled() at once; it finishes then).
    static constexpr int WatchInterval = 20;
    quint32 watchRound = 0;
    QSeqpacketFrameEncoder encoder;
    quint64 nextId = 1;
    // Requests that finished here (timed out, canceled) most recently, for a late reply's message.
    QList<quint64> recentlyFinished;

    QHash<quint64, int> unanswered; // the peer's request ids (a peer may reuse one) -> how many wait
    int unansweredCount = 0;

    qint64 maxMessageSize = QSeqpacketFrame::DefaultMaxMessageSize;
    qint64 spillThreshold = -1;
    int maxUnansweredRequests = 1024;
    quint64 automaticAnswersDropped = 0;
    QString errorString;
};

#endif
