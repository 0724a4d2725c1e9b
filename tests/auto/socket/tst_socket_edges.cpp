// SPDX-License-Identifier: MIT
// Edges of QSeqpacketSocket's API that the area tests do not reach: a packet from more pieces
// than one sendmsg() takes (IOV_MAX), a zero-length packet from empty pieces, waiting for
// packets to be written until a deadline while the peer reads nothing, waiting for the end with
// packets still queued, and adopting a descriptor into a socket that is connected already.
#include <QSeqpacketCredentials>
#include <QSeqpacketFrame>
#include <QSeqpacketPacket>
#include <QSeqpacketSocket>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QCborValue>
#include <QtCore/QFile>

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include "testutil.h"

#include <climits>
#include <memory>
#include <sys/socket.h>
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
    void deletedWhileConnecting();
    void deletedWhenConnected();
    void deletedInPacketReady();
    void deletedInReadChannelFinished();
    void deletedInErrorOccurredWhileSending();
    void deletedWhileClosing();
    void deletedInPacketsWrittenInsideWaitForPacketsWritten();
    void deletedInErrorOccurredOfAReset();
    void largePacketsBeyondThePoolLimit();
    void framesOffTheFastPath();
    void foreignDescriptorsRefused();
    void privilegedSenderOutgrowsTheSlot();

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
    // One queued with this process's credentials, as a packet may carry them.
    QSeqpacketPacket withCredentials(TestUtil::sequencedPayload(sent, 16384));
    withCredentials.setCredentials(QSeqpacketCredentials::currentProcess());
    QVERIFY(pair.socket->sendPacket(withCredentials));
    ++sent;
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

// The socket deleted from a slot of its own signal: the library notices (QPointer guards) and
// touches nothing of it afterwards; its descriptor is closed (cleanup() counts them).

void tst_SocketEdges::deletedWhileConnecting()
{
    const QByteArray name = TestUtil::uniqueAbstractName("edges-connecting");
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(name));
    QPointer<QSeqpacketSocket> socket = new QSeqpacketSocket;
    connect(socket, &QSeqpacketSocket::stateChanged, this, [&socket](QSeqpacketSocket::State state) {
        if (state == QSeqpacketSocket::ConnectingState)
            delete socket.data();
    });
    socket->connectToServer(QSeqpacketAddress::fromAbstractName(name));
    QVERIFY(socket.isNull());
}

void tst_SocketEdges::deletedWhenConnected()
{
    const QByteArray name = TestUtil::uniqueAbstractName("edges-connected");
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(name));
    QPointer<QSeqpacketSocket> socket = new QSeqpacketSocket;
    connect(socket, &QSeqpacketSocket::stateChanged, this, [&socket](QSeqpacketSocket::State state) {
        if (state == QSeqpacketSocket::ConnectedState)
            delete socket.data();
    });
    socket->connectToServer(QSeqpacketAddress::fromAbstractName(name));
    QVERIFY(socket.isNull());
}

void tst_SocketEdges::deletedInPacketReady()
{
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    int emitted = 0;
    connect(socket, &QSeqpacketSocket::packetReady, this, [&] {
        ++emitted;
        delete socket.data();
    });
    QVERIFY(TestUtil::rawSend(pair.peer.get(), "one"));
    QVERIFY(TestUtil::rawSend(pair.peer.get(), "two"));
    QVERIFY(QTest::qWaitFor([&] { return socket.isNull(); }, Timeout));
    QCOMPARE(emitted, 1);
    // The peer sees the end.
    TestUtil::RawPacket end = TestUtil::rawReceive(pair.peer.get(), Timeout);
    QVERIFY(end.eof || end.error == ECONNRESET);
}

void tst_SocketEdges::deletedInReadChannelFinished()
{
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    connect(socket, &QSeqpacketSocket::readChannelFinished, this, [&] { delete socket.data(); });
    pair.peer.reset();
    QVERIFY(QTest::qWaitFor([&] { return socket.isNull(); }, Timeout));
}

void tst_SocketEdges::deletedInErrorOccurredWhileSending()
{
    // The peer is gone: sendPacket() fails with EPIPE, and the slot of errorOccurred() deletes the
    // socket inside sendPacket(), which then returns false without touching it.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    QSeqpacketSocket::SocketError seen = QSeqpacketSocket::NoError;
    connect(socket, &QSeqpacketSocket::errorOccurred, this, [&](QSeqpacketSocket::SocketError error) {
        seen = error;
        delete socket.data();
    });
    pair.peer.reset();
    QSeqpacketSocket *raw = socket.data();
    QVERIFY(!raw->sendPacket(QByteArray("into the void")));
    QVERIFY(socket.isNull());
    QCOMPARE(seen, QSeqpacketSocket::PeerClosedError);
}

