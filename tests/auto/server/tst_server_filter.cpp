// SPDX-License-Identifier: MIT
//
// QSeqpacketServer's peer filter: it is asked with each client's credentials before the
// connection is handed out; a rejected client (by user, or by process among cross-process clients
// of the helper in client/) sees its connection closed and nobody else sees it.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketCredentials>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QProcess>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include <cstring>
#include <memory>

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
};

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

QTEST_GUILESS_MAIN(tst_ServerFilter)
#include "tst_server_filter.moc"
