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
} // namespace SeqpacketPacketKey

namespace SeqpacketPacketDirection {
inline const QString In = QStringLiteral("in");
inline const QString Out = QStringLiteral("out");
} // namespace SeqpacketPacketDirection

#endif // SEQPACKETPACKETKEYS_H
