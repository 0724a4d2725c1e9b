// SPDX-License-Identifier: MIT
// A socket's life when the system calls fail (testsupport/faultinject): making the socket
// (socket, socketpair: EMFILE), connecting (bind, connect: EINTR before and after the kernel
// connected, EAGAIN, a refusal), adopting a descriptor (the socket options read and set, fcntl,
// getpeername), duplicate(), the queries (getsockopt, getsockname, getpeername), the setters and
// shutdown(). A final failure is a specific SocketError and a message naming the call; nothing
// leaks (every test checks the descriptors), and a descriptor handed in stays the caller's.
#include <QSeqpacketSocket>

#include "faulttest.h"

#include <QtCore/QRegularExpression>

#include <algorithm>

using namespace FaultTest;
using TestUtil::sequencedPayload;

class tst_FaultSocket : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initFaultTestCase(); }
    void init() { startTest(); }
    void cleanup() { endTest(); }
    void cleanupTestCase() { reportPairs("tst_fault_socket"); }

    void socketOutOfDescriptors_data();
    void socketOutOfDescriptors();
    void socketpairOutOfDescriptors_data();
    void socketpairOutOfDescriptors();
    void bindFailureWhileConnecting();
    void connectInterruptedIsTransparent_data();
    void connectInterruptedIsTransparent();
    void connectBacklogFullIsRetried();
    void connectBacklogFullInWaitForConnected();
    void connectBacklogFullThenGiveUp();
    void connectRefused();
    void connectFailures_data();
    void connectFailures();
    void adoptionFailureWhileConnecting_data();
    void adoptionFailureWhileConnecting();
    void adoptionFailureInCreatePair();
    void setSocketDescriptorFailures_data();
    void setSocketDescriptorFailures();
    void duplicateFailures();
    void descriptorDuplicateFails();
    void queriesFail();
    void peerCredentialsFail();
    void peerIdentityQueriesFail();
    void settersFail();
    void perPacketProcessFileDescriptorProbe();
    void shutdownFails();
    void endOfInputWithFailingQueries();
    void releaseWithUnwritablePackets();
};

namespace {

// A raw listener on a fresh abstract name; its address for connectToServer().
struct Listener
{
    Listener()
    {
        name = TestUtil::uniqueAbstractName("fault");
        listening = raw.listenAbstract(name);
    }
    QSeqpacketAddress address() const { return QSeqpacketAddress::fromAbstractName(name); }

    TestUtil::RawListener raw;
    QByteArray name;
    bool listening = false;
};

QString reason(int error)
{
    return QString::fromLocal8Bit(strerror(error));
}

} // namespace

void tst_FaultSocket::socketOutOfDescriptors_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("EMFILE") << EMFILE;
    QTest::newRow("ENFILE") << ENFILE;
    QTest::newRow("ENOBUFS") << ENOBUFS;
}

