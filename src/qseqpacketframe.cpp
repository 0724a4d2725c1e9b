// SPDX-License-Identifier: MIT
#include "qseqpacketframe.h"
#include "qseqpacketframe_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qcborstreamreader.h>
#include <QtCore/qcborstreamwriter.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdebug.h>
#include <QtCore/qvarlengtharray.h>

#include <limits>

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
    QSeqpacketBody body;
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

QSeqpacketBody decodeBody(const uchar *start, const uchar *end, QCborParserError *error);

// Decodes one frame's CBOR: exactly one definite-length array of four items, the body no deeper
// than MaxNesting, nothing after it. Returns the reason where it is not that, empty otherwise.
// Every frame the fast decoder below does not take comes here, and every error message.
QString decodeEnvelopeFully(const QByteArray &bytes, Envelope *envelope)
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

    if (!reader.isUnsignedInteger()) {
        if (reader.lastError())
            return invalid();
        // A spilled frame's second item is the size of its memfd, every other frame's its id.
        return envelope->type == QSeqpacketFrame::SpilledFrame ? tr("the spilled frame's size is not an unsigned integer")
                                                               : tr("the frame's id is not an unsigned integer");
    }
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
    const auto *data = reinterpret_cast<const uchar *>(bytes.constData());
    envelope->body = decodeBody(data + bodyStart, data + bodyEnd, &error);
    if (error.error != QCborError::NoError)
        return tr("the frame's body is not valid CBOR: %1").arg(error.errorString());
    return QString();
}

// ---- the fast decoder: the usual frame, read by hand ----------------------------------------

// Reads one CBOR head at \a p: its major type and argument. False where there is none (the end,
// a reserved additional information, an indefinite length).
inline bool readHead(const uchar *&p, const uchar *end, int *major, quint64 *value)
{
    if (p >= end)
        return false;
    const uchar first = *p++;
    *major = first >> 5;
    const uint info = first & 31;
    if (info < 24) {
        *value = info;
        return true;
    }
    int size;
    switch (info) {
    case 24: size = 1; break;
    case 25: size = 2; break;
    case 26: size = 4; break;
    case 27: size = 8; break;
    default: return false;
    }
    if (end - p < size)
        return false;
    quint64 v = 0;
    for (int i = 0; i < size; ++i)
        v = (v << 8) | *p++;
    if (*major == 7 && info == 24 && v < 32)
        return false; // a simple value in two bytes that fits one: not well-formed
    *value = v;
    return true;
}

// The body in [\a start, \a end), one CBOR item its decoder has walked: a definite byte string
// that fills it as its bytes alone, in a buffer of their size (see QSeqpacketBody), anything else
// as a QCborValue (\a error says where that fails).
QSeqpacketBody decodeBody(const uchar *start, const uchar *end, QCborParserError *error)
{
    const uchar *bytes = start;
    int major;
    quint64 size;
    if ((*start >> 5) == 2 && readHead(bytes, end, &major, &size) && size == quint64(end - bytes)) {
        *error = QCborParserError();
        return QSeqpacketBody::fromBytes(QByteArray(reinterpret_cast<const char *>(bytes), qsizetype(size)));
    }
    return QSeqpacketBody(QCborValue::fromCbor(
            QByteArray::fromRawData(reinterpret_cast<const char *>(start), qsizetype(end - start)), error));
}

