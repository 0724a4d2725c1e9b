// SPDX-License-Identifier: MIT
// QSeqpacketSocket: making a connection and knowing the peer. connectToServer() (synchronous
// success, each failure's error, binding first, a full backlog), createPair(), adopting,
// releasing and duplicating a descriptor, addresses, and the peer process's identity: peer
// credentials, per-packet credentials, security context and pidfd.
#include <QSeqpacketSocket>

#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

using namespace SocketTest;
using TestUtil::UniqueFd;

class tst_SocketConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void connectToServerIsSynchronous();
    void connectToPath();
    void connectWithBindAddress();
    void connectWithUnnamedBindAddressAutobinds();
    void bindAddressInUse();
    void serverNotFound();
    void connectionRefused();
    void fullBacklogKeepsConnecting();
    void createPair();
    void adoptDescriptor();
    void releaseDescriptor();
    void duplicateSocket();
    void crossProcessPeerCredentials();
    void crossProcessPeerCredentialsOfConnectingPeer();
    void crossProcessPerPacketCredentials();
    void perPacketCredentialsInProcess();
    void crossProcessSecurityContext();
    void crossProcessPidfd();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketConnection::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL);
    warmUp();
}

void tst_SocketConnection::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketConnection::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

void tst_SocketConnection::connectToServerIsSynchronous()
{
    TestUtil::RawListener listener;
    const QByteArray name = TestUtil::uniqueAbstractName("sync");
    QVERIFY(listener.listenAbstract(name));
    QSeqpacketSocket socket;
    SignalLog log(&socket);
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(name));
    // Connected, and connected() already emitted, when connectToServer() returns.
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(log.log, QStringList({QStringLiteral("state:ConnectingState"), QStringLiteral("state:ConnectedState"),
                                   QStringLiteral("connected")}));
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);
    QVERIFY(socket.socketDescriptor() >= 0);
    QVERIFY(TestUtil::isNonBlocking(socket.socketDescriptor()));
    QCOMPARE(socket.localAddress().kind(), QSeqpacketAddress::Unnamed); // the one-argument form does not bind
    QCOMPARE(socket.peerAddress(), QSeqpacketAddress::fromAbstractName(name));

    UniqueFd accepted(listener.acceptOne());
    QVERIFY(accepted.isValid());
    QVERIFY(socket.sendPacket("to the server"));
    QCOMPARE(TestUtil::rawReceive(accepted.get()).data, QByteArray("to the server"));
    QVERIFY(TestUtil::rawSend(accepted.get(), "to the client"));
    QCOMPARE(takePacket(&socket).data(), QByteArray("to the client"));
}

void tst_SocketConnection::connectToPath()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("server.sock"));
    TestUtil::RawListener listener;
    QVERIFY(listener.listenPath(QFile::encodeName(path)));
    QSeqpacketSocket socket;
    socket.connectToServer(QSeqpacketAddress::fromPath(path));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(socket.peerAddress().kind(), QSeqpacketAddress::Path);
    QCOMPARE(socket.peerAddress().path(), path);
    UniqueFd accepted(listener.acceptOne());
    QVERIFY(accepted.isValid());
    QVERIFY(TestUtil::rawSend(accepted.get(), "over a path"));
    QCOMPARE(takePacket(&socket).data(), QByteArray("over a path"));
}

void tst_SocketConnection::connectWithBindAddress()
{
    TestUtil::RawListener listener;
    const QByteArray name = TestUtil::uniqueAbstractName("bind-server");
    QVERIFY(listener.listenAbstract(name));
    const QSeqpacketAddress bindAddress = QSeqpacketAddress::fromAbstractName(TestUtil::uniqueAbstractName("bind-client"));
    QSeqpacketSocket socket;
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(name), bindAddress);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(socket.localAddress(), bindAddress);

    // The server sees the client's name.
    QSeqpacketSocket serverSide;
    QVERIFY(serverSide.setSocketDescriptor(listener.acceptOne()));
    QCOMPARE(serverSide.peerAddress(), bindAddress);
    QCOMPARE(serverSide.localAddress(), QSeqpacketAddress::fromAbstractName(name));

    // A path as the bind address.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString clientPath = dir.filePath(QStringLiteral("client.sock"));
    QSeqpacketSocket pathClient;
    pathClient.connectToServer(QSeqpacketAddress::fromAbstractName(name), QSeqpacketAddress::fromPath(clientPath));
    QCOMPARE(pathClient.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(pathClient.localAddress().kind(), QSeqpacketAddress::Path);
    QCOMPARE(pathClient.localAddress().path(), clientPath);
    QVERIFY(QFile::exists(clientPath));
    const UniqueFd second(listener.acceptOne());
    QVERIFY(second.isValid());
}

