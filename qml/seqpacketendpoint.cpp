// SPDX-License-Identifier: MIT
#include "seqpacketendpoint.h"

SeqpacketEndpoint::SeqpacketEndpoint(SeqpacketReceiveOptions *receiveOptions, QObject *parent)
    : QObject(parent),
      m_receiveOptions(receiveOptions ? receiveOptions : new SeqpacketReceiveOptions(this))
{
    connect(m_receiveOptions, &SeqpacketReceiveOptions::receiveLimitChanged, this,
            &SeqpacketEndpoint::receiveLimitChanged);
    connect(m_receiveOptions, &SeqpacketReceiveOptions::decodeLimitChanged, this,
            &SeqpacketEndpoint::decodeLimitChanged);
    connect(m_receiveOptions, &SeqpacketReceiveOptions::descriptorPreviewSizeChanged, this,
            &SeqpacketEndpoint::descriptorPreviewSizeChanged);
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
