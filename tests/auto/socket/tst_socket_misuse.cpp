// SPDX-License-Identifier: MIT
// QSeqpacketSocket: bad input. Invalid addresses, descriptors that are not a connected seqpacket
// socket, sending while unconnected, invalid descriptors to send, negative sizes, a null buffer,
// out-of-range limits, and every query on an unconnected socket. Each gives a specific error,
// errorOccurred() and a message naming the operation; nothing crashes and nothing leaks.
#include <QSeqpacketSocket>

#include <QtCore/QTemporaryFile>
#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

#include <sys/eventfd.h>

using namespace SocketTest;
using TestUtil::UniqueFd;


class tst_SocketMisuse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void invalidServerAddress_data();
    void invalidServerAddress();
    void invalidBindAddress();
    void connectWhileConnected();
    void notAConnectedSeqpacketDescriptor_data();
    void notAConnectedSeqpacketDescriptor();
    void negativeDescriptor();
    void sendWhileUnconnected();
    void sendInvalidDescriptor();
    void negativeSizes();
    void nullBufferWithPositiveSize();
    void receiveDescriptorLimitOutOfRange();
    void unconnectedSocketQueries();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketMisuse::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL);
    warmUp();
}

void tst_SocketMisuse::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketMisuse::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

void tst_SocketMisuse::invalidServerAddress_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");
    QTest::newRow("empty path") << QSeqpacketAddress::fromPath(QString());
    QTest::newRow("over-long path") << QSeqpacketAddress::fromPath(QString(200, QLatin1Char('p')));
    QTest::newRow("NUL in path") << QSeqpacketAddress::fromNativePath(QByteArray("/tmp/a\0b", 8));
    QTest::newRow("over-long abstract name") << QSeqpacketAddress::fromAbstractName(QByteArray(200, 'n'));
    QTest::newRow("unnamed") << QSeqpacketAddress();
}

void tst_SocketMisuse::invalidServerAddress()
{
    QFETCH(QSeqpacketAddress, address);
    QSeqpacketSocket socket;
    SignalLog log(&socket);
    socket.connectToServer(address);
    QCOMPARE(socket.error(), QSeqpacketSocket::InvalidAddressError);
    QCOMPARE(log.count(QStringLiteral("error:InvalidAddressError")), 1);
    QCOMPARE(log.count(QStringLiteral("connected")), 0);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    QVERIFY2(socket.errorString().contains(QStringLiteral("connectToServer")), qPrintable(socket.errorString()));
    QVERIFY(socket.errorString().size() > QStringLiteral("connectToServer: ").size());

    // The socket can still be used for a real connection afterwards.
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("after-invalid")));
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(listener.name()));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    const UniqueFd accepted(listener.acceptOne());
    QVERIFY(accepted.isValid());
}

void tst_SocketMisuse::invalidBindAddress()
{
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("bind-invalid")));
    const QList<QSeqpacketAddress> bad = {QSeqpacketAddress::fromPath(QString()),
                                          QSeqpacketAddress::fromPath(QString(300, QLatin1Char('b'))),
                                          QSeqpacketAddress::fromAbstractName(QByteArray(300, 'b'))};
    for (const QSeqpacketAddress &bindAddress : bad) {
        QSeqpacketSocket socket;
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        socket.connectToServer(QSeqpacketAddress::fromAbstractName(listener.name()), bindAddress);
        QCOMPARE(socket.error(), QSeqpacketSocket::InvalidAddressError);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
        QVERIFY2(socket.errorString().contains(QStringLiteral("connectToServer")), qPrintable(socket.errorString()));
    }
    QVERIFY2(TestUtil::rawReceive(listener.fd(), 0).timedOut, "no connection may reach the server");
}

void tst_SocketMisuse::connectWhileConnected()
{
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("already")));
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(listener.name()));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(socket.errorString().contains(QStringLiteral("connectToServer")), qPrintable(socket.errorString()));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QVERIFY2(TestUtil::rawReceive(listener.fd(), 0).timedOut, "no second connection");
    // The existing connection goes on.
    QVERIFY(socket.sendPacket("still the first"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("still the first"));
}

void tst_SocketMisuse::notAConnectedSeqpacketDescriptor_data()
{
    QTest::addColumn<QString>("kind");
    for (const char *kind : {"pipe", "regular file", "eventfd", "stream socket", "datagram socket",
                             "listening seqpacket socket", "unconnected seqpacket socket"})
        QTest::newRow(kind) << QString::fromLatin1(kind);
}

