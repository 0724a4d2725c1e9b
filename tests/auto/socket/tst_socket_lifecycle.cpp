// SPDX-License-Identifier: MIT
// QSeqpacketSocket: the end of a connection. A peer that closes or exits with packets in flight
// (all delivered, in order, before one disconnected()), a peer that resets, a peer that shuts
// down its write side, disconnectFromServer() flushing, abort(), destruction, shutdown(), and
// no SIGPIPE on any of these paths.
#include <QSeqpacketSocket>

#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

using namespace SocketTest;
using TestUtil::UniqueFd;

class tst_SocketLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void peerClosesAfterSending();
    void crossProcessPeerExitsWithPacketsInFlight();
    void crossProcessPeerResetsWithUnreadPackets();
    void crossProcessPeerShutsDownWrite();
    void peerShutsDownWriteWhileOurQueueWaits();
    void peerClosesWhileOurQueueWaits();
    void disconnectFromServerFlushesQueue();
    void disconnectFromServerWithEmptyQueue();
    void abortDropsEverythingAtOnce();
    void destructionWithUnreadAndUnsentPackets();
    void sendingToClosedPeerRaisesNoSigpipe();
    void shutdownWrite();
    void shutdownRead();
    void takeError();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketLifecycle::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL); // any SIGPIPE ends the test run
    warmUp();
}

void tst_SocketLifecycle::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketLifecycle::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

void tst_SocketLifecycle::peerClosesAfterSending()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket); // reads nothing in its slots
    const int count = 100;
    for (int i = 0; i < count; ++i)
        QVERIFY(TestUtil::rawSend(raw.get(), TestUtil::sequencedPayload(i, 200)));
    raw.reset();

    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QVERIFY2(log.indexOf(QStringLiteral("packetReady")) >= 0
                 && log.indexOf(QStringLiteral("packetReady")) < log.indexOf(QStringLiteral("disconnected")),
             log.text().constData());
    QCOMPARE(log.count(QStringLiteral("readChannelFinished")), 1);
    QVERIFY(log.indexOf(QStringLiteral("readChannelFinished")) < log.indexOf(QStringLiteral("disconnected")));
    QCOMPARE(log.count(QStringLiteral("state:UnconnectedState")), 1);
    QVERIFY(log.indexOf(QStringLiteral("state:UnconnectedState")) < log.indexOf(QStringLiteral("disconnected")));

    // Everything the peer sent is still readable after disconnected().
    const QList<QSeqpacketPacket> all = takeAll(&socket);
    QCOMPARE(all.size(), count);
    const QByteArray problem = checkSequence(dataOf(all), 0, 200);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QTest::qWait(50);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
}

void tst_SocketLifecycle::crossProcessPeerExitsWithPacketsInFlight()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    SignalLog log(&socket, true);
    QCOMPARE(connectToListeningPeer(&peer, &socket, "burst"), QByteArray());
    const int count = 2000;
    QVERIFY(socket.sendPacket("burst " + QByteArray::number(count) + " 700"));

    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.packetsAtDisconnected, count); // all delivered before disconnected()
    QCOMPARE(log.packets.size(), count);
    const QByteArray problem = checkSequence(dataOf(log.packets), 0, 700);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(log.lastPacketIndex() < log.indexOf(QStringLiteral("disconnected")), true);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(log.log.count(QStringLiteral("state:UnconnectedState")), 1);
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
    QTest::qWait(50);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
}

