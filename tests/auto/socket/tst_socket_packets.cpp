// SPDX-License-Identifier: MIT
// QSeqpacketSocket: packets on the wire. Boundaries, order, zero-length packets, truncation,
// receiving without an event-loop turn, packetReady() re-emission, the bounded receive queue,
// and packets both ways with the raw-syscall peer process.
#include <QSeqpacketSocket>

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QDateTime>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

using namespace SocketTest;
using TestUtil::UniqueFd;

class tst_SocketPackets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void crossProcessEchoWithListeningPeer();
    void crossProcessEchoWithConnectingPeer();
    void crossProcessManyPacketsToPeer();
    void crossProcessZeroLengthPackets();
    void boundariesToRawPeer();
    void boundariesFromRawPeer();
    void everySmallSizeIntact();
    void largePacketsOfChangingSizes();
    void severalPartsMakeOnePacket();
    void packetOverload();
    void zeroLengthPacketsBetweenSockets();
    void zeroLengthPacketThenClose();
    void orderOfManyPackets();
    void truncatedPayload();
    void truncatedIntoBuffer();
    void pendingPacketSize();
    void receiveWithoutEventLoop();
    void receiveWhenNothingPending();
    void receivedAtIsTheReceiveTime();
    void packetReadyAgainAfterPartialRead();
    void burstAfterRequestResponseTraffic();
    void requestResponseOfChangingSizes();
    void packetReadyNotRepeatedWhenNothingRead();
    void receiveQueueIsBoundedAndRefills();
    void drainingSlotCostsNoPostedEvent();
    void unreadSocketDoesNotSpin();

private:
    void exchangeEchoes(QSeqpacketSocket *socket);
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketPackets::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL); // a SIGPIPE from the library would end the test
    warmUp();
}

void tst_SocketPackets::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketPackets::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

// Sends "echo" packets of several sizes, binary content included, and checks every reply.
void tst_SocketPackets::exchangeEchoes(QSeqpacketSocket *socket)
{
    QByteArray binary(256, Qt::Uninitialized);
    for (int i = 0; i < binary.size(); ++i)
        binary[i] = char(i);
    QList<QByteArray> sent;
    for (int size : {0, 1, 255, 4096, 65536, 150000}) {
        QByteArray payload = "echo " + QByteArray::number(size) + ' ';
        while (payload.size() < size + 16)
            payload += binary;
        payload.truncate(size + 16);
        sent << payload;
        QVERIFY2(socket->sendPacket(payload), qPrintable(socket->errorString()));
    }
    for (const QByteArray &expected : std::as_const(sent)) {
        const QSeqpacketPacket reply = takePacket(socket);
        QVERIFY2(reply.isValid(), "no echo from the peer");
        QCOMPARE(reply.data().size(), expected.size());
        QCOMPARE(reply.data(), expected);
        QVERIFY(!reply.isTruncated());
        QVERIFY(reply.fileDescriptors().isEmpty());
    }
}

void tst_SocketPackets::crossProcessEchoWithListeningPeer()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "echo-listen"), QByteArray());
    exchangeEchoes(&socket);
    if (QTest::currentTestFailed())
        return;
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0); // it saw end-of-file, not an error
}

