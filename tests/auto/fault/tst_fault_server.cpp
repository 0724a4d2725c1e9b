// SPDX-License-Identifier: MIT
// A server when the system calls fail (testsupport/faultinject): accept4() out of descriptors or
// memory (acceptError(), then a retry that backs off, without spinning), a client that gave up
// (ECONNABORTED, EPROTO: skipped silently), EINTR, any other failure; the accepted connection
// that cannot be set up; the peer filter when SO_PEERCRED cannot be read (it rejects); listen()
// failing at each step (socket, fchmod, bind, open, chmod, listen) with the socket file cleaned
// up; waitForNewConnection() with poll() failing; removeServer() when it cannot tell whether a
// server listens. Clients are raw sockets whose calls never fail; every test checks descriptors.
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QFileInfo>
#include <QtCore/QTemporaryDir>

#include "faulttest.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace FaultTest;
using TestUtil::sequencedPayload;

class tst_FaultServer : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        initFaultTestCase();
        QVERIFY(m_dir.isValid());
    }
    void init() { startTest(); }
    void cleanup() { endTest(); }
    void cleanupTestCase() { reportPairs("tst_fault_server"); }

    void acceptShortOfResourcesRetries_data();
    void acceptShortOfResourcesRetries();
    void acceptShortOfResourcesDoesNotSpin();
    void acceptOtherFailureDoesNotSpin();
    void acceptAbortedIsSkipped_data();
    void acceptAbortedIsSkipped();
    void acceptInterruptedIsTransparent();
    void waitForNewConnectionShortOfResources();
    void waitForNewConnectionPollFails();
    void acceptedConnectionCannotBeSetUp();
    void peerFilterWithoutCredentialsRejects_data();
    void peerFilterWithoutCredentialsRejects();
    void connectionFilterOnConnectionThatCannotBeSetUp();
    void credentialsFilterWithoutGroups();
    void listenFailures_data();
    void listenFailures();
    void setSocketDescriptorFailures();
    void removeServerCannotTell();
    void removeServerFailures();

private:
    QString socketPath(const char *tag) { return m_dir.filePath(QLatin1String(tag) + QString::number(++m_counter)); }

    QTemporaryDir m_dir;
    int m_counter = 0;
};

namespace {

QString reason(int error)
{
    return QString::fromLocal8Bit(strerror(error));
}

// A server listening on a fresh abstract name.
struct Listening
{
    Listening()
    {
        address = '@' + TestUtil::uniqueAbstractName("fault-server");
        ok = server.listen(QString::fromLatin1(address));
    }
    QSeqpacketServer server;
    QByteArray address;
    bool ok = false;
};

// A raw client that sends one packet once connected.
UniqueFd clientSending(const QByteArray &address, int sequence)
{
    UniqueFd client(TestUtil::rawConnect(address));
    if (client.isValid())
        TestUtil::rawSend(client.get(), sequencedPayload(sequence, 20));
    return client;
}

// The next pending connection's first packet is \a sequence.
QByteArray expectClient(QSeqpacketServer *server, int sequence)
{
    std::unique_ptr<QSeqpacketSocket> accepted(server->nextPendingConnection());
    if (!accepted)
        return "no pending connection";
    if (!accepted->waitForPacket(Timeout))
        return "no packet: " + accepted->errorString().toUtf8();
    const int got = TestUtil::sequenceOf(accepted->receivePacket().data());
    return got == sequence ? QByteArray() : "packet " + QByteArray::number(got);
}

} // namespace

void tst_FaultServer::acceptShortOfResourcesRetries_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("EMFILE") << EMFILE;
    QTest::newRow("ENFILE") << ENFILE;
    QTest::newRow("ENOBUFS") << ENOBUFS;
    QTest::newRow("ENOMEM") << ENOMEM;
}

