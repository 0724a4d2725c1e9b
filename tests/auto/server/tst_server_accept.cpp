// SPDX-License-Identifier: MIT
//
// QSeqpacketServer: accepting connections. Cross-process clients (the helper program in client/,
// plain syscalls) and their credentials, 200 concurrent clients, the listen backlog, pending
// connections (and no spinning while they wait), waitForNewConnection() with and without an event
// loop, an incomingConnection() override, and accepted sockets moved to worker threads.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketCredentials>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QPointer>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <unistd.h>

#include "servertest.h"
#include "testutil.h"

using namespace ServerTest;
using TestUtil::cpuTimeMs;
using TestUtil::rawConnect;
using TestUtil::UniqueFd;

namespace {

// Takes the accepted descriptors itself, as a server handing them to other threads would.
class DescriptorServer : public QSeqpacketServer
{
public:
    QList<int> descriptors;
    QList<bool> flagsOk;
    bool wrap = true;
    std::function<void()> afterIncoming; // called last, e.g. to delete the server

protected:
    void incomingConnection(int socketDescriptor) override
    {
        descriptors.append(socketDescriptor);
        flagsOk.append(TestUtil::hasCloexec(socketDescriptor) && TestUtil::isNonBlocking(socketDescriptor));
        if (!wrap) {
            ::close(socketDescriptor);
            return;
        }
        auto *socket = new QSeqpacketSocket(this);
        if (socket->setSocketDescriptor(socketDescriptor))
            addPendingConnection(socket);
        else
            delete socket;
        if (afterIncoming) {
            const std::function<void()> hook = afterIncoming; // it may delete this server
            hook();
        }
    }
};

} // namespace

class tst_ServerAccept : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initServerTestCase(); }
    void init() { snapshotDescriptors(); }
    void cleanup() { checkDescriptors(); }

    // cross-process clients
    void crossProcessEchoAndCredentials();
    void concurrentClients();

    // backlog, pending connections, waiting
    void listenBacklogSize();
    void maxPendingConnections();
    void negativeSettingsRefused();
    void burstTakenFromNewConnection();
    void nestedLoopWithPendingFull();
    void deletedInNewConnectionBetweenRounds();
    void pendingSocketsDeletedBeforeTaken();
    void waitForNewConnection();
    void waitForNewConnectionInThreadWithoutEventLoop();

    // incomingConnection() override
    void incomingConnectionOverride();
    void deletedInIncomingConnection();
    void closedFromNewConnectionInsideWaitForNewConnection();

    // threads
    void acceptedSocketsInWorkerThreads();
};

// ---- cross-process clients ------------------------------------------------------------------

void tst_ServerAccept::crossProcessEchoAndCredentials()
{
    const QString path = socketPath("credentials");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));

    auto client = startHelper({QStringLiteral("echo"), path, QStringLiteral("3"), QStringLiteral("10"),
                               QStringLiteral("8192"), QStringLiteral("wait")});
    QVERIFY(client->waitForStarted());
    const qint64 pid = client->processId();
    QVERIFY(pid > 0);
    QByteArray line;
    QVERIFY2(waitForLine(client.get(), &line), describeProcess(client.get()).constData());
    const QList<QByteArray> ids = line.split(' ');
    QCOMPARE(ids.size(), 4);
    QCOMPARE(ids.at(0), QByteArray("connected"));
    QCOMPARE(ids.at(1).toLongLong(), pid);

    // All three connections accepted, each reporting the client process's credentials.
    QTRY_COMPARE_WITH_TIMEOUT(stats.accepted, 3, WaitMs);
    for (const QSeqpacketCredentials &credentials : std::as_const(stats.credentials)) {
        QVERIFY(credentials.isValid());
        QCOMPARE(credentials.processId(), pid);
        QCOMPARE(credentials.userId(), ids.at(2).toUInt());
        QCOMPARE(credentials.groupId(), ids.at(3).toUInt());
        QCOMPARE(credentials.userId(), uint(::geteuid()));
        QCOMPARE(credentials.groupId(), uint(::getegid()));
    }

    client->write("go\n");
    QVERIFY(waitForExit(client.get()));
    const QByteArray output = client->readAllStandardOutput();
    QVERIFY2(client->exitStatus() == QProcess::NormalExit && client->exitCode() == 0,
             describeProcess(client.get(), output).constData());
    QVERIFY2(output.contains("ok 3 30"), output.constData());
    QCOMPARE(stats.packets, 30);
    QTRY_COMPARE_WITH_TIMEOUT(stats.disconnected, 3, WaitMs);
    for (QSeqpacketSocket::SocketError error : std::as_const(stats.errorsAtDisconnect))
        QCOMPARE(error, QSeqpacketSocket::NoError);
}