void tst_SocketPackets::crossProcessEchoWithConnectingPeer()
{
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("echo-connect")));
    PeerProcess peer;
    QVERIFY(peer.startConnecting(listener.peerArgument()));
    UniqueFd accepted(listener.acceptOne(LongTimeout));
    QVERIFY(accepted.isValid());
    QSeqpacketSocket socket;
    QVERIFY2(socket.setSocketDescriptor(accepted.get()), qPrintable(socket.errorString()));
    accepted.release();
    exchangeEchoes(&socket);
    if (QTest::currentTestFailed())
        return;
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketPackets::crossProcessManyPacketsToPeer()
{
    // Far more than the kernel's buffer holds: the send queue writes them in order, each whole.
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "sink"), QByteArray());
    const int count = 2000;
    QVERIFY(socket.sendPacket("sink " + QByteArray::number(count)));
    for (int i = 0; i < count; ++i)
        QVERIFY2(socket.sendPacket(TestUtil::sequencedPayload(i, 2000)), qPrintable(socket.errorString()));
    const QSeqpacketPacket verdict = takePacket(&socket);
    QCOMPARE(verdict.data(), QByteArray("sunk 2000 ok"));
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketPackets::crossProcessZeroLengthPackets()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    SignalLog log(&socket, true);
    QCOMPARE(connectToListeningPeer(&peer, &socket, "empty"), QByteArray());

    QVERIFY(socket.sendPacket("sendempty 5"));
    QTRY_COMPARE_WITH_TIMEOUT(log.packets.size(), 6, LongTimeout);
    for (int i = 0; i < 5; ++i) {
        QVERIFY2(log.packets.at(i).isValid(), "a zero-length packet is a packet");
        QVERIFY(log.packets.at(i).data().isEmpty());
        QVERIFY(!log.packets.at(i).isTruncated());
    }
    QCOMPARE(log.packets.at(5).data(), QByteArray("end"));
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);

    // Zero-length packets right before the peer exits: each is delivered, then the end.
    QVERIFY(socket.sendPacket("burst 3 0"));
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.packets.size(), 9);
    QCOMPARE(log.packetsAtDisconnected, 9);
    for (int i = 6; i < 9; ++i) {
        QVERIFY(log.packets.at(i).isValid());
        QVERIFY(log.packets.at(i).data().isEmpty());
    }
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketPackets::boundariesToRawPeer()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const QList<int> sizes = {1, 0, 7, 4096, 65536, 1, 100000, 0};
    for (int i = 0; i < sizes.size(); ++i)
        QVERIFY2(socket.sendPacket(TestUtil::sequencedPayload(i, sizes.at(i)).left(sizes.at(i))),
                 qPrintable(socket.errorString()));
    for (int i = 0; i < sizes.size(); ++i) {
        TestUtil::RawPacket packet = TestUtil::rawReceive(raw.get(), LongTimeout);
        QVERIFY2(packet.ok, "one sendPacket() must be one packet on the wire");
        QCOMPARE(packet.data.size(), sizes.at(i));
        QCOMPARE(packet.data, TestUtil::sequencedPayload(i, sizes.at(i)).left(sizes.at(i)));
        QVERIFY(!(packet.flags & MSG_TRUNC));
    }
    QVERIFY(TestUtil::rawReceive(raw.get(), 0).timedOut); // nothing merged, split or extra
}

void tst_SocketPackets::boundariesFromRawPeer()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const QList<int> sizes = {3, 0, 1, 65536, 0, 100000, 12};
    for (int i = 0; i < sizes.size(); ++i)
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(i, sizes.at(i)).left(sizes.at(i))));
    for (int i = 0; i < sizes.size(); ++i) {
        const QSeqpacketPacket packet = takePacket(&socket);
        QVERIFY(packet.isValid());
        QCOMPARE(packet.data(), TestUtil::sequencedPayload(i, sizes.at(i)).left(sizes.at(i)));
        QCOMPARE(packet.originalSize(), qint64(sizes.at(i)));
        QVERIFY(!packet.isTruncated());
    }
    QVERIFY(!socket.hasPendingPackets());
}

// Large packets are read one at a time into a buffer of the previous one's size (and on into a
// batch slot), from buffers the application has dropped: every size change, descriptors and
// end-of-file on that path, and packets kept while later ones come.
void tst_SocketPackets::largePacketsOfChangingSizes()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    int sendBuffer = 4 << 20;
    QVERIFY(::setsockopt(raw.get(), SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof(sendBuffer)) == 0);
    const QList<int> sizes = {8192, 8192, 8192, 20000, 9000, 19000, 19000, 100, 0, 70000, 70000, 0, 70000,
                              65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 8192, 8191, 300000, 70000};
    SignalLog log(&socket, true);
    for (int round = 0; round < 2; ++round) {
        const int first = log.packets.size();
        for (int i = 0; i < sizes.size(); ++i)
            QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(i + round, sizes.at(i)).left(sizes.at(i))));
        QTRY_COMPARE_WITH_TIMEOUT(log.packets.size(), first + sizes.size(), LongTimeout);
        // Every packet of the round is still held here: none was overwritten by a later one.
        for (int i = 0; i < sizes.size(); ++i) {
            const QSeqpacketPacket &packet = log.packets.at(first + i);
            QVERIFY(packet.isValid());
            QCOMPARE(packet.data(), TestUtil::sequencedPayload(i + round, sizes.at(i)).left(sizes.at(i)));
            QCOMPARE(packet.originalSize(), qint64(sizes.at(i)));
            QVERIFY(!packet.isTruncated());
        }
        if (round == 0)
            log.packets.clear(); // dropped: their buffers take the second round
    }
    // A descriptor with a large packet, then end-of-file while packets are large.
    const QByteArray last = TestUtil::sequencedPayload(99, 70000).left(70000);
    int pipeFds[2];
    QVERIFY(::pipe(pipeFds) == 0);
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    iovec vector = { const_cast<char *>(last.constData()), size_t(last.size()) };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr header = {};
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    cmsghdr *c = CMSG_FIRSTHDR(&header);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    const int passed = readEnd.get();
    std::memcpy(CMSG_DATA(c), &passed, sizeof(int));
    QCOMPARE(::sendmsg(raw.get(), &header, MSG_NOSIGNAL), ssize_t(last.size()));
    raw.reset();
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.packets.size(), sizes.size() + 1);
    QCOMPARE(log.packets.last().data(), last);
    QCOMPARE(log.packets.last().fileDescriptors().size(), 1);
    QCOMPARE(TestUtil::fileIdentity(log.packets.last().fileDescriptors().first().descriptor()),
             TestUtil::fileIdentity(readEnd.get()));
}