void tst_FaultSocket::socketOutOfDescriptors()
{
    QFETCH(int, error);
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QSignalSpy states(&socket, &QSeqpacketSocket::stateChanged);
    FaultInject::fail(Call::Socket, error, 1, AF_UNIX);
    socket.connectToServer(listener.address());
    QCOMPARE(errors.count(), 1);
    QCOMPARE(socket.error(), QSeqpacketSocket::ResourceError);
    QCOMPARE(socket.errorString(), QStringLiteral("connectToServer: socket(AF_UNIX, SOCK_SEQPACKET): %1").arg(reason(error)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(states.count(), 0);
    // The next attempt works.
    socket.connectToServer(listener.address());
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
}

void tst_FaultSocket::socketpairOutOfDescriptors_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("EMFILE") << EMFILE;
    QTest::newRow("ENFILE") << ENFILE;
}

void tst_FaultSocket::socketpairOutOfDescriptors()
{
    QFETCH(int, error);
    FaultInject::fail(Call::Socketpair, error);
    auto [first, second] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> a(first), b(second);
    for (QSeqpacketSocket *socket : {a.get(), b.get()}) {
        QCOMPARE(socket->state(), QSeqpacketSocket::UnconnectedState);
        QCOMPARE(socket->error(), QSeqpacketSocket::ResourceError);
        QCOMPARE(socket->errorString(), QStringLiteral("createPair: socketpair: %1").arg(reason(error)));
        QVERIFY(!socket->sendPacket("x"));
    }
}

void tst_FaultSocket::bindFailureWhileConnecting()
{
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QSignalSpy states(&socket, &QSeqpacketSocket::stateChanged);
    FaultInject::fail(Call::Bind, EADDRINUSE);
    const QSeqpacketAddress bindAddress = QSeqpacketAddress::fromAbstractName(TestUtil::uniqueAbstractName("bind"));
    socket.connectToServer(listener.address(), bindAddress);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(socket.error(), QSeqpacketSocket::AddressInUseError);
    QCOMPARE(socket.errorString(),
             QStringLiteral("connectToServer: bind(%1): %2").arg(bindAddress.toString(), reason(EADDRINUSE)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(states.count(), 2); // connecting, then unconnected
    QCOMPARE(socket.socketDescriptor(), -1);
}

void tst_FaultSocket::connectInterruptedIsTransparent_data()
{
    QTest::addColumn<bool>("afterCall");
    QTest::newRow("before the kernel connected") << false;
    // The kernel connected, then the call was interrupted: connecting again says EISCONN.
    QTest::newRow("after the kernel connected") << true;
}

void tst_FaultSocket::connectInterruptedIsTransparent()
{
    QFETCH(bool, afterCall);
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QSignalSpy connected(&socket, &QSeqpacketSocket::connected);
    FaultInject::Fault interrupted;
    interrupted.call = Call::Connect;
    interrupted.error = EINTR;
    interrupted.afterCall = afterCall;
    const int rule = FaultInject::inject(interrupted);
    socket.connectToServer(listener.address());
    QCOMPARE(FaultInject::injected(rule), 1L);
    QCOMPARE(FaultInject::calls(Call::Connect), 2L);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(connected.count(), 1);
    QCOMPARE(errors.count(), 0);
    // One connection, and it works.
    UniqueFd accepted(listener.raw.acceptOne());
    QVERIFY(accepted.isValid());
    QVERIFY(socket.sendPacket(sequencedPayload(0, 10)));
    const QByteArray problem = expectSequence(accepted.get(), 0, 1);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QVERIFY(listener.raw.acceptOne(100) < 0);
}

void tst_FaultSocket::connectBacklogFullIsRetried()
{
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QSignalSpy connected(&socket, &QSeqpacketSocket::connected);
    const int rule = FaultInject::fail(Call::Connect, EAGAIN, 3);
    socket.connectToServer(listener.address());
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectingState);
    QVERIFY(waitUntil([&] { return connected.count() == 1; }));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(errors.count(), 0);
}

void tst_FaultSocket::connectBacklogFullInWaitForConnected()
{
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    const int rule = FaultInject::fail(Call::Connect, EAGAIN, 4);
    socket.connectToServer(listener.address());
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectingState);
    QVERIFY2(socket.waitForConnected(Timeout), qPrintable(socket.errorString()));
    QCOMPARE(FaultInject::injected(rule), 4L);
    // And a deadline that passes while the backlog stays full.
    QSeqpacketSocket late;
    FaultInject::fail(Call::Connect, EAGAIN, -1);
    late.connectToServer(listener.address());
    QVERIFY(!late.waitForConnected(50));
    QCOMPARE(late.error(), QSeqpacketSocket::TimeoutError);
    QCOMPARE(late.state(), QSeqpacketSocket::ConnectingState);
    late.abort();
}

void tst_FaultSocket::connectBacklogFullThenGiveUp()
{
    // disconnectFromServer() while the backlog stays full: the attempt ends at once, quietly
    // (no error), and its descriptor is closed; no retry comes later.
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    const int rule = FaultInject::fail(Call::Connect, EAGAIN, -1);
    socket.connectToServer(listener.address());
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectingState);
    socket.disconnectFromServer();
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    const long attempts = FaultInject::injected(rule);
    runEventLoop(100);
    QCOMPARE(FaultInject::injected(rule), attempts);
    QCOMPARE(errors.count(), 0);

    // A connection made after a retry, then released: the caller owns a connected descriptor,
    // and the retry timer is stopped with it.
    FaultInject::reset();
    FaultInject::fail(Call::Connect, EAGAIN, 1);
    QSeqpacketSocket retried;
    retried.connectToServer(listener.address());
    QVERIFY2(retried.waitForConnected(Timeout), qPrintable(retried.errorString()));
    UniqueFd released(retried.releaseSocketDescriptor());
    QVERIFY(released.isValid());
    QCOMPARE(retried.state(), QSeqpacketSocket::UnconnectedState);
    runEventLoop(50);
    QCOMPARE(retried.state(), QSeqpacketSocket::UnconnectedState);
    UniqueFd accepted(listener.raw.acceptOne(Timeout));
    QVERIFY(accepted.isValid());
    QVERIFY(TestUtil::rawSend(released.get(), "released"));
    TestUtil::RawPacket packet = TestUtil::rawReceive(accepted.get(), Timeout);
    QVERIFY(packet.ok);
    QCOMPARE(packet.data, QByteArray("released"));
}