void tst_SocketLifecycle::crossProcessPeerResetsWithUnreadPackets()
{
    // The peer sends three packets, then exits with one of ours unread: a reset.
    PeerProcess peer;
    QSeqpacketSocket socket;
    SignalLog log(&socket, true);
    QCOMPARE(connectToListeningPeer(&peer, &socket, "reset"), QByteArray());
    QVERIFY(socket.sendPacket("closeunread 3"));
    QVERIFY(socket.sendPacket("never read"));

    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.count(QStringLiteral("error:ConnectionResetError")), 1);
    QVERIFY2(log.indexOf(QStringLiteral("error:ConnectionResetError")) < log.indexOf(QStringLiteral("disconnected")),
             log.text().constData());
    // What the peer sent before it went is all there, before disconnected().
    QCOMPARE(log.packetsAtDisconnected, 3);
    QCOMPARE(dataOf(log.packets), QList<QByteArray>({"bye0", "bye1", "bye2"}));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0); // the peer did see our packet waiting
    QTest::qWait(50);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
    QCOMPARE(log.count(QStringLiteral("error:ConnectionResetError")), 1);
}

void tst_SocketLifecycle::crossProcessPeerShutsDownWrite()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    SignalLog log(&socket, true);
    QSeqpacketSocket::State stateInSlot = QSeqpacketSocket::UnconnectedState;
    bool sentInSlot = false;
    connect(&socket, &QSeqpacketSocket::readChannelFinished, &socket, [&] {
        stateInSlot = socket.state();
        sentInSlot = socket.sendPacket("after");
    });
    QCOMPARE(connectToListeningPeer(&peer, &socket, "shutwr"), QByteArray());
    QVERIFY(socket.sendPacket("shutwr"));

    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.count(QStringLiteral("readChannelFinished")), 1);
    QCOMPARE(stateInSlot, QSeqpacketSocket::ConnectedState);
    QVERIFY(sentInSlot);
    QCOMPARE(dataOf(log.packets), QList<QByteArray>({"before-shutdown"}));
    const int packetAt = log.indexOf(QStringLiteral("packet:before-shutdown"));
    const int finishedAt = log.indexOf(QStringLiteral("readChannelFinished"));
    const int disconnectedAt = log.indexOf(QStringLiteral("disconnected"));
    QVERIFY2(packetAt >= 0 && packetAt < finishedAt && finishedAt < disconnectedAt, log.text().constData());
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);

    QVERIFY(peer.finish());
    QCOMPARE(peer.standardOutput(), QByteArray("after\n"));
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketLifecycle::peerShutsDownWriteWhileOurQueueWaits()
{
    // The peer stops sending but still reads: our queued packets are written, then we close.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket);
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    for (int i = 0; i < 10; ++i)
        QVERIFY(socket.sendPacket(TestUtil::sequencedPayload(inKernel + i, 1000)));
    QCOMPARE(::shutdown(raw.get(), SHUT_WR), 0);

    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("readChannelFinished")), 1, LongTimeout);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    QCOMPARE(socket.state(), QSeqpacketSocket::ClosingState);
    QVERIFY(!socket.sendPacket("while closing"));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);

    QCOMPARE(drainSequenceToEof(raw.get(), inKernel + 10, 1000), QByteArray());
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.packetsToWrite(), qint64(0));
}

void tst_SocketLifecycle::peerClosesWhileOurQueueWaits()
{
    // The peer goes with our packets unread and more queued: a reset, the queue is dropped, and
    // nothing raises SIGPIPE.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket, true);
    QVERIFY(fillKernelBuffer(&socket, 1000) > 0);
    QVERIFY(socket.sendPacket("queued"));
    QVERIFY(TestUtil::rawSend(raw.get(), "last words"));
    raw.reset();

    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(log.count(QStringLiteral("error:ConnectionResetError")), 1);
    QVERIFY(log.indexOf(QStringLiteral("error:ConnectionResetError")) < log.indexOf(QStringLiteral("disconnected")));
    QCOMPARE(dataOf(log.packets), QList<QByteArray>({"last words"}));
    QCOMPARE(log.packetsAtDisconnected, 1);
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QTest::qWait(50);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
}