void tst_ServerAccept::concurrentClients()
{
    // 4 processes with 50 connections each: 200 clients connected at once, then all echoing.
    constexpr int Processes = 4;
    constexpr int ConnectionsEach = 50;
    constexpr int Rounds = 10;
    constexpr int Total = Processes * ConnectionsEach;
    const QByteArray name = abstractName("concurrent");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));

    std::vector<std::unique_ptr<QProcess>> clients;
    for (int i = 0; i < Processes; ++i) {
        clients.push_back(startHelper({QStringLiteral("echo"), QString::fromLatin1('@' + name),
                                       QString::number(ConnectionsEach), QString::number(Rounds),
                                       QStringLiteral("4096"), QStringLiteral("wait")}));
        QVERIFY(clients.back()->waitForStarted());
    }
    for (auto &client : clients) {
        QByteArray line;
        QVERIFY2(waitForLine(client.get(), &line, ProcessTimeoutMs), describeProcess(client.get()).constData());
        QVERIFY2(line.startsWith("connected"), line.constData());
    }
    // All 200 connections are open at the same time.
    QTRY_COMPARE_WITH_TIMEOUT(stats.accepted, Total, WaitMs);
    QHash<qint64, int> perProcess;
    for (const QSeqpacketCredentials &credentials : std::as_const(stats.credentials))
        ++perProcess[credentials.processId()];
    QCOMPARE(perProcess.size(), Processes);
    for (auto &client : clients)
        QCOMPARE(perProcess.value(client->processId()), ConnectionsEach);

    for (auto &client : clients)
        client->write("go\n");
    for (auto &client : clients) {
        QVERIFY2(waitForExit(client.get()), "a client did not finish");
        const QByteArray output = client->readAllStandardOutput();
        QVERIFY2(client->exitStatus() == QProcess::NormalExit && client->exitCode() == 0,
                 describeProcess(client.get(), output).constData());
        QVERIFY2(output.contains("ok " + QByteArray::number(ConnectionsEach) + ' '
                                 + QByteArray::number(ConnectionsEach * Rounds)),
                 output.constData());
    }
    QCOMPARE(stats.packets, Total * Rounds);
    // Every connection ended cleanly: disconnected() once each, no reset.
    QTRY_COMPARE_WITH_TIMEOUT(stats.disconnected, Total, WaitMs);
    QCOMPARE(stats.errorsAtDisconnect.size(), Total);
    for (QSeqpacketSocket::SocketError error : std::as_const(stats.errorsAtDisconnect))
        QCOMPARE(error, QSeqpacketSocket::NoError);
    QCOMPARE(stats.accepted, Total);
    QCOMPARE(stats.badDescriptors, 0);
}

// ---- backlog, pending connections, waiting --------------------------------------------------

