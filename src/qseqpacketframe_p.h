// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETFRAME_P_H
#define QSEQPACKETFRAME_P_H

#include "qseqpacketframe.h"

#include <QtCore/qshareddata.h>

class QSeqpacketFramePrivate : public QSharedData
{
public:
    QSeqpacketFrame::Type type = QSeqpacketFrame::MessageFrame;
    quint64 id = 0;
    QString name;
    QCborValue body;
    QList<QSeqpacketFileDescriptor> fds;
    QString errorString;
    qint64 spilledSize = -1;
    bool valid = false;

    // The packet that carries \a frame: its encoding, or where that is longer than
    // \a spillThreshold bytes, a spill packet with the encoding in a sealed memfd. Returns an
    // invalid packet and says why in \a error where it cannot be made (too many descriptors,
    // no memfd).
    static QSeqpacketPacket toPacket(const QSeqpacketFrame &frame, qint64 spillThreshold, QString *error);
    // Encodes [type, id, name, body] (an undefined body as null) into \a out.
    static QByteArray encode(QSeqpacketFrame::Type type, quint64 id, const QString &name, const QCborValue &body);
};

#endif