void tst_SocketConnection::connectWithUnnamedBindAddressAutobinds()
{
    TestUtil::RawListener listener;
    const QByteArray name = TestUtil::uniqueAbstractName("autobind");
    QVERIFY(listener.listenAbstract(name));
    QSeqpacketSocket socket;
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(name), QSeqpacketAddress());
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    const QSeqpacketAddress local = socket.localAddress();
    QCOMPARE(local.kind(), QSeqpacketAddress::Abstract); // the kernel picked a name
    QVERIFY(!local.abstractName().isEmpty());
    QSeqpacketSocket serverSide;
    QVERIFY(serverSide.setSocketDescriptor(listener.acceptOne()));
    QCOMPARE(serverSide.peerAddress(), local);
}

void tst_SocketConnection::bindAddressInUse()
{
    TestUtil::RawListener listener, taken;
    const QByteArray name = TestUtil::uniqueAbstractName("inuse-server");
    const QByteArray takenName = TestUtil::uniqueAbstractName("inuse-taken");
    QVERIFY(listener.listenAbstract(name));
    QVERIFY(taken.listenAbstract(takenName));
    QSeqpacketSocket socket;
    SignalLog log(&socket);
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(name), QSeqpacketAddress::fromAbstractName(takenName));
    QCOMPARE(socket.error(), QSeqpacketSocket::AddressInUseError);
    QCOMPARE(log.count(QStringLiteral("error:AddressInUseError")), 1);
    QCOMPARE(log.count(QStringLiteral("connected")), 0);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    QVERIFY2(socket.errorString().contains(QStringLiteral("bind")), qPrintable(socket.errorString()));
    QVERIFY2(socket.errorString().contains(QString::fromLocal8Bit(strerror(EADDRINUSE))), qPrintable(socket.errorString()));
    QVERIFY2(TestUtil::rawReceive(listener.fd(), 0).timedOut, "no connection may reach the server");
}

void tst_SocketConnection::serverNotFound()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QSeqpacketSocket socket;
    SignalLog log(&socket);
    socket.connectToServer(QSeqpacketAddress::fromPath(dir.filePath(QStringLiteral("nobody.sock"))));
    QCOMPARE(socket.error(), QSeqpacketSocket::ServerNotFoundError);
    QCOMPARE(log.count(QStringLiteral("error:ServerNotFoundError")), 1);
    QCOMPARE(log.count(QStringLiteral("connected")), 0);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(log.log.last(), QStringLiteral("state:UnconnectedState"));
    QCOMPARE(socket.socketDescriptor(), -1);
    QVERIFY2(socket.errorString().contains(QStringLiteral("connect")), qPrintable(socket.errorString()));
    QVERIFY2(socket.errorString().contains(QString::fromLocal8Bit(strerror(ENOENT))), qPrintable(socket.errorString()));
}