void tst_ServerAccept::listenBacklogSize()
{
    QSeqpacketServer server;
    QCOMPARE(server.listenBacklogSize(), 128);
    server.setListenBacklogSize(2);
    QCOMPARE(server.listenBacklogSize(), 2);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("backlog"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    // No event loop runs, so nothing is accepted: the kernel queues backlog (+1, its rule for
    // AF_UNIX) connections, then refuses a non-blocking connect with EAGAIN.
    std::vector<UniqueFd> clients;
    int lastError = 0;
    for (int i = 0; i < 10; ++i) {
        UniqueFd fd(rawConnect(address, true, &lastError));
        if (!fd.isValid())
            break;
        clients.push_back(std::move(fd));
    }
    QCOMPARE(lastError, EAGAIN);
    QVERIFY2(clients.size() >= 2 && clients.size() <= 3, QByteArray::number(qsizetype(clients.size())).constData());

    // The server takes them all once its event loop runs.
    int accepted = 0;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            ++accepted;
            delete socket;
        }
    });
    QTRY_COMPARE_WITH_TIMEOUT(accepted, int(clients.size()), WaitMs);

    // The default backlog takes ten without trouble.
    QSeqpacketServer roomy;
    QVERIFY2(roomy.listen(QSeqpacketAddress()), qPrintable(roomy.errorString()));
    std::vector<UniqueFd> more;
    for (int i = 0; i < 10; ++i) {
        int error = 0;
        more.emplace_back(rawConnect('@' + roomy.serverAddress().abstractName(), true, &error));
        QVERIFY2(more.back().isValid(), strerror(error));
    }
}

void tst_ServerAccept::negativeSettingsRefused()
{
    // A negative size is a misuse: refused with OperationError and a message that names the
    // setter; the setting stays as it was.
    QSeqpacketServer server;
    server.setListenBacklogSize(7);
    server.setMaxPendingConnections(3);
    server.setMaxConnectionsPerUser(2);
    QCOMPARE(server.serverError(), QSeqpacketSocket::NoError);
    const auto refused = [&server](const char *setter) {
        QCOMPARE(server.serverError(), QSeqpacketSocket::OperationError);
        QVERIFY2(server.errorString().startsWith(QLatin1String(setter)), qPrintable(server.errorString()));
    };
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^setListenBacklogSize: -1 ")));
    server.setListenBacklogSize(-1);
    refused("setListenBacklogSize");
    QCOMPARE(server.listenBacklogSize(), 7);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^setMaxPendingConnections: -2 ")));
    server.setMaxPendingConnections(-2);
    refused("setMaxPendingConnections");
    QCOMPARE(server.maxPendingConnections(), 3);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^setMaxConnectionsPerUser: -3 ")));
    server.setMaxConnectionsPerUser(-3);
    refused("setMaxConnectionsPerUser");
    QCOMPARE(server.maxConnectionsPerUser(), 2);
    // Zero is a setting: no backlog beyond the kernel's least, one pending connection, no limit.
    server.setListenBacklogSize(0);
    QCOMPARE(server.listenBacklogSize(), 0);
    server.setMaxPendingConnections(0);
    QCOMPARE(server.maxPendingConnections(), 1);
    server.setMaxConnectionsPerUser(0);
    QCOMPARE(server.maxConnectionsPerUser(), 0);
    QVERIFY2(server.listen(QSeqpacketAddress()), qPrintable(server.errorString()));
}