void tst_SocketMisuse::notAConnectedSeqpacketDescriptor()
{
    QFETCH(QString, kind);
    UniqueFd fd, other;
    QTemporaryFile file;
    TestUtil::RawListener listener;
    if (kind == QLatin1String("pipe")) {
        int p[2];
        QCOMPARE(::pipe(p), 0);
        fd.reset(p[0]);
        other.reset(p[1]);
    } else if (kind == QLatin1String("regular file")) {
        QVERIFY(file.open());
        fd.reset(::dup(file.handle()));
    } else if (kind == QLatin1String("eventfd")) {
        fd.reset(::eventfd(0, 0));
    } else if (kind == QLatin1String("stream socket")) {
        QVERIFY(TestUtil::rawSocketPair(&fd, &other, SOCK_STREAM, false));
    } else if (kind == QLatin1String("datagram socket")) {
        QVERIFY(TestUtil::rawSocketPair(&fd, &other, SOCK_DGRAM, false));
    } else if (kind == QLatin1String("listening seqpacket socket")) {
        QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("adopt-listener")));
        fd.reset(::dup(listener.fd()));
    } else {
        fd.reset(::socket(AF_UNIX, SOCK_SEQPACKET, 0));
    }
    QVERIFY(fd.isValid());
    const int statusFlags = ::fcntl(fd.get(), F_GETFL);
    const int descriptorFlags = ::fcntl(fd.get(), F_GETFD);

    QSeqpacketSocket socket;
    SignalLog log(&socket);
    QVERIFY(!socket.setSocketDescriptor(fd.get()));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(log.count(QStringLiteral("error:OperationError")), 1);
    QVERIFY2(socket.errorString().contains(QStringLiteral("setSocketDescriptor")), qPrintable(socket.errorString()));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    QCOMPARE(log.count(QStringLiteral("state:ConnectedState")), 0);
    // Left to the caller as it was: open, flags untouched.
    QVERIFY(TestUtil::isFdOpen(fd.get()));
    QCOMPARE(::fcntl(fd.get(), F_GETFL), statusFlags);
    QCOMPARE(::fcntl(fd.get(), F_GETFD), descriptorFlags);
    QVERIFY(!socket.sendPacket("no"));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
}

void tst_SocketMisuse::negativeDescriptor()
{
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QVERIFY(!socket.setSocketDescriptor(-1));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(socket.errorString().contains(QStringLiteral("setSocketDescriptor")), qPrintable(socket.errorString()));

    // A number that is no open descriptor.
    int closed = ::dup(0);
    QVERIFY(closed >= 0);
    ::close(closed);
    QVERIFY(!socket.setSocketDescriptor(closed));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 2);
    QVERIFY(!TestUtil::isFdOpen(closed));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
}

void tst_SocketMisuse::sendWhileUnconnected()
{
    const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("mine"));
    auto check = [&](QSeqpacketSocket &socket, const char *when) {
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        QVERIFY2(!socket.sendPacket("data"), when);
        QVERIFY2(!socket.sendPacket("data", {memfd}), when);
        QVERIFY2(!socket.sendPacket(QSeqpacketPacket(QByteArray("packet"))), when);
        QVERIFY2(!socket.sendPacket(QList<QByteArrayView>{"pa", "rts"}), when);
        QVERIFY2(!socket.sendPacket(QList<QByteArrayView>{"pa", "rts"}, {memfd}), when);
        QCOMPARE(errors.size(), 5);
        for (const QList<QVariant> &arguments : std::as_const(errors))
            QCOMPARE(arguments.at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::OperationError);
        QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
        QVERIFY2(socket.errorString().contains(QStringLiteral("sendPacket")), qPrintable(socket.errorString()));
        QCOMPARE(socket.packetsToWrite(), qint64(0));
        QVERIFY(memfd.isValid() && TestUtil::isFdOpen(memfd.descriptor())); // still the caller's
    };

    QSeqpacketSocket fresh;
    check(fresh, "never connected");
    if (QTest::currentTestFailed())
        return;

    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> aborted(a), peer(b);
    aborted->abort();
    check(*aborted, "after abort()");
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(!peer->hasPendingPackets(), "nothing may reach the peer");

    auto [c, d] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> closedByPeer(c);
    delete d;
    QTRY_COMPARE_WITH_TIMEOUT(closedByPeer->state(), QSeqpacketSocket::UnconnectedState, LongTimeout);
    check(*closedByPeer, "after the peer closed");
}

