// SPDX-License-Identifier: MIT
// QSeqpacketSocket: sending. Packets larger than the send buffer, the send queue that takes what
// the kernel cannot (order, packetsWritten(), copies of the caller's buffers), the queue limit,
// and the raw non-blocking mode of a limit of 0. The peer is a raw socket that reads only when
// the test says so, which makes "the kernel's buffer is full" deterministic.
#include <QSeqpacketSocket>

#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

using namespace SocketTest;
using TestUtil::UniqueFd;

class tst_SocketSendQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void packetLargerThanSendBuffer();
    void packetLargerThanSendBufferWhileQueued();
    void fullKernelBufferQueuesInOrder();
    void queuedPacketsAreCopies();
    void manySmallQueuedPackets();
    void everySmallSizeQueuedIntact();
    void descriptorOnlyPacketQueued();
    void sendQueueLimit();
    void limitZeroIsRawNonBlocking();
    void negativeLimitMeansUnlimited();

private:
    static int sendBufferOf(const QSeqpacketSocket &socket);
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketSendQueue::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL);
    warmUp();
}

void tst_SocketSendQueue::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketSendQueue::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

int tst_SocketSendQueue::sendBufferOf(const QSeqpacketSocket &socket)
{
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(socket.socketDescriptor(), SOL_SOCKET, SO_SNDBUF, &value, &length) != 0)
        return -1;
    return value;
}

void tst_SocketSendQueue::packetLargerThanSendBuffer()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int sndbuf = sendBufferOf(socket);
    QVERIFY(sndbuf > 1000);
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);

    const QByteArray tooLarge(sndbuf - 32 + 1, 'L');
    QVERIFY(!socket.sendPacket(tooLarge));
    QCOMPARE(socket.error(), QSeqpacketSocket::PacketTooLargeError);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::PacketTooLargeError);
    QVERIFY2(socket.errorString().contains(QStringLiteral("sendPacket")), qPrintable(socket.errorString()));
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QVERIFY2(TestUtil::rawReceive(raw.get(), 0).timedOut, "nothing of a packet that failed may be sent");

    // The socket stays usable, and the largest packet the buffer allows goes through whole.
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    const QByteArray largest(sndbuf - 32, 'M');
    QVERIFY2(socket.sendPacket(largest), qPrintable(socket.errorString()));
    QVERIFY(socket.sendPacket("small"));
    // "small" may wait in the send queue behind it: drain with the event loop running.
    const RawDrain drained = drainRaw(raw.get(), 2);
    QCOMPARE(drained.packets.size(), 2);
    QCOMPARE(drained.packets.at(0).size(), largest.size());
    QCOMPARE(drained.packets.at(0), largest);
    QCOMPARE(drained.packets.at(1), QByteArray("small"));
}

void tst_SocketSendQueue::packetLargerThanSendBufferWhileQueued()
{
    // With packets already queued the check still happens at once: the oversized packet is
    // refused, not queued to fail later.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int sndbuf = sendBufferOf(socket);
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    QCOMPARE(socket.packetsToWrite(), qint64(1));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QVERIFY(!socket.sendPacket(QByteArray(sndbuf, 'L')));
    QCOMPARE(socket.error(), QSeqpacketSocket::PacketTooLargeError);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(socket.packetsToWrite(), qint64(1));
    QCOMPARE(socket.bytesToWrite(), qint64(1000));
    QVERIFY(socket.sendPacket(TestUtil::sequencedPayload(inKernel, 1000)));

    const RawDrain drained = drainRaw(raw.get(), inKernel + 1);
    QCOMPARE(drained.packets.size(), inKernel + 1);
    const QByteArray problem = checkSequence(drained.packets, 0, 1000);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QTRY_COMPARE(socket.packetsToWrite(), qint64(0));
    QVERIFY(TestUtil::rawReceive(raw.get(), 20).timedOut);
}