void tst_SocketLifecycle::disconnectFromServerFlushesQueue()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket);
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    for (int i = 0; i < 50; ++i)
        QVERIFY(socket.sendPacket(TestUtil::sequencedPayload(inKernel + i, 1000)));

    socket.disconnectFromServer();
    QCOMPARE(socket.state(), QSeqpacketSocket::ClosingState);
    QCOMPARE(log.count(QStringLiteral("state:ClosingState")), 1);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    QVERIFY(!socket.sendPacket("while closing"));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);

    // The socket closes once its queue is written: end-of-file after every packet.
    QCOMPARE(drainSequenceToEof(raw.get(), inKernel + 50, 1000), QByteArray());
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QVERIFY(log.indexOf(QStringLiteral("state:UnconnectedState")) > log.indexOf(QStringLiteral("state:ClosingState")));
    QCOMPARE(socket.socketDescriptor(), -1);
    QTest::qWait(50);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
}

void tst_SocketLifecycle::disconnectFromServerWithEmptyQueue()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> first(a), second(b);
    SignalLog firstLog(first.get()), secondLog(second.get(), true);
    QVERIFY(first->sendPacket("goodbye"));
    first->disconnectFromServer();
    QTRY_COMPARE(firstLog.count(QStringLiteral("disconnected")), 1);
    QCOMPARE(first->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(firstLog.log, QStringList({QStringLiteral("state:ClosingState"), QStringLiteral("state:UnconnectedState"),
                                        QStringLiteral("disconnected")}));

    QTRY_COMPARE_WITH_TIMEOUT(secondLog.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QCOMPARE(dataOf(secondLog.packets), QList<QByteArray>({"goodbye"}));
    QCOMPARE(secondLog.packetsAtDisconnected, 1);
    QCOMPARE(second->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(secondLog.count(QStringLiteral("readChannelFinished")), 1);
    QCOMPARE(secondLog.count(QStringLiteral("state:UnconnectedState")), 1);
    QTest::qWait(50);
    QCOMPARE(firstLog.count(QStringLiteral("disconnected")), 1);
    QCOMPARE(secondLog.count(QStringLiteral("disconnected")), 1);
    first->disconnectFromServer(); // again: nothing happens
    QCOMPARE(firstLog.count(QStringLiteral("disconnected")), 1);
}

void tst_SocketLifecycle::abortDropsEverythingAtOnce()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket);
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    for (int i = 0; i < 5; ++i)
        QVERIFY(socket.sendPacket("dropped"));
    QVERIFY(TestUtil::rawSend(raw.get(), "unread"));
    QVERIFY(socket.hasPendingPackets());

    socket.abort();
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState); // at once
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
    QCOMPARE(socket.socketDescriptor(), -1);
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QCOMPARE(socket.bytesToWrite(), qint64(0));
    QVERIFY(!socket.hasPendingPackets());
    QVERIFY(!socket.receivePacket().isValid());

    // The peer gets what reached the kernel before, none of the dropped packets, then the end.
    QCOMPARE(drainSequenceToEof(raw.get(), inKernel - 1, 1000), QByteArray());
    QTest::qWait(20);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
    socket.abort(); // again: nothing happens
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);
}

void tst_SocketLifecycle::destructionWithUnreadAndUnsentPackets()
{
    const int start = TestUtil::openFdCount();
    UniqueFd raw;
    int inKernel = 0;
    {
        QSeqpacketSocket socket;
        QVERIFY(adoptRawPair(&socket, &raw));
        inKernel = fillKernelBuffer(&socket, 1000);
        QVERIFY(inKernel > 0);
        for (int i = 0; i < 5; ++i)
            QVERIFY(socket.sendPacket("unsent"));
        QVERIFY(TestUtil::rawSend(raw.get(), "unread"));
        QVERIFY(TestUtil::rawSend(raw.get(), "unread, not even taken off the kernel"));
        QVERIFY(socket.peekPacket().isValid());
    }
    QCOMPARE(TestUtil::openFdCount(), start + 1); // only the raw peer is left
    const RawDrain drained = drainRaw(raw.get(), 0, LongTimeout, true);
    QVERIFY(drained.eof);
    QCOMPARE(drained.packets.size(), inKernel - 1);

    // A pair destroyed with packets in both directions unread.
    {
        auto [a, b] = QSeqpacketSocket::createPair();
        QVERIFY(a->sendPacket("to b"));
        QVERIFY(b->sendPacket("to a"));
        QVERIFY(b->hasPendingPackets());
        delete a;
        delete b;
    }
    QCOMPARE(TestUtil::openFdCount(), start + 1);
}