void tst_SocketPackets::severalPartsMakeOnePacket()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const QByteArray big(5000, 'x');
    QVERIFY(socket.sendPacket(QList<QByteArrayView>{"ab", "", "cde", big}));
    TestUtil::RawPacket first = TestUtil::rawReceive(raw.get(), LongTimeout);
    QVERIFY(first.ok);
    QCOMPARE(first.data, "abcde" + big);

    const UniqueFd memfd(TestUtil::makeMemfd("parts"));
    QVERIFY(memfd.isValid());
    QVERIFY(socket.sendPacket(QList<QByteArrayView>{"with", " ", "fd"},
                              {QSeqpacketFileDescriptor::adopt(::dup(memfd.get()))}));
    TestUtil::RawPacket second = TestUtil::rawReceive(raw.get(), LongTimeout);
    QVERIFY(second.ok);
    QCOMPARE(second.data, QByteArray("with fd"));
    QCOMPARE(second.fds.size(), 1);
    QCOMPARE(TestUtil::fileIdentity(second.fds.first()), TestUtil::fileIdentity(memfd.get()));
    second.closeFds();
    // No parts at all: one empty packet.
    QVERIFY(socket.sendPacket(QList<QByteArrayView>{}));
    TestUtil::RawPacket empty = TestUtil::rawReceive(raw.get(), LongTimeout);
    QVERIFY(empty.ok);
    QVERIFY(empty.data.isEmpty());
    QVERIFY(TestUtil::rawReceive(raw.get(), 0).timedOut);
}

void tst_SocketPackets::packetOverload()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> first(a), second(b);
    QVERIFY(first->sendPacket(QSeqpacketPacket(QByteArray("whole packet"))));
    QVERIFY(first->sendPacket(QSeqpacketPacket(QByteArray(""))));
    QCOMPARE(takePacket(second.get()).data(), QByteArray("whole packet"));
    const QSeqpacketPacket empty = takePacket(second.get());
    QVERIFY(empty.isValid());
    QVERIFY(empty.data().isEmpty());
}

void tst_SocketPackets::zeroLengthPacketsBetweenSockets()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    SignalLog log(receiver.get());
    QVERIFY(sender->sendPacket(QByteArray()));
    QVERIFY(sender->sendPacket(""));
    QVERIFY(sender->sendPacket("x"));
    QVERIFY(sender->sendPacket(QByteArrayView()));
    QTRY_VERIFY(log.packetReadyCalls >= 1);
    QCOMPARE(receiver->pendingPacketSize(), qint64(0));

    const QSeqpacketPacket p0 = receiver->receivePacket();
    QVERIFY(p0.isValid());
    QVERIFY(p0.data().isEmpty());
    char buffer[16];
    bool truncated = true;
    QCOMPARE(receiver->receivePacket(buffer, sizeof buffer, &truncated), qint64(0)); // a packet, not "none"
    QVERIFY(!truncated);
    QCOMPARE(receiver->receivePacket().data(), QByteArray("x"));
    const QSeqpacketPacket p3 = receiver->receivePacket();
    QVERIFY(p3.isValid());
    QVERIFY(p3.data().isEmpty());
    QVERIFY(!receiver->receivePacket().isValid());

    QTest::qWait(20);
    QCOMPARE(receiver->state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    QCOMPARE(log.count(QStringLiteral("readChannelFinished")), 0);
}

void tst_SocketPackets::zeroLengthPacketThenClose()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket, true);
    QVERIFY(TestUtil::rawSend(raw.get(), QByteArray()));
    raw.reset();
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.packets.size(), 1); // the empty packet, and end-of-file taken for no packet
    QVERIFY(log.packets.first().isValid());
    QVERIFY(log.packets.first().data().isEmpty());
    QCOMPARE(log.packetsAtDisconnected, 1);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
}

