// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETMESSAGE_P_H
#define QSEQPACKETMESSAGE_P_H

#include "qseqpacketmessage.h"

#include <QtCore/qshareddata.h>

class QSeqpacketMessagePrivate : public QSharedData
{
public:
    QCborValue body;
    QList<QSeqpacketFileDescriptor> fds;
    QSeqpacketCredentials credentials;
    QSeqpacketFileDescriptor processFd;

    // A message as it came off the channel, with what the kernel said about its packet.
    static QSeqpacketMessage makeReceived(const QCborValue &body, const QList<QSeqpacketFileDescriptor> &fds,
                                          const QSeqpacketCredentials &credentials,
                                          const QSeqpacketFileDescriptor &processFd)
    {
        QSeqpacketMessage message(body, fds);
        message.d->credentials = credentials;
        message.d->processFd = processFd;
        return message;
    }
};

#endif