void tst_SocketLifecycle::sendingToClosedPeerRaisesNoSigpipe()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> socket(a);
    SignalLog log(socket.get());
    delete b;
    // Straight away, before the event loop has seen the end: the send fails, no SIGPIPE.
    QVERIFY(!socket->sendPacket("nobody there"));
    QVERIFY2(socket->error() == QSeqpacketSocket::PeerClosedError
                 || socket->error() == QSeqpacketSocket::ConnectionResetError,
             errorName(socket->error()));
    QCOMPARE(log.count(QStringLiteral("error:") + QLatin1String(errorName(socket->error()))), 1);
    QVERIFY2(socket->errorString().contains(QStringLiteral("sendPacket")), qPrintable(socket->errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QVERIFY(!socket->sendPacket("still nobody"));
    QCOMPARE(socket->error(), QSeqpacketSocket::OperationError);
    QTest::qWait(20);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 1);

    // Through the send queue: the peer goes while packets wait for it.
    QSeqpacketSocket queued;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&queued, &raw));
    QVERIFY(fillKernelBuffer(&queued, 1000) > 0);
    const RawDrain some = drainRaw(raw.get(), 3); // room for the queue to move
    QCOMPARE(some.packets.size(), 3);
    raw.reset();
    QTRY_COMPARE_WITH_TIMEOUT(queued.state(), QSeqpacketSocket::UnconnectedState, LongTimeout);
    QCOMPARE(queued.packetsToWrite(), qint64(0));
}

void tst_SocketLifecycle::shutdownWrite()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket);
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    QVERIFY(socket.shutdown(QSeqpacketSocket::ShutdownWrite));
    QVERIFY(!socket.sendPacket("after shutdown"));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);

    // The queued packet still goes, then the peer sees the end.
    QCOMPARE(drainSequenceToEof(raw.get(), inKernel, 1000), QByteArray());

    // Receiving goes on.
    QVERIFY(TestUtil::rawSend(raw.get(), "the other direction"));
    QCOMPARE(takePacket(&socket).data(), QByteArray("the other direction"));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);

    // The peer closes too: now the connection ends.
    raw.reset();
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
}

void tst_SocketLifecycle::shutdownRead()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    SignalLog log(&socket);
    QVERIFY(socket.shutdown(QSeqpacketSocket::ShutdownRead));
    QTest::qWait(20);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(log.count(QStringLiteral("disconnected")), 0);
    QVERIFY(socket.sendPacket("still sending"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("still sending"));
    QVERIFY(socket.shutdown(QSeqpacketSocket::ShutdownWrite));
    TestUtil::RawPacket end = TestUtil::rawReceive(raw.get());
    QVERIFY(end.eof);
}

void tst_SocketLifecycle::takeError()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> first(a), second(b);
    QCOMPARE(first->takeError(), QSeqpacketSocket::NoError);
    QCOMPARE(first->error(), QSeqpacketSocket::NoError);

    // The peer closes with a packet of ours unread: the kernel holds ECONNRESET for us.
    QVERIFY(first->sendPacket("unread"));
    second.reset();
    QCOMPARE(first->takeError(), QSeqpacketSocket::ConnectionResetError);
    QCOMPARE(first->error(), QSeqpacketSocket::ConnectionResetError);
    QCOMPARE(first->takeError(), QSeqpacketSocket::NoError); // taken: cleared
}

QTEST_GUILESS_MAIN(tst_SocketLifecycle)
#include "tst_socket_lifecycle.moc"
