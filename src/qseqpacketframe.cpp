// SPDX-License-Identifier: MIT
#include "qseqpacketframe.h"
#include "qseqpacketframe_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qcborstreamreader.h>
#include <QtCore/qcborstreamwriter.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdebug.h>
#include <QtCore/qvarlengtharray.h>

using namespace QSeqpacketSystem;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("QSeqpacketFrame", text);
}

// The envelope of a frame, as decoded from its CBOR bytes.
struct Envelope
{
    QSeqpacketFrame::Type type = QSeqpacketFrame::MessageFrame;
    quint64 id = 0;
    QString name;
    QCborValue body;
};

// Walks the one CBOR item at \a reader, without recursion, and leaves the reader after it.
// Returns why the item is refused, empty where it is fine: not valid CBOR; containers and tags
// nested deeper than MaxNesting (QCborValue would decode them recursively); more than MaxItems
// items (each costs QCborValue 16 bytes however small its encoding); a negative integer below
// -2^63, which QCborValue cannot hold (Qt 6.4 makes it 0).
QString checkBody(QCborStreamReader &reader)
{
    const auto invalid = [&reader] {
        return tr("the frame's body is not valid CBOR: %1").arg(reader.lastError().toString());
    };
    QVarLengthArray<int, 32> open; // per open container: the nesting it adds (1, plus its tags)
    int depth = 0;
    int tags = 0;                  // tags in front of the current item
    qint64 items = 0;
    do {
        if (reader.lastError())
            return invalid();
        if (++items > QSeqpacketFrame::MaxItems)
            return tr("the frame's body has more than %1 items").arg(QSeqpacketFrame::MaxItems);
        if (reader.isTag()) {
            if (depth + ++tags > QSeqpacketFrame::MaxNesting)
                return tr("the frame's body nests deeper than %1 levels").arg(QSeqpacketFrame::MaxNesting);
            if (!reader.next())
                return invalid();
            continue;
        }
        if (reader.isArray() || reader.isMap()) {
            const int adds = 1 + tags;
            if (depth + adds > QSeqpacketFrame::MaxNesting)
                return tr("the frame's body nests deeper than %1 levels").arg(QSeqpacketFrame::MaxNesting);
            if (!reader.enterContainer())
                return invalid();
            open.append(adds);
            depth += adds;
        } else {
            // toNegativeInteger() is the absolute value: 2^64 (of -2^64) wraps to 0.
            const quint64 magnitude = reader.isNegativeInteger() ? quint64(reader.toNegativeInteger()) : 1;
            if (magnitude == 0 || magnitude > (quint64(1) << 63))
                return tr("the frame's body has an integer below -2^63, which QCborValue cannot hold");
            if (!reader.next())
                return invalid();
        }
        tags = 0;
        while (!open.isEmpty() && !reader.hasNext()) {
            if (!reader.leaveContainer())
                return invalid();
            depth -= open.back();
            open.removeLast();
        }
    } while (!open.isEmpty() || tags > 0);
    return reader.lastError() ? invalid() : QString();
}

// Decodes one frame's CBOR: exactly one definite-length array of four items, the body no deeper
// than MaxNesting, nothing after it. Returns the reason where it is not that, empty otherwise.
QString decodeEnvelope(const QByteArray &bytes, Envelope *envelope)
{
    QCborStreamReader reader(bytes);
    if (!reader.isArray())
        return bytes.isEmpty() ? tr("an empty packet is not a frame") : tr("the packet is not a CBOR array");
    if (!reader.isLengthKnown() || reader.length() != 4)
        return reader.isLengthKnown() ? tr("the frame has %1 items, not 4").arg(reader.length())
                                      : tr("the frame is an array of indefinite length");
    const auto invalid = [&reader] {
        return tr("the frame is not valid CBOR: %1").arg(reader.lastError().toString());
    };
    if (!reader.enterContainer())
        return invalid();

    if (!reader.isUnsignedInteger())
        return reader.lastError() ? invalid() : tr("the frame's type is not an unsigned integer");
    const quint64 type = reader.toUnsignedInteger();
    if (type > quint64(QSeqpacketFrame::SpilledFrame))
        return tr("unknown frame type %1").arg(type);
    envelope->type = QSeqpacketFrame::Type(type);
    reader.next();

    if (!reader.isUnsignedInteger())
        return reader.lastError() ? invalid() : tr("the frame's id is not an unsigned integer");
    envelope->id = reader.toUnsignedInteger();
    reader.next();

    if (!reader.isString())
        return reader.lastError() ? invalid() : tr("the frame's name is not a text string");
    auto chunk = reader.readString();
    while (chunk.status == QCborStreamReader::Ok) {
        envelope->name += chunk.data;
        chunk = reader.readString();
    }
    if (chunk.status == QCborStreamReader::Error)
        return tr("the frame's name is not valid: %1").arg(reader.lastError().toString());

    // The body is walked once to check it (nesting, item count, what QCborValue can hold) and to
    // find where it ends, then decoded from exactly those bytes.
    const qint64 bodyStart = reader.currentOffset();
    if (!reader.hasNext())
        return tr("the frame ends before its body");
    const QString bodyProblem = checkBody(reader);
    if (!bodyProblem.isEmpty())
        return bodyProblem;
    const qint64 bodyEnd = reader.currentOffset();
    if (reader.hasNext())
        return tr("the frame has more than 4 items");
    if (!reader.leaveContainer())
        return invalid();
    if (reader.currentOffset() != bytes.size()) {
        const qint64 extra = bytes.size() - reader.currentOffset();
        return extra == 1 ? tr("1 byte follows the frame's array") : tr("%1 bytes follow the frame's array").arg(extra);
    }

    QCborParserError error;
    envelope->body = QCborValue::fromCbor(QByteArray::fromRawData(bytes.constData() + bodyStart,
                                                                  qsizetype(bodyEnd - bodyStart)), &error);
    if (error.error != QCborError::NoError)
        return tr("the frame's body is not valid CBOR: %1").arg(error.errorString());
    return QString();
}

