// SPDX-License-Identifier: MIT
// Edges of QSeqpacketSocket's API that the area tests do not reach: a packet from more pieces
// than one sendmsg() takes (IOV_MAX), a zero-length packet from empty pieces, waiting for
// packets to be written until a deadline while the peer reads nothing, waiting for the end with
// packets still queued, and adopting a descriptor into a socket that is connected already.
#include <QSeqpacketSocket>

#include <QtCore/QElapsedTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include "testutil.h"

#include <climits>
#include <memory>
#include <thread>

using TestUtil::UniqueFd;

class tst_SocketEdges : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { m_fdsAtStart = TestUtil::openFds(); }
    void cleanup()
    {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        const auto now = TestUtil::openFds();
        QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
    }

    void morePiecesThanIovMax();
    void emptyPiecesMakeAnEmptyPacket();
    void waitForPacketsWrittenTimesOut();
    void waitForDisconnectedWritesTheQueue();
    void setSocketDescriptorOnAConnectedSocket();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

namespace {
constexpr int Timeout = 30000;

struct Peered
{
    Peered()
    {
        UniqueFd mine;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return;
        socket = std::make_unique<QSeqpacketSocket>();
        if (socket->setSocketDescriptor(mine.get()))
            mine.release();
    }
    std::unique_ptr<QSeqpacketSocket> socket;
    UniqueFd peer;
};
} // namespace

void tst_SocketEdges::morePiecesThanIovMax()
{
    // IOV_MAX + 1 pieces are joined into one packet, in order.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QList<QByteArray> storage;
    QList<QByteArrayView> parts;
    QByteArray expected;
    for (int i = 0; i < IOV_MAX + 1; ++i)
        storage << QByteArray(1, char('a' + i % 26));
    for (const QByteArray &piece : storage) {
        parts << QByteArrayView(piece);
        expected += piece;
    }
    QVERIFY(pair.socket->sendPacket(parts));
    TestUtil::RawPacket packet = TestUtil::rawReceive(pair.peer.get(), Timeout);
    packet.closeFds();
    QVERIFY(packet.ok);
    QCOMPARE(packet.data, expected);
    TestUtil::RawPacket extra = TestUtil::rawReceive(pair.peer.get(), 100);
    QVERIFY(!extra.ok);
}

void tst_SocketEdges::emptyPiecesMakeAnEmptyPacket()
{
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QVERIFY(pair.socket->sendPacket(QList<QByteArrayView>{QByteArrayView(), QByteArrayView()}));
    TestUtil::RawPacket packet = TestUtil::rawReceive(pair.peer.get(), Timeout);
    QVERIFY(packet.ok);
    QVERIFY(!packet.eof);
    QCOMPARE(packet.data.size(), 0);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
}

void tst_SocketEdges::waitForPacketsWrittenTimesOut()
{
    // The peer reads nothing: the queue stays, waitForPacketsWritten() gives up at its deadline
    // with a timeout error, and the packets are still there for later.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    const QByteArray payload(16384, 'q');
    int sent = 0;
    while (pair.socket->packetsToWrite() == 0 && sent < 100000) {
        QVERIFY(pair.socket->sendPacket(payload));
        ++sent;
    }
    QVERIFY(pair.socket->packetsToWrite() > 0);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!pair.socket->waitForPacketsWritten(100));
    QVERIFY(timer.elapsed() >= 90);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::TimeoutError);
    QVERIFY2(pair.socket->errorString().contains(QLatin1String("waitForPacketsWritten")), qPrintable(pair.socket->errorString()));
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(pair.socket->packetsToWrite() > 0);
}

void tst_SocketEdges::waitForDisconnectedWritesTheQueue()
{
    // disconnectFromServer() with packets queued: waitForDisconnected() writes them as the peer
    // reads, and the peer gets every one before the end.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    int sent = 0;
    while (pair.socket->packetsToWrite() == 0 && sent < 100000) {
        QVERIFY(pair.socket->sendPacket(TestUtil::sequencedPayload(sent, 16384)));
        ++sent;
    }
    for (int i = 0; i < 5; ++i) {
        QVERIFY(pair.socket->sendPacket(TestUtil::sequencedPayload(sent, 16384)));
        ++sent;
    }
    pair.socket->disconnectFromServer();
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ClosingState);
    const int peerFd = pair.peer.get();
    int received = 0;
    bool ended = false;
    std::thread reader([&] {
        for (;;) {
            TestUtil::RawPacket packet = TestUtil::rawReceive(peerFd, Timeout, 65536);
            packet.closeFds();
            if (!packet.ok || packet.eof) {
                ended = packet.eof;
                return;
            }
            if (TestUtil::sequenceOf(packet.data) != received)
                return;
            ++received;
        }
    });
    const bool disconnected = pair.socket->waitForDisconnected(Timeout);
    reader.join();
    QVERIFY(disconnected);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(received, sent);
    QVERIFY(ended);
}

void tst_SocketEdges::setSocketDescriptorOnAConnectedSocket()
{
    // The old connection is aborted (its peer sees the end), the new one is used.
    Peered first;
    QVERIFY(first.socket && first.socket->state() == QSeqpacketSocket::ConnectedState);
    UniqueFd mine, peer;
    QVERIFY(TestUtil::rawSocketPair(&mine, &peer));
    QVERIFY(first.socket->setSocketDescriptor(mine.get()));
    mine.release();
    QCOMPARE(first.socket->state(), QSeqpacketSocket::ConnectedState);
    TestUtil::RawPacket end = TestUtil::rawReceive(first.peer.get(), Timeout);
    QVERIFY(end.eof);
    QVERIFY(first.socket->sendPacket(QByteArray("to the new peer")));
    TestUtil::RawPacket packet = TestUtil::rawReceive(peer.get(), Timeout);
    QVERIFY(packet.ok);
    QCOMPARE(packet.data, QByteArray("to the new peer"));
}

QTEST_GUILESS_MAIN(tst_SocketEdges)
#include "tst_socket_edges.moc"