void tst_FaultSocket::connectRefused()
{
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Connect, ECONNREFUSED);
    socket.connectToServer(listener.address());
    QCOMPARE(errors.count(), 1);
    QCOMPARE(socket.error(), QSeqpacketSocket::ConnectionRefusedError);
    QCOMPARE(socket.errorString(),
             QStringLiteral("connectToServer: connect(%1): %2").arg(listener.address().toString(), reason(ECONNREFUSED)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
}

void tst_FaultSocket::connectFailures_data()
{
    // Each errno connect() may end with, and the SocketError the user sees for it.
    QTest::addColumn<int>("error");
    QTest::addColumn<QSeqpacketSocket::SocketError>("expected");
    QTest::newRow("ENOENT") << ENOENT << QSeqpacketSocket::ServerNotFoundError;
    QTest::newRow("ENOTDIR") << ENOTDIR << QSeqpacketSocket::ServerNotFoundError;
    QTest::newRow("EACCES") << EACCES << QSeqpacketSocket::SocketAccessError;
    QTest::newRow("EPERM") << EPERM << QSeqpacketSocket::SocketAccessError;
    QTest::newRow("EROFS") << EROFS << QSeqpacketSocket::SocketAccessError;
    QTest::newRow("ECONNRESET") << ECONNRESET << QSeqpacketSocket::ConnectionResetError;
    QTest::newRow("ENAMETOOLONG") << ENAMETOOLONG << QSeqpacketSocket::InvalidAddressError;
    QTest::newRow("ENOMEM") << ENOMEM << QSeqpacketSocket::ResourceError;
    QTest::newRow("ENOBUFS") << ENOBUFS << QSeqpacketSocket::ResourceError;
    QTest::newRow("ENOTSOCK") << ENOTSOCK << QSeqpacketSocket::OperationError;
    QTest::newRow("EINVAL") << EINVAL << QSeqpacketSocket::OperationError;
    QTest::newRow("EALREADY") << EALREADY << QSeqpacketSocket::OperationError;
    QTest::newRow("EOPNOTSUPP") << EOPNOTSUPP << QSeqpacketSocket::UnsupportedOperationError;
    QTest::newRow("ENOSYS") << ENOSYS << QSeqpacketSocket::UnsupportedOperationError;
    QTest::newRow("EAFNOSUPPORT") << EAFNOSUPPORT << QSeqpacketSocket::UnsupportedOperationError;
    QTest::newRow("EPROTONOSUPPORT") << EPROTONOSUPPORT << QSeqpacketSocket::UnsupportedOperationError;
    QTest::newRow("ENOPROTOOPT") << ENOPROTOOPT << QSeqpacketSocket::UnsupportedOperationError;
    QTest::newRow("EPROTOTYPE") << EPROTOTYPE << QSeqpacketSocket::ConnectionRefusedError;
    QTest::newRow("EADDRINUSE") << EADDRINUSE << QSeqpacketSocket::AddressInUseError;
    QTest::newRow("EMSGSIZE") << EMSGSIZE << QSeqpacketSocket::PacketTooLargeError;
    QTest::newRow("ETOOMANYREFS") << ETOOMANYREFS << QSeqpacketSocket::TooManyDescriptorsError;
    QTest::newRow("EPIPE") << EPIPE << QSeqpacketSocket::PeerClosedError;
    QTest::newRow("EXDEV") << EXDEV << QSeqpacketSocket::UnknownSocketError;
}

void tst_FaultSocket::connectFailures()
{
    // A final failure: errorOccurred() once, the SocketError for the errno, the call and the
    // system's reason in the message, the socket unconnected and its descriptor closed.
    QFETCH(int, error);
    QFETCH(QSeqpacketSocket::SocketError, expected);
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Connect, error);
    socket.connectToServer(listener.address());
    QCOMPARE(errors.count(), 1);
    QCOMPARE(socket.error(), expected);
    QCOMPARE(socket.errorString(),
             QStringLiteral("connectToServer: connect(%1): %2").arg(listener.address().toString(), reason(error)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
}

void tst_FaultSocket::adoptionFailureWhileConnecting_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("option");
    QTest::addColumn<QString>("what");
    QTest::addColumn<int>("setup"); // 0: none, 1: per-packet credentials, 2: per-packet pidfd, 3: buffer sizes
    QTest::addColumn<long>("from"); // which of the library's calls of that option fails
    QTest::addColumn<bool>("connects"); // whether connect() was made before the failure
    QTest::newRow("SO_TIMESTAMP") << int(Call::Setsockopt) << int(SO_TIMESTAMP) << QStringLiteral("setsockopt(SO_TIMESTAMP)") << 0 << 1L << true;
    QTest::newRow("SO_PASSCRED read") << int(Call::Getsockopt) << int(SO_PASSCRED) << QStringLiteral("getsockopt(SO_PASSCRED)") << 0 << 1L << true;
    // Per-packet credentials and pidfds are asked for before connect() (a server that writes at
    // once must not get its first packets out without them), and again on the connected socket.
    QTest::newRow("SO_PASSCRED before connect") << int(Call::Setsockopt) << int(SO_PASSCRED) << QStringLiteral("setsockopt(SO_PASSCRED)") << 1 << 1L << false;
    QTest::newRow("SO_PASSCRED set") << int(Call::Setsockopt) << int(SO_PASSCRED) << QStringLiteral("setsockopt(SO_PASSCRED)") << 1 << 2L << true;
    QTest::newRow("SO_PASSPIDFD before connect") << int(Call::Setsockopt) << 76 << QStringLiteral("setsockopt(SO_PASSPIDFD)") << 2 << 1L << false;
    QTest::newRow("SO_PASSPIDFD set") << int(Call::Setsockopt) << 76 << QStringLiteral("setsockopt(SO_PASSPIDFD)") << 2 << 2L << true;
    QTest::newRow("SO_SNDBUF set") << int(Call::Setsockopt) << int(SO_SNDBUF) << QStringLiteral("setsockopt(SO_SNDBUF)") << 3 << 1L << true;
    QTest::newRow("SO_RCVBUF set") << int(Call::Setsockopt) << int(SO_RCVBUF) << QStringLiteral("setsockopt(SO_RCVBUF)") << 3 << 1L << true;
}

void tst_FaultSocket::adoptionFailureWhileConnecting()
{
    // The socket cannot be set up: it is closed, the error names the option, and the socket is
    // unconnected (where the connection was made, the server sees it end).
    QFETCH(int, call);
    QFETCH(int, option);
    QFETCH(QString, what);
    QFETCH(int, setup);
    QFETCH(long, from);
    QFETCH(bool, connects);
    Listener listener;
    QVERIFY(listener.listening);
    QSeqpacketSocket socket;
    if (setup == 1)
        QVERIFY(socket.setPerPacketCredentials(true));
    if (setup == 2 && !socket.setPerPacketProcessFileDescriptor(true))
        QSKIP("this kernel has no SO_PASSPIDFD");
    if (setup == 3) {
        QVERIFY(socket.setSendBufferSize(65536));
        QVERIFY(socket.setReceiveBufferSize(65536));
    }
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QSignalSpy connected(&socket, &QSeqpacketSocket::connected);
    FaultInject::Fault fault;
    fault.call = Call(call);
    fault.error = ENOMEM;
    fault.from = from;
    fault.selector = option;
    FaultInject::inject(fault);
    socket.connectToServer(listener.address());
    QCOMPARE(errors.count(), 1);
    QCOMPARE(socket.error(), QSeqpacketSocket::ResourceError);
    QCOMPARE(socket.errorString(), QStringLiteral("connectToServer: %1: %2").arg(what, reason(ENOMEM)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    QCOMPARE(connected.count(), 0);
    UniqueFd accepted(listener.raw.acceptOne(connects ? 10000 : 100));
    QCOMPARE(accepted.isValid(), connects);
    if (connects) {
        const TestUtil::RawPacket end = TestUtil::rawReceive(accepted.get());
        QVERIFY(end.eof);
    }
}

void tst_FaultSocket::adoptionFailureInCreatePair()
{
    // The first socket cannot be set up: it is unconnected with the error, and the second sees
    // the connection end.
    FaultInject::fail(Call::Setsockopt, ENOBUFS, 1, SO_TIMESTAMP);
    auto [first, second] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> a(first), b(second);
    QCOMPARE(a->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(a->errorString(), QStringLiteral("createPair: setsockopt(SO_TIMESTAMP): %1").arg(reason(ENOBUFS)));
    QCOMPARE(b->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(b->waitForDisconnected(Timeout));
    // And the second.
    FaultInject::Fault later;
    later.call = Call::Setsockopt;
    later.error = ENOBUFS;
    later.selector = SO_TIMESTAMP;
    later.from = 2;
    FaultInject::inject(later);
    auto [fifth, sixth] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> e(fifth), f(sixth);
    QCOMPARE(e->state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(f->state(), QSeqpacketSocket::UnconnectedState);
    QVERIFY(e->waitForDisconnected(Timeout));
}

void tst_FaultSocket::setSocketDescriptorFailures_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("selector");
    QTest::addColumn<int>("error");
    QTest::addColumn<bool>("plainDescriptor"); // blocking and not close-on-exec: fcntl has to set both
    QTest::addColumn<QString>("message"); // %1: the descriptor, %2: the system's reason
    QTest::newRow("SO_DOMAIN ENOTSOCK") << int(Call::Getsockopt) << int(SO_DOMAIN) << ENOTSOCK << false
                                        << QStringLiteral("setSocketDescriptor: descriptor %1 is not a socket");
    QTest::newRow("SO_DOMAIN ENOBUFS") << int(Call::Getsockopt) << int(SO_DOMAIN) << ENOBUFS << false
                                       << QStringLiteral("setSocketDescriptor: descriptor %1: %2");
    QTest::newRow("SO_TYPE ENOBUFS") << int(Call::Getsockopt) << int(SO_TYPE) << ENOBUFS << false
                                     << QStringLiteral("setSocketDescriptor: descriptor %1: getsockopt(SO_TYPE): %2");
    QTest::newRow("SO_ACCEPTCONN ENOBUFS") << int(Call::Getsockopt) << int(SO_ACCEPTCONN) << ENOBUFS << false
                                           << QStringLiteral("setSocketDescriptor: descriptor %1: getsockopt(SO_ACCEPTCONN): %2");
    QTest::newRow("getpeername ENOTCONN") << int(Call::Getpeername) << FaultInject::AnySelector << ENOTCONN << false
                                          << QStringLiteral("setSocketDescriptor: descriptor %1 is not connected");
    QTest::newRow("getpeername ENOBUFS") << int(Call::Getpeername) << FaultInject::AnySelector << ENOBUFS << false
                                         << QStringLiteral("setSocketDescriptor: getpeername(%1): %2");
    QTest::newRow("F_GETFL") << int(Call::Fcntl) << int(F_GETFL) << EBADF << true
                             << QStringLiteral("setSocketDescriptor: fcntl: %2");
    QTest::newRow("F_SETFL") << int(Call::Fcntl) << int(F_SETFL) << EBADF << true
                             << QStringLiteral("setSocketDescriptor: fcntl: %2");
    QTest::newRow("F_GETFD") << int(Call::Fcntl) << int(F_GETFD) << EBADF << true
                             << QStringLiteral("setSocketDescriptor: fcntl: %2");
    QTest::newRow("F_SETFD") << int(Call::Fcntl) << int(F_SETFD) << EBADF << true
                             << QStringLiteral("setSocketDescriptor: fcntl: %2");
    QTest::newRow("SO_TIMESTAMP") << int(Call::Setsockopt) << int(SO_TIMESTAMP) << ENOMEM << false
                                  << QStringLiteral("setSocketDescriptor: setsockopt(SO_TIMESTAMP): %2");
}

void tst_FaultSocket::setSocketDescriptorFailures()
{
    // The descriptor is refused with a message naming what failed, and stays the caller's: open,
    // connected, untouched by the socket.
    QFETCH(int, call);
    QFETCH(int, selector);
    QFETCH(int, error);
    QFETCH(bool, plainDescriptor);
    QFETCH(QString, message);
    UniqueFd mine, peer;
    QVERIFY(TestUtil::rawSocketPair(&mine, &peer, SOCK_SEQPACKET, !plainDescriptor));
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call(call), error, 1, selector);
    QVERIFY(!socket.setSocketDescriptor(mine.get()));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(socket.errorString(), QString(message).replace(QLatin1String("%1"), QString::number(mine.get()))
                                           .replace(QLatin1String("%2"), reason(error)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.socketDescriptor(), -1);
    QVERIFY(TestUtil::isFdOpen(mine.get()));
    // Still a working connection, the caller's to use (or to hand in again).
    QVERIFY(TestUtil::rawSend(mine.get(), "still mine"));
    QCOMPARE(TestUtil::rawReceive(peer.get()).data, QByteArray("still mine"));
    QVERIFY(socket.setSocketDescriptor(mine.get()));
    mine.release();
}

void tst_FaultSocket::duplicateFailures()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Fcntl, EMFILE, 1, F_DUPFD_CLOEXEC);
    QCOMPARE(pair.socket->duplicate(), nullptr);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QCOMPARE(pair.socket->errorString(), QStringLiteral("duplicate: fcntl(F_DUPFD_CLOEXEC): %1").arg(reason(EMFILE)));

    // The copy is made but cannot be adopted: it is closed again.
    FaultInject::fail(Call::Setsockopt, ENOMEM, 1, SO_TIMESTAMP);
    QCOMPARE(pair.socket->duplicate(), nullptr);
    QCOMPARE(errors.count(), 2);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("duplicate: setSocketDescriptor: setsockopt(SO_TIMESTAMP): %1").arg(reason(ENOMEM)));
    // The original goes on.
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
    std::unique_ptr<QSeqpacketSocket> copy(pair.socket->duplicate());
    QVERIFY(copy);
}

void tst_FaultSocket::descriptorDuplicateFails()
{
    // QSeqpacketFileDescriptor::duplicate() out of descriptors: an invalid one and a warning
    // naming the call; the original stays open.
    const QSeqpacketFileDescriptor original = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("original"));
    QVERIFY(original.isValid());
    FaultInject::fail(Call::Fcntl, EMFILE, 1, F_DUPFD_CLOEXEC);
    QTest::ignoreMessage(QtWarningMsg,
                         qPrintable(QStringLiteral("QSeqpacketFileDescriptor::duplicate: fcntl(F_DUPFD_CLOEXEC): %1").arg(reason(EMFILE))));
    const QSeqpacketFileDescriptor copy = original.duplicate();
    QVERIFY(!copy.isValid());
    QVERIFY(TestUtil::isFdOpen(original.descriptor()));
    const QSeqpacketFileDescriptor second = original.duplicate();
    QVERIFY(second.isValid());
    QCOMPARE(TestUtil::preadAll(second.descriptor()), QByteArray("original"));
}

void tst_FaultSocket::queriesFail()
{
    // A query that cannot be answered says so in error(), without errorOccurred(): the
    // connection is fine.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);

    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_SNDBUF);
    QCOMPARE(pair.socket->sendBufferSize(), qint64(-1));
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QCOMPARE(pair.socket->errorString(), QStringLiteral("sendBufferSize: getsockopt(SO_SNDBUF): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_SNDBUF);
    QCOMPARE(pair.socket->maxPacketSize(), qint64(-1));
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_RCVBUF);
    QCOMPARE(pair.socket->receiveBufferSize(), qint64(-1));
    QCOMPARE(pair.socket->errorString(), QStringLiteral("receiveBufferSize: getsockopt(SO_RCVBUF): %1").arg(reason(ENOBUFS)));
    QCOMPARE(errors.count(), 0);

    FaultInject::fail(Call::Getsockname, ENOBUFS);
    QCOMPARE(pair.socket->localAddress().kind(), QSeqpacketAddress::Unnamed);
    FaultInject::fail(Call::Getpeername, ENOBUFS);
    QCOMPARE(pair.socket->peerAddress().kind(), QSeqpacketAddress::Unnamed);

    // takeError() is the one query that reports through errorOccurred().
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_ERROR);
    QCOMPARE(pair.socket->takeError(), QSeqpacketSocket::ResourceError);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(pair.socket->errorString(), QStringLiteral("takeError: getsockopt(SO_ERROR): %1").arg(reason(ENOBUFS)));
    QCOMPARE(pair.socket->takeError(), QSeqpacketSocket::NoError);

    // Sending does not need SO_SNDBUF: a queued packet is not refused because it cannot be read.
    FaultInject::fail(Call::Send, EAGAIN);
    FaultInject::fail(Call::Getsockopt, ENOBUFS, -1, SO_SNDBUF);
    QVERIFY(pair.socket->sendPacket(sequencedPayload(0, 100)));
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    const QByteArray problem = expectSequence(pair.peer.get(), 0, 1);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
}