void tst_SocketSendQueue::fullKernelBufferQueuesInOrder()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket);
    QCOMPARE(socket.sendQueueLimit(), qint64(-1)); // unlimited by default

    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY2(inKernel > 0, "the kernel's buffer never filled");
    QCOMPARE(socket.packetsToWrite(), qint64(1));
    QCOMPARE(socket.bytesToWrite(), qint64(1000));
    int next = inKernel;
    for (int i = 0; i < 20; ++i)
        QVERIFY2(socket.sendPacket(TestUtil::sequencedPayload(next++, 500 + i)), qPrintable(socket.errorString()));
    QCOMPARE(socket.packetsToWrite(), qint64(21));
    qint64 expectedBytes = 1000;
    for (int i = 0; i < 20; ++i)
        expectedBytes += 500 + i;
    QCOMPARE(socket.bytesToWrite(), expectedBytes);
    QCOMPARE(log.written, qint64(0)); // packetsWritten() comes from the event loop, not from sendPacket()
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);

    const RawDrain drained = drainRaw(raw.get(), next);
    QCOMPARE(drained.packets.size(), next);
    for (int i = 0; i < inKernel; ++i)
        QCOMPARE(drained.packets.at(i), TestUtil::sequencedPayload(i, 1000));
    for (int i = 0; i < 20; ++i)
        QCOMPARE(drained.packets.at(inKernel + i), TestUtil::sequencedPayload(inKernel + i, 500 + i));

    // Every packet is counted: those the kernel took at once and the 21 that waited in the queue.
    QTRY_COMPARE_WITH_TIMEOUT(log.written, qint64(next), LongTimeout);
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QCOMPARE(socket.bytesToWrite(), qint64(0));
    QVERIFY(log.count(QStringLiteral("written:0")) == 0);
    QVERIFY(TestUtil::rawReceive(raw.get(), 20).timedOut);
    QCOMPARE(log.count(QStringLiteral("error:") + QLatin1String(errorName(QSeqpacketSocket::WouldBlockError))), 0);
}

void tst_SocketSendQueue::queuedPacketsAreCopies()
{
    // A queued packet is the caller's bytes as they were at sendPacket(): reusing the buffer
    // afterwards changes nothing on the wire.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);

    QByteArray buffer(64, 'A');
    QVERIFY(socket.sendPacket(QByteArrayView(buffer)));
    buffer.fill('B');
    QByteArray head("head-");
    QByteArray tail("-tail");
    QVERIFY(socket.sendPacket(QList<QByteArrayView>{head, tail}));
    head.fill('x');
    tail.fill('y');
    QByteArray packetData("as a packet");
    QVERIFY(socket.sendPacket(QSeqpacketPacket(packetData)));
    packetData.fill('z');
    QCOMPARE(socket.packetsToWrite(), qint64(4));

    const RawDrain drained = drainRaw(raw.get(), inKernel + 3);
    QCOMPARE(drained.packets.size(), inKernel + 3);
    QCOMPARE(drained.packets.at(inKernel - 1), TestUtil::sequencedPayload(inKernel - 1, 1000));
    QCOMPARE(drained.packets.at(inKernel), QByteArray(64, 'A'));
    QCOMPARE(drained.packets.at(inKernel + 1), QByteArray("head--tail"));
    QCOMPARE(drained.packets.at(inKernel + 2), QByteArray("as a packet"));
}

void tst_SocketSendQueue::manySmallQueuedPackets()
{
    // Small queued packets share buffers (chunks) in the queue: every size around a chunk's
    // end, empty packets, packets in pieces, and larger ones between them arrive whole and in
    // order, in two rounds (the second after the queue has emptied and let go of its chunk).
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    int next = 0;
    for (int round = 0; round < 2; ++round) {
        const int inKernel = fillKernelBuffer(&socket, 1000, next);
        QVERIFY2(inKernel > 0, "the kernel's buffer never filled");
        const int first = next + inKernel;
        QList<QByteArray> expected;
        qint64 queuedBytes = 1000;
        for (int i = 0; i < 600; ++i) {
            const int size = i % 7 == 0 ? 0 : (i * 37) % (i % 50 == 0 ? 9000 : 700);
            QByteArray payload = size == 0 ? QByteArray() : TestUtil::sequencedPayload(first + i, size);
            if (i % 3 == 1 && size >= 2) {
                const QByteArray head = payload.left(size / 2), tail = payload.mid(size / 2);
                QVERIFY2(socket.sendPacket(QList<QByteArrayView>{ head, tail }), qPrintable(socket.errorString()));
            } else if (i % 3 == 2) {
                // An empty piece (no buffer at all) among the pieces is skipped.
                QVERIFY2(socket.sendPacket(QList<QByteArrayView>{ QByteArrayView(), payload }),
                         qPrintable(socket.errorString()));
            } else {
                QVERIFY2(socket.sendPacket(QByteArrayView(payload)), qPrintable(socket.errorString()));
            }
            payload.fill('x'); // the queue holds copies
            expected.append(size == 0 ? QByteArray() : TestUtil::sequencedPayload(first + i, size));
            queuedBytes += expected.constLast().size();
        }
        QCOMPARE(socket.packetsToWrite(), qint64(601));
        QCOMPARE(socket.bytesToWrite(), queuedBytes);

        // inKernel counts the first packet that waited (1000 bytes), then come the 600.
        const RawDrain drained = drainRaw(raw.get(), inKernel + 600);
        QCOMPARE(drained.packets.size(), inKernel + 600);
        QCOMPARE(drained.packets.at(inKernel - 1), TestUtil::sequencedPayload(next + inKernel - 1, 1000));
        for (int i = 0; i < 600; ++i)
            QCOMPARE(drained.packets.at(inKernel + i), expected.at(i));
        next = first + 600;
        QTRY_COMPARE_WITH_TIMEOUT(socket.packetsToWrite(), qint64(0), LongTimeout);
        QCOMPARE(socket.bytesToWrite(), qint64(0));
    }
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);
}