void tst_ServerAccept::pendingSocketsDeletedBeforeTaken()
{
    // Three connections wait; the application deletes the second (a child of the server, as
    // every accepted socket is) before taking any. nextPendingConnection() hands out the other
    // two, in order, and nothing else.
    QSeqpacketServer server;
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("deleted-pending"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 3; ++i) {
        clients.emplace_back(rawConnect(address));
        QVERIFY(clients.back().isValid());
        QVERIFY(TestUtil::rawSend(clients.back().get(), "client-" + QByteArray::number(i)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(server.findChildren<QSeqpacketSocket *>().size(), 3, WaitMs);
    const QList<QSeqpacketSocket *> accepted = server.findChildren<QSeqpacketSocket *>();
    QSeqpacketSocket *second = nullptr;
    for (QSeqpacketSocket *socket : accepted) {
        QVERIFY(socket->waitForPacket(WaitMs));
        if (socket->peekPacket().data() == "client-1")
            second = socket;
    }
    QVERIFY(second);
    delete second;

    QVERIFY(server.hasPendingConnections());
    QList<QByteArray> taken;
    while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
        taken << socket->receivePacket().data();
        delete socket;
    }
    QCOMPARE(taken, (QList<QByteArray>{"client-0", "client-2"}));
    QVERIFY(!server.hasPendingConnections());

    // A socket that is not the server's child, queued by a reimplementation of
    // incomingConnection() (here: by hand), outlives the server that never handed it out, and
    // goes later without touching it.
    struct QueueingServer : QSeqpacketServer
    {
        using QSeqpacketServer::addPendingConnection;
    };
    auto *queued = new QSeqpacketSocket;
    QueueingServer first;
    first.addPendingConnection(nullptr); // nothing to queue
    QVERIFY(!first.hasPendingConnections());
    {
        QueueingServer other;
        other.addPendingConnection(queued);
        other.addPendingConnection(queued); // once only
        QVERIFY(other.hasPendingConnections());
        // Queued with a second server, it leaves the first one's list.
        first.addPendingConnection(queued);
        QVERIFY(!other.hasPendingConnections());
        QVERIFY(other.nextPendingConnection() == nullptr);
    }
    QCOMPARE(first.nextPendingConnection(), queued);
    QVERIFY(first.nextPendingConnection() == nullptr);
    first.addPendingConnection(queued);
    first.close(); // not its child: close() lets it go from the list, not from memory
    QVERIFY(!first.hasPendingConnections());
    {
        QueueingServer gone;
        gone.addPendingConnection(queued);
    }
    delete queued; // after its server: nothing to tell
}

void tst_ServerAccept::maxPendingConnections()
{
    constexpr int Clients = 5;
    QSeqpacketServer server;
    QCOMPARE(server.maxPendingConnections(), 30);
    server.setMaxPendingConnections(2);
    QCOMPARE(server.maxPendingConnections(), 2);
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("pending"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    std::vector<UniqueFd> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.emplace_back(rawConnect(address));
        QVERIFY(clients.back().isValid());
        QVERIFY(TestUtil::rawSend(clients.back().get(), "client-" + QByteArray::number(i)));
    }

    QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
    // Two wait, three stay in the kernel's backlog, and the listening socket stays readable: the
    // server must not spin on it meanwhile. Over an idle second the process uses little CPU.
    const qint64 cpuBefore = cpuTimeMs();
    QTest::qWait(1000);
    const qint64 cpuUsed = cpuTimeMs() - cpuBefore;
    QVERIFY2(cpuUsed < 300, qPrintable(QStringLiteral("%1 ms of CPU time over an idle second").arg(cpuUsed)));

    QSet<QByteArray> seen;
    const auto takeAll = [&](int expected) {
        int taken = 0;
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            ++taken;
            if (socket->parent() != &server || socket->state() != QSeqpacketSocket::ConnectedState)
                return -1;
            if (!socket->waitForPacket(WaitMs))
                return -2;
            seen.insert(socket->receivePacket().data());
            delete socket;
            if (taken > expected)
                break;
        }
        return taken;
    };
    // Exactly two pending, the first two clients; nextPendingConnection() does not accept
    // the others by itself.
    QCOMPARE(takeAll(2), 2);
    QCOMPARE(seen, (QSet<QByteArray>{"client-0", "client-1"}));
    QVERIFY(!server.hasPendingConnections());
    QVERIFY(server.nextPendingConnection() == nullptr);

    // Room again: the rest arrive, at most two at a time.
    while (seen.size() < Clients) {
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
        QTest::qWait(50); // let it accept whatever it would
        const int taken = takeAll(2);
        QVERIFY2(taken >= 1 && taken <= 2, QByteArray::number(taken).constData());
    }
    QCOMPARE(seen.size(), Clients);
    for (int i = 0; i < Clients; ++i)
        QVERIFY(seen.contains("client-" + QByteArray::number(i)));
    QVERIFY(newConnection.size() >= 3);
}

void tst_ServerAccept::burstTakenFromNewConnection()
{
    // Twenty clients wait in the backlog, two may be pending, and a newConnection() slot takes
    // them as they come: one pass of the event loop accepts all twenty, in rounds of two, each
    // announced, rather than two per pass.
    constexpr int Clients = 20;
    QSeqpacketServer server;
    server.setMaxPendingConnections(2);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("burst"))), qPrintable(server.errorString()));
    std::vector<UniqueFd> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.emplace_back(rawConnect('@' + server.serverAddress().abstractName()));
        QVERIFY(clients.back().isValid());
    }
    int announced = 0;
    std::vector<std::unique_ptr<QSeqpacketSocket>> taken;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        ++announced;
        while (QSeqpacketSocket *socket = server.nextPendingConnection())
            taken.emplace_back(socket);
    });
    // One pass each (processEvents() with a time would run passes until it is up).
    QDeadlineTimer deadline(WaitMs);
    while (taken.empty() && !deadline.hasExpired())
        QCoreApplication::processEvents();
    QCOMPARE(int(taken.size()), Clients);
    QCOMPARE(announced, Clients / 2);
    for (const auto &socket : taken)
        QCOMPARE(socket->state(), QSeqpacketSocket::ConnectedState);

    // A slot that leaves them pending stops the rounds at the limit.
    taken.clear();
    server.disconnect(this);
    for (int i = 0; i < 5; ++i) {
        clients.emplace_back(rawConnect('@' + server.serverAddress().abstractName()));
        QVERIFY(clients.back().isValid());
    }
    QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
    QTest::qWait(50);
    int pending = 0;
    while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
        delete socket;
        ++pending;
        if (pending == 2)
            break;
    }
    QCOMPARE(pending, 2);
    QVERIFY(!server.hasPendingConnections());
}

