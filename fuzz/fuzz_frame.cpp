// SPDX-License-Identifier: MIT
// libFuzzer target: the frame decoder of the message protocol, QSeqpacketFrame::fromPacket().
//
// The input is one packet, in one of two shapes (the first byte says which, and how):
//
//   byte 0   bit 0: a spilled frame; bit 1: the packet goes through a real socket pair (so that
//            it is a received packet, with the descriptor limit of bit 4: 1 instead of 253, for
//            areFileDescriptorsTruncated()); bits 2-3: 0 to 3 extra descriptors (memfds) with it;
//            bits 5-7: the maximum size (0-3 the default 64 MiB, 4: 0, 5: 16, 6: 256, 7: 4096)
//   plain:   the rest of the input is the packet's payload
//   spilled: byte 1   bits 0-3: seals left out (0: all four), bit 4: a memfd without
//                     MFD_ALLOW_SEALING, bit 5: a pipe instead of a memfd, bit 6: the rest of
//                     the input is the packet's payload (else [4, size, "", null] is)
//            byte 2   the announced size: 0 the memfd's, 1-127 that plus n, 128-254 that less
//                     n-127 (below 0: 2^64 less it), 255: 2^64-1
//            bytes 3-4  the memfd's length L (little endian, at most what is left), then L bytes
//                     of content, then the payload where bit 6 says so
//
// Checked, besides the sanitizers' own checks:
//   - isValid() exactly when errorString() is empty; a valid frame's type is 0-3;
//   - a plain packet against a reference decoder (QCborValue::fromCbor of the whole payload):
//     what the decoder takes is one definite-length array of four items of the right types with
//     nothing after it and the same values; what the reference finds to be such a frame (body
//     nested no deeper than 100) the decoder takes; a packet over the maximum size is refused;
//   - a spilled frame: refused when the announced size is over the maximum, a seal lacks, the
//     size differs or the descriptor is not a memfd; else decoded exactly as its memfd's content
//     would be in a packet of its own (refused where that is itself a spill); its descriptors
//     are the packet's less the memfd; spilledSize() is the announced size;
//   - a received packet that was cut (descriptor limit) is refused;
//   - re-encoding a valid frame and decoding that gives the same bytes again; QDebug works;
//   - no descriptor leaks: /proc/self/fd holds as many entries after each input as before.
#include <QSeqpacketFrame>
#include <QSeqpacketPacket>
#include <QSeqpacketSocket>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QCborStreamReader>
#include <QtCore/QCborValue>
#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "openfds.h" // testsupport/