void tst_SocketPackets::orderOfManyPackets()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    SignalLog log(receiver.get(), true);
    const int count = 3000;
    for (int i = 0; i < count; ++i)
        QVERIFY(sender->sendPacket(TestUtil::sequencedPayload(i, 100 + (i * 37) % 3000)));
    QTRY_COMPARE_WITH_TIMEOUT(log.packets.size(), count, LongTimeout);
    for (int i = 0; i < count; ++i)
        QCOMPARE(log.packets.at(i).data(), TestUtil::sequencedPayload(i, 100 + (i * 37) % 3000));
}

void tst_SocketPackets::truncatedPayload()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const QByteArray first = TestUtil::sequencedPayload(1, 100);
    const QByteArray second = TestUtil::sequencedPayload(2, 50);
    const QByteArray third = TestUtil::sequencedPayload(3, 30);
    QVERIFY(TestUtil::rawSend(raw.get(), first));
    QVERIFY(TestUtil::rawSend(raw.get(), second));
    QVERIFY(TestUtil::rawSend(raw.get(), third));

    // Peeking with a limit cuts the copy but leaves the packet whole on the queue.
    const QSeqpacketPacket peeked = socket.peekPacket(20);
    QVERIFY(peeked.isValid());
    QCOMPARE(peeked.data(), first.left(20));
    QVERIFY(peeked.isTruncated());
    QCOMPARE(peeked.originalSize(), qint64(100));

    const QSeqpacketPacket cut = socket.receivePacket(10);
    QVERIFY(cut.isValid());
    QCOMPARE(cut.data(), first.left(10));
    QVERIFY(cut.isTruncated());
    QCOMPARE(cut.originalSize(), qint64(100));

    // The rest of the cut packet is gone: the next receive gets the next packet.
    const QSeqpacketPacket next = socket.receivePacket(50); // exactly its size: not truncated
    QCOMPARE(next.data(), second);
    QVERIFY(!next.isTruncated());
    QCOMPARE(next.originalSize(), qint64(50));

    const QSeqpacketPacket nothingKept = socket.receivePacket(0);
    QVERIFY(nothingKept.isValid());
    QVERIFY(nothingKept.data().isEmpty());
    QVERIFY(nothingKept.isTruncated());
    QCOMPARE(nothingKept.originalSize(), qint64(30));
    QVERIFY(!socket.hasPendingPackets());
}

void tst_SocketPackets::truncatedIntoBuffer()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const QByteArray first = TestUtil::sequencedPayload(1, 64);
    const QByteArray second = TestUtil::sequencedPayload(2, 16);
    QVERIFY(TestUtil::rawSend(raw.get(), first));
    QVERIFY(TestUtil::rawSend(raw.get(), second));

    char buffer[64];
    std::memset(buffer, '#', sizeof buffer);
    bool truncated = false;
    QCOMPARE(socket.peekPacket(buffer, 8, &truncated), qint64(8));
    QVERIFY(truncated);
    QCOMPARE(QByteArray(buffer, 8), first.left(8));

    truncated = false;
    QCOMPARE(socket.receivePacket(buffer, 10, &truncated), qint64(10));
    QVERIFY(truncated);
    QCOMPARE(QByteArray(buffer, 10), first.left(10));
    QCOMPARE(buffer[10], '#'); // nothing written past maxSize

    truncated = true;
    QCOMPARE(socket.receivePacket(buffer, sizeof buffer, &truncated), qint64(16));
    QVERIFY(!truncated);
    QCOMPARE(QByteArray(buffer, 16), second);
    QCOMPARE(socket.receivePacket(buffer, sizeof buffer), qint64(-1));
}

void tst_SocketPackets::pendingPacketSize()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QCOMPARE(socket.pendingPacketSize(), qint64(-1));
    QVERIFY(TestUtil::rawSend(raw.get(), QByteArray(70000, 'p')));
    QVERIFY(TestUtil::rawSend(raw.get(), QByteArray()));
    QVERIFY(TestUtil::rawSend(raw.get(), QByteArray(5, 'q')));
    QCOMPARE(socket.pendingPacketSize(), qint64(70000));
    QCOMPARE(socket.pendingPacketSize(), qint64(70000)); // asking takes nothing
    QCOMPARE(socket.receivePacket(100).originalSize(), qint64(70000));
    QCOMPARE(socket.pendingPacketSize(), qint64(0));
    QVERIFY(socket.receivePacket().isValid());
    QCOMPARE(socket.pendingPacketSize(), qint64(5));
    QCOMPARE(socket.receivePacket().data(), QByteArray(5, 'q'));
    QCOMPARE(socket.pendingPacketSize(), qint64(-1));
}

