// SPDX-License-Identifier: MIT
#include "seqpacketframeinfo_p.h"
#include "seqpacketpacketkeys.h"

#include <QSeqpacketFrame>

namespace SeqpacketFrameInfo {

namespace {

QString typeName(QSeqpacketFrame::Type type)
{
    switch (type) {
    case QSeqpacketFrame::MessageFrame: return QStringLiteral("message");
    case QSeqpacketFrame::RequestFrame: return QStringLiteral("request");
    case QSeqpacketFrame::ReplyFrame: return QStringLiteral("reply");
    case QSeqpacketFrame::ErrorReplyFrame: return QStringLiteral("error");
    case QSeqpacketFrame::SpilledFrame: return QStringLiteral("spilled");
    }
    return QString();
}

bool triesToBeAFrame(const QByteArray &data)
{
    // Major type 4 (array), any length encoding: 0x80 ... 0x9f.
    return !data.isEmpty() && (uchar(data.at(0)) & 0xe0) == 0x80;
}

} // namespace

QVariantMap describe(const QSeqpacketPacket &packet, int bodyLimit)
{
    namespace Key = SeqpacketFrameKey;
    QVariantMap map;
    if (!triesToBeAFrame(packet.data()))
        return map;
    const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(packet);
    map.insert(Key::Valid, frame.isValid());
    if (!frame.isValid()) {
        map.insert(Key::Error, frame.errorString());
        return map;
    }
    map.insert(Key::Type, int(frame.type()));
    map.insert(Key::TypeName, typeName(frame.type()));
    map.insert(Key::Id, frame.id());
    map.insert(Key::Name, frame.name());
    QString body = frame.body().toDiagnosticNotation(QCborValue::Compact);
    const bool cut = bodyLimit >= 0 && body.size() > bodyLimit;
    if (cut)
        body.truncate(bodyLimit);
    map.insert(Key::Body, body);
    map.insert(Key::BodyTruncated, cut);
    map.insert(Key::DescriptorCount, qint64(frame.fileDescriptors().size()));
    map.insert(Key::Spilled, frame.isSpilled());
    map.insert(Key::SpilledSize, frame.spilledSize());
    return map;
}

} // namespace SeqpacketFrameInfo