// Walks the body at \a p as checkBody() does (nesting, item count, integers below -2^63) and
// leaves \a p after it. False where it is not plainly within the limits and well-formed as far as
// the heads go (an indefinite length, for one): the full decoder then decides, and says why.
bool walkBody(const uchar *&p, const uchar *end)
{
    struct Level
    {
        quint64 remaining;
        int adds;
    };
    QVarLengthArray<Level, 16> open;
    int depth = 0;
    int tags = 0;
    qint64 items = 0;
    for (;;) {
        if (++items > QSeqpacketFrame::MaxItems)
            return false;
        int major;
        quint64 value;
        if (!readHead(p, end, &major, &value))
            return false;
        switch (major) {
        case 0: // unsigned integer
        case 7: // simple value, float
            break;
        case 1: // negative integer -1 - value: QCborValue holds down to -2^63
            if (value >= (quint64(1) << 63))
                return false;
            break;
        case 2: // byte string
        case 3: // text string (its UTF-8 is QCborValue::fromCbor()'s to check)
            if (value > quint64(end - p))
                return false;
            p += value;
            break;
        case 4: // array
        case 5: { // map
            const int adds = 1 + tags;
            if (depth + adds > QSeqpacketFrame::MaxNesting)
                return false;
            // Every item takes a byte at least.
            const quint64 left = quint64(end - p);
            if (major == 5) {
                if (value > left / 2)
                    return false;
                value *= 2;
            } else if (value > left) {
                return false;
            }
            tags = 0;
            if (value > 0) {
                open.append(Level{value, adds});
                depth += adds;
                continue;
            }
            break;
        }
        case 6: // tag: a level of nesting, like a container
            if (depth + ++tags > QSeqpacketFrame::MaxNesting)
                return false;
            continue;
        }
        tags = 0;
        while (!open.isEmpty()) {
            if (--open.back().remaining > 0)
                break;
            depth -= open.back().adds;
            open.removeLast();
        }
        if (open.isEmpty())
            return true;
    }
}

// Decodes the usual frame in one pass: a definite array of 4, small unsigned integers, an ASCII
// name, a body within the limits, nothing after it; the body decoded once, from the frame's own
// bytes. False where the frame is anything else, valid or not: decodeEnvelope() then decides.
bool decodeUsualEnvelope(const QByteArray &bytes, Envelope *envelope)
{
    const uchar *p = reinterpret_cast<const uchar *>(bytes.constData());
    const uchar *const end = p + bytes.size();
    if (p == end || *p != 0x84)
        return false;
    ++p;
    int major;
    quint64 type;
    if (!readHead(p, end, &major, &type) || major != 0 || type > quint64(QSeqpacketFrame::SpilledFrame))
        return false;
    quint64 id;
    if (!readHead(p, end, &major, &id) || major != 0)
        return false;
    quint64 nameSize;
    if (!readHead(p, end, &major, &nameSize) || major != 3 || nameSize > quint64(end - p))
        return false;
    for (quint64 i = 0; i < nameSize; ++i) {
        if (p[i] >= 0x80)
            return false; // UTF-8 beyond ASCII: the full decoder checks it
    }
    const char *const name = reinterpret_cast<const char *>(p);
    p += nameSize;
    const uchar *const bodyStart = p;
    if (!walkBody(p, end) || p != end)
        return false;
    QCborParserError error;
    QSeqpacketBody body = decodeBody(bodyStart, end, &error);
    if (error.error != QCborError::NoError)
        return false;
    envelope->type = QSeqpacketFrame::Type(type);
    envelope->id = id;
    envelope->name = nameSize ? QString::fromLatin1(name, qsizetype(nameSize)) : QString();
    envelope->body = std::move(body);
    return true;
}

// Decodes one frame's CBOR: exactly one definite-length array of four items, the body no deeper
// than MaxNesting, nothing after it. Returns the reason where it is not that, empty otherwise.
QString decodeEnvelope(const QByteArray &bytes, Envelope *envelope)
{
    if (decodeUsualEnvelope(bytes, envelope))
        return QString();
    return decodeEnvelopeFully(bytes, envelope);
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
    d->body = QSeqpacketBody(body);
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
        frame.d->name = std::move(outer.name);
        frame.d->body = std::move(outer.body);
        frame.d->fds = std::move(fds);
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
    frame.d->name = std::move(inner.name);
    frame.d->body = std::move(inner.body);
    frame.d->fds = std::move(fds);
    frame.d->spilledSize = qint64(size);
    frame.d->valid = true;
    return frame;
}