void tst_SocketConnection::connectionRefused()
{
    // Nobody at an abstract name.
    {
        QSeqpacketSocket socket;
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        socket.connectToServer(QSeqpacketAddress::fromAbstractName(TestUtil::uniqueAbstractName("nobody")));
        QCOMPARE(socket.error(), QSeqpacketSocket::ConnectionRefusedError);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
        QVERIFY2(socket.errorString().contains(QString::fromLocal8Bit(strerror(ECONNREFUSED))), qPrintable(socket.errorString()));
    }
    // A socket file whose socket does not listen.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray path = QFile::encodeName(dir.filePath(QStringLiteral("bound-only.sock")));
    {
        UniqueFd bound(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
        sockaddr_un addr;
        const socklen_t length = TestUtil::fillSockaddr(&addr, path, false);
        QCOMPARE(::bind(bound.get(), reinterpret_cast<sockaddr *>(&addr), length), 0);
        QSeqpacketSocket socket;
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        socket.connectToServer(QSeqpacketAddress::fromNativePath(path));
        QCOMPARE(socket.error(), QSeqpacketSocket::ConnectionRefusedError);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    }
    // A stream server is no seqpacket server.
    {
        TestUtil::RawListener stream;
        QVERIFY(stream.listenAbstract(TestUtil::uniqueAbstractName("stream"), 4, SOCK_STREAM));
        QSeqpacketSocket socket;
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        socket.connectToServer(QSeqpacketAddress::fromAbstractName(stream.name()));
        QCOMPARE(socket.error(), QSeqpacketSocket::ConnectionRefusedError);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
        QCOMPARE(socket.socketDescriptor(), -1);
    }
}

void tst_SocketConnection::fullBacklogKeepsConnecting()
{
    // Backlog 0: one connection waits unaccepted, the next finds the backlog full.
    TestUtil::RawListener listener;
    const QByteArray name = TestUtil::uniqueAbstractName("backlog");
    QVERIFY(listener.listenAbstract(name, 0));
    UniqueFd first(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr;
    const socklen_t length = TestUtil::fillSockaddr(&addr, name, true);
    QCOMPARE(::connect(first.get(), reinterpret_cast<sockaddr *>(&addr), length), 0);

    QSeqpacketSocket socket;
    SignalLog log(&socket);
    socket.connectToServer(QSeqpacketAddress::fromAbstractName(name));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectingState);
    QCOMPARE(log.count(QStringLiteral("connected")), 0);
    QVERIFY(!log.log.join(QLatin1Char(' ')).contains(QStringLiteral("error:")));

    // A wait that times out says so, without errorOccurred().
    QVERIFY(!socket.waitForConnected(50));
    QCOMPARE(socket.error(), QSeqpacketSocket::TimeoutError);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectingState);
    QVERIFY(!log.log.join(QLatin1Char(' ')).contains(QStringLiteral("error:")));

    // Room in the backlog: the event loop completes the connection.
    UniqueFd acceptedFirst(listener.acceptOne());
    QVERIFY(acceptedFirst.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QSeqpacketSocket::ConnectedState, LongTimeout);
    QCOMPARE(log.count(QStringLiteral("connected")), 1);

    // The next client waits in connectToServer's ConnectingState until waitForConnected().
    QSeqpacketSocket second;
    second.connectToServer(QSeqpacketAddress::fromAbstractName(name));
    QCOMPARE(second.state(), QSeqpacketSocket::ConnectingState);
    UniqueFd acceptedSocket(listener.acceptOne());
    QVERIFY(acceptedSocket.isValid());
    QVERIFY(second.waitForConnected(LongTimeout));
    QCOMPARE(second.state(), QSeqpacketSocket::ConnectedState);
    UniqueFd acceptedSecond(listener.acceptOne());
    QVERIFY(TestUtil::rawSend(acceptedSecond.get(), "hello second"));
    QCOMPARE(takePacket(&second).data(), QByteArray("hello second"));

    // abort() ends a pending connection without disconnected().
    QSeqpacketSocket third, fourth;
    third.connectToServer(QSeqpacketAddress::fromAbstractName(name));
    fourth.connectToServer(QSeqpacketAddress::fromAbstractName(name));
    QCOMPARE(fourth.state(), QSeqpacketSocket::ConnectingState);
    QSignalSpy disconnected(&fourth, &QSeqpacketSocket::disconnected);
    fourth.abort();
    QCOMPARE(fourth.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(fourth.socketDescriptor(), -1);
    QCOMPARE(disconnected.size(), 0);
    third.abort();
}

void tst_SocketConnection::createPair()
{
    QObject parent;
    auto [a, b] = QSeqpacketSocket::createPair(&parent);
    QVERIFY(a && b);
    QCOMPARE(a->parent(), &parent);
    QCOMPARE(b->parent(), &parent);
    QCOMPARE(a->state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(b->state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(a->localAddress().kind(), QSeqpacketAddress::Unnamed);
    QCOMPARE(a->peerAddress().kind(), QSeqpacketAddress::Unnamed);
    QCOMPARE(a->peerCredentials().processId(), qint64(::getpid()));
    QVERIFY(a->sendPacket("a to b"));
    QVERIFY(b->sendPacket("b to a"));
    QCOMPARE(takePacket(b).data(), QByteArray("a to b"));
    QCOMPARE(takePacket(a).data(), QByteArray("b to a"));

    auto [c, d] = QSeqpacketSocket::createPair();
    QCOMPARE(c->parent(), nullptr);
    delete c;
    delete d;
}

void tst_SocketConnection::adoptDescriptor()
{
    UniqueFd ours, theirs;
    QVERIFY(TestUtil::rawSocketPair(&ours, &theirs, SOCK_SEQPACKET, false)); // blocking, no cloexec
    QVERIFY(!TestUtil::isNonBlocking(ours.get()));
    QSeqpacketSocket socket;
    SignalLog log(&socket);
    QVERIFY2(socket.setSocketDescriptor(ours.get()), qPrintable(socket.errorString()));
    const int fd = ours.release();
    QCOMPARE(socket.socketDescriptor(), fd);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(log.count(QStringLiteral("state:ConnectedState")), 1);
    QVERIFY(TestUtil::isNonBlocking(fd));
    QVERIFY(TestUtil::hasCloexec(fd));
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);

    QVERIFY(socket.sendPacket("adopted"));
    QCOMPARE(TestUtil::rawReceive(theirs.get()).data, QByteArray("adopted"));
    QVERIFY(TestUtil::rawSend(theirs.get(), "back"));
    QCOMPARE(takePacket(&socket).data(), QByteArray("back"));
}

void tst_SocketConnection::releaseDescriptor()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int fd = socket.socketDescriptor();
    QVERIFY(TestUtil::rawSend(raw.get(), "received before release"));
    QVERIFY(socket.hasPendingPackets());

    UniqueFd released(socket.releaseSocketDescriptor());
    QCOMPARE(released.get(), fd);
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    QCOMPARE(socket.releaseSocketDescriptor(), -1);
    QVERIFY(TestUtil::isFdOpen(fd));
    // Packets already received stay readable.
    QCOMPARE(socket.receivePacket().data(), QByteArray("received before release"));

    // Still open, still connected, usable with plain syscalls.
    QVERIFY(TestUtil::rawSend(released.get(), "raw after release"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("raw after release"));
    QVERIFY(TestUtil::rawSend(raw.get(), "to the released descriptor"));
    QTest::qWait(20); // the socket must not read it any more
    QVERIFY(!socket.hasPendingPackets());
    QCOMPARE(TestUtil::rawReceive(released.get()).data, QByteArray("to the released descriptor"));
    QVERIFY(!socket.sendPacket("unconnected"));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
}

void tst_SocketConnection::duplicateSocket()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QObject parent;
    QSeqpacketSocket *copy = socket.duplicate(&parent);
    QVERIFY2(copy, qPrintable(socket.errorString()));
    QCOMPARE(copy->parent(), &parent);
    QCOMPARE(copy->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(copy->socketDescriptor() != socket.socketDescriptor());
    QCOMPARE(TestUtil::fileIdentity(copy->socketDescriptor()), TestUtil::fileIdentity(socket.socketDescriptor()));

    QVERIFY(copy->sendPacket("from the copy"));
    QVERIFY(socket.sendPacket("from the original"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("from the copy"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("from the original"));

    QVERIFY(TestUtil::rawSend(raw.get(), "to either"));
    QCOMPARE(takePacket(copy).data(), QByteArray("to either"));
    QVERIFY(!socket.hasPendingPackets());

    delete copy; // the original goes on
    QVERIFY(TestUtil::rawSend(raw.get(), "to the original"));
    QCOMPARE(takePacket(&socket).data(), QByteArray("to the original"));
    QVERIFY(socket.sendPacket("still here"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("still here"));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
}

void tst_SocketConnection::crossProcessPeerCredentials()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "creds"), QByteArray());
    const QSeqpacketCredentials credentials = socket.peerCredentials();
    QVERIFY(credentials.isValid());
    QCOMPARE(credentials.processId(), peer.pid());
    QVERIFY(credentials.processId() != qint64(::getpid()));
    QCOMPARE(credentials.userId(), uint(::geteuid()));
    QCOMPARE(credentials.groupId(), uint(::getegid()));

    // The same as the peer says of itself.
    QVERIFY(socket.sendPacket("ids"));
    const QByteArray ids = takePacket(&socket).data();
    QCOMPARE(ids, QByteArray::number(peer.pid()) + ' ' + QByteArray::number(::geteuid()) + ' '
                 + QByteArray::number(::getegid()));
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketConnection::crossProcessPeerCredentialsOfConnectingPeer()
{
    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("creds-connect")));
    PeerProcess peer;
    QVERIFY(peer.startConnecting(listener.peerArgument()));
    UniqueFd accepted(listener.acceptOne(LongTimeout));
    QVERIFY(accepted.isValid());
    QSeqpacketSocket socket;
    QVERIFY(socket.setSocketDescriptor(accepted.release()));
    QCOMPARE(socket.peerCredentials().processId(), peer.pid());
    QCOMPARE(socket.peerCredentials().userId(), uint(::geteuid()));
    QCOMPARE(socket.peerCredentials().groupId(), uint(::getegid()));
    QVERIFY(socket.sendPacket("exit"));
    QVERIFY(peer.finish());
}

void tst_SocketConnection::crossProcessPerPacketCredentials()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    QVERIFY(socket.setPerPacketCredentials(true));
    QVERIFY(socket.perPacketCredentials());
    QCOMPARE(connectToListeningPeer(&peer, &socket, "packet-creds"), QByteArray());

    QVERIFY(socket.sendPacket("ids"));
    QVERIFY(socket.sendPacket("echo one"));
    for (int i = 0; i < 2; ++i) {
        const QSeqpacketPacket packet = takePacket(&socket);
        QVERIFY(packet.isValid());
        const QSeqpacketCredentials credentials = packet.credentials();
        QVERIFY2(credentials.isValid(), "per-packet credentials are on");
        QCOMPARE(credentials.processId(), peer.pid());
        QCOMPARE(credentials.userId(), uint(::geteuid()));
        QCOMPARE(credentials.groupId(), uint(::getegid()));
    }

    QVERIFY(socket.setPerPacketCredentials(false));
    QVERIFY(!socket.perPacketCredentials());
    QVERIFY(socket.sendPacket("echo two"));
    const QSeqpacketPacket without = takePacket(&socket);
    QCOMPARE(without.data(), QByteArray("echo two"));
    QVERIFY(!without.credentials().isValid());
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketConnection::perPacketCredentialsInProcess()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(receiver->setPerPacketCredentials(true));
    QVERIFY(sender->sendPacket("mine"));
    const QSeqpacketPacket packet = takePacket(receiver.get());
    QCOMPARE(packet.credentials().processId(), qint64(::getpid()));
    QCOMPARE(packet.credentials().userId(), uint(::geteuid()));
    QCOMPARE(packet.credentials().groupId(), uint(::getegid()));
    QVERIFY(!QSeqpacketPacket(QByteArray("made here")).credentials().isValid());
}

