// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETMESSAGE_P_H
#define QSEQPACKETMESSAGE_P_H

#include "qseqpacketmessage.h"
#include "qseqpacketbody_p.h"

#include <QtCore/qshareddata.h>

class QSeqpacketMessagePrivate : public QSharedData
{
public:
    QSeqpacketMessagePrivate() = default;
    QSeqpacketMessagePrivate(const QSeqpacketBody &body, const QList<QSeqpacketFileDescriptor> &fds)
        : body(body), fds(fds)
    {
    }

    static const QSeqpacketBody &bodyOf(const QSeqpacketMessage &message) { return message.d->body; }

    QSeqpacketBody body;
    QList<QSeqpacketFileDescriptor> fds;
    QSeqpacketCredentials credentials;
    QSeqpacketFileDescriptor processFd;

    // A message as it came off the channel, with what the kernel said about its packet.
    static QSeqpacketMessage makeReceived(const QSeqpacketBody &body, const QList<QSeqpacketFileDescriptor> &fds,
                                          const QSeqpacketCredentials &credentials,
                                          const QSeqpacketFileDescriptor &processFd)
    {
        QSeqpacketMessage message;
        auto *d = new QSeqpacketMessagePrivate(body, fds);
        d->credentials = credentials;
        d->processFd = processFd;
        message.d = d;
        return message;
    }
};

#endif