void tst_FaultServer::acceptShortOfResourcesRetries()
{
    // acceptError() for each failure, the client waits in the backlog, and is accepted once
    // accept4() works again (retries after 50, 100, 200 ms).
    QFETCH(int, error);
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    const int rule = FaultInject::fail(Call::Accept4, error, 3);
    UniqueFd client = clientSending(listening.address, 7);
    QVERIFY(client.isValid());
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(acceptErrors.count(), 3);
    QCOMPARE(acceptErrors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::ResourceError);
    QCOMPARE(listening.server.serverError(), QSeqpacketSocket::ResourceError);
    QCOMPARE(listening.server.errorString(), QStringLiteral("accept: %1").arg(reason(error)));
    QVERIFY(listening.server.isListening());
    const QByteArray problem = expectClient(&listening.server, 7);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::acceptShortOfResourcesDoesNotSpin()
{
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    const int rule = FaultInject::fail(Call::Accept4, EMFILE, -1);
    UniqueFd client = clientSending(listening.address, 1);
    QVERIFY(client.isValid());
    const qint64 cpuBefore = TestUtil::cpuTimeMs();
    runEventLoop(1000);
    const qint64 cpuUsed = TestUtil::cpuTimeMs() - cpuBefore;
    const long attempts = FaultInject::injected(rule);
    FaultInject::reset();
    // 50 + 100 + 200 + 400 ms: at most 5 attempts in a second (spinning, many thousands).
    QVERIFY2(attempts >= 2 && attempts <= 6, QByteArray::number(qlonglong(attempts)).constData());
    QVERIFY2(cpuUsed < 300, QByteArray::number(cpuUsed).constData());
    QCOMPARE(acceptErrors.count(), int(attempts));
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    const QByteArray problem = expectClient(&listening.server, 1);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::acceptOtherFailureDoesNotSpin()
{
    // A failure that is not about resources (a security module's refusal, say): the client stays
    // in the backlog and the listening socket stays readable, so trying again at once would spin.
    // It is retried with the same back-off.
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    const int rule = FaultInject::fail(Call::Accept4, EPERM, -1);
    UniqueFd client = clientSending(listening.address, 2);
    QVERIFY(client.isValid());
    const qint64 cpuBefore = TestUtil::cpuTimeMs();
    runEventLoop(1000);
    const qint64 cpuUsed = TestUtil::cpuTimeMs() - cpuBefore;
    const long attempts = FaultInject::injected(rule);
    FaultInject::reset();
    QVERIFY2(attempts >= 2 && attempts <= 6, QByteArray::number(qlonglong(attempts)).constData());
    QVERIFY2(cpuUsed < 300, QByteArray::number(cpuUsed).constData());
    QCOMPARE(acceptErrors.count(), int(attempts));
    QCOMPARE(acceptErrors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::SocketAccessError);
    QCOMPARE(listening.server.errorString(), QStringLiteral("accept: %1").arg(reason(EPERM)));
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    const QByteArray problem = expectClient(&listening.server, 2);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::acceptAbortedIsSkipped_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("ECONNABORTED") << ECONNABORTED;
    QTest::newRow("EPROTO") << EPROTO;
}

void tst_FaultServer::acceptAbortedIsSkipped()
{
    // A client that gave up before it was accepted is nobody's business: no acceptError(), and
    // the clients behind it are accepted at once.
    QFETCH(int, error);
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    const int rule = FaultInject::fail(Call::Accept4, error, 2);
    UniqueFd client = clientSending(listening.address, 3);
    QVERIFY(client.isValid());
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    QCOMPARE(FaultInject::injected(rule), 2L);
    QCOMPARE(acceptErrors.count(), 0);
    QCOMPARE(listening.server.serverError(), QSeqpacketSocket::NoError);
    const QByteArray problem = expectClient(&listening.server, 3);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::acceptInterruptedIsTransparent()
{
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    const int rule = FaultInject::fail(Call::Accept4, EINTR, 3);
    UniqueFd client = clientSending(listening.address, 4);
    QVERIFY(client.isValid());
    QVERIFY(listening.server.waitForNewConnection(Timeout));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(acceptErrors.count(), 0);
    const QByteArray problem = expectClient(&listening.server, 4);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::waitForNewConnectionShortOfResources()
{
    // Without the event loop, waitForNewConnection() waits out the back-off itself.
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    const int rule = FaultInject::fail(Call::Accept4, EMFILE, 2);
    UniqueFd client = clientSending(listening.address, 5);
    QVERIFY(client.isValid());
    bool timedOut = true;
    QVERIFY(listening.server.waitForNewConnection(Timeout, &timedOut));
    QVERIFY(!timedOut);
    QCOMPARE(FaultInject::injected(rule), 2L);
    QCOMPARE(acceptErrors.count(), 2);
    const QByteArray problem = expectClient(&listening.server, 5);
    QVERIFY2(problem.isEmpty(), problem.constData());

    // A deadline that passes during the back-off is a timeout.
    FaultInject::fail(Call::Accept4, EMFILE, -1);
    UniqueFd late = clientSending(listening.address, 6);
    QVERIFY(!listening.server.waitForNewConnection(30, &timedOut));
    QVERIFY(timedOut);
    FaultInject::reset();
    QVERIFY(listening.server.waitForNewConnection(Timeout));
    const QByteArray lateProblem = expectClient(&listening.server, 6);
    QVERIFY2(lateProblem.isEmpty(), lateProblem.constData());
}

void tst_FaultServer::waitForNewConnectionPollFails()
{
    Listening listening;
    QVERIFY(listening.ok);
    FaultInject::fail(Call::Poll, ENOMEM, 1, POLLIN);
    bool timedOut = true;
    QVERIFY(!listening.server.waitForNewConnection(Timeout, &timedOut));
    QVERIFY(!timedOut);
    QCOMPARE(listening.server.serverError(), QSeqpacketSocket::ResourceError);
    QCOMPARE(listening.server.errorString(), QStringLiteral("waitForNewConnection: poll: %1").arg(reason(ENOMEM)));
    QVERIFY(listening.server.isListening());
}

void tst_FaultServer::acceptedConnectionCannotBeSetUp()
{
    // accept4() worked, but the connection cannot be set up: acceptError() says why, the
    // connection is closed (the client sees the end), and the server goes on.
    Listening listening;
    QVERIFY(listening.ok);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    FaultInject::fail(Call::Setsockopt, ENOMEM, 1, SO_TIMESTAMP);
    UniqueFd client = clientSending(listening.address, 8);
    QVERIFY(client.isValid());
    QVERIFY(waitUntil([&] { return acceptErrors.count() > 0; }));
    QCOMPARE(acceptErrors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::ResourceError);
    QCOMPARE(listening.server.errorString(), QStringLiteral("accept: setsockopt(SO_TIMESTAMP): %1").arg(reason(ENOMEM)));
    QVERIFY(waitUntil([&] { return connectionEnded(client.get(), 0); }));
    QCOMPARE(newConnections.count(), 0);
    QVERIFY(!listening.server.hasPendingConnections());
    UniqueFd next = clientSending(listening.address, 9);
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    const QByteArray problem = expectClient(&listening.server, 9);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::peerFilterWithoutCredentialsRejects_data()
{
    QTest::addColumn<int>("filter"); // 0: credentials filter, 1: connection filter, 2: per-user limit only
    QTest::newRow("credentials filter") << 0;
    QTest::newRow("connection filter") << 1;
    QTest::newRow("per-user limit") << 2;
}

void tst_FaultServer::peerFilterWithoutCredentialsRejects()
{
    // Who connected cannot be told: the connection is rejected (fails closed), never pending.
    QFETCH(int, filter);
    Listening listening;
    QVERIFY(listening.ok);
    int asked = 0;
    if (filter == 0)
        listening.server.setPeerFilter([&asked](const QSeqpacketCredentials &) { ++asked; return true; });
    else if (filter == 1)
        listening.server.setPeerFilter([&asked](const QSeqpacketSocket &) { ++asked; return true; });
    else
        listening.server.setMaxConnectionsPerUser(10);
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    QSignalSpy acceptErrors(&listening.server, &QSeqpacketServer::acceptError);
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_PEERCRED);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("accept: getsockopt(SO_PEERCRED): %1; connection rejected")
                                                          .arg(reason(ENOBUFS))));
    UniqueFd client = clientSending(listening.address, 10);
    QVERIFY(client.isValid());
    QVERIFY(waitUntil([&] { return connectionEnded(client.get(), 0); }));
    QCOMPARE(asked, 0);
    QCOMPARE(newConnections.count(), 0);
    QCOMPARE(acceptErrors.count(), 0);
    QVERIFY(!listening.server.hasPendingConnections());
    // The next client is asked about and admitted.
    UniqueFd next = clientSending(listening.address, 11);
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    QCOMPARE(asked, filter == 2 ? 0 : 1);
    const QByteArray problem = expectClient(&listening.server, 11);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::connectionFilterOnConnectionThatCannotBeSetUp()
{
    // The connection filter sees a socket on the accepted descriptor; where that cannot be set
    // up, the connection is rejected without asking the filter.
    Listening listening;
    QVERIFY(listening.ok);
    int asked = 0;
    listening.server.setPeerFilter([&asked](const QSeqpacketSocket &) { ++asked; return true; });
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    FaultInject::fail(Call::Setsockopt, ENOMEM, 1, SO_TIMESTAMP);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("accept: setsockopt(SO_TIMESTAMP): %1; connection rejected")
                                                          .arg(reason(ENOMEM))));
    UniqueFd client = clientSending(listening.address, 12);
    QVERIFY(client.isValid());
    QVERIFY(waitUntil([&] { return connectionEnded(client.get(), 0); }));
    QCOMPARE(asked, 0);
    QCOMPARE(newConnections.count(), 0);
}

void tst_FaultServer::credentialsFilterWithoutGroups()
{
    // Without the supplementary groups (SO_PEERGROUPS fails) the filter still gets pid, uid, gid.
    Listening listening;
    QVERIFY(listening.ok);
    QSeqpacketCredentials seen;
    listening.server.setPeerFilter([&seen](const QSeqpacketCredentials &credentials) {
        seen = credentials;
        return true;
    });
    QSignalSpy newConnections(&listening.server, &QSeqpacketServer::newConnection);
    FaultInject::fail(Call::Getsockopt, ENOPROTOOPT, 1, SO_PEERGROUPS);
    UniqueFd client = clientSending(listening.address, 13);
    QVERIFY(waitUntil([&] { return newConnections.count() > 0; }));
    QVERIFY(seen.isValid());
    QCOMPARE(seen.processId(), qint64(::getpid()));
    QVERIFY(seen.supplementaryGroups().isEmpty());
    const QByteArray problem = expectClient(&listening.server, 13);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultServer::listenFailures_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("selector");
    QTest::addColumn<int>("error");
    QTest::addColumn<QSeqpacketSocket::SocketError>("expected");
    QTest::addColumn<QString>("message"); // %1: the address, %2: the system's reason
    QTest::addColumn<bool>("fileLeft");   // the socket file is still there afterwards
    QTest::newRow("socket") << int(Call::Socket) << int(AF_UNIX) << EMFILE << QSeqpacketSocket::ResourceError
                            << QStringLiteral("listen: socket(AF_UNIX, SOCK_SEQPACKET): %2") << false;
    QTest::newRow("fchmod") << int(Call::Fchmod) << FaultInject::AnySelector << EPERM << QSeqpacketSocket::SocketAccessError
                            << QStringLiteral("listen: fchmod: %2") << false;
    QTest::newRow("bind") << int(Call::Bind) << FaultInject::AnySelector << EACCES << QSeqpacketSocket::SocketAccessError
                          << QStringLiteral("listen: bind(%1): %2") << false;
    QTest::newRow("bind EADDRINUSE") << int(Call::Bind) << FaultInject::AnySelector << EADDRINUSE
                                     << QSeqpacketSocket::AddressInUseError
                                     << QStringLiteral("listen: %1 already exists: another server listens there") << false;
    // The file bind() made cannot be looked at: it is left (removeServer() removes it, below).
    QTest::newRow("open") << int(Call::Open) << FaultInject::AnySelector << EMFILE << QSeqpacketSocket::SocketAccessError
                          << QStringLiteral("listen: open(%1): %2") << true;
    QTest::newRow("fstat") << int(Call::Fstat) << FaultInject::AnySelector << ENOMEM << QSeqpacketSocket::SocketAccessError
                           << QStringLiteral("listen: open(%1): %2") << true;
    QTest::newRow("chmod") << int(Call::Chmod) << FaultInject::AnySelector << EPERM << QSeqpacketSocket::SocketAccessError
                           << QStringLiteral("listen: chmod(%1): %2") << false;
    QTest::newRow("listen") << int(Call::Listen) << FaultInject::AnySelector << ENOBUFS << QSeqpacketSocket::ResourceError
                            << QStringLiteral("listen: listen(): %2") << false;
}

void tst_FaultServer::listenFailures()
{
    QFETCH(int, call);
    QFETCH(int, selector);
    QFETCH(int, error);
    QFETCH(QSeqpacketSocket::SocketError, expected);
    QFETCH(QString, message);
    QFETCH(bool, fileLeft);
    const QString path = socketPath("listen");
    QSeqpacketServer server;
    // Group access with umask 022: the file is made 0750 and given its group write bit after bind().
    server.setSocketOptions(QSeqpacketServer::UserAccessOption | QSeqpacketServer::GroupAccessOption);
    const mode_t umaskBefore = ::umask(022);
    FaultInject::fail(Call(call), error, 1, selector);
    const bool listened = server.listen(QSeqpacketAddress::fromPath(path));
    ::umask(umaskBefore);
    QVERIFY(!listened);
    QVERIFY(!server.isListening());
    QCOMPARE(server.serverError(), expected);
    const QString expectedMessage = QString(message).replace(QLatin1String("%1"), path).replace(QLatin1String("%2"), reason(error));
    QVERIFY2(server.errorString().startsWith(expectedMessage), qPrintable(server.errorString()));
    QCOMPARE(QFileInfo::exists(path), fileLeft);
    if (fileLeft)
        QVERIFY(QSeqpacketServer::removeServer(path));
    // The next attempt works, with the mode asked for.
    QVERIFY2(server.listen(QSeqpacketAddress::fromPath(path)), qPrintable(server.errorString()));
    QCOMPARE(QFileInfo(path).permissions() & (QFileDevice::WriteGroup | QFileDevice::WriteOther), QFileDevice::WriteGroup);
    server.close();
    QVERIFY(!QFileInfo::exists(path));
}

void tst_FaultServer::setSocketDescriptorFailures()
{
    // A listening descriptor handed in that cannot be adopted stays the caller's.
    const QByteArray name = TestUtil::uniqueAbstractName("fault-adopt");
    TestUtil::RawListener raw;
    QVERIFY(raw.listenAbstract(name));
    QSeqpacketServer server;
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 1, SO_ACCEPTCONN);
    QVERIFY(!server.setSocketDescriptor(raw.fd()));
    QCOMPARE(server.errorString(), QStringLiteral("setSocketDescriptor: descriptor %1: getsockopt(SO_ACCEPTCONN): %2")
                                           .arg(raw.fd()).arg(reason(ENOBUFS)));
    FaultInject::fail(Call::Fcntl, EBADF, 1, F_GETFL);
    QVERIFY(!server.setSocketDescriptor(raw.fd()));
    QCOMPARE(server.errorString(), QStringLiteral("setSocketDescriptor: fcntl: %1").arg(reason(EBADF)));
    QVERIFY(TestUtil::isFdOpen(raw.fd()));
    QVERIFY(!server.isListening());
    // The options of the listening socket cannot be read: accepted connections start without them.
    FaultInject::fail(Call::Getsockopt, ENOBUFS, 2, SO_PASSCRED);
    QVERIFY(server.setSocketDescriptor(raw.fd()));
    UniqueFd client = clientSending('@' + name, 14);
    QVERIFY(server.waitForNewConnection(Timeout));
    const QByteArray problem = expectClient(&server, 14);
    QVERIFY2(problem.isEmpty(), problem.constData());
    server.close();
}