void tst_SocketPackets::receiveWithoutEventLoop()
{
    // No event-loop turn between the peer's send and the receive calls.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QVERIFY(TestUtil::rawSend(raw.get(), "first"));
    QCOMPARE(socket.receivePacket().data(), QByteArray("first"));
    QVERIFY(!socket.hasPendingPackets());
    QVERIFY(TestUtil::rawSend(raw.get(), "second"));
    QVERIFY(socket.hasPendingPackets());
    QCOMPARE(socket.pendingPacketSize(), qint64(6));
    char buffer[16];
    QCOMPARE(socket.receivePacket(buffer, sizeof buffer), qint64(6));
    QCOMPARE(QByteArray(buffer, 6), QByteArray("second"));
    QVERIFY(TestUtil::rawSend(raw.get(), "third"));
    QCOMPARE(socket.peekPacket().data(), QByteArray("third"));
    QCOMPARE(socket.receivePacket().data(), QByteArray("third"));
}

void tst_SocketPackets::receiveWhenNothingPending()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QVERIFY(!socket.hasPendingPackets());
    QVERIFY(!socket.receivePacket().isValid());
    QVERIFY(!socket.peekPacket().isValid());
    char buffer[8];
    QCOMPARE(socket.receivePacket(buffer, sizeof buffer), qint64(-1));
    QCOMPARE(socket.peekPacket(buffer, sizeof buffer), qint64(-1));
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);
    QCOMPARE(errors.size(), 0);

    // An earlier error is left as it was: "nothing pending" is not an error.
    QVERIFY(!socket.receivePacket(-5).isValid());
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    const QString message = socket.errorString();
    QVERIFY(!socket.receivePacket().isValid());
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(socket.errorString(), message);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
}

void tst_SocketPackets::receivedAtIsTheReceiveTime()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(sender->sendPacket("stamp"));
    const QSeqpacketPacket packet = takePacket(receiver.get());
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(packet.isValid());
    // Milliseconds since the epoch, taken between the send and the receive (a second of slack
    // for the different clocks' rounding).
    QVERIFY2(packet.receivedAt() >= before - 1000 && packet.receivedAt() <= after + 1000,
             qPrintable(QStringLiteral("receivedAt %1 not within [%2, %3]")
                            .arg(packet.receivedAt()).arg(before).arg(after)));
}

void tst_SocketPackets::packetReadyAgainAfterPartialRead()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    int calls = 0;
    QList<QByteArray> received;
    connect(&socket, &QSeqpacketSocket::packetReady, &socket, [&] {
        ++calls;
        received << socket.receivePacket().data(); // one per call, though more wait
    });
    for (int i = 0; i < 5; ++i)
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(i, 20)));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 5, LongTimeout);
    QCOMPARE(calls, 5);
    QVERIFY(checkSequence(received, 0, 20).isEmpty());
    QTest::qWait(50);
    QCOMPARE(calls, 5); // nothing left: no more calls
}

