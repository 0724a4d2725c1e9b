// SPDX-License-Identifier: MIT
//
// QSeqpacketServer's peer filter: it is asked with each client's credentials (with supplementary
// groups), or with the connection itself, before the connection is handed out; a rejected client
// (by user, or by process among cross-process clients of the helper in client/) sees its
// connection closed and nobody else sees it. A filter that throws, deletes the server or replaces
// itself, and the limit on connections per user.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketCredentials>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QProcess>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include <QtCore/QFile>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <unistd.h>

#include "servertest.h"
#include "testutil.h"

using namespace ServerTest;
using TestUtil::rawConnect;
using TestUtil::UniqueFd;

class tst_ServerFilter : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initServerTestCase(); }
    void init() { snapshotDescriptors(); }
    void cleanup() { checkDescriptors(); }

    void peerFilterRejectsUser();
    void peerFilterRejectsProcess();
    void peerFilterAccepts();
    void peerFilterGetsSupplementaryGroups();
    void connectionFilterAsksTheConnection();
    void filterThatThrowsRejects();
    void filterThatDeletesTheServer();
    void filterThatReplacesItself();
    void maxConnectionsPerUser();
};

namespace {

// The process a pidfd refers to, from /proc/self/fdinfo ("Pid:"); -1 where it says nothing.
qint64 pidOfPidfd(int pidfd)
{
    QFile info(QStringLiteral("/proc/self/fdinfo/%1").arg(pidfd));
    if (!info.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : info.readAll().split('\n')) {
        if (line.startsWith("Pid:"))
            return line.mid(4).trimmed().toLongLong();
    }
    return -1;
}

} // namespace