void tst_FaultSocket::peerCredentialsFail()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_PEERCRED);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("peerCredentials: getsockopt(SO_PEERCRED): %1").arg(reason(ENOBUFS))));
    QVERIFY(!pair.socket->peerCredentials().isValid());

    // Without the supplementary groups the credentials are still good.
    FaultInject::fail(Call::Getsockopt, EINVAL, 1, SO_PEERGROUPS);
    const QSeqpacketCredentials withoutGroups = pair.socket->peerCredentials();
    QVERIFY(withoutGroups.isValid());
    QVERIFY(withoutGroups.supplementaryGroups().isEmpty());
    QCOMPARE(withoutGroups.processId(), qint64(::getpid()));

    // ERANGE: the buffer was too small; asked again with more room.
    const int rule = FaultInject::fail(Call::Getsockopt, ERANGE, 1, SO_PEERGROUPS);
    const QSeqpacketCredentials withGroups = pair.socket->peerCredentials();
    QCOMPARE(FaultInject::injected(rule), 1L);
    QVERIFY(withGroups.isValid());
    QList<uint> groups = withGroups.supplementaryGroups();
    QList<uint> own = QSeqpacketCredentials::currentProcess().supplementaryGroups();
    std::sort(groups.begin(), groups.end());
    std::sort(own.begin(), own.end());
    QCOMPARE(groups, own);
}