void tst_SocketPackets::burstAfterRequestResponseTraffic()
{
    // A socket that answers each packet it reads, one per read, is in request/response traffic,
    // and asks the kernel for one packet at a time. A burst after it is still delivered whole and
    // in order, soon read in batches again (not one event-loop round per packet), and a
    // zero-length packet and the end of the connection are still told apart. A socket that only
    // receives reads a burst in one go.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QList<QByteArray> received;
    int calls = 0;
    connect(&socket, &QSeqpacketSocket::packetReady, &socket, [&] {
        ++calls;
        while (socket.hasPendingPackets()) {
            received << socket.receivePacket().data();
            if (!received.constLast().isEmpty()) // the empty ones come last, the peer gone
                QVERIFY(socket.sendPacket("ack"));
        }
    });
    auto takeAcks = [&raw](int expected) {
        return drainRaw(raw.get(), expected).packets == QList<QByteArray>(expected, QByteArrayLiteral("ack"));
    };
    int sequence = 0;
    for (int round = 0; round < 20; ++round) {
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(sequence++, 20)));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), sequence, LongTimeout);
        QVERIFY(takeAcks(1));
    }
    QCOMPARE(calls, 20);

    const int burst = 150;
    for (int i = 0; i < burst; ++i)
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(sequence++, 20)));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), sequence, LongTimeout);
    QVERIFY2(calls - 20 <= 10, qPrintable(QStringLiteral("%1 packetReady() calls for a burst of %2").arg(calls - 20).arg(burst)));
    QVERIFY(checkSequence(received, 0, 20).isEmpty());
    QVERIFY(takeAcks(burst));

    for (int round = 0; round < 5; ++round) {
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(sequence++, 20)));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), sequence, LongTimeout);
        QVERIFY(takeAcks(1));
    }
    SignalLog log(&socket);
    QVERIFY(TestUtil::rawSend(raw.get(), QByteArray()));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), sequence + 1, LongTimeout);
    QVERIFY(received.constLast().isEmpty());
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    QVERIFY(TestUtil::rawSend(raw.get(), QByteArray()));
    raw.reset();
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(received.size(), sequence + 2);
    QVERIFY(received.constLast().isEmpty());

    QSeqpacketSocket listener;
    UniqueFd sender;
    QVERIFY(adoptRawPair(&listener, &sender));
    SignalLog oneWay(&listener, true);
    for (int round = 0; round < 20; ++round) {
        QVERIFY(TestUtil::rawSend(sender.get(), TestUtil::sequencedPayload(round, 20)));
        QTRY_COMPARE_WITH_TIMEOUT(oneWay.packets.size(), round + 1, LongTimeout);
    }
    for (int i = 0; i < burst; ++i)
        QVERIFY(TestUtil::rawSend(sender.get(), TestUtil::sequencedPayload(20 + i, 20)));
    QTRY_COMPARE_WITH_TIMEOUT(oneWay.packets.size(), 20 + burst, LongTimeout);
    QVERIFY2(oneWay.packetReadyCalls - 20 <= 2,
             qPrintable(QStringLiteral("%1 packetReady() calls for a burst of %2").arg(oneWay.packetReadyCalls - 20).arg(burst)));
    QVERIFY(checkSequence(dataOf(oneWay.packets), 0, 20).isEmpty());
}

void tst_SocketPackets::requestResponseOfChangingSizes()
{
    // In request/response traffic the socket reads one packet at a time into a buffer of the
    // last one's size: every size after every other (the same, larger, much smaller, empty, large
    // enough to be read as large packets) comes whole and unchanged, with its descriptor, at
    // every point of the batch probing; an empty packet is a packet, and end-of-file ends it.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QList<QSeqpacketPacket> received;
    connect(&socket, &QSeqpacketSocket::packetReady, &socket, [&] {
        while (socket.hasPendingPackets()) {
            received << socket.receivePacket();
            QVERIFY(socket.sendPacket("ack"));
        }
    });
    SignalLog log(&socket);
    int pipeFds[2];
    QVERIFY(::pipe(pipeFds) == 0);
    UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
    // Eleven sizes, eight times: each size meets each of the eight reads between two batch
    // probes. 600 after 600 fills the buffer made for it; 3000 after 1000 runs on into the slot;
    // 20 after 1000 is copied out; 100000 after 600 runs far into the slot; 10000 and 100000 make
    // the next packets go to the large-packet reader.
    const QList<int> sizes = { 1000, 1000, 3000, 10000, 100, 0, 1000, 20, 600, 600, 100000 };
    const int withDescriptor = 6;
    for (int round = 0; round < 8 * sizes.size(); ++round) {
        const int size = sizes.at(round % sizes.size());
        const QByteArray payload = TestUtil::sequencedPayload(round, size).left(size);
        const QList<int> fds = round % sizes.size() == withDescriptor ? QList<int>{ readEnd.get() } : QList<int>();
        QVERIFY(TestUtil::rawSend(raw.get(), payload, fds));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), round + 1, LongTimeout);
        const QSeqpacketPacket &packet = received.constLast();
        QVERIFY(packet.isValid());
        QCOMPARE(packet.data(), payload);
        QVERIFY(!packet.isTruncated());
        QCOMPARE(packet.fileDescriptors().size(), fds.size());
        if (!fds.isEmpty())
            QCOMPARE(TestUtil::fileIdentity(packet.fileDescriptors().first().descriptor()),
                     TestUtil::fileIdentity(readEnd.get()));
        QVERIFY(drainRaw(raw.get(), 1).packets == QList<QByteArray>{ QByteArrayLiteral("ack") });
    }
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    raw.reset();
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(received.size(), 8 * sizes.size());
}