void tst_ServerFilter::peerFilterRejectsUser()
{
    QList<QSeqpacketCredentials> asked;
    QSeqpacketServer server;
    server.setPeerFilter([&asked](const QSeqpacketCredentials &credentials) {
        asked.append(credentials);
        return credentials.userId() != uint(::geteuid());
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("filter-uid"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    UniqueFd rejected(rawConnect(address));
    QVERIFY(rejected.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(asked.size(), 1, WaitMs);
    QCOMPARE(asked.at(0).processId(), qint64(::getpid()));
    QCOMPARE(asked.at(0).userId(), uint(::geteuid()));
    QCOMPARE(asked.at(0).groupId(), uint(::getegid()));
    // The client sees its connection closed; nobody sees the connection.
    const TestUtil::RawPacket closed = TestUtil::rawReceive(rejected.get(), WaitMs);
    QVERIFY2(closed.eof, closed.timedOut ? "timed out" : closed.ok ? "got a packet" : strerror(closed.error));
    QTest::qWait(50);
    QCOMPARE(newConnection.size(), 0);
    QVERIFY(!server.hasPendingConnections());
    QVERIFY(server.nextPendingConnection() == nullptr);
    QVERIFY(server.isListening());

    // An empty filter accepts everyone again.
    server.setPeerFilter({});
    UniqueFd accepted(rawConnect(address));
    QVERIFY(accepted.isValid());
    QVERIFY(newConnection.wait(WaitMs));
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(socket->peerCredentials().processId(), qint64(::getpid()));
    QCOMPARE(asked.size(), 1);
}

void tst_ServerFilter::peerFilterRejectsProcess()
{
    const QString path = socketPath("filter-pid");
    QList<qint64> askedPids;
    qint64 rejectedPid = -1;
    EchoStats stats;
    QSeqpacketServer server;
    server.setPeerFilter([&](const QSeqpacketCredentials &credentials) {
        askedPids.append(credentials.processId());
        return credentials.processId() != rejectedPid;
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));

    // The server accepts only in the event loop, which runs after rejectedPid is set.
    auto rejected = startHelper({QStringLiteral("expectclosed"), path});
    QVERIFY(rejected->waitForStarted());
    rejectedPid = rejected->processId();
    auto accepted = startHelper({QStringLiteral("echo"), path, QStringLiteral("1"), QStringLiteral("5"),
                                 QStringLiteral("700")});
    QVERIFY(accepted->waitForStarted());
    const qint64 acceptedPid = accepted->processId();

    QVERIFY(waitForExit(rejected.get()));
    QVERIFY(waitForExit(accepted.get()));
    const QByteArray rejectedOutput = rejected->readAllStandardOutput();
    QVERIFY2(rejected->exitStatus() == QProcess::NormalExit && rejected->exitCode() == 0,
             describeProcess(rejected.get(), rejectedOutput).constData());
    QVERIFY2(rejectedOutput.contains("closed"), rejectedOutput.constData());
    const QByteArray acceptedOutput = accepted->readAllStandardOutput();
    QVERIFY2(accepted->exitCode() == 0 && acceptedOutput.contains("ok 1 5"),
             describeProcess(accepted.get(), acceptedOutput).constData());

    QVERIFY(askedPids.contains(rejectedPid));
    QVERIFY(askedPids.contains(acceptedPid));
    QCOMPARE(askedPids.size(), 2);
    // Only the accepted process ever reached nextPendingConnection().
    QCOMPARE(stats.accepted, 1);
    QCOMPARE(stats.credentials.at(0).processId(), acceptedPid);
    QCOMPARE(newConnection.size(), 1);
    QCOMPARE(stats.packets, 5);
}

void tst_ServerFilter::peerFilterAccepts()
{
    const QByteArray name = abstractName("filter-accept");
    QList<QSeqpacketCredentials> asked;
    EchoStats stats;
    QSeqpacketServer server;
    server.setPeerFilter([&asked](const QSeqpacketCredentials &credentials) {
        asked.append(credentials);
        return true;
    });
    echoAll(&server, &stats);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));

    qint64 pid = -1;
    QByteArray failure;
    QVERIFY2(echoClientSucceeds(QString::fromLatin1('@' + name), 2, 4, 900, &failure, &pid), failure.constData());

    QCOMPARE(asked.size(), 2);
    for (const QSeqpacketCredentials &credentials : std::as_const(asked)) {
        QCOMPARE(credentials.processId(), pid);
        QCOMPARE(credentials.userId(), uint(::geteuid()));
        QCOMPARE(credentials.groupId(), uint(::getegid()));
    }
    QCOMPARE(stats.accepted, 2);
    QCOMPARE(stats.packets, 8);
}

void tst_ServerFilter::peerFilterGetsSupplementaryGroups()
{
    QList<QSeqpacketCredentials> asked;
    QSeqpacketServer server;
    server.setPeerFilter([&asked](const QSeqpacketCredentials &credentials) {
        asked.append(credentials);
        return false;
    });
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("filter-groups"))),
             qPrintable(server.errorString()));
    UniqueFd client(rawConnect('@' + server.serverAddress().abstractName()));
    QVERIFY(client.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(asked.size(), 1, WaitMs);
    // As peerCredentials() has them: this process's groups (SO_PEERGROUPS).
    QList<uint> expected = QSeqpacketCredentials::currentProcess().supplementaryGroups();
    QList<uint> got = asked.at(0).supplementaryGroups();
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    QCOMPARE(got, expected);
    QVERIFY(receiveRunningEvents(client.get(), WaitMs).eof);
}