void tst_SocketEdges::deletedWhileClosing()
{
    // disconnectFromServer(): a slot of stateChanged(ClosingState) deletes the socket; the peer
    // sees the end.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    connect(socket, &QSeqpacketSocket::stateChanged, this, [&socket](QSeqpacketSocket::State state) {
        if (state == QSeqpacketSocket::ClosingState)
            delete socket.data();
    });
    socket->disconnectFromServer();
    QVERIFY(socket.isNull());
    TestUtil::RawPacket end = TestUtil::rawReceive(pair.peer.get(), Timeout);
    QVERIFY(end.eof);
}

void tst_SocketEdges::deletedInPacketsWrittenInsideWaitForPacketsWritten()
{
    // sendPacket() wrote the packet at once; no event loop ran, so waitForPacketsWritten() reports
    // it first. The slot of packetsWritten() deletes the socket: waitForPacketsWritten() returns
    // false without touching it, and the packet reached the peer, followed by the end.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    qint64 reported = 0;
    connect(socket, &QSeqpacketSocket::packetsWritten, this, [&](qint64 count) {
        reported += count;
        delete socket.data();
    });
    QVERIFY(socket->sendPacket(QByteArray("written")));
    QCOMPARE(socket->packetsToWrite(), qint64(0));
    QSeqpacketSocket *raw = socket.data();
    QVERIFY(!raw->waitForPacketsWritten(Timeout));
    QVERIFY(socket.isNull());
    QCOMPARE(reported, qint64(1));
    TestUtil::RawPacket packet = TestUtil::rawReceive(pair.peer.get(), Timeout);
    QVERIFY(packet.ok);
    QCOMPARE(packet.data, QByteArray("written"));
    TestUtil::RawPacket end = TestUtil::rawReceive(pair.peer.get(), Timeout);
    QVERIFY(end.eof);
}

void tst_SocketEdges::deletedInErrorOccurredOfAReset()
{
    // The peer closes with a packet of ours unread: reading reports the reset, and the slot of
    // errorOccurred(ConnectionResetError) deletes the socket; nothing touches it afterwards.
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    int emitted = 0;
    QSeqpacketSocket::SocketError seen = QSeqpacketSocket::NoError;
    connect(socket, &QSeqpacketSocket::errorOccurred, this, [&](QSeqpacketSocket::SocketError error) {
        ++emitted;
        seen = error;
        delete socket.data();
    });
    QVERIFY(socket->sendPacket(QByteArray("never read")));
    pair.peer.reset();
    QVERIFY(QTest::qWaitFor([&] { return socket.isNull(); }, Timeout));
    QTest::qWait(20);
    QCOMPARE(emitted, 1);
    QCOMPARE(seen, QSeqpacketSocket::ConnectionResetError);
}

void tst_SocketEdges::largePacketsBeyondThePoolLimit()
{
    // Packets over the receive pool's limit (256 KiB), one after another of about the same size:
    // each is read into the buffer sized by the one before, which the pool does not keep. Every
    // packet arrives whole, and one kept by the application is not overwritten by the next.
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender && receiver);
    QVERIFY2(sender->setSendBufferSize(400000), qPrintable(sender->errorString()));
    if (sender->maxPacketSize() < 300000)
        QSKIP("net.core.wmem_max is too small for packets of 300,000 bytes");
    // The second is read into the first's size and on into the batch slot (more than 64 KiB of
    // it there, whose pages are then given back); the rest into the size before them.
    const QList<int> sizes = {100000, 300000, 300000, 280000, 300000};
    QList<QByteArray> received;
    for (int i = 0; i < sizes.size(); ++i) {
        const QByteArray payload(sizes.at(i), char('a' + i));
        QVERIFY2(sender->sendPacket(payload), qPrintable(sender->errorString()));
        QVERIFY(sender->waitForPacketsWritten(Timeout) || sender->packetsToWrite() == 0);
        QVERIFY2(receiver->waitForPacket(Timeout), qPrintable(receiver->errorString()));
        received << receiver->receivePacket().data();
    }
    QCOMPARE(received.size(), sizes.size());
    for (int i = 0; i < sizes.size(); ++i)
        QCOMPARE(received.at(i), QByteArray(sizes.at(i), char('a' + i)));
}

