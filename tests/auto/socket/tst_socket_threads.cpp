// SPDX-License-Identifier: MIT
// QSeqpacketSocket in other threads: the waitFor...() calls in a QThread whose run() never calls
// exec() (against the peer process) and in a std::thread (against a raw peer in the main
// thread), a socket moved to a thread that runs an event loop, and the waitFor...() calls'
// immediate answers and timeouts.
#include <QSeqpacketSocket>

#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QScopeGuard>
#include <QtCore/QThread>
#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <pthread.h>

using namespace SocketTest;
using TestUtil::UniqueFd;

namespace {

// Collects what went wrong in a thread that cannot use the QTest macros.
class Failures
{
public:
    void check(bool condition, const QString &what)
    {
        if (condition)
            return;
        QMutexLocker locker(&m_mutex);
        m_list << what;
    }
    QByteArray text()
    {
        QMutexLocker locker(&m_mutex);
        return m_list.join(QStringLiteral("; ")).toUtf8();
    }
    bool isEmpty()
    {
        QMutexLocker locker(&m_mutex);
        return m_list.isEmpty();
    }

private:
    QMutex m_mutex;
    QStringList m_list;
};

QString describe(const QSeqpacketSocket &socket)
{
    return QStringLiteral(" [%1: %2]").arg(QLatin1String(errorName(socket.error())), socket.errorString());
}

// A QThread whose run() does the work itself and never calls exec(): no event loop.
class NoEventLoopThread : public QThread
{
public:
    explicit NoEventLoopThread(std::function<void()> work) : m_work(std::move(work)) {}
    void run() override { m_work(); }

private:
    std::function<void()> m_work;
};

} // namespace

class tst_SocketThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void waitForInQThreadWithoutEventLoop();
    void waitForInStdThread();
    void socketMovedToThread();
    void socketConnectedInsideThread();
    void waitForAnswersAtOnceAndTimesOut();
    void waitForRetriesAfterSignals();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketThreads::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL);
    warmUp();
}

void tst_SocketThreads::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketThreads::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

