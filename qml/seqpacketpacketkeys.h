// SPDX-License-Identifier: MIT
#ifndef SEQPACKETPACKETKEYS_H
#define SEQPACKETPACKETKEYS_H

// The keys of the packet maps SeqpacketSocket delivers (packetReceived, packetSent and
// descriptorReceived's packet), defined once for the module that writes them and for C++ that
// reads them (the Inspector's PacketLog). qml/README.md describes what each holds.

#include <QtCore/qstring.h>

namespace SeqpacketPacketKey {
inline const QString Data = QStringLiteral("data");                 //!< ArrayBuffer (QByteArray)
inline const QString Text = QStringLiteral("text");                 //!< at most decodeLimit bytes as UTF-8
inline const QString Hex = QStringLiteral("hex");                   //!< at most decodeLimit bytes as hex
inline const QString IsText = QStringLiteral("isText");
inline const QString Size = QStringLiteral("size");                 //!< bytes received
inline const QString OriginalSize = QStringLiteral("originalSize"); //!< the packet's size on the wire
inline const QString Truncated = QStringLiteral("truncated");
inline const QString DescriptorCount = QStringLiteral("descriptorCount");
inline const QString DescriptorsTruncated = QStringLiteral("descriptorsTruncated");
inline const QString Descriptors = QStringLiteral("descriptors");   //!< a list of descriptor maps
inline const QString Direction = QStringLiteral("direction");       //!< SeqpacketPacketDirection
inline const QString Sequence = QStringLiteral("sequence");         //!< 1, 2, ... per direction
inline const QString Timestamp = QStringLiteral("timestamp");       //!< ms since the epoch
inline const QString Time = QStringLiteral("time");                 //!< the same as a QDateTime (Date)
// Where receiveOptions.senderProcesses is on (a pidfd came with the packet):
inline const QString SenderPid = QStringLiteral("senderPid");       //!< the sending process; -1 unknown
inline const QString SenderExecutable = QStringLiteral("senderExecutable"); //!< its /proc/PID/exe, or ""
// Where receiveOptions.decodeFrames is on and the packet tries to be a frame of the message
// protocol (its payload starts with a CBOR array header): a map with SeqpacketFrameKey's keys.
inline const QString Frame = QStringLiteral("frame");
} // namespace SeqpacketPacketKey

// The keys of a packet's "frame" map: what the packet says as a frame of the QSeqpacket message
// protocol (docs/protocol.md), decoded with QSeqpacketFrame::fromPacket().
namespace SeqpacketFrameKey {
inline const QString Valid = QStringLiteral("valid");                   //!< false: see Error
inline const QString Error = QStringLiteral("error");                   //!< why it is not a frame
inline const QString Type = QStringLiteral("type");                     //!< 0 ... 3 (a spill's inner frame)
inline const QString TypeName = QStringLiteral("typeName");             //!< "message", "request", "reply", "error"
inline const QString Id = QStringLiteral("id");
inline const QString Name = QStringLiteral("name");
inline const QString Body = QStringLiteral("body");                     //!< CBOR diagnostic notation
inline const QString BodyTruncated = QStringLiteral("bodyTruncated");   //!< body cut to decodeLimit characters
inline const QString DescriptorCount = QStringLiteral("descriptorCount"); //!< the frame's own (not a spill's memfd)
inline const QString Spilled = QStringLiteral("spilled");               //!< it came in a sealed memfd (descriptor 0)
inline const QString SpilledSize = QStringLiteral("spilledSize");       //!< the memfd's size; -1 when not spilled
} // namespace SeqpacketFrameKey

namespace SeqpacketPacketDirection {
inline const QString In = QStringLiteral("in");
inline const QString Out = QStringLiteral("out");
} // namespace SeqpacketPacketDirection

#endif // SEQPACKETPACKETKEYS_H