QString sealNames(int missing)
{
    QStringList names;
    if (missing & 0x0001)
        names << QStringLiteral("F_SEAL_SEAL");
    if (missing & 0x0002)
        names << QStringLiteral("F_SEAL_SHRINK");
    if (missing & 0x0004)
        names << QStringLiteral("F_SEAL_GROW");
    if (missing & 0x0008)
        names << QStringLiteral("F_SEAL_WRITE");
    return names.join(QStringLiteral(", "));
}

} // namespace

QSeqpacketFrame::QSeqpacketFrame()
    : d(new QSeqpacketFramePrivate)
{
}

QSeqpacketFrame::QSeqpacketFrame(Type type, quint64 id, const QString &name, const QCborValue &body,
                                 const QList<QSeqpacketFileDescriptor> &fds)
    : d(new QSeqpacketFramePrivate)
{
    d->type = type;
    d->id = id;
    d->name = name;
    d->body = body;
    d->fds = fds;
    d->valid = true;
}

QSeqpacketFrame::QSeqpacketFrame(const QSeqpacketFrame &other) = default;
QSeqpacketFrame::QSeqpacketFrame(QSeqpacketFrame &&other) noexcept = default;
QSeqpacketFrame &QSeqpacketFrame::operator=(const QSeqpacketFrame &other) = default;
QSeqpacketFrame &QSeqpacketFrame::operator=(QSeqpacketFrame &&other) noexcept = default;
QSeqpacketFrame::~QSeqpacketFrame() = default;

QSeqpacketFrame QSeqpacketFrame::fromPacket(const QSeqpacketPacket &packet, qint64 maxSize)
{
    QSeqpacketFrame frame;
    const auto fail = [&frame](const QString &why) {
        frame.d->errorString = why;
        return frame;
    };
    if (!packet.isValid())
        return fail(tr("no packet"));
    if (packet.isTruncated())
        return fail(tr("the packet was cut short: %1 of its %2 bytes arrived").arg(packet.data().size())
                            .arg(packet.originalSize()));
    if (packet.areFileDescriptorsTruncated())
        return fail(tr("some of the packet's descriptors did not arrive (more than the receiver takes)"));
    if (packet.originalSize() > maxSize)
        return fail(tr("a frame of %1 bytes, more than the %2 accepted").arg(packet.originalSize()).arg(maxSize));

    Envelope outer;
    QString why = decodeEnvelope(packet.data(), &outer);
    if (!why.isEmpty())
        return fail(why);
    QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
    if (outer.type != SpilledFrame) {
        frame.d->type = outer.type;
        frame.d->id = outer.id;
        frame.d->name = outer.name;
        frame.d->body = outer.body;
        frame.d->fds = fds;
        frame.d->valid = true;
        return frame;
    }

    // A spilled frame: [4, size, "", null] with the memfd first. Everything about the memfd is
    // checked before a byte of it is mapped or read.
    const quint64 size = outer.id;
    if (fds.isEmpty())
        return fail(tr("a spilled frame without its memfd"));
    if (size > quint64(maxSize))
        return fail(tr("a spilled frame of %1 bytes, more than the %2 accepted").arg(size).arg(maxSize));
    const int memfd = fds.constFirst().descriptor();
    int errorNumber = 0;
    const int seals = sealsOf(memfd, &errorNumber);
    if (seals == -1) {
        return fail(errorNumber == EINVAL ? tr("the spilled frame's descriptor is not a memfd")
                                          : describe(tr("the spilled frame's memfd: fcntl(F_GET_SEALS)"), errorNumber));
    }
    if ((seals & SpillSeals) != SpillSeals)
        return fail(tr("the spilled frame's memfd lacks the seals %1").arg(sealNames(SpillSeals & ~seals)));
    const qint64 actual = regularFileSize(memfd, &errorNumber);
    if (actual == -1)
        return fail(errorNumber ? describe(tr("the spilled frame's memfd: fstat"), errorNumber)
                                : tr("the spilled frame's descriptor is not a memfd"));
    if (quint64(actual) != size)
        return fail(tr("the spilled frame's memfd holds %1 bytes, not the %2 the packet says").arg(actual).arg(size));
    if (size == 0)
        return fail(tr("an empty spilled frame"));
    const char *mapped = mapReadOnly(memfd, qint64(size), &errorNumber);
    if (!mapped)
        return fail(describe(tr("the spilled frame's memfd: mmap"), errorNumber));
    Envelope inner;
    why = decodeEnvelope(QByteArray::fromRawData(mapped, qsizetype(size)), &inner);
    unmap(mapped, qint64(size));
    if (!why.isEmpty())
        return fail(tr("the spilled frame: %1").arg(why));
    if (inner.type == SpilledFrame)
        return fail(tr("a spilled frame inside a spilled frame"));
    fds.removeFirst(); // the memfd closes with the last copy of the packet
    frame.d->type = inner.type;
    frame.d->id = inner.id;
    frame.d->name = inner.name;
    frame.d->body = inner.body;
    frame.d->fds = fds;
    frame.d->spilledSize = qint64(size);
    frame.d->valid = true;
    return frame;
}