void tst_SocketPackets::packetReadyNotRepeatedWhenNothingRead()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket); // reads nothing
    for (int i = 0; i < 3; ++i)
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(i, 20)));
    QTRY_COMPARE_WITH_TIMEOUT(log.packetReadyCalls, 1, LongTimeout);
    QTest::qWait(100);
    QCOMPARE(log.packetReadyCalls, 1); // not called again for the same packets (no busy loop)

    QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(3, 20)));
    QTRY_COMPARE_WITH_TIMEOUT(log.packetReadyCalls, 2, LongTimeout);
    QTest::qWait(50);
    QCOMPARE(log.packetReadyCalls, 2);
    const QList<QSeqpacketPacket> all = takeAll(&socket);
    QCOMPARE(all.size(), 4);
    QVERIFY(checkSequence(dataOf(all), 0, 20).isEmpty());
}

namespace {

// Room in the raw peer's send buffer for a burst of a few hundred small packets, more than the
// default buffer holds.
bool roomForBurst(int fd)
{
    const int sndbuf = 4 * 1024 * 1024;
    return ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0;
}

// Sends the sequenced 13-byte packets from..to-1 (checkSequence(..., 13) checks them); the index
// of the first that could not be sent, or -1.
int sendSequence(int fd, int from, int to)
{
    for (int i = from; i < to; ++i) {
        if (!TestUtil::rawSend(fd, TestUtil::sequencedPayload(i, 13)))
            return i;
    }
    return -1;
}

} // namespace

// Small packets are copied out of the batch buffer word by word, not with memcpy() (see
// src/qseqpacketsmallcopy_p.h): every size from 0 to past the small-copy limit, in one batch
// (each starting at a different alignment of the shared chunk), taken as packets, peeked and
// copied into buffers at an odd address.
void tst_SocketPackets::everySmallSizeIntact()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QVERIFY(roomForBurst(raw.get()));
    constexpr int Sizes = 300;
    for (int size = 0; size < Sizes; ++size)
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(size, size).left(size)));
    QVERIFY(socket.waitForPacket(LongTimeout));
    QByteArray buffer(Sizes + 2, '\xee');
    char *const odd = buffer.data() + 1;
    for (int size = 0; size < Sizes; ++size) {
        const QByteArray expected = TestUtil::sequencedPayload(size, size).left(size);
        switch (size % 3) {
        case 0:
            QCOMPARE(takePacket(&socket).data(), expected);
            break;
        case 1: {
            bool truncated = true;
            QCOMPARE(socket.peekPacket(odd, Sizes, &truncated), qint64(size));
            QVERIFY(!truncated);
            QCOMPARE(QByteArray(odd, size), expected);
            QCOMPARE(socket.receivePacket(odd, Sizes, &truncated), qint64(size));
            QCOMPARE(QByteArray(odd, size), expected);
            QVERIFY(!truncated);
            break;
        }
        default:
            // Into a buffer one byte short: the copy stops there and says so.
            if (size > 0) {
                buffer.fill('\xee');
                bool truncated = false;
                QCOMPARE(socket.receivePacket(odd, size - 1, &truncated), qint64(size - 1));
                QVERIFY(truncated);
                QCOMPARE(QByteArray(odd, size - 1), expected.left(size - 1));
                QCOMPARE(odd[size - 1], '\xee'); // nothing past what was asked for
            } else {
                QCOMPARE(socket.receivePacket(odd, 0, nullptr), qint64(0));
            }
            break;
        }
        QCOMPARE(buffer.front(), '\xee'); // nothing written before the buffer
        QCOMPARE(buffer.back(), '\xee');  // nor after it
    }
    QVERIFY(!socket.hasPendingPackets());
}

void tst_SocketPackets::receiveQueueIsBoundedAndRefills()
{
    // 300 packets wait in the kernel before the socket first reads: it takes a bounded number
    // (256) into its queue, leaves the rest with the kernel, and still delivers all, in order.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QVERIFY(roomForBurst(raw.get()));
    QVERIFY(::fcntl(raw.get(), F_SETFL, ::fcntl(raw.get(), F_GETFL) | O_NONBLOCK) == 0);
    const int count = 300;
    const int notSent = sendSequence(raw.get(), 0, count);
    QVERIFY2(notSent == -1, qPrintable(QString::number(notSent)));

    SignalLog log(&socket); // reads nothing
    QTRY_COMPARE_WITH_TIMEOUT(log.packetReadyCalls, 1, LongTimeout);
    QTest::qWait(20);
    int unread = 0;
    QCOMPARE(::ioctl(raw.get(), SIOCOUTQ, &unread), 0);
    QVERIFY2(unread > 0, "the socket must not read ahead without bound");

    // Packets taken one at a time, the event loop turning between them, make room: the socket
    // reads on from the kernel long before its queue is empty.
    QList<QSeqpacketPacket> all;
    for (int i = 0; i < 50; ++i) {
        all << socket.receivePacket();
        QCoreApplication::processEvents();
    }
    QTRY_VERIFY_WITH_TIMEOUT(::ioctl(raw.get(), SIOCOUTQ, &unread) == 0 && unread == 0, LongTimeout);
    all << takeAll(&socket);
    QCOMPARE(all.size(), count);
    const QByteArray problem = checkSequence(dataOf(all), 0, 13);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(::ioctl(raw.get(), SIOCOUTQ, &unread), 0);
    QCOMPARE(unread, 0);
}