void tst_FaultServer::removeServerCannotTell()
{
    // removeServer() must never remove the file of a live server. Without descriptors it can ask
    // neither sock_diag nor a probe whether one listens: it leaves the file alone.
    const QString path = socketPath("live");
    QSeqpacketServer live;
    QVERIFY(live.listen(QSeqpacketAddress::fromPath(path)));
    FaultInject::fail(Call::Socket, EMFILE, -1);
    QVERIFY(!QSeqpacketServer::removeServer(path));
    FaultInject::reset();
    QVERIFY(QFileInfo::exists(path));
    UniqueFd client = clientSending(QFile::encodeName(path), 15);
    QVERIFY(client.isValid());
    QVERIFY(live.waitForNewConnection(Timeout));
    const QByteArray problem = expectClient(&live, 15);
    QVERIFY2(problem.isEmpty(), problem.constData());

    // sock_diag says nothing (its send or receive fails), the probe still finds the server.
    FaultInject::fail(Call::Send, ENOBUFS, 1, 0);
    QVERIFY(!QSeqpacketServer::removeServer(path));
    FaultInject::fail(Call::Recv, ENOBUFS, 1, 0);
    QVERIFY(!QSeqpacketServer::removeServer(path));
    QVERIFY(QFileInfo::exists(path));
    live.close();
}