void tst_SocketThreads::waitForInQThreadWithoutEventLoop()
{
    const QByteArray name = TestUtil::uniqueAbstractName("thread-wait");
    PeerProcess peer;
    QVERIFY(peer.startListening(peerArgument(name)));
    Failures failures;
    std::atomic<bool> openGate{false};
    const int sinkCount = 300;

    NoEventLoopThread thread([&] {
        QSeqpacketSocket socket;
        int errorSignals = 0;
        int disconnectedSignals = 0;
        QObject::connect(&socket, &QSeqpacketSocket::errorOccurred, [&] { ++errorSignals; });
        QObject::connect(&socket, &QSeqpacketSocket::disconnected, [&] { ++disconnectedSignals; });
        socket.connectToServer(QSeqpacketAddress::fromAbstractName(name));
        failures.check(socket.waitForConnected(LongTimeout), QStringLiteral("waitForConnected") + describe(socket));
        failures.check(socket.state() == QSeqpacketSocket::ConnectedState, QStringLiteral("not connected"));

        failures.check(socket.sendPacket("echo hello"), QStringLiteral("send echo"));
        failures.check(socket.waitForPacket(LongTimeout), QStringLiteral("waitForPacket echo") + describe(socket));
        failures.check(socket.receivePacket().data() == "echo hello", QStringLiteral("echo reply"));

        // A pending packet: waitForPacket() answers at once.
        failures.check(socket.sendPacket("echo a") && socket.sendPacket("echo b"), QStringLiteral("send a, b"));
        failures.check(socket.waitForPacket(LongTimeout), QStringLiteral("waitForPacket a"));
        failures.check(socket.receivePacket().data() == "echo a", QStringLiteral("reply a"));
        failures.check(socket.waitForPacket(LongTimeout), QStringLiteral("waitForPacket b"));
        failures.check(socket.waitForPacket(0), QStringLiteral("waitForPacket(0) with a packet pending"));
        failures.check(socket.receivePacket().data() == "echo b", QStringLiteral("reply b"));

        // Nothing comes: a timeout, without errorOccurred().
        failures.check(!socket.waitForPacket(50), QStringLiteral("waitForPacket(50) should time out"));
        failures.check(socket.error() == QSeqpacketSocket::TimeoutError, QStringLiteral("not TimeoutError") + describe(socket));
        failures.check(errorSignals == 0, QStringLiteral("errorOccurred() for a timeout"));

        // Fill the send queue while the peer reads nothing, then let it read.
        failures.check(socket.sendPacket("gate"), QStringLiteral("send gate"));
        failures.check(socket.waitForPacket(LongTimeout) && socket.receivePacket().data() == "gated",
                       QStringLiteral("gated"));
        failures.check(socket.sendPacket("sink " + QByteArray::number(sinkCount)), QStringLiteral("send sink"));
        for (int i = 0; i < sinkCount; ++i)
            failures.check(socket.sendPacket(TestUtil::sequencedPayload(i, 4000)), QStringLiteral("send %1").arg(i));
        failures.check(socket.packetsToWrite() > 0, QStringLiteral("the send queue was never used"));
        openGate = true;
        failures.check(socket.waitForPacketsWritten(LongTimeout), QStringLiteral("waitForPacketsWritten") + describe(socket));
        failures.check(socket.packetsToWrite() == 0, QStringLiteral("queue not empty after waitForPacketsWritten"));
        failures.check(socket.waitForPacketsWritten(0), QStringLiteral("waitForPacketsWritten(0) with an empty queue"));
        failures.check(socket.waitForPacket(LongTimeout), QStringLiteral("waitForPacket sunk"));
        const QByteArray verdict = socket.receivePacket().data();
        failures.check(verdict == "sunk " + QByteArray::number(sinkCount) + " ok", QString::fromLatin1("verdict " + verdict));

        // The peer sends 50 packets and exits: waitForDisconnected() sees the end, nothing is lost.
        failures.check(socket.sendPacket("burst 50 100"), QStringLiteral("send burst"));
        failures.check(socket.waitForDisconnected(LongTimeout), QStringLiteral("waitForDisconnected") + describe(socket));
        failures.check(socket.state() == QSeqpacketSocket::UnconnectedState, QStringLiteral("still connected"));
        failures.check(disconnectedSignals == 1, QStringLiteral("disconnected() %1 times").arg(disconnectedSignals));
        QList<QByteArray> burst;
        while (socket.hasPendingPackets() && burst.size() < 1000)
            burst << socket.receivePacket().data();
        failures.check(burst.size() == 50, QStringLiteral("%1 burst packets").arg(burst.size()));
        failures.check(checkSequence(burst, 0, 100).isEmpty(), QString::fromLatin1(checkSequence(burst, 0, 100)));
        failures.check(socket.waitForDisconnected(0), QStringLiteral("waitForDisconnected when already unconnected"));
        failures.check(disconnectedSignals == 1, QStringLiteral("disconnected() again"));
    });
    thread.start();
    QDeadlineTimer deadline(2 * LongTimeout);
    bool gateWritten = false;
    while (!thread.isFinished() && !deadline.hasExpired()) {
        if (openGate && !gateWritten) {
            peer.process().write("go\n");
            gateWritten = true;
        }
        QTest::qWait(5);
    }
    QVERIFY2(thread.wait(LongTimeout), "the thread is stuck");
    QVERIFY2(failures.isEmpty(), failures.text().constData());
    QVERIFY(gateWritten);
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketThreads::waitForInStdThread()
{
    UniqueFd ours, raw;
    QVERIFY(TestUtil::rawSocketPair(&ours, &raw));
    QVERIFY(TestUtil::rawSend(raw.get(), "ping"));
    Failures failures;
    std::atomic<int> sentTotal{-1};
    std::atomic<bool> gotAfter{false};
    const int fd = ours.release();

    std::thread worker([&] {
        QSeqpacketSocket socket;
        int disconnectedSignals = 0;
        QObject::connect(&socket, &QSeqpacketSocket::disconnected, [&] { ++disconnectedSignals; });
        if (!socket.setSocketDescriptor(fd)) {
            ::close(fd);
            failures.check(false, QStringLiteral("setSocketDescriptor") + describe(socket));
            sentTotal = 0;
            return;
        }
        failures.check(socket.waitForConnected(0), QStringLiteral("waitForConnected on a connected socket"));
        failures.check(socket.waitForPacket(LongTimeout), QStringLiteral("waitForPacket ping"));
        failures.check(socket.receivePacket().data() == "ping", QStringLiteral("ping"));

        const int inKernel = fillKernelBuffer(&socket, 1000);
        failures.check(inKernel > 0, QStringLiteral("kernel buffer never filled"));
        for (int i = 0; i < 20; ++i)
            failures.check(socket.sendPacket(TestUtil::sequencedPayload(inKernel + i, 1000)), QStringLiteral("send"));
        failures.check(socket.packetsToWrite() == 21, QStringLiteral("queued %1").arg(socket.packetsToWrite()));
        sentTotal = inKernel + 20;
        failures.check(socket.waitForPacketsWritten(LongTimeout), QStringLiteral("waitForPacketsWritten") + describe(socket));
        failures.check(socket.packetsToWrite() == 0, QStringLiteral("queue not empty"));

        failures.check(socket.waitForPacket(LongTimeout), QStringLiteral("waitForPacket after"));
        failures.check(socket.receivePacket().data() == "after", QStringLiteral("after"));
        gotAfter = true;
        failures.check(socket.waitForDisconnected(LongTimeout), QStringLiteral("waitForDisconnected") + describe(socket));
        failures.check(socket.state() == QSeqpacketSocket::UnconnectedState, QStringLiteral("still connected"));
        failures.check(disconnectedSignals == 1, QStringLiteral("disconnected() %1 times").arg(disconnectedSignals));
        failures.check(socket.waitForDisconnected(0), QStringLiteral("waitForDisconnected when unconnected"));
    });

    QDeadlineTimer deadline(LongTimeout);
    while (sentTotal < 0 && !deadline.hasExpired())
        QThread::msleep(1);
    RawDrain drained;
    if (sentTotal > 0)
        drained = drainRaw(raw.get(), sentTotal);
    QVERIFY(TestUtil::rawSend(raw.get(), "after"));
    while (!gotAfter && !deadline.hasExpired() && failures.isEmpty())
        QThread::msleep(1);
    raw.reset();
    worker.join();
    QVERIFY2(failures.isEmpty(), failures.text().constData());
    QCOMPARE(drained.packets.size(), int(sentTotal));
    const QByteArray problem = checkSequence(drained.packets, 0, 1000);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_SocketThreads::socketMovedToThread()
{
    // A socket made (and connected) here, moved to a thread with an event loop, echoes there.
    QThread thread;
    auto [a, b] = QSeqpacketSocket::createPair();
    QPointer<QSeqpacketSocket> moved(a);
    std::unique_ptr<QSeqpacketSocket> local(b);
    std::atomic<int> wrongThread{0};
    std::atomic<int> echoed{0};
    connect(a, &QSeqpacketSocket::packetReady, a, [a, &thread, &wrongThread, &echoed] {
        if (QThread::currentThread() != &thread)
            ++wrongThread;
        while (a->hasPendingPackets()) {
            const QSeqpacketPacket packet = a->receivePacket();
            ++echoed; // before the echo: the test reads the count once it has the echo
            if (!a->sendPacket("echo:" + packet.data()))
                --echoed;
        }
    });
    a->moveToThread(&thread);
    thread.start();
    auto stopThread = qScopeGuard([&] { // also on failure: never destroy a running QThread
        if (moved)
            QMetaObject::invokeMethod(moved, [object = moved.data()] { delete object; }, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
    });

    SignalLog log(local.get(), true);
    const int count = 500;
    for (int i = 0; i < count; ++i)
        QVERIFY(local->sendPacket(TestUtil::sequencedPayload(i, 3000)));
    QTRY_COMPARE_WITH_TIMEOUT(log.packets.size(), count, LongTimeout);
    for (int i = 0; i < count; ++i)
        QCOMPARE(log.packets.at(i).data(), "echo:" + TestUtil::sequencedPayload(i, 3000));
    QCOMPARE(wrongThread.load(), 0);
    QCOMPARE(echoed.load(), count);

    // Closing from its own thread reaches us as a clean end.
    QMetaObject::invokeMethod(a, [a] { a->disconnectFromServer(); });
    QTRY_COMPARE_WITH_TIMEOUT(log.count(QStringLiteral("disconnected")), 1, LongTimeout);
    QMetaObject::invokeMethod(a, [a] { a->deleteLater(); });
    QTRY_VERIFY_WITH_TIMEOUT(moved.isNull(), LongTimeout);
    thread.quit();
    QVERIFY(thread.wait(LongTimeout));
}

void tst_SocketThreads::socketConnectedInsideThread()
{
    // Created here, moved first, connected and used in the thread through queued calls.
    TestUtil::RawListener listener;
    const QByteArray name = TestUtil::uniqueAbstractName("in-thread");
    QVERIFY(listener.listenAbstract(name));
    QThread thread;
    auto *socket = new QSeqpacketSocket;
    QPointer<QSeqpacketSocket> guard(socket);
    std::atomic<int> received{0};
    std::atomic<int> wrongThread{0};
    connect(socket, &QSeqpacketSocket::packetReady, socket, [socket, &thread, &received, &wrongThread] {
        if (QThread::currentThread() != &thread)
            ++wrongThread;
        while (socket->hasPendingPackets()) {
            const QByteArray data = socket->receivePacket().data();
            ++received; // before the reply: the test reads the count once it has the reply
            socket->sendPacket("reply:" + data);
        }
    });
    socket->moveToThread(&thread);
    thread.start();
    auto stopThread = qScopeGuard([&] { // also on failure: never destroy a running QThread
        if (guard)
            QMetaObject::invokeMethod(guard, [object = guard.data()] { delete object; }, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
    });
    QMetaObject::invokeMethod(socket, [socket, name] {
        socket->connectToServer(QSeqpacketAddress::fromAbstractName(name));
    });
    UniqueFd accepted(listener.acceptOne(LongTimeout));
    QVERIFY(accepted.isValid());
    for (int i = 0; i < 50; ++i)
        QVERIFY(TestUtil::rawSend(accepted.get(), TestUtil::sequencedPayload(i, 64)));
    for (int i = 0; i < 50; ++i) {
        TestUtil::RawPacket reply = TestUtil::rawReceive(accepted.get(), LongTimeout);
        QVERIFY2(reply.ok, "no reply from the socket's thread");
        QCOMPARE(reply.data, "reply:" + TestUtil::sequencedPayload(i, 64));
    }
    QCOMPARE(received.load(), 50);
    QCOMPARE(wrongThread.load(), 0);
    QMetaObject::invokeMethod(socket, [socket] { socket->deleteLater(); });
    QTRY_VERIFY_WITH_TIMEOUT(guard.isNull(), LongTimeout);
    QVERIFY(TestUtil::rawReceive(accepted.get(), LongTimeout).eof);
    thread.quit();
    QVERIFY(thread.wait(LongTimeout));
}

void tst_SocketThreads::waitForAnswersAtOnceAndTimesOut()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> first(a), second(b);
    QSignalSpy errors(first.get(), &QSeqpacketSocket::errorOccurred);
    QVERIFY(first->waitForConnected(0));
    QVERIFY(first->waitForPacketsWritten(0)); // nothing queued
    QVERIFY(second->sendPacket("pending"));
    QVERIFY(first->waitForPacket(0)); // in the kernel already: no waiting needed
    QVERIFY(first->waitForPacket(0)); // and still there
    QCOMPARE(first->receivePacket().data(), QByteArray("pending"));

    QVERIFY(!first->waitForPacket(30));
    QCOMPARE(first->error(), QSeqpacketSocket::TimeoutError);
    QVERIFY(!first->errorString().isEmpty());
    QVERIFY(!first->waitForDisconnected(30));
    QCOMPARE(first->error(), QSeqpacketSocket::TimeoutError);
    QCOMPARE(errors.size(), 0); // timeouts do not emit errorOccurred()
    QCOMPARE(first->state(), QSeqpacketSocket::ConnectedState);

    QSignalSpy disconnected(first.get(), &QSeqpacketSocket::disconnected);
    second.reset();
    QVERIFY(first->waitForDisconnected(LongTimeout));
    QCOMPARE(first->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(disconnected.size(), 1);
    QVERIFY(first->waitForDisconnected(0)); // already unconnected
    QVERIFY(!first->waitForPacket(0));

    QSeqpacketSocket fresh;
    QVERIFY(fresh.waitForDisconnected(0)); // never connected
    QVERIFY(!fresh.waitForConnected(0));
}

void tst_SocketThreads::waitForRetriesAfterSignals()
{
    // A handler without SA_RESTART: each signal interrupts whatever the waiting thread is blocked
    // in (poll). Interrupted calls must be retried, not reported as failures. The handler stays
    // installed: a late signal must not end the process.
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    QCOMPARE(::sigaction(SIGUSR1, &action, nullptr), 0);

    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    const pthread_t waiter = ::pthread_self();
    const int rawFd = raw.get();
    // Under valgrind each signal and each receive (memcheck marks the receive slots' whole
    // buffers) take milliseconds, and with another memcheck run beside it this test outlasted
    // 30 s: there 10 signals interrupt the wait as well, and the waits get longer.
    const int signalCount = TestUtil::underValgrind() ? 10 : 100;
    const int timeout = TestUtil::underValgrind() ? 4 * LongTimeout : LongTimeout;
    std::thread interrupter([waiter, rawFd, signalCount] {
        for (int i = 0; i < signalCount; ++i) {
            ::pthread_kill(waiter, SIGUSR1);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        TestUtil::rawSend(rawFd, "after the signals");
    });
    const bool gotPacket = socket.waitForPacket(timeout);
    interrupter.join();
    QVERIFY2(gotPacket, qPrintable(describe(socket)));
    QCOMPARE(socket.receivePacket().data(), QByteArray("after the signals"));

    // The same while waiting for the end.
    std::thread closer([waiter, &raw, signalCount] {
        for (int i = 0; i < signalCount; ++i) {
            ::pthread_kill(waiter, SIGUSR1);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        raw.reset();
    });
    const bool gotEnd = socket.waitForDisconnected(timeout);
    closer.join();
    QVERIFY2(gotEnd, qPrintable(describe(socket)));
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(errors.size(), 0);
}

QTEST_GUILESS_MAIN(tst_SocketThreads)
#include "tst_socket_threads.moc"