namespace {

// Counts the queued calls (QEvent::MetaCall) posted to an object.
class MetaCallCounter : public QObject
{
public:
    explicit MetaCallCounter(QObject *watched) { watched->installEventFilter(this); }
    int calls = 0;

protected:
    bool eventFilter(QObject *, QEvent *event) override
    {
        if (event->type() == QEvent::MetaCall)
            ++calls;
        return false;
    }
};

} // namespace

void tst_SocketPackets::drainingSlotCostsNoPostedEvent()
{
    // 300 packets wait: the first read takes a queue's worth (256), and the slot, draining,
    // makes the socket read the rest from inside packetReady(). The emitting loop delivers those
    // itself: no queued call (an event and an event-loop wake-up) is posted for them.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QVERIFY(roomForBurst(raw.get()));
    const int count = 300;
    const int notSent = sendSequence(raw.get(), 0, count);
    QVERIFY2(notSent == -1, qPrintable(QString::number(notSent)));

    MetaCallCounter posted(&socket);
    QList<QSeqpacketPacket> all;
    int emissions = 0;
    connect(&socket, &QSeqpacketSocket::packetReady, &socket, [&] {
        ++emissions;
        for (QSeqpacketPacket packet = socket.receivePacket(); packet.isValid(); packet = socket.receivePacket())
            all << packet;
    });
    QTRY_COMPARE_WITH_TIMEOUT(all.size(), count, LongTimeout);
    QCoreApplication::processEvents();
    QCOMPARE(emissions, 1);
    QCOMPARE(posted.calls, 0);
    const QByteArray problem = checkSequence(dataOf(all), 0, 13);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

namespace {

// How often the event loop woke up during \a ms of otherwise idle waiting.
int wakeUpsDuring(int ms)
{
    int wakeUps = 0;
    QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    const QMetaObject::Connection connection =
            QObject::connect(dispatcher, &QAbstractEventDispatcher::awake, [&] { ++wakeUps; });
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
    QObject::disconnect(connection);
    return wakeUps;
}

} // namespace

void tst_SocketPackets::unreadSocketDoesNotSpin()
{
    // Unread packets, a full receive queue with more in the kernel, then a peer that is gone:
    // in none of these may the socket keep the event loop awake. A busy notifier would wake it
    // thousands of times in 300 ms; an idle loop wakes a handful of times.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket); // reads nothing
    QVERIFY(roomForBurst(raw.get()));
    QCOMPARE(sendSequence(raw.get(), 0, 3), -1);
    QTRY_COMPARE_WITH_TIMEOUT(log.packetReadyCalls, 1, LongTimeout);
    int wakeUps = wakeUpsDuring(300);
    QVERIFY2(wakeUps < 100, qPrintable(QStringLiteral("%1 wake-ups with 3 unread packets").arg(wakeUps)));

    QCOMPARE(sendSequence(raw.get(), 3, 300), -1);
    QTRY_COMPARE_WITH_TIMEOUT(log.packetReadyCalls, 2, LongTimeout);
    wakeUps = wakeUpsDuring(300);
    QVERIFY2(wakeUps < 100, qPrintable(QStringLiteral("%1 wake-ups with a full receive queue").arg(wakeUps)));

    raw.reset();
    wakeUps = wakeUpsDuring(300);
    QVERIFY2(wakeUps < 100, qPrintable(QStringLiteral("%1 wake-ups after the peer closed").arg(wakeUps)));
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0); // 300 packets still wait to be read

    // Reading them lets the end through.
    const QList<QSeqpacketPacket> first = takeAll(&socket);
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QList<QSeqpacketPacket> all = first;
    all += takeAll(&socket);
    QCOMPARE(all.size(), 300);
    QVERIFY(checkSequence(dataOf(all), 0, 13).isEmpty());
}

QTEST_GUILESS_MAIN(tst_SocketPackets)
#include "tst_socket_packets.moc"
