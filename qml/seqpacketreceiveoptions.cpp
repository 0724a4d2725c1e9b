// SPDX-License-Identifier: MIT
#include "seqpacketreceiveoptions.h"

SeqpacketReceiveOptions::SeqpacketReceiveOptions(QObject *parent)
    : QObject(parent)
{
}

void SeqpacketReceiveOptions::setReceiveLimit(int bytes)
{
    if (bytes < 0)
        bytes = -1;
    if (m_receiveLimit == bytes)
        return;
    m_receiveLimit = bytes;
    emit receiveLimitChanged();
}

void SeqpacketReceiveOptions::setDecodeLimit(int bytes)
{
    if (bytes < 0)
        bytes = -1;
    if (m_decodeLimit == bytes)
        return;
    m_decodeLimit = bytes;
    emit decodeLimitChanged();
}

void SeqpacketReceiveOptions::setDescriptorPreviewSize(int bytes)
{
    bytes = qBound(0, bytes, 1 << 20);
    if (m_descriptorPreviewSize == bytes)
        return;
    m_descriptorPreviewSize = bytes;
    emit descriptorPreviewSizeChanged();
}

void SeqpacketReceiveOptions::setSenderProcesses(bool enabled)
{
    if (m_senderProcesses == enabled)
        return;
    m_senderProcesses = enabled;
    emit senderProcessesChanged();
}

void SeqpacketReceiveOptions::setDecodeFrames(bool enabled)
{
    if (m_decodeFrames == enabled)
        return;
    m_decodeFrames = enabled;
    emit decodeFramesChanged();
}