void tst_FaultSocket::peerIdentityQueriesFail()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);

    FaultInject::fail(Call::Getsockopt, EINVAL, 1, SO_PEERSEC);
    QVERIFY(pair.socket->peerSecurityContext().isEmpty());
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::OperationError);
    QCOMPARE(pair.socket->errorString(), QStringLiteral("peerSecurityContext: getsockopt(SO_PEERSEC): %1").arg(reason(EINVAL)));
    FaultInject::fail(Call::Getsockopt, ENOPROTOOPT, 1, SO_PEERSEC);
    QVERIFY(pair.socket->peerSecurityContext().isEmpty());
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::UnsupportedOperationError);
    // ERANGE: asked again with a larger buffer (the answer is then whatever this system has).
    const int rule = FaultInject::fail(Call::Getsockopt, ERANGE, 1, SO_PEERSEC);
    pair.socket->peerSecurityContext();
    QCOMPARE(FaultInject::injected(rule), 1L);

    constexpr int SoPeerPidfd = 77;
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SoPeerPidfd);
    QVERIFY(!pair.socket->peerProcessFileDescriptor().isValid());
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("peerProcessFileDescriptor: getsockopt(SO_PEERPIDFD): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Getsockopt, ENOPROTOOPT, 1, SoPeerPidfd);
    QVERIFY(!pair.socket->peerProcessFileDescriptor().isValid());
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::UnsupportedOperationError);
    QCOMPARE(errors.count(), 0);
}