void tst_ServerAccept::nestedLoopWithPendingFull()
{
    // The newConnection() slot leaves the pending list full and runs an event loop of its own
    // (a dialog, a wait): the server switches its notifier off there, not before the signal, and
    // must neither accept beyond the limit nor spin on the still readable listening socket.
    QSeqpacketServer server;
    server.setMaxPendingConnections(2);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("nested"))), qPrintable(server.errorString()));
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 6; ++i) {
        clients.emplace_back(rawConnect('@' + server.serverAddress().abstractName()));
        QVERIFY(clients.back().isValid());
    }
    int announced = 0;
    qint64 cpuInNestedLoop = -1;
    qsizetype pendingAfterNestedLoop = -1;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        if (++announced > 1)
            return;
        const qint64 cpuBefore = cpuTimeMs();
        QTest::qWait(500);
        cpuInNestedLoop = cpuTimeMs() - cpuBefore;
        qsizetype pending = 0;
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            delete socket;
            ++pending;
        }
        pendingAfterNestedLoop = pending;
    });
    QTRY_VERIFY_WITH_TIMEOUT(pendingAfterNestedLoop >= 0, WaitMs);
    QCOMPARE(pendingAfterNestedLoop, qsizetype(2));
    QVERIFY2(cpuInNestedLoop < 150, qPrintable(QStringLiteral("%1 ms of CPU time in half a second").arg(cpuInNestedLoop)));
    // Room again: the other four are accepted and announced (two of them may be pending already,
    // taken by the outer round after the slot above returned).
    int taken = 2;
    server.disconnect(this);
    while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
        delete socket;
        ++taken;
    }
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            delete socket;
            ++taken;
        }
    });
    QTRY_COMPARE_WITH_TIMEOUT(taken, 6, WaitMs);
}