void tst_SocketConnection::crossProcessSecurityContext()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "seccontext"), QByteArray());
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    const QByteArray context = socket.peerSecurityContext();
    if (context.isEmpty()) {
        QCOMPARE(socket.error(), QSeqpacketSocket::UnsupportedOperationError);
        QCOMPARE(errors.size(), 0); // a failed query is not a connection error
        QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
        QVERIFY(socket.errorString().contains(QStringLiteral("peerSecurityContext")));
    } else {
        QVERIFY2(!context.contains('\0'), context.toHex().constData());
        for (char c : context)
            QVERIFY2(c >= 0x20 && c < 0x7f, context.toHex().constData()); // a label, not garbage
    }
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState); // either way the socket goes on
    QVERIFY(socket.sendPacket("exit"));
    QVERIFY(peer.finish());
}

void tst_SocketConnection::crossProcessPidfd()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "pidfd"), QByteArray());
    {
        const QSeqpacketFileDescriptor pidfd = socket.peerProcessFileDescriptor();
        if (!pidfd.isValid()) {
            QCOMPARE(socket.error(), QSeqpacketSocket::UnsupportedOperationError);
        } else {
            QVERIFY(TestUtil::hasCloexec(pidfd.descriptor()));
            QFile info(QStringLiteral("/proc/self/fdinfo/%1").arg(pidfd.descriptor()));
            QVERIFY(info.open(QIODevice::ReadOnly));
            const QByteArray text = info.readAll();
            QVERIFY2(text.contains("\nPid:\t" + QByteArray::number(peer.pid()) + '\n'), text.constData());
        }
    }
    QVERIFY(socket.sendPacket("exit"));
    QVERIFY(peer.finish());
}

QTEST_GUILESS_MAIN(tst_SocketConnection)
#include "tst_socket_connection.moc"
