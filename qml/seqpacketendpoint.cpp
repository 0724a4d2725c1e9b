// SPDX-License-Identifier: MIT
#include "seqpacketendpoint.h"

SeqpacketEndpoint::SeqpacketEndpoint(QObject *parent)
    : QObject(parent)
{
}

void SeqpacketEndpoint::setAddress(const QString &address)
{
    if (m_address == address)
        return;
    m_address = address;
    emit addressChanged();
}

void SeqpacketEndpoint::setError(int error, const QString &message)
{
    m_error = error;
    m_errorString = message;
    emit errorChanged();
    if (error != QSeqpacketSocket::NoError)
        emit errorOccurred(error, message);
}

void SeqpacketEndpoint::clearError()
{
    if (m_error == QSeqpacketSocket::NoError)
        return;
    m_error = QSeqpacketSocket::NoError;
    m_errorString.clear();
    emit errorChanged();
}

void SeqpacketEndpoint::setReceiveLimit(int bytes)
{
    if (bytes < 0)
        bytes = -1;
    if (m_receiveLimit == bytes)
        return;
    m_receiveLimit = bytes;
    emit receiveLimitChanged();
}

void SeqpacketEndpoint::setDecodeLimit(int bytes)
{
    if (bytes < 0)
        bytes = -1;
    if (m_decodeLimit == bytes)
        return;
    m_decodeLimit = bytes;
    emit decodeLimitChanged();
}

void SeqpacketEndpoint::setDescriptorPreviewSize(int bytes)
{
    bytes = qBound(0, bytes, 1 << 20);
    if (m_descriptorPreviewSize == bytes)
        return;
    m_descriptorPreviewSize = bytes;
    emit descriptorPreviewSizeChanged();
}