void tst_ServerAccept::deletedInNewConnectionBetweenRounds()
{
    // Clients wait beyond the pending limit and the newConnection() slot takes one connection and
    // deletes the server: the rounds stop there without touching it; the connection taken works
    // and the clients left in the backlog see the end.
    QPointer<QSeqpacketServer> server = new QSeqpacketServer;
    server->setMaxPendingConnections(1);
    QVERIFY2(server->listen(QSeqpacketAddress::fromAbstractName(abstractName("rounds-delete"))),
             qPrintable(server->errorString()));
    const QByteArray address = '@' + server->serverAddress().abstractName();
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 3; ++i) {
        clients.emplace_back(rawConnect(address));
        QVERIFY(clients.back().isValid());
    }
    int calls = 0;
    std::unique_ptr<QSeqpacketSocket> taken;
    connect(server.data(), &QSeqpacketServer::newConnection, this, [&] {
        ++calls;
        taken.reset(server->nextPendingConnection());
        taken->setParent(nullptr);
        delete server.data();
    });
    QTRY_VERIFY_WITH_TIMEOUT(server.isNull(), WaitMs);
    QCOMPARE(calls, 1);
    QVERIFY(taken);
    QCOMPARE(taken->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(TestUtil::rawSend(clients.at(0).get(), "still here"));
    QVERIFY(taken->waitForPacket(WaitMs));
    QCOMPARE(taken->receivePacket().data(), QByteArray("still here"));
    for (size_t i = 1; i < clients.size(); ++i) {
        const TestUtil::RawPacket closed = receiveRunningEvents(clients.at(i).get());
        QVERIFY(closed.eof || closed.error == ECONNRESET);
    }
}

void tst_ServerAccept::waitForNewConnection()
{
    QSeqpacketServer notListening;
    bool timedOut = true;
    QVERIFY(!notListening.waitForNewConnection(100, &timedOut));
    QVERIFY(!timedOut);
    QVERIFY(notListening.serverError() != QSeqpacketSocket::NoError);
    QVERIFY(!notListening.errorString().isEmpty());

    QSeqpacketServer server;
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("wait"))), qPrintable(server.errorString()));
    timedOut = false;
    QVERIFY(!server.waitForNewConnection(100, &timedOut));
    QVERIFY(timedOut);
    QVERIFY(!server.hasPendingConnections());

    UniqueFd client(rawConnect('@' + server.serverAddress().abstractName()));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "hello"));
    timedOut = true;
    QVERIFY(server.waitForNewConnection(WaitMs, &timedOut));
    QVERIFY(!timedOut);
    QVERIFY(server.hasPendingConnections());
    QVERIFY(server.waitForNewConnection(0, &timedOut)); // true at once while one waits
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(socket->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(socket->waitForPacket(WaitMs));
    QCOMPARE(socket->receivePacket().data(), QByteArray("hello"));
    QVERIFY(socket->sendPacket(QByteArrayView("back")));
    QCOMPARE(TestUtil::rawReceive(client.get()).data, QByteArray("back"));
}