// Queued small packets are copied into the queue's chunks word by word, not with memcpy() (see
// src/qseqpacketsmallcopy_p.h): every size from 0 to past the small-copy limit, from one part
// and from several (sendPacket(QList<QByteArrayView>)), arrives as it was.
void tst_SocketSendQueue::everySmallSizeQueuedIntact()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    constexpr int Sizes = 300;
    for (int size = 0; size < Sizes; ++size) {
        const QByteArray payload = TestUtil::sequencedPayload(size, size).left(size);
        if (size % 2 == 0) {
            QVERIFY2(socket.sendPacket(payload), qPrintable(socket.errorString()));
        } else {
            // Three parts of uneven sizes (the first may be empty).
            const int first = size / 3, second = size / 2;
            const QByteArrayView view(payload);
            const QList<QByteArrayView> parts = { view.first(first), view.sliced(first, second - first), view.sliced(second) };
            QVERIFY2(socket.sendPacket(parts), qPrintable(socket.errorString()));
        }
    }
    QCOMPARE(socket.packetsToWrite(), qint64(1 + Sizes));

    const RawDrain drained = drainRaw(raw.get(), inKernel + Sizes);
    QCOMPARE(drained.packets.size(), inKernel + Sizes);
    for (int size = 0; size < Sizes; ++size)
        QCOMPARE(drained.packets.at(inKernel + size), TestUtil::sequencedPayload(size, size).left(size));
    QTRY_COMPARE(socket.packetsToWrite(), qint64(0));
}

void tst_SocketSendQueue::descriptorOnlyPacketQueued()
{
    // A packet of descriptors and no bytes (null data) that has to wait goes out as an empty
    // packet with its descriptor, after what waited before it.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY2(inKernel > 0, "the kernel's buffer never filled");
    const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(::memfd_create("queued", MFD_CLOEXEC));
    QVERIFY(memfd.isValid());
    QVERIFY(::write(memfd.descriptor(), "in the memfd", 12) == 12);
    QVERIFY2(socket.sendPacket(QSeqpacketPacket(QByteArray(), { memfd })), qPrintable(socket.errorString()));
    QCOMPARE(socket.packetsToWrite(), qint64(2));

    // Read one by one (drainRaw() would close the descriptor before it can be checked).
    const QDeadlineTimer deadline(LongTimeout);
    for (int i = 0; i < inKernel; ++i) {
        TestUtil::RawPacket packet = receiveRawWhileLooping(raw.get(), deadline);
        packet.closeFds();
        QVERIFY(packet.ok);
        QCOMPARE(packet.data, TestUtil::sequencedPayload(i, 1000));
    }
    TestUtil::RawPacket last = receiveRawWhileLooping(raw.get(), deadline);
    QVERIFY(last.ok);
    QCOMPARE(last.data, QByteArray());
    QCOMPARE(last.fds.size(), 1);
    char content[32] = {};
    const ssize_t n = ::pread(last.fds.constFirst(), content, sizeof(content), 0);
    last.closeFds();
    QCOMPARE(QByteArray(content, int(n)), QByteArray("in the memfd"));
    QTRY_COMPARE_WITH_TIMEOUT(socket.packetsToWrite(), qint64(0), LongTimeout);
}