void tst_SocketEdges::framesOffTheFastPath()
{
    // Frames the one-pass encoder and decoder handle outside their usual shape: an id over
    // 32 bits (an 8-byte head), a name that is not ASCII (encoded as UTF-8; decoded by the full
    // decoder, which then walks a nested body), and heads the fast decoder refuses (a reserved
    // additional information, a simple value in two bytes that fits one, a head cut short),
    // which the full decoder rejects.
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender && receiver);
    const auto roundTrip = [&](const QByteArray &bytes) {
        if (!sender->sendPacket(bytes) || !receiver->waitForPacket(Timeout))
            return QSeqpacketFrame();
        return QSeqpacketFrame::fromPacket(receiver->receivePacket());
    };

    const quint64 id = (quint64(1) << 40) + 5;
    const QString name = QStringLiteral("grüße/世界");
    const QCborValue body(QCborArray{QCborArray{1, QCborArray{2}}, QCborMap{{QStringLiteral("k"), QCborArray()}}});
    const QSeqpacketFrame frame(QSeqpacketFrame::RequestFrame, id, name, body);
    const QByteArray encoded = frame.encode();
    QCOMPARE(encoded, QCborValue(QCborArray{int(QSeqpacketFrame::RequestFrame), qint64(id), name, body}).toCbor());
    const QSeqpacketFrame decoded = roundTrip(encoded);
    QVERIFY2(decoded.isValid(), qPrintable(decoded.errorString()));
    QCOMPARE(decoded.type(), QSeqpacketFrame::RequestFrame);
    QCOMPARE(decoded.id(), id);
    QCOMPARE(decoded.name(), name);
    QCOMPARE(decoded.body(), body);

    const QSeqpacketFrame reserved = roundTrip(QByteArray::fromHex("8400006081" "1c"));
    QVERIFY(!reserved.isValid());
    QVERIFY(!reserved.errorString().isEmpty());
    const QSeqpacketFrame simple = roundTrip(QByteArray::fromHex("8400006081" "f810"));
    QVERIFY(!simple.isValid());
    QVERIFY(!simple.errorString().isEmpty());
    const QSeqpacketFrame cut = roundTrip(QByteArray::fromHex("84000060" "1901")); // a 2-byte integer, 1 byte of it
    QVERIFY(!cut.isValid());
    QVERIFY(!cut.errorString().isEmpty());
}

void tst_SocketEdges::foreignDescriptorsRefused()
{
    // An AF_INET socket is not adopted, with the reason; the descriptor stays the caller's.
    UniqueFd inet(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    QVERIFY(inet.isValid());
    QSeqpacketSocket socket;
    QVERIFY(!socket.setSocketDescriptor(inet.get()));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(socket.errorString(), QStringLiteral("setSocketDescriptor: descriptor %1 is not an AF_UNIX socket").arg(inet.get()));
    QVERIFY(TestUtil::isFdOpen(inet.get()));
}

void tst_SocketEdges::privilegedSenderOutgrowsTheSlot()
{
    // Only a sender with CAP_NET_ADMIN (SO_SNDBUFFORCE) can send a packet larger than twice
    // net.core.wmem_max, the receive slot: the packet arrives cut to the slot and says so
    // (isTruncated(), originalSize(), in its QDebug output), and a channel refuses it as a frame.
    if (::geteuid() != 0)
        QSKIP("needs CAP_NET_ADMIN (root) for SO_SNDBUFFORCE");
    QFile wmemMax(QStringLiteral("/proc/sys/net/core/wmem_max"));
    QVERIFY(wmemMax.open(QIODevice::ReadOnly));
    const qint64 slot = 2 * wmemMax.readAll().trimmed().toLongLong();
    QVERIFY(slot > 0);
    // The kernel allocates a packet's first part in one piece: beyond about 4 MiB it answers
    // ENOBUFS, privileges or not. With net.core.wmem_max at 2 MiB or more the slot is larger
    // than any packet the kernel can make, and nothing can be truncated.
    if (slot > 4 * 1024 * 1024 - 65536)
        QSKIP("net.core.wmem_max is 2 MiB or more: no packet outgrows the slot on this machine");
    Peered pair;
    QVERIFY(pair.socket && pair.socket->state() == QSeqpacketSocket::ConnectedState);
    const int size = int(slot + 4096);
    const int force = size + 65536;
    QCOMPARE(::setsockopt(pair.peer.get(), SOL_SOCKET, SO_SNDBUFFORCE, &force, sizeof force), 0);
    QVERIFY(TestUtil::rawSend(pair.peer.get(), QByteArray(size, 'L')));
    QVERIFY(pair.socket->waitForPacket(Timeout));
    const QSeqpacketPacket packet = pair.socket->receivePacket();
    QVERIFY(packet.isValid());
    QVERIFY(packet.isTruncated());
    QCOMPARE(packet.originalSize(), qint64(size));
    QCOMPARE(packet.data().size(), qsizetype(slot));
    QString text;
    QDebug(&text) << packet;
    QVERIFY2(text.contains(QStringLiteral("%1 bytes of %2, truncated").arg(slot).arg(size)), qPrintable(text.left(200)));
    const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(packet, 2 * qint64(size));
    QVERIFY(!frame.isValid());
    QCOMPARE(frame.errorString(), QStringLiteral("the packet was cut short: %1 of its %2 bytes arrived").arg(slot).arg(size));
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
}

QTEST_GUILESS_MAIN(tst_SocketEdges)
#include "tst_socket_edges.moc"