namespace {

// Appends the CBOR head of major type \a major with the argument \a value, in its shortest form
// (as QCborStreamWriter writes it).
void appendHead(QVarLengthArray<char, 64> &out, uint major, quint64 value)
{
    const char type = char(major << 5);
    if (value < 24) {
        out.append(char(type | char(value)));
        return;
    }
    int size;
    if (value <= 0xff) {
        out.append(char(type | 24));
        size = 1;
    } else if (value <= 0xffff) {
        out.append(char(type | 25));
        size = 2;
    } else if (value <= 0xffffffffu) {
        out.append(char(type | 26));
        size = 4;
    } else {
        out.append(char(type | 27));
        size = 8;
    }
    for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
        out.append(char(value >> shift));
}

// The array head, type, id and name of a frame: what comes before its body.
void appendEnvelopeHead(QVarLengthArray<char, 64> &out, QSeqpacketFrame::Type type, quint64 id, const QString &name)
{
    out.append(char(0x84)); // an array of 4
    appendHead(out, 0, quint64(type));
    appendHead(out, 0, id);
    bool ascii = true;
    for (QChar c : name) {
        if (c.unicode() >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii) {
        appendHead(out, 3, quint64(name.size()));
        for (QChar c : name)
            out.append(char(c.unicode()));
    } else {
        const QByteArray utf8 = name.toUtf8();
        appendHead(out, 3, quint64(utf8.size()));
        out.append(utf8.constData(), utf8.size());
    }
}

// What is written into a spilled frame's memfd in one write(): larger pieces go straight in.
constexpr qint64 SpillChunk = 64 * 1024;

} // namespace

QSeqpacketFrameSink::QSeqpacketFrameSink()
{
    open(QIODevice::WriteOnly | QIODevice::Unbuffered);
}

QSeqpacketFrameSink::~QSeqpacketFrameSink()
{
    if (memfd != -1)
        closeDescriptor(memfd);
}

void QSeqpacketFrameSink::begin(qint64 spillThreshold)
{
    if (memfd != -1)
        closeDescriptor(memfd);
    memfd = -1;
    threshold = spillThreshold;
    total = 0;
    errorNumber = 0;
    failedCall = "";
    bytes.clear();
    if (bytes.capacity() > 4096)
        bytes.squeeze(); // not the 64 KiB of a spilled frame kept for good
}

void QSeqpacketFrameSink::append(const char *data, qint64 size)
{
    total += size;
    if (memfd == -1 && errorNumber == 0 && bytes.size() + size <= threshold) {
        bytes.append(data, qsizetype(size));
        return;
    }
    spill(data, size);
}

void QSeqpacketFrameSink::spill(const char *data, qint64 size)
{
    if (errorNumber)
        return; // the frame fails in finish()
    if (memfd == -1) {
        memfd = createSealableMemfd("qseqpacket-frame", &errorNumber);
        if (memfd == -1) {
            failedCall = "memfd_create";
            return;
        }
    }
    if (bytes.size() + size <= SpillChunk) {
        bytes.append(data, qsizetype(size));
        return;
    }
    if (!bytes.isEmpty()) {
        if (!writeAll(memfd, bytes.constData(), bytes.size(), &errorNumber)) {
            failedCall = "write";
            return;
        }
        bytes.resize(0);
    }
    if (size < SpillChunk)
        bytes.append(data, qsizetype(size));
    else if (!writeAll(memfd, data, size, &errorNumber))
        failedCall = "write";
}

bool QSeqpacketFrameSink::finish()
{
    if (memfd != -1 && !errorNumber && !bytes.isEmpty()) {
        if (writeAll(memfd, bytes.constData(), bytes.size(), &errorNumber))
            bytes.clear();
        else
            failedCall = "write";
    }
    if (memfd != -1 && !errorNumber && !addSpillSeals(memfd, &errorNumber))
        failedCall = "fcntl(F_ADD_SEALS)";
    if (errorNumber && memfd != -1) {
        closeDescriptor(memfd);
        memfd = -1;
    }
    return errorNumber == 0;
}

QByteArray QSeqpacketFrameSink::take()
{
    QByteArray frame(bytes.constData(), bytes.size());
    bytes.clear();
    return frame;
}

int QSeqpacketFrameSink::takeMemfd()
{
    const int fd = memfd;
    memfd = -1;
    return fd;
}

void QSeqpacketFrameEncoder::write(QSeqpacketFrame::Type type, quint64 id, const QString &name,
                                   const QSeqpacketBody &body)
{
    QVarLengthArray<char, 64> head;
    appendEnvelopeHead(head, type, id, name);
    if (body.isUndefined())
        head.append(char(0xf6)); // null
    else if (body.isBytes())
        appendHead(head, 2, quint64(body.bytes().size()));
    sink.append(head.constData(), head.size());
    if (body.isBytes())
        sink.append(body.bytes().constData(), body.bytes().size()); // a large one straight into the memfd
    else if (!body.isUndefined())
        body.cborValue().toCbor(writer);
}

QByteArray QSeqpacketFrameEncoder::encode(QSeqpacketFrame::Type type, quint64 id, const QString &name,
                                          const QSeqpacketBody &body)
{
    sink.begin(std::numeric_limits<qint64>::max());
    write(type, id, name, body);
    return sink.take();
}

QSeqpacketPacket QSeqpacketFrameEncoder::toPacket(QSeqpacketFrame::Type type, quint64 id, const QString &name,
                                                  const QSeqpacketBody &body, const QList<QSeqpacketFileDescriptor> &fds,
                                                  qint64 spillThreshold, QString *error)
{
    // A frame that will spill needs room for the memfd next to its descriptors: made no memfd for
    // one that cannot go.
    sink.begin(fds.size() >= MaxDescriptorsPerPacket ? std::numeric_limits<qint64>::max() : spillThreshold);
    write(type, id, name, body);
    const qint64 size = sink.total;
    if (size <= spillThreshold) {
        return QSeqpacketPacket(sink.take(), fds);
    }
    if (fds.size() >= MaxDescriptorsPerPacket) {
        sink.bytes.clear();
        *error = QCoreApplication::translate("QSeqpacketFrame", "a frame of %1 bytes travels in a memfd, which leaves room "
                                             "for %2 descriptors, not %3")
                         .arg(size).arg(MaxDescriptorsPerPacket - 1).arg(fds.size());
        return QSeqpacketPacket();
    }
    const bool written = sink.finish();
    sink.bytes.clear();
    if (!written) {
        *error = describe(QCoreApplication::translate("QSeqpacketFrame", "a frame of %1 bytes needs a memfd: %2")
                                  .arg(size).arg(QLatin1String(sink.failedCall)), sink.errorNumber);
        return QSeqpacketPacket();
    }
    QList<QSeqpacketFileDescriptor> all;
    all.reserve(fds.size() + 1);
    all.append(QSeqpacketFileDescriptor::adopt(sink.takeMemfd()));
    all.append(fds);
    QVarLengthArray<char, 64> spilled;
    appendEnvelopeHead(spilled, QSeqpacketFrame::SpilledFrame, quint64(size), QString());
    spilled.append(char(0xf6)); // null
    return QSeqpacketPacket(QByteArray(spilled.constData(), spilled.size()), all);
}

QByteArray QSeqpacketFramePrivate::encode(QSeqpacketFrame::Type type, quint64 id, const QString &name,
                                          const QSeqpacketBody &body)
{
    QSeqpacketFrameEncoder encoder;
    return encoder.encode(type, id, name, body);
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
QCborValue QSeqpacketFrame::body() const { return d->body.toCborValue(); }
QList<QSeqpacketFileDescriptor> QSeqpacketFrame::fileDescriptors() const { return d->fds; }
bool QSeqpacketFrame::isSpilled() const { return d->spilledSize >= 0; }
qint64 QSeqpacketFrame::spilledSize() const { return d->spilledSize; }

QDebug operator<<(QDebug debug, const QSeqpacketFrame &frame)
{
    QDebugStateSaver saver(debug);
    debug.nospace().noquote() << "QSeqpacketFrame(";
    if (!frame.isValid())
        return debug << "invalid: " << frame.errorString() << ')';
    debug << frame.type() << ", id " << frame.id() << ", \"" << frame.name() << "\", "
          << QSeqpacketFramePrivate::bodyOf(frame).diagnosticPreview(80);
    if (!frame.fileDescriptors().isEmpty())
        debug << ", " << frame.fileDescriptors().size() << " descriptors";
    if (frame.isSpilled())
        debug << ", spilled " << frame.spilledSize() << " bytes";
    debug << ')';
    return debug;
}
