// SPDX-License-Identifier: MIT
// Helpers of the QSeqpacket QML module: what a packet says as a frame of the QSeqpacket message
// protocol (docs/protocol.md), for tools that watch a connection (receiveOptions.decodeFrames).
#ifndef SEQPACKETFRAMEINFO_P_H
#define SEQPACKETFRAMEINFO_P_H

#include <QSeqpacketPacket>

#include <QtCore/qvariant.h>

namespace SeqpacketFrameInfo {

/*!
 * The frame in \a packet as a map (the keys of SeqpacketFrameKey): valid, and type, typeName,
 * id, name, body (CBOR diagnostic notation, at most \a bodyLimit characters; -1: all),
 * bodyTruncated, descriptorCount, spilled, spilledSize; or error for a packet that tries to be a
 * frame and is not. Empty for a packet that does not try: only a payload that starts with a CBOR
 * array header (0x80 to 0x9f) does, which text never does (no UTF-8 starts with those bytes).
 * A spilled frame is read from its memfd, so the packet's descriptors must still be open.
 */
QVariantMap describe(const QSeqpacketPacket &packet, int bodyLimit);

} // namespace SeqpacketFrameInfo

#endif // SEQPACKETFRAMEINFO_P_H