void tst_ServerFilter::connectionFilterAsksTheConnection()
{
    // The filter gets the connection, not yet announced: it asks for the peer's pidfd (where the
    // kernel has SO_PEERPIDFD), credentials with groups, address and security context.
    const QString path = socketPath("filter-connection");
    struct Asked
    {
        qint64 credentialsPid = -1;
        qint64 pidfdPid = -1;
        bool pidfdSupported = true;
        QList<uint> groups;
        QSeqpacketAddress peer;
        QSeqpacketSocket::State state = QSeqpacketSocket::UnconnectedState;
    };
    QList<Asked> asked;
    qint64 rejectedPid = -1;
    EchoStats stats;
    QSeqpacketServer server;
    server.setPeerFilter([&](const QSeqpacketSocket &connection) {
        Asked a;
        a.state = connection.state();
        a.credentialsPid = connection.peerCredentials().processId();
        a.groups = connection.peerCredentials().supplementaryGroups();
        a.peer = connection.peerAddress();
        connection.peerSecurityContext(); // an answer or UnsupportedOperationError, never a crash
        const QSeqpacketFileDescriptor pidfd = connection.peerProcessFileDescriptor();
        a.pidfdSupported = pidfd.isValid() || connection.error() != QSeqpacketSocket::UnsupportedOperationError;
        a.pidfdPid = pidfd.isValid() ? pidOfPidfd(pidfd.descriptor()) : -1;
        asked.append(a);
        // Race-free where the kernel has pidfds: the pidfd names the process that connected.
        const qint64 pid = pidfd.isValid() ? a.pidfdPid : a.credentialsPid;
        return pid != rejectedPid;
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));

    auto rejected = startHelper({QStringLiteral("expectclosed"), path});
    QVERIFY(rejected->waitForStarted());
    rejectedPid = rejected->processId();
    auto accepted = startHelper({QStringLiteral("echo"), path, QStringLiteral("1"), QStringLiteral("3"),
                                 QStringLiteral("300")});
    QVERIFY(accepted->waitForStarted());
    const qint64 acceptedPid = accepted->processId();

    QVERIFY(waitForExit(rejected.get()));
    QVERIFY(waitForExit(accepted.get()));
    const QByteArray rejectedOutput = rejected->readAllStandardOutput();
    QVERIFY2(rejected->exitCode() == 0 && rejectedOutput.contains("closed"),
             describeProcess(rejected.get(), rejectedOutput).constData());
    const QByteArray acceptedOutput = accepted->readAllStandardOutput();
    QVERIFY2(accepted->exitCode() == 0 && acceptedOutput.contains("ok 1 3"),
             describeProcess(accepted.get(), acceptedOutput).constData());

    QCOMPARE(asked.size(), 2);
    QList<uint> groups = QSeqpacketCredentials::currentProcess().supplementaryGroups();
    std::sort(groups.begin(), groups.end());
    for (Asked a : std::as_const(asked)) {
        QCOMPARE(a.state, QSeqpacketSocket::ConnectedState);
        QVERIFY(a.credentialsPid == rejectedPid || a.credentialsPid == acceptedPid);
        if (a.pidfdSupported)
            QCOMPARE(a.pidfdPid, a.credentialsPid);
        std::sort(a.groups.begin(), a.groups.end());
        QCOMPARE(a.groups, groups); // the helpers run with this process's groups
        QCOMPARE(a.peer.kind(), QSeqpacketAddress::Unnamed);
    }
    QCOMPARE(stats.accepted, 1);
    QCOMPARE(stats.credentials.at(0).processId(), acceptedPid);
    QCOMPARE(newConnection.size(), 1);
    QCOMPARE(stats.packets, 3);
}