void tst_FaultSocket::settersFail()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    constexpr int SoPassPidfd = 76;
    constexpr int SoPassRights = 83;

    FaultInject::fail(Call::Setsockopt, ENOBUFS, 1, SO_SNDBUF);
    QVERIFY(!pair.socket->setSendBufferSize(65536));
    QCOMPARE(pair.socket->errorString(), QStringLiteral("setSendBufferSize: setsockopt(SO_SNDBUF): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Setsockopt, ENOBUFS, 1, SO_RCVBUF);
    QVERIFY(!pair.socket->setReceiveBufferSize(65536));
    QCOMPARE(pair.socket->errorString(), QStringLiteral("setReceiveBufferSize: setsockopt(SO_RCVBUF): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Setsockopt, ENOBUFS, 1, SO_PASSCRED);
    QVERIFY(!pair.socket->setPerPacketCredentials(true));
    QVERIFY(!pair.socket->perPacketCredentials());
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("setPerPacketCredentials: setsockopt(SO_PASSCRED): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Setsockopt, ENOBUFS, 1, SoPassPidfd);
    QVERIFY(!pair.socket->setPerPacketProcessFileDescriptor(true));
    QVERIFY(!pair.socket->perPacketProcessFileDescriptor());
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("setPerPacketProcessFileDescriptor: setsockopt(SO_PASSPIDFD): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Setsockopt, ENOPROTOOPT, 1, SoPassPidfd);
    QVERIFY(!pair.socket->setPerPacketProcessFileDescriptor(true));
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::UnsupportedOperationError);
    QCOMPARE(errors.count(), 5);

    // SO_PASSRIGHTS: a kernel without it (ENOPROTOOPT) is no error, the limit works without it.
    FaultInject::fail(Call::Setsockopt, ENOPROTOOPT, 1, SoPassRights);
    pair.socket->setReceiveDescriptorLimit(0);
    QCOMPARE(errors.count(), 5);
    QCOMPARE(pair.socket->receiveDescriptorLimit(), 0);
    FaultInject::fail(Call::Setsockopt, EPERM, 1, SoPassRights);
    pair.socket->setReceiveDescriptorLimit(10);
    QCOMPARE(errors.count(), 6);
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("setReceiveDescriptorLimit: setsockopt(SO_PASSRIGHTS): %1").arg(reason(EPERM)));
    // The connection is fine.
    QVERIFY(pair.socket->sendPacket(sequencedPayload(0, 10)));
    const QByteArray problem = expectSequence(pair.peer.get(), 0, 1);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSocket::perPacketProcessFileDescriptorProbe()
{
    // Unconnected, setPerPacketProcessFileDescriptor(true) asks a probe socket whether the kernel
    // has SO_PASSPIDFD. Without a probe (no descriptors) it cannot tell, and the connection will say.
    {
        QSeqpacketSocket socket;
        FaultInject::fail(Call::Socket, EMFILE, 1, AF_UNIX);
        QVERIFY(socket.setPerPacketProcessFileDescriptor(true));
    }
    {
        QSeqpacketSocket socket;
        FaultInject::fail(Call::Getsockopt, ENOPROTOOPT, 1, 76);
        QVERIFY(!socket.setPerPacketProcessFileDescriptor(true));
        QCOMPARE(socket.error(), QSeqpacketSocket::UnsupportedOperationError);
    }
}

void tst_FaultSocket::shutdownFails()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Shutdown, ENOBUFS);
    QVERIFY(!pair.socket->shutdown(QSeqpacketSocket::ShutdownRead));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(pair.socket->errorString(), QStringLiteral("shutdown: shutdown(SHUT_RD): %1").arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Shutdown, ENOBUFS);
    QVERIFY(!pair.socket->shutdown(QSeqpacketSocket::ShutdownWrite));
    QCOMPARE(errors.count(), 2);
    QCOMPARE(pair.socket->errorString(), QStringLiteral("shutdown: shutdown(SHUT_WR): %1").arg(reason(ENOBUFS)));
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
}

void tst_FaultSocket::endOfInputWithFailingQueries()
{
    // At the end of input the socket asks poll() whether the peer is gone and SO_ERROR whether it
    // reset; where neither answers, the end is still the end.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy disconnected(pair.socket.get(), &QSeqpacketSocket::disconnected);
    FaultInject::fail(Call::Poll, ENOMEM, 1, POLLOUT);
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_ERROR);
    QVERIFY(TestUtil::rawSend(pair.peer.get(), sequencedPayload(0, 10)));
    pair.peer.reset();
    QVERIFY(waitUntil([&] { return disconnected.count() == 1; }));
    QCOMPARE(TestUtil::sequenceOf(pair.socket->receivePacket().data()), 0);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::UnconnectedState);
}

void tst_FaultSocket::releaseWithUnwritablePackets()
{
    // releaseSocketDescriptor() tries once to write the queue; what the kernel does not take is
    // dropped with a warning, and the descriptor is the caller's.
    RawPeered pair;
    QVERIFY(pair.isValid());
    FaultInject::fail(Call::Send, EAGAIN);
    FaultInject::fail(Call::Sendmmsg, EAGAIN, -1);
    QVERIFY(pair.socket->sendPacket(sequencedPayload(0, 10)));
    QVERIFY(pair.socket->sendPacket(sequencedPayload(1, 10)));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("releaseSocketDescriptor: dropping 2 packets")));
    UniqueFd released(pair.socket->releaseSocketDescriptor());
    QVERIFY(released.isValid());
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::UnconnectedState);
}

QTEST_GUILESS_MAIN(tst_FaultSocket)
#include "tst_fault_socket.moc"