void tst_ServerAccept::waitForNewConnectionInThreadWithoutEventLoop()
{
    const QByteArray name = abstractName("wait-thread");
    QSemaphore listening;
    std::atomic<bool> threadOk{false};
    QString threadError;
    std::thread worker([&] {
        // A plain thread: no event loop, only the waitFor...() calls.
        QSeqpacketServer server;
        const bool ok = server.listen(QSeqpacketAddress::fromAbstractName(name));
        listening.release();
        if (!ok) {
            threadError = server.errorString();
            return;
        }
        bool timedOut = true;
        if (!server.waitForNewConnection(WaitMs, &timedOut) || timedOut) {
            threadError = QStringLiteral("waitForNewConnection: ") + server.errorString();
            return;
        }
        QSeqpacketSocket *socket = server.nextPendingConnection();
        if (!socket || !socket->waitForPacket(WaitMs)) {
            threadError = QStringLiteral("no packet");
            return;
        }
        const QByteArray data = socket->receivePacket().data();
        if (!socket->sendPacket(QByteArrayView(data + " from thread")) || !socket->waitForPacketsWritten(WaitMs)) {
            threadError = QStringLiteral("sendPacket: ") + socket->errorString();
            return;
        }
        threadOk = socket->waitForDisconnected(WaitMs);
        if (!threadOk)
            threadError = QStringLiteral("waitForDisconnected: ") + socket->errorString();
        delete socket;
    });
    const bool started = listening.tryAcquire(1, WaitMs);
    UniqueFd client(started ? rawConnect('@' + name) : -1);
    TestUtil::RawPacket echo;
    if (client.isValid() && TestUtil::rawSend(client.get(), "ping"))
        echo = receiveRunningEvents(client.get());
    client.reset();
    worker.join();
    QVERIFY(started);
    QVERIFY2(threadOk, qPrintable(threadError));
    QVERIFY(echo.ok);
    QCOMPARE(echo.data, QByteArray("ping from thread"));
}

// ---- incomingConnection() override ----------------------------------------------------------

void tst_ServerAccept::incomingConnectionOverride()
{
    DescriptorServer server;
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("incoming"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    // Wrapped and added: nextPendingConnection() hands it out.
    UniqueFd client(rawConnect(address));
    QVERIFY(client.isValid());
    QVERIFY(newConnection.wait(WaitMs));
    QCOMPARE(server.descriptors.size(), 1);
    QVERIFY(server.flagsOk.at(0)); // handed over non-blocking and close-on-exec
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(socket->socketDescriptor(), server.descriptors.at(0));
    QVERIFY(TestUtil::rawSend(client.get(), "via override"));
    QVERIFY(socket->waitForPacket(WaitMs));
    QCOMPARE(socket->receivePacket().data(), QByteArray("via override"));

    // Not added: no newConnection(), nothing pending.
    server.wrap = false;
    UniqueFd second(rawConnect(address));
    QVERIFY(second.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(server.descriptors.size(), 2, WaitMs);
    QVERIFY(server.flagsOk.at(1));
    QTest::qWait(50);
    QCOMPARE(newConnection.size(), 1);
    QVERIFY(!server.hasPendingConnections());

    // A peer the filter rejects never reaches incomingConnection().
    server.setPeerFilter([](const QSeqpacketCredentials &) { return false; });
    UniqueFd rejected(rawConnect(address));
    QVERIFY(rejected.isValid());
    const TestUtil::RawPacket closed = receiveRunningEvents(rejected.get());
    QVERIFY(closed.eof);
    QCOMPARE(server.descriptors.size(), 2);
}

void tst_ServerAccept::deletedInIncomingConnection()
{
    // The override deletes the server (after adding the connection): accepting stops there
    // without touching it; the pending socket goes with the server, so the client sees the end;
    // the name is free again (nobody listens: refused).
    QPointer<DescriptorServer> server = new DescriptorServer;
    QVERIFY2(server->listen(QSeqpacketAddress::fromAbstractName(abstractName("incoming-delete"))),
             qPrintable(server->errorString()));
    const QByteArray address = '@' + server->serverAddress().abstractName();
    int calls = 0;
    server->afterIncoming = [&] {
        ++calls;
        delete server.data();
    };
    UniqueFd client(rawConnect(address));
    QVERIFY(client.isValid());
    QTRY_VERIFY_WITH_TIMEOUT(server.isNull(), WaitMs);
    QCOMPARE(calls, 1);
    const TestUtil::RawPacket closed = receiveRunningEvents(client.get());
    QVERIFY(closed.eof || closed.error == ECONNRESET);
    UniqueFd refused(rawConnect(address));
    QVERIFY(!refused.isValid());
}

void tst_ServerAccept::closedFromNewConnectionInsideWaitForNewConnection()
{
    // A slot of newConnection() takes the connection and closes the server, inside
    // waitForNewConnection(): it returns false (no connection pending, not timed out), the server
    // no longer listens, and the connection taken works.
    QSeqpacketServer server;
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("wait-close"))),
             qPrintable(server.errorString()));
    std::unique_ptr<QSeqpacketSocket> taken;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        taken.reset(server.nextPendingConnection());
        server.close();
    });
    UniqueFd client(rawConnect('@' + server.serverAddress().abstractName()));
    QVERIFY(client.isValid());
    bool timedOut = true;
    QVERIFY(!server.waitForNewConnection(WaitMs, &timedOut));
    QVERIFY(!timedOut);
    QVERIFY(!server.isListening());
    QVERIFY(!server.hasPendingConnections());
    QVERIFY(taken);
    QCOMPARE(taken->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(taken->sendPacket(QByteArrayView("still here")));
    QCOMPARE(TestUtil::rawReceive(client.get()).data, QByteArray("still here"));
}