namespace {

constexpr int AllSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
constexpr int ReferenceDepth = 100; // bodies the reference may call valid: well within MaxNesting

QSeqpacketSocket *g_sender = nullptr;
QSeqpacketSocket *g_receiver = nullptr;

[[noreturn]] void failed(const char *what, const QSeqpacketFrame &frame, const QByteArray &payload)
{
    QString text;
    QDebug(&text) << frame;
    std::fprintf(stderr, "fuzz_frame: %s\n  frame: %s\n  payload (%d bytes): %s\n", what, qPrintable(text),
                 int(payload.size()), payload.left(200).toHex().constData());
    std::abort();
}

// A memfd holding content, with the seals asked for; or a pipe holding it (not a memfd).
int makeSpillDescriptor(const QByteArray &content, int seals, bool allowSealing, bool pipe)
{
    if (pipe) {
        int ends[2];
        if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
            std::abort();
        if (!content.isEmpty() && ::write(ends[1], content.constData(), size_t(content.size())) < 0)
            std::abort(); // a pipe takes 64 KiB, more than one input holds
        ::close(ends[1]);
        return ends[0];
    }
    const int fd = ::memfd_create("fuzz-frame", MFD_CLOEXEC | (allowSealing ? MFD_ALLOW_SEALING : 0));
    if (fd < 0)
        std::abort();
    if (!content.isEmpty() && ::write(fd, content.constData(), size_t(content.size())) != content.size())
        std::abort();
    if (seals && allowSealing && ::fcntl(fd, F_ADD_SEALS, seals) != 0)
        std::abort();
    return fd;
}

qint64 maxSizeFor(int selector)
{
    switch (selector) {
    case 4: return 0;
    case 5: return 16;
    case 6: return 256;
    case 7: return 4096;
    default: return QSeqpacketFrame::DefaultMaxMessageSize;
    }
}

int depthOf(const QCborValue &value)
{
    if (value.isArray()) {
        int deepest = 0;
        for (const QCborValue &item : value.toArray())
            deepest = qMax(deepest, depthOf(item));
        return deepest + 1;
    }
    if (value.isMap()) {
        int deepest = 0;
        const QCborMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            deepest = qMax(deepest, qMax(depthOf(it.key()), depthOf(it.value())));
        return deepest + 1;
    }
    if (value.isTag())
        return depthOf(value.taggedValue()) + 1;
    return 0;
}

// Whether the payload holds a negative integer below -2^63 (CBOR allows down to -2^64), which
// QCborValue cannot hold and the decoder refuses. Walked without recursion, as the decoder does.
bool hasIntegerBelowInt64Min(const QByteArray &payload)
{
    QCborStreamReader reader(payload);
    int depth = 0;
    while (reader.lastError() == QCborError::NoError) {
        if (depth > 0 && !reader.hasNext()) {
            if (!reader.leaveContainer())
                break;
            --depth;
            continue;
        }
        if (!reader.isValid())
            break;
        if (reader.isContainer()) {
            if (!reader.enterContainer())
                break;
            ++depth;
            continue;
        }
        if (reader.isNegativeInteger()) {
            // QCborNegativeInteger holds the magnitude: 2^64 wraps to 0.
            const quint64 magnitude = quint64(reader.toNegativeInteger());
            if (magnitude == 0 || magnitude > (quint64(1) << 63))
                return true;
        }
        if (!reader.next())
            break;
    }
    return false;
}

// The array header of a definite length of 4, in any width CBOR allows.
bool startsWithDefiniteFour(const QByteArray &payload)
{
    static const QByteArray headers[] = {
        QByteArray("\x84", 1), QByteArray("\x98\x04", 2), QByteArray("\x99\x00\x04", 3),
        QByteArray("\x9a\x00\x00\x00\x04", 5), QByteArray("\x9b\x00\x00\x00\x00\x00\x00\x00\x04", 9),
    };
    for (const QByteArray &header : headers) {
        if (payload.startsWith(header))
            return true;
    }
    return false;
}

// The body's encoding as the library would send it (undefined goes as null).
QByteArray bodyBytes(const QCborValue &body)
{
    return body.isUndefined() ? QByteArray("\xf6", 1) : body.toCbor();
}

// A plain packet against QCborValue::fromCbor of the whole payload.
void checkAgainstReference(const QSeqpacketFrame &frame, const QByteArray &payload)
{
    QCborStreamReader reader(payload);
    const QCborValue whole = QCborValue::fromCbor(reader);
    const bool parsed = reader.lastError() == QCborError::NoError && reader.currentOffset() == payload.size();
    const QCborArray items = whole.toArray();
    const bool shape = parsed && whole.isArray() && items.size() == 4 && startsWithDefiniteFour(payload);
    if (frame.isValid()) {
        if (!shape)
            failed("a frame the reference does not find to be one array of four items", frame, payload);
        if (!items.at(0).isInteger() || items.at(0).toInteger() != qint64(frame.type()))
            failed("the type differs from the reference's", frame, payload);
        const QCborValue id = items.at(1);
        const bool sameId = id.isInteger() ? id.toInteger() >= 0 && quint64(id.toInteger()) == frame.id()
                                           : id.isDouble() && frame.id() > quint64(std::numeric_limits<qint64>::max());
        if (!sameId)
            failed("the id differs from the reference's", frame, payload);
        if (!items.at(2).isString() || items.at(2).toString() != frame.name())
            failed("the name differs from the reference's", frame, payload);
        if (bodyBytes(items.at(3)) != bodyBytes(frame.body()))
            failed("the body differs from the reference's", frame, payload);
        return;
    }
    // What the reference finds to be a frame (of a type other than a spill, with an id that
    // QCborValue holds as an integer, a body of moderate depth and no integer below -2^63), the
    // decoder must take.
    if (shape && items.at(0).isInteger() && items.at(0).toInteger() >= 0 && items.at(0).toInteger() <= 3
        && items.at(1).isInteger() && items.at(1).toInteger() >= 0 && items.at(2).isString()
        && depthOf(items.at(3)) <= ReferenceDepth && !hasIntegerBelowInt64Min(payload)) {
        failed("a frame the reference takes was refused", frame, payload);
    }
}

void checkFrame(const QSeqpacketFrame &frame, const QByteArray &payload)
{
    if (frame.isValid() != frame.errorString().isEmpty())
        failed("isValid() disagrees with errorString()", frame, payload);
    QString text;
    QDebug(&text) << frame;
    if (!frame.isValid())
        return;
    if (frame.type() == QSeqpacketFrame::SpilledFrame)
        failed("a valid frame of type 4", frame, payload);
    // Encoding it again and decoding that is stable.
    const QByteArray encoded = frame.encode();
    const QSeqpacketFrame again = QSeqpacketFrame::fromPacket(QSeqpacketPacket(encoded), encoded.size());
    if (!again.isValid() || again.type() != frame.type() || again.id() != frame.id() || again.name() != frame.name()
        || again.encode() != encoded)
        failed("the frame does not survive encode() and fromPacket()", frame, payload);
}

// The packet as it was sent, or as the other end of a socket pair received it.
QSeqpacketPacket deliver(const QSeqpacketPacket &packet, bool throughSocket, bool smallLimit, bool *received)
{
    *received = false;
    if (!throughSocket || !g_sender->sendPacket(packet))
        return packet;
    g_receiver->setReceiveDescriptorLimit(smallLimit ? 1 : 253);
    if (!g_receiver->waitForPacket(5000))
        std::abort();
    *received = true;
    return g_receiver->receivePacket();
}

void runInput(const QByteArray &input)
{
    if (input.isEmpty())
        return;
    const quint8 mode = quint8(input.at(0));
    const bool spill = mode & 0x01;
    const bool throughSocket = mode & 0x02;
    const int extraFds = (mode >> 2) & 0x03;
    const bool smallLimit = mode & 0x10;
    const qint64 maxSize = maxSizeFor(mode >> 5);

    QList<QSeqpacketFileDescriptor> fds;
    QByteArray payload;
    QByteArray content;
    int seals = AllSeals;
    bool allowSealing = true;
    bool pipe = false;
    quint64 announced = 0;
    bool properOuter = false;
    if (spill) {
        if (input.size() < 5)
            return;
        const quint8 how = quint8(input.at(1));
        const quint8 sizeSelector = quint8(input.at(2));
        const qsizetype length = qMin<qsizetype>((quint8(input.at(3)) | quint8(input.at(4)) << 8), input.size() - 5);
        seals = AllSeals & ~(how & 0x0f);
        allowSealing = !(how & 0x10);
        pipe = how & 0x20;
        content = input.mid(5, length);
        announced = quint64(content.size());
        if (sizeSelector == 255)
            announced = std::numeric_limits<quint64>::max();
        else if (sizeSelector >= 128)
            announced -= quint64(sizeSelector - 127); // below 0 wraps to 2^64 less it
        else
            announced += sizeSelector;
        properOuter = !(how & 0x40);
        payload = properOuter ? QSeqpacketFrame(QSeqpacketFrame::SpilledFrame, announced, QString(), QCborValue(nullptr)).encode()
                              : input.mid(5 + length);
        fds.append(QSeqpacketFileDescriptor::adopt(makeSpillDescriptor(content, seals, allowSealing, pipe)));
    } else {
        payload = input.mid(1);
    }
    for (int i = 0; i < extraFds; ++i)
        fds.append(QSeqpacketFileDescriptor::adopt(makeSpillDescriptor(QByteArray::number(i), 0, true, false)));

    bool received = false;
    const QSeqpacketPacket packet = deliver(QSeqpacketPacket(payload, fds), throughSocket, smallLimit, &received);
    fds.clear();
    const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(packet, maxSize);
    checkFrame(frame, payload);

    if (packet.areFileDescriptorsTruncated() || packet.isTruncated()) {
        if (frame.isValid())
            failed("a packet that was cut was taken", frame, payload);
        return;
    }
    if (received && packet.fileDescriptors().size() != (spill ? 1 : 0) + extraFds)
        failed("the socket pair lost descriptors", frame, payload);
    if (payload.size() > maxSize) {
        if (frame.isValid())
            failed("a packet over the maximum size was taken", frame, payload);
        return;
    }
    // Whatever announced it, a spill is taken only from a sealed memfd of the size it says.
    const bool sealedMemfd = spill && !pipe && allowSealing && seals == AllSeals;
    if (frame.isValid() && frame.isSpilled()
        && (!sealedMemfd || frame.spilledSize() != content.size() || frame.spilledSize() > maxSize))
        failed("a spill that breaks a rule was taken", frame, payload);
    if (!spill || !properOuter) {
        // A raw payload is decoded as any packet (a plain frame keeps the spill descriptor among
        // its own; one that turns out to be a spill announcement was checked just above).
        if (!frame.isSpilled())
            checkAgainstReference(frame, payload);
        if (frame.isValid() && !frame.isSpilled() && frame.fileDescriptors().size() != packet.fileDescriptors().size())
            failed("the frame's descriptors are not the packet's", frame, payload);
        return;
    }

    // A spill: refused for any fault of the memfd, else decoded as its content would be.
    if (announced > quint64(maxSize) || !sealedMemfd || announced != quint64(content.size())) {
        if (frame.isValid())
            failed("a spill that breaks a rule was taken", frame, payload);
        return;
    }
    const QSeqpacketFrame direct = QSeqpacketFrame::fromPacket(QSeqpacketPacket(content), std::numeric_limits<qint64>::max());
    const bool expectValid = !content.isEmpty() && direct.isValid() && !direct.isSpilled()
            && direct.type() != QSeqpacketFrame::SpilledFrame;
    if (frame.isValid() != expectValid)
        failed(expectValid ? "a good spill was refused" : "a spill of something that is not a frame was taken",
               frame, payload);
    if (!frame.isValid())
        return;
    if (!frame.isSpilled() || frame.spilledSize() != qint64(announced))
        failed("a spilled frame that does not say so", frame, payload);
    if (frame.type() != direct.type() || frame.id() != direct.id() || frame.name() != direct.name()
        || frame.encode() != direct.encode())
        failed("a spill decodes otherwise than its content", frame, payload);
    if (frame.fileDescriptors().size() != packet.fileDescriptors().size() - 1)
        failed("a spilled frame's descriptors are not the packet's less the memfd", frame, payload);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    auto [sender, receiver] = QSeqpacketSocket::createPair();
    g_sender = sender;
    g_receiver = receiver;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const int before = TestUtil::openFdCount();
    runInput(QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)));
    const int after = TestUtil::openFdCount();
    if (after != before) {
        std::fprintf(stderr, "fuzz_frame: %d descriptors open before the input, %d after\n", before, after);
        for (const auto &[fd, target] : TestUtil::openFdList())
            std::fprintf(stderr, "  fd %d -> %s\n", fd, target.c_str());
        std::abort();
    }
    return 0;
}
