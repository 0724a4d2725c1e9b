// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETADDRESS_P_H
#define QSEQPACKETADDRESS_P_H

#include "qseqpacketaddress.h"

#include <QtCore/qshareddata.h>

class QSeqpacketAddressPrivate : public QSharedData
{
public:
    QSeqpacketAddress::Kind kind = QSeqpacketAddress::Unnamed;
    QByteArray name; // path bytes or abstract name bytes
    QString errorString;

    static QSeqpacketAddress make(QSeqpacketAddress::Kind kind, const QByteArray &name);
};

#endif
