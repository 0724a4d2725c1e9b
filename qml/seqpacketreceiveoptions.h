// SPDX-License-Identifier: MIT
#ifndef SEQPACKETRECEIVEOPTIONS_H
#define SEQPACKETRECEIVEOPTIONS_H

#include "seqpacketqmlglobal.h"

#include <QtCore/qobject.h>
#include <QtQml/qqmlengine.h>

/*!
 * \qmltype SeqpacketReceiveOptions
 * \brief How a SeqpacketSocket reads and describes the packets it receives.
 *
 * A client socket has its own; a server has one that all its peers share, so that a change
 * reaches every peer, those connected already included. SeqpacketSocket and SeqpacketServer
 * show it as receiveOptions and forward their receiveLimit, decodeLimit and
 * descriptorPreviewSize properties to it. Each packet is read with the values of the moment.
 */
class SEQPACKETQML_EXPORT SeqpacketReceiveOptions : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("SeqpacketSocket.receiveOptions and SeqpacketServer.receiveOptions have one")

    Q_PROPERTY(int receiveLimit READ receiveLimit WRITE setReceiveLimit NOTIFY receiveLimitChanged)
    Q_PROPERTY(int decodeLimit READ decodeLimit WRITE setDecodeLimit NOTIFY decodeLimitChanged)
    Q_PROPERTY(int descriptorPreviewSize READ descriptorPreviewSize WRITE setDescriptorPreviewSize
               NOTIFY descriptorPreviewSizeChanged)
    Q_PROPERTY(bool senderProcesses READ senderProcesses WRITE setSenderProcesses NOTIFY senderProcessesChanged)
    Q_PROPERTY(bool decodeFrames READ decodeFrames WRITE setDecodeFrames NOTIFY decodeFramesChanged)

public:
    explicit SeqpacketReceiveOptions(QObject *parent = nullptr);

    /*! Read at most this many bytes of each packet (-1, or any negative value: whole packets). */
    int receiveLimit() const { return m_receiveLimit; }
    void setReceiveLimit(int bytes);
    /*! A packet's text, hex and isText cover at most this many bytes (-1: all); data is whole. */
    int decodeLimit() const { return m_decodeLimit; }
    void setDecodeLimit(int bytes);
    /*! How many first bytes of a received regular file or memfd to read (0 to 1 MiB; 64). */
    int descriptorPreviewSize() const { return m_descriptorPreviewSize; }
    void setDescriptorPreviewSize(int bytes);
    /*!
     * Whether each received packet says which process sent it: senderPid and senderExecutable
     * in the packet map, from a pidfd the kernel gives with every packet (SO_PASSPIDFD, Linux
     * 6.5; where the kernel has none the sockets report UnsupportedOperationError). Off by default.
     */
    bool senderProcesses() const { return m_senderProcesses; }
    void setSenderProcesses(bool enabled);
    /*!
     * Whether each packet, received or sent, that tries to be a frame of the QSeqpacket message
     * protocol (QSeqpacketChannel's) gets a "frame" map: type, id, name, body in CBOR diagnostic
     * notation, spilled, or why it is not a frame. A spilled frame is read from its memfd. Off by
     * default: it costs a decode per packet, which only tools that watch traffic want.
     */
    bool decodeFrames() const { return m_decodeFrames; }
    void setDecodeFrames(bool enabled);

Q_SIGNALS:
    void receiveLimitChanged();
    void decodeLimitChanged();
    void descriptorPreviewSizeChanged();
    void senderProcessesChanged();
    void decodeFramesChanged();

private:
    int m_receiveLimit = -1;
    int m_decodeLimit = -1;
    int m_descriptorPreviewSize = 64;
    bool m_senderProcesses = false;
    bool m_decodeFrames = false;
};

#endif // SEQPACKETRECEIVEOPTIONS_H