// ---- threads --------------------------------------------------------------------------------

void tst_ServerAccept::acceptedSocketsInWorkerThreads()
{
    constexpr int Workers = 3;
    constexpr int Connections = 9;
    constexpr int Rounds = 20;
    const QByteArray name = abstractName("threads");

    std::vector<std::unique_ptr<QThread>> workers;
    for (int i = 0; i < Workers; ++i) {
        workers.push_back(std::make_unique<QThread>());
        workers.back()->start(); // QThread::run() runs exec()
    }
    std::atomic<int> echoed{0};
    std::atomic<int> echoedOffThread{0}; // echoes not done in the socket's worker thread
    std::atomic<int> ended{0};
    std::atomic<int> destroyed{0};
    int moved = 0;

    QSeqpacketServer server;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            QThread *worker = workers[size_t(moved++ % Workers)].get();
            socket->setParent(nullptr);
            socket->moveToThread(worker);
            connect(socket, &QObject::destroyed, this, [&destroyed] { ++destroyed; }, Qt::DirectConnection);
            // From here on the socket is used in its worker thread only.
            QMetaObject::invokeMethod(socket, [socket, worker, &echoed, &echoedOffThread, &ended] {
                const auto echo = [socket, worker, &echoed, &echoedOffThread] {
                    while (socket->hasPendingPackets()) {
                        if (QThread::currentThread() != worker)
                            ++echoedOffThread;
                        socket->sendPacket(socket->receivePacket().data());
                        ++echoed;
                    }
                };
                QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, echo);
                QObject::connect(socket, &QSeqpacketSocket::disconnected, socket, [socket, &ended] {
                    ++ended;
                    socket->deleteLater();
                });
                echo(); // whatever came before the connection was made
            }, Qt::QueuedConnection);
        }
    });
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));

    auto client = startHelper({QStringLiteral("echo"), QString::fromLatin1('@' + name), QString::number(Connections),
                               QString::number(Rounds), QStringLiteral("3000")});
    QVERIFY(client->waitForStarted());
    const bool exited = waitForExit(client.get());
    const QByteArray output = client->readAllStandardOutput();
    if (exited) {
        QTRY_COMPARE_WITH_TIMEOUT(ended.load(), Connections, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(destroyed.load(), Connections, WaitMs);
    }
    for (auto &worker : workers) {
        worker->quit();
        worker->wait();
    }
    QVERIFY(exited);
    QVERIFY2(client->exitCode() == 0 && output.contains("ok " + QByteArray::number(Connections) + ' '
                                                        + QByteArray::number(Connections * Rounds)),
             describeProcess(client.get(), output).constData());
    QCOMPARE(moved, Connections);
    QCOMPARE(echoed.load(), Connections * Rounds);
    QCOMPARE(echoedOffThread.load(), 0);
}

QTEST_GUILESS_MAIN(tst_ServerAccept)
#include "tst_server_accept.moc"