void tst_ServerFilter::filterThatThrowsRejects()
{
    int asked = 0;
    QSeqpacketServer server;
    server.setPeerFilter([&asked](const QSeqpacketSocket &) -> bool {
        ++asked;
        throw std::runtime_error("filter failed");
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("filter-throws"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    UniqueFd first(rawConnect(address));
    QVERIFY(first.isValid());
    QVERIFY(receiveRunningEvents(first.get(), WaitMs).eof);
    QCOMPARE(asked, 1);
    QCOMPARE(newConnection.size(), 0);
    QVERIFY(server.isListening());

    // The same with the credentials overload; then no filter at all lets the next one in.
    server.setPeerFilter([&asked](const QSeqpacketCredentials &) -> bool {
        ++asked;
        throw 42;
    });
    UniqueFd second(rawConnect(address));
    QVERIFY(second.isValid());
    QVERIFY(receiveRunningEvents(second.get(), WaitMs).eof);
    QCOMPARE(asked, 2);
    server.setPeerFilter(nullptr);
    UniqueFd third(rawConnect(address));
    QVERIFY(third.isValid());
    QVERIFY(newConnection.wait(WaitMs));
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(asked, 2);
}

void tst_ServerFilter::filterThatDeletesTheServer()
{
    // The filter deletes the server while it accepts: accepting ends, the connection is closed,
    // nothing leaks (cleanup() counts descriptors) and nothing touches the deleted server.
    auto *server = new QSeqpacketServer;
    QPointer<QSeqpacketServer> guard(server);
    server->setPeerFilter([&server](const QSeqpacketSocket &) {
        delete server;
        server = nullptr;
        return true;
    });
    QVERIFY2(server->listen(QSeqpacketAddress::fromAbstractName(abstractName("filter-deletes"))),
             qPrintable(server->errorString()));
    const QByteArray address = '@' + server->serverAddress().abstractName();
    UniqueFd first(rawConnect(address));
    UniqueFd second(rawConnect(address));
    QVERIFY(first.isValid() && second.isValid());
    QTRY_VERIFY_WITH_TIMEOUT(guard.isNull(), WaitMs);
    QVERIFY(receiveRunningEvents(first.get(), WaitMs).eof);
    // The second was still in the backlog of a listening socket that is gone.
    const TestUtil::RawPacket secondEnd = receiveRunningEvents(second.get(), WaitMs);
    QVERIFY(secondEnd.eof || secondEnd.error == ECONNRESET);
}

void tst_ServerFilter::filterThatReplacesItself()
{
    // Each filter sets the next one and then goes on using what it captured: the server runs a
    // filter from a copy, so replacing the stored one does not destroy the running closure
    // (AddressSanitizer's use-after-free without it). The credentials overload hands over to the
    // connection overload, which removes all filters.
    QSeqpacketServer server;
    QList<qint64> askedFor;
    const QString tag = QStringLiteral("captured by value, read after the replacement");
    server.setPeerFilter([&server, &askedFor, tag](const QSeqpacketCredentials &credentials) {
        server.setPeerFilter([&server, &askedFor, tag](const QSeqpacketSocket &connection) {
            server.setPeerFilter(nullptr);
            askedFor.append(connection.peerCredentials().processId());
            return !tag.isEmpty();
        });
        askedFor.append(credentials.processId());
        return !tag.isEmpty();
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("filter-replaces"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();
    std::vector<std::unique_ptr<QSeqpacketSocket>> taken;
    for (int i = 0; i < 3; ++i) {
        UniqueFd client(rawConnect(address));
        QVERIFY(client.isValid());
        QVERIFY(newConnection.wait(WaitMs));
        taken.emplace_back(server.nextPendingConnection());
        QVERIFY(taken.back());
    }
    // Asked twice (once by each filter), then no filter is left to ask.
    QCOMPARE(askedFor, QList<qint64>({ qint64(getpid()), qint64(getpid()) }));
}

void tst_ServerFilter::maxConnectionsPerUser()
{
    QSeqpacketServer server;
    QCOMPARE(server.maxConnectionsPerUser(), 0);
    server.setMaxConnectionsPerUser(2);
    QCOMPARE(server.maxConnectionsPerUser(), 2);
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("per-user"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();
    auto takeOne = [&server]() -> QSeqpacketSocket * {
        QDeadlineTimer deadline(WaitMs);
        while (!server.hasPendingConnections() && !deadline.hasExpired())
            QTest::qWait(5);
        return server.nextPendingConnection();
    };

    // Two connections of this user are let in; the third is closed before anyone sees it.
    UniqueFd a(rawConnect(address));
    UniqueFd b(rawConnect(address));
    QVERIFY(a.isValid() && b.isValid());
    std::unique_ptr<QSeqpacketSocket> first(takeOne());
    std::unique_ptr<QSeqpacketSocket> second(takeOne());
    QVERIFY(first && second);
    UniqueFd c(rawConnect(address));
    QVERIFY(c.isValid());
    QVERIFY(receiveRunningEvents(c.get(), WaitMs).eof);
    QVERIFY(!server.hasPendingConnections());

    // A connection that is deleted no longer counts, nor one whose peer went.
    first.reset();
    UniqueFd d(rawConnect(address));
    QVERIFY(d.isValid());
    std::unique_ptr<QSeqpacketSocket> third(takeOne());
    QVERIFY(third);
    QSignalSpy secondGone(second.get(), &QSeqpacketSocket::disconnected);
    b.reset();
    QVERIFY(secondGone.wait(WaitMs));
    UniqueFd e(rawConnect(address));
    QVERIFY(e.isValid());
    std::unique_ptr<QSeqpacketSocket> fourth(takeOne());
    QVERIFY(fourth);
    UniqueFd f(rawConnect(address));
    QVERIFY(f.isValid());
    QVERIFY(receiveRunningEvents(f.get(), WaitMs).eof);

    // No limit: everyone.
    server.setMaxConnectionsPerUser(0);
    UniqueFd g(rawConnect(address));
    QVERIFY(g.isValid());
    std::unique_ptr<QSeqpacketSocket> fifth(takeOne());
    QVERIFY(fifth);
}

QTEST_GUILESS_MAIN(tst_ServerFilter)
#include "tst_server_filter.moc"