void tst_SocketMisuse::sendInvalidDescriptor()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QSignalSpy errors(sender.get(), &QSeqpacketSocket::errorOccurred);
    const QSeqpacketFileDescriptor valid = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("valid"));
    QVERIFY(!sender->sendPacket("bad", {valid, QSeqpacketFileDescriptor()}));
    QCOMPARE(sender->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(sender->errorString().contains(QStringLiteral("sendPacket")), qPrintable(sender->errorString()));
    QVERIFY2(!receiver->hasPendingPackets(), "nothing may be sent");
    QCOMPARE(sender->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(sender->sendPacket("good", {valid}));
    const QSeqpacketPacket packet = takePacket(receiver.get());
    QCOMPARE(packet.data(), QByteArray("good"));
    QCOMPARE(packet.fileDescriptors().size(), 1);
}

void tst_SocketMisuse::negativeSizes()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender->sendPacket("keep me"));
    QVERIFY(receiver->hasPendingPackets());
    QSignalSpy errors(receiver.get(), &QSeqpacketSocket::errorOccurred);
    char buffer[32];

    QVERIFY(!receiver->receivePacket(-5).isValid());
    QCOMPARE(receiver->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(receiver->errorString().contains(QStringLiteral("receivePacket")), qPrintable(receiver->errorString()));

    QCOMPARE(receiver->receivePacket(buffer, -1), qint64(-1));
    QCOMPARE(receiver->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 2);

    QVERIFY(!receiver->peekPacket(-2).isValid());
    QCOMPARE(receiver->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 3);
    QVERIFY2(receiver->errorString().contains(QStringLiteral("peekPacket")), qPrintable(receiver->errorString()));

    bool truncated = false;
    QCOMPARE(receiver->peekPacket(buffer, -100, &truncated), qint64(-1));
    QCOMPARE(receiver->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 4);

    // None of them took the packet; -1 is the default: the whole packet.
    QCOMPARE(receiver->pendingPacketSize(), qint64(7));
    const QSeqpacketPacket packet = receiver->receivePacket(-1);
    QCOMPARE(packet.data(), QByteArray("keep me"));
    QVERIFY(!packet.isTruncated());
    QCOMPARE(receiver->state(), QSeqpacketSocket::ConnectedState);
}

void tst_SocketMisuse::nullBufferWithPositiveSize()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender->sendPacket("keep me too"));
    QVERIFY(receiver->hasPendingPackets());
    QSignalSpy errors(receiver.get(), &QSeqpacketSocket::errorOccurred);

    QCOMPARE(receiver->receivePacket(nullptr, 10), qint64(-1));
    QCOMPARE(receiver->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 1);
    QVERIFY2(receiver->errorString().contains(QStringLiteral("receivePacket")), qPrintable(receiver->errorString()));
    QCOMPARE(receiver->peekPacket(nullptr, 10), qint64(-1));
    QCOMPARE(receiver->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 2);

    // A real buffer of size 0 is no misuse: the packet is taken, and it did not fit.
    char buffer[4] = {'#', '#', '#', '#'};
    bool truncated = false;
    QCOMPARE(receiver->receivePacket(buffer, 0, &truncated), qint64(0));
    QVERIFY(truncated);
    QCOMPARE(buffer[0], '#');
    QCOMPARE(errors.size(), 2);
    QVERIFY(!receiver->hasPendingPackets());
}

void tst_SocketMisuse::receiveDescriptorLimitOutOfRange()
{
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    socket.setReceiveDescriptorLimit(-1);
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(socket.receiveDescriptorLimit(), 253);
    socket.setReceiveDescriptorLimit(254);
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QCOMPARE(errors.size(), 2);
    QVERIFY2(socket.errorString().contains(QStringLiteral("setReceiveDescriptorLimit")), qPrintable(socket.errorString()));
    QCOMPARE(socket.receiveDescriptorLimit(), 253);
}

void tst_SocketMisuse::unconnectedSocketQueries()
{
    QSeqpacketSocket socket;
    SignalLog log(&socket);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);
    QVERIFY(!socket.errorString().isEmpty());
    QCOMPARE(socket.socketDescriptor(), -1);
    QCOMPARE(socket.localAddress().kind(), QSeqpacketAddress::Unnamed);
    QCOMPARE(socket.peerAddress().kind(), QSeqpacketAddress::Unnamed);
    QVERIFY(!socket.peerCredentials().isValid());
    QVERIFY(!socket.hasPendingPackets());
    QCOMPARE(socket.pendingPacketSize(), qint64(-1));
    QVERIFY(!socket.receivePacket().isValid());
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QCOMPARE(socket.bytesToWrite(), qint64(0));
    QCOMPARE(socket.takeError(), QSeqpacketSocket::NoError);
    QCOMPARE(socket.releaseSocketDescriptor(), -1);
    socket.disconnectFromServer();
    socket.abort();
    QVERIFY(log.log.isEmpty()); // nothing to end: no signals
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);

    QVERIFY(socket.peerSecurityContext().isEmpty());
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QVERIFY(socket.errorString().contains(QStringLiteral("peerSecurityContext")));
    QVERIFY(!socket.peerProcessFileDescriptor().isValid());
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QVERIFY(socket.errorString().contains(QStringLiteral("peerProcessFileDescriptor")));
    QCOMPARE(socket.duplicate(), nullptr);
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QVERIFY(socket.errorString().contains(QStringLiteral("duplicate")));
    QVERIFY(!socket.shutdown(QSeqpacketSocket::ShutdownBoth));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QVERIFY(socket.errorString().contains(QStringLiteral("shutdown")));
    // duplicate() and shutdown() emit errorOccurred(); the two queries set error() only.
    QCOMPARE(log.count(QStringLiteral("error:OperationError")), 2);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
}

QTEST_GUILESS_MAIN(tst_SocketMisuse)
#include "tst_socket_misuse.moc"