QByteArray QSeqpacketFramePrivate::encode(QSeqpacketFrame::Type type, quint64 id, const QString &name,
                                          const QCborValue &body)
{
    QByteArray bytes;
    QCborStreamWriter writer(&bytes);
    writer.startArray(4);
    writer.append(quint64(type));
    writer.append(id);
    writer.append(name);
    if (body.isUndefined())
        writer.append(nullptr);
    else
        body.toCbor(writer);
    writer.endArray();
    return bytes;
}

QSeqpacketPacket QSeqpacketFramePrivate::toPacket(const QSeqpacketFrame &frame, qint64 spillThreshold, QString *error)
{
    const QSeqpacketFramePrivate *d = frame.d.constData();
    const QByteArray bytes = encode(d->type, d->id, d->name, d->body);
    if (bytes.size() <= spillThreshold)
        return QSeqpacketPacket(bytes, d->fds);
    if (d->fds.size() >= MaxDescriptorsPerPacket) {
        *error = QCoreApplication::translate("QSeqpacketFrame", "a frame of %1 bytes travels in a memfd, which leaves room "
                                             "for %2 descriptors, not %3")
                         .arg(bytes.size()).arg(MaxDescriptorsPerPacket - 1).arg(d->fds.size());
        return QSeqpacketPacket();
    }
    int errorNumber = 0;
    const char *failedCall = "";
    const int memfd = createSealedMemfd("qseqpacket-frame", bytes.constData(), bytes.size(), &errorNumber, &failedCall);
    if (memfd == -1) {
        *error = describe(QCoreApplication::translate("QSeqpacketFrame", "a frame of %1 bytes needs a memfd: %2")
                                  .arg(bytes.size()).arg(QLatin1String(failedCall)), errorNumber);
        return QSeqpacketPacket();
    }
    QList<QSeqpacketFileDescriptor> fds;
    fds.reserve(d->fds.size() + 1);
    fds.append(QSeqpacketFileDescriptor::adopt(memfd));
    fds.append(d->fds);
    return QSeqpacketPacket(encode(QSeqpacketFrame::SpilledFrame, quint64(bytes.size()), QString(), QCborValue(nullptr)), fds);
}

QByteArray QSeqpacketFrame::encode() const
{
    return QSeqpacketFramePrivate::encode(d->type, d->id, d->name, d->body);
}

bool QSeqpacketFrame::isValid() const { return d->valid; }
QString QSeqpacketFrame::errorString() const { return d->errorString; }
QSeqpacketFrame::Type QSeqpacketFrame::type() const { return d->type; }
quint64 QSeqpacketFrame::id() const { return d->id; }
QString QSeqpacketFrame::name() const { return d->name; }
QCborValue QSeqpacketFrame::body() const { return d->body; }
QList<QSeqpacketFileDescriptor> QSeqpacketFrame::fileDescriptors() const { return d->fds; }
bool QSeqpacketFrame::isSpilled() const { return d->spilledSize >= 0; }
qint64 QSeqpacketFrame::spilledSize() const { return d->spilledSize; }

QDebug operator<<(QDebug debug, const QSeqpacketFrame &frame)
{
    QDebugStateSaver saver(debug);
    debug.nospace().noquote() << "QSeqpacketFrame(";
    if (!frame.isValid())
        return debug << "invalid: " << frame.errorString() << ')';
    constexpr qsizetype preview = 80;
    QString body = frame.body().toDiagnosticNotation(QCborValue::Compact);
    if (body.size() > preview)
        body = body.left(preview) + QStringLiteral("...");
    debug << frame.type() << ", id " << frame.id() << ", \"" << frame.name() << "\", " << body;
    if (!frame.fileDescriptors().isEmpty())
        debug << ", " << frame.fileDescriptors().size() << " descriptors";
    if (frame.isSpilled())
        debug << ", spilled " << frame.spilledSize() << " bytes";
    debug << ')';
    return debug;
}
