// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETREQUEST_P_H
#define QSEQPACKETREQUEST_P_H

#include "qseqpacketrequest.h"
#include "qseqpacketframe.h"

#include <QtCore/qatomic.h>
#include <QtCore/qmutex.h>
#include <QtCore/qsharedpointer.h>

class QSeqpacketChannel;

// What the requests a channel handed out know of it: nothing once it is gone. Requests may be
// answered, and dropped, in any thread; the channel clears the pointer in its destructor.
struct QSeqpacketChannelLink
{
    QMutex mutex;
    QSeqpacketChannel *channel = nullptr;
};

class QSeqpacketRequestPrivate : public QSharedData
{
public:
    // The last copy of an unanswered request answers qseqpacket.NoReply.
    ~QSeqpacketRequestPrivate();

    static QSeqpacketRequest make(const QSharedPointer<QSeqpacketChannelLink> &link, quint64 id, const QString &name,
                                  const QSeqpacketMessage &message);
    // Answers once, in the channel's thread (queued there from another); false where answered
    // already, the channel is gone, or the answer could not be sent.
    bool answer(QSeqpacketFrame::Type type, const QString &name, const QSeqpacketMessage &message);

    QSharedPointer<QSeqpacketChannelLink> link;
    quint64 id = 0;
    QString name;
    QSeqpacketMessage message;
    QAtomicInteger<int> answered = 0;
};

#endif