void tst_SocketSendQueue::sendQueueLimit()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    socket.setSendQueueLimit(5000);
    QCOMPARE(socket.sendQueueLimit(), qint64(5000));
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    int next = inKernel;
    for (int i = 0; i < 4; ++i)
        QVERIFY2(socket.sendPacket(TestUtil::sequencedPayload(next++, 1000)), qPrintable(socket.errorString()));
    QCOMPARE(socket.bytesToWrite(), qint64(5000));

    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QVERIFY(!socket.sendPacket(TestUtil::sequencedPayload(next, 1000)));
    QCOMPARE(socket.error(), QSeqpacketSocket::SendQueueFullError);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::SendQueueFullError);
    QVERIFY2(socket.errorString().contains(QStringLiteral("sendPacket")), qPrintable(socket.errorString()));
    QCOMPARE(socket.packetsToWrite(), qint64(5)); // the refused packet is not queued
    QCOMPARE(socket.bytesToWrite(), qint64(5000));
    QVERIFY2(socket.sendPacket(""), "an empty packet still fits the limit");
    QCOMPARE(socket.packetsToWrite(), qint64(6));

    RawDrain drained = drainRaw(raw.get(), next + 1);
    QCOMPARE(drained.packets.size(), next + 1);
    QVERIFY(checkSequence(drained.packets.mid(0, next), 0, 1000).isEmpty());
    QCOMPARE(drained.packets.at(next), QByteArray());
    QTRY_COMPARE(socket.packetsToWrite(), qint64(0));

    // Usable again once the queue has room.
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(socket.sendPacket(TestUtil::sequencedPayload(next, 1000)));
    drained = drainRaw(raw.get(), 1);
    QCOMPARE(drained.packets.value(0), TestUtil::sequencedPayload(next, 1000));
    QVERIFY(TestUtil::rawReceive(raw.get(), 20).timedOut);
}

void tst_SocketSendQueue::limitZeroIsRawNonBlocking()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    socket.setSendQueueLimit(0);
    QCOMPARE(socket.sendQueueLimit(), qint64(0));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    int sent = 0;
    while (sent < 100000 && socket.sendPacket(TestUtil::sequencedPayload(sent, 1000)))
        ++sent;
    QVERIFY2(sent > 0 && sent < 100000, "the kernel's buffer never filled");
    QCOMPARE(socket.error(), QSeqpacketSocket::WouldBlockError);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::WouldBlockError);
    QCOMPARE(socket.packetsToWrite(), qint64(0)); // nothing queued
    QCOMPARE(socket.bytesToWrite(), qint64(0));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);

    // A packet that can never fit is still PacketTooLargeError, not WouldBlockError.
    QVERIFY(!socket.sendPacket(QByteArray(sendBufferOf(socket), 'L')));
    QCOMPARE(socket.error(), QSeqpacketSocket::PacketTooLargeError);

    // Exactly the packets that were accepted arrive: the refused one never does.
    RawDrain drained = drainRaw(raw.get(), sent);
    QCOMPARE(drained.packets.size(), sent);
    const QByteArray problem = checkSequence(drained.packets, 0, 1000);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QVERIFY(TestUtil::rawReceive(raw.get(), 20).timedOut);

    // Room again: sending works.
    QVERIFY2(socket.sendPacket(TestUtil::sequencedPayload(sent, 1000)), qPrintable(socket.errorString()));
    drained = drainRaw(raw.get(), 1);
    QCOMPARE(drained.packets.value(0), TestUtil::sequencedPayload(sent, 1000));
}

void tst_SocketSendQueue::negativeLimitMeansUnlimited()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    socket.setSendQueueLimit(100);
    socket.setSendQueueLimit(-7);
    QCOMPARE(socket.sendQueueLimit(), qint64(-1));
    const int inKernel = fillKernelBuffer(&socket, 4000);
    QVERIFY(inKernel > 0);
    for (int i = 0; i < 300; ++i)
        QVERIFY2(socket.sendPacket(TestUtil::sequencedPayload(inKernel + i, 4000)), qPrintable(socket.errorString()));
    QCOMPARE(socket.packetsToWrite(), qint64(301));
    QCOMPARE(socket.bytesToWrite(), qint64(301 * 4000));
    const RawDrain drained = drainRaw(raw.get(), inKernel + 300);
    QCOMPARE(drained.packets.size(), inKernel + 300);
    const QByteArray problem = checkSequence(drained.packets, 0, 4000);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

QTEST_GUILESS_MAIN(tst_SocketSendQueue)
#include "tst_socket_sendqueue.moc"