void tst_FaultServer::removeServerFailures()
{
    // A stale socket file: its server went without removing it.
    const QString path = socketPath("stale");
    {
        UniqueFd gone(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
        sockaddr_un address;
        const QByteArray native = QFile::encodeName(path);
        const socklen_t length = TestUtil::fillSockaddr(&address, native, false);
        QVERIFY(::bind(gone.get(), reinterpret_cast<sockaddr *>(&address), length) == 0);
        QVERIFY(::listen(gone.get(), 1) == 0);
    }
    QVERIFY(QFileInfo::exists(path));
    // The file cannot be looked at, or not removed: false, and the file stays.
    FaultInject::fail(Call::Lstat, EACCES);
    QVERIFY(!QSeqpacketServer::removeServer(path));
    FaultInject::fail(Call::Unlink, EACCES);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("removeServer: unlink(%1): %2").arg(path, reason(EACCES))));
    QVERIFY(!QSeqpacketServer::removeServer(path));
    QVERIFY(QFileInfo::exists(path));
    // Interrupted calls are transparent.
    const int rule = FaultInject::fail(Call::Connect, EINTR, 1);
    QVERIFY(QSeqpacketServer::removeServer(path));
    QCOMPARE(FaultInject::injected(rule), 1L);
    QVERIFY(!QFileInfo::exists(path));
}

QTEST_GUILESS_MAIN(tst_FaultServer)
#include "tst_fault_server.moc"
