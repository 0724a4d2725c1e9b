// SPDX-License-Identifier: MIT
// Many sockets in one thread: from QSeqpacketEventHub::SocketsForHub sockets on, a thread's
// sockets share one epoll set watched by one notifier. What must hold there: every packet arrives
// once; a slot may delete other sockets that are ready in the same batch, or run a nested event
// loop; a socket moved to another thread and back goes on; a forked child that lets its copies
// of the sockets go does not take them from the parent; the epoll descriptor goes with the last
// socket. QSEQPACKET_EVENT_HUB=0 turns the hub off (then only the packet checks apply) and =1
// uses it for every socket (CI runs the whole suite that way too).
#include <QSeqpacketSocket>

#include <QtCore/QEventLoop>
#include <QtCore/QPointer>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include "sockettest.h"
#include "testutil.h"

#include <atomic>
#include <memory>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace SocketTest;

namespace {

// QSeqpacketEventHub::SocketsForHub, and a margin.
constexpr int ManyPairs = 40;

enum class HubSetting { Off, Always, Automatic };

HubSetting hubSetting()
{
    bool set = false;
    const int value = qEnvironmentVariableIntValue("QSEQPACKET_EVENT_HUB", &set);
    if (!set)
        return HubSetting::Automatic;
    return value == 0 ? HubSetting::Off : HubSetting::Always;
}

// Pairs whose second sockets echo every packet back.
struct EchoPairs
{
    std::vector<QPointer<QSeqpacketSocket>> near;
    std::vector<QPointer<QSeqpacketSocket>> far;
    std::vector<int> echoesHeard;

    explicit EchoPairs(int count)
    {
        for (int i = 0; i < count; ++i) {
            auto [a, b] = QSeqpacketSocket::createPair();
            near.emplace_back(a);
            far.emplace_back(b);
            echoesHeard.push_back(0);
            QObject::connect(b, &QSeqpacketSocket::packetReady, b, [b] {
                for (QSeqpacketPacket packet = b->receivePacket(); packet.isValid(); packet = b->receivePacket())
                    b->sendPacket(packet.data());
            });
            QObject::connect(a, &QSeqpacketSocket::packetReady, a, [this, a, i] {
                for (QSeqpacketPacket packet = a->receivePacket(); packet.isValid(); packet = a->receivePacket()) {
                    if (packet.data() == QByteArray::number(i))
                        ++echoesHeard[size_t(i)];
                }
            });
        }
    }
    ~EchoPairs()
    {
        for (auto &socket : near)
            delete socket.data();
        for (auto &socket : far)
            delete socket.data();
    }
    EchoPairs(const EchoPairs &) = delete;
    EchoPairs &operator=(const EchoPairs &) = delete;

    void sendFromEach()
    {
        for (size_t i = 0; i < near.size(); ++i) {
            if (near[i] && far[i])
                near[i]->sendPacket(QByteArray::number(int(i)));
        }
    }
    // Waits until every pair whose sockets are left (but pair \a skipped) has heard \a rounds echoes.
    bool waitForEchoesOfAllBut(int skipped, int rounds)
    {
        return QTest::qWaitFor([&] {
            for (size_t i = 0; i < near.size(); ++i) {
                if (int(i) != skipped && near[i] && far[i] && echoesHeard[i] < rounds)
                    return false;
            }
            return true;
        }, LongTimeout);
    }
    bool waitForEchoes(int rounds) { return waitForEchoesOfAllBut(-1, rounds); }
};

// A QThread running its event loop for the scope of a test function.
struct RunningThread : QThread
{
    RunningThread() { start(); }
    ~RunningThread() override
    {
        quit();
        wait();
    }
};

} // namespace

class tst_SocketHub : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void manySocketsShareOneEventSet();
    void slotDeletesSocketsReadyInTheSameBatch();
    void nestedEventLoopInASlot();
    void movedToAnotherThreadAndBack();
    void forkedChildLeavesTheParentsSetAlone();
    void sendQueueDrainsThroughTheSet();
    void socketWithoutDescriptorMoves();
    void deletedBeforeItsNewThreadRan();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketHub::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_SocketHub::cleanup()
{
    // Deferred deletions first: a socket deleted with deleteLater() holds its descriptor until then.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    const QMap<int, QByteArray> now = TestUtil::openFds();
    QVERIFY2(now == m_fdsAtStart, TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
}

void tst_SocketHub::manySocketsShareOneEventSet()
{
    const int setsAtStart = TestUtil::openEventSetCount();
    {
        // A few sockets: a notifier each, unless the hub is asked for always.
        EchoPairs few(4);
        few.sendFromEach();
        QVERIFY(few.waitForEchoes(1));
        QCOMPARE(TestUtil::openEventSetCount(), setsAtStart + (hubSetting() == HubSetting::Always ? 1 : 0));
    }
    QCOMPARE(TestUtil::openEventSetCount(), setsAtStart);
    {
        EchoPairs many(ManyPairs);
        for (int round = 1; round <= 3; ++round) {
            many.sendFromEach();
            QVERIFY2(many.waitForEchoes(round), qPrintable(QStringLiteral("round %1").arg(round)));
        }
        for (int heard : many.echoesHeard)
            QCOMPARE(heard, 3); // once each, nothing twice
        // One set for the whole thread, however many sockets joined it.
        QCOMPARE(TestUtil::openEventSetCount(), setsAtStart + (hubSetting() == HubSetting::Off ? 0 : 1));
    }
    // The set goes with the last socket.
    QCOMPARE(TestUtil::openEventSetCount(), setsAtStart);
}

void tst_SocketHub::slotDeletesSocketsReadyInTheSameBatch()
{
    EchoPairs pairs(ManyPairs);
    // The first far socket to hear its packet deletes every other far socket of an even index,
    // all of which have a packet waiting, and itself: epoll reported them in the same batch.
    bool deleted = false;
    for (size_t i = 0; i < pairs.far.size(); ++i) {
        QSeqpacketSocket *far = pairs.far[i];
        QObject::connect(far, &QSeqpacketSocket::packetReady, far, [&pairs, &deleted, far] {
            if (deleted)
                return;
            deleted = true;
            for (size_t j = 0; j < pairs.far.size(); j += 2) {
                if (pairs.far[j] != far)
                    delete pairs.far[j].data();
            }
            delete far;
        }, Qt::DirectConnection);
    }
    // (The echo slots were connected first: the deleting socket echoes, then deletes.)
    pairs.sendFromEach();
    QVERIFY(QTest::qWaitFor([&] { return deleted; }, LongTimeout));
    // The odd far sockets that are left echo, this round and the next.
    QVERIFY(pairs.waitForEchoes(1));
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoes(2));
    int left = 0;
    for (size_t i = 0; i < pairs.far.size(); ++i) {
        if (!pairs.far[i])
            continue;
        ++left;
        QCOMPARE(pairs.echoesHeard[i], 2);
    }
    // The odd ones, but the deleter where it was one of them.
    QVERIFY2(left == ManyPairs / 2 || left == ManyPairs / 2 - 1, qPrintable(QString::number(left)));
}

void tst_SocketHub::nestedEventLoopInASlot()
{
    EchoPairs pairs(ManyPairs);
    // One far socket runs a nested event loop from its slot, in which the others are served.
    QSeqpacketSocket *nesting = pairs.far[0];
    int nestedRuns = 0;
    QObject::connect(nesting, &QSeqpacketSocket::packetReady, nesting, [&nestedRuns] {
        ++nestedRuns;
        QEventLoop loop;
        QTimer::singleShot(50, &loop, &QEventLoop::quit);
        loop.exec();
    });
    for (int round = 1; round <= 3; ++round) {
        pairs.sendFromEach();
        QVERIFY2(pairs.waitForEchoes(round), qPrintable(QStringLiteral("round %1").arg(round)));
    }
    for (int heard : pairs.echoesHeard)
        QCOMPARE(heard, 3);
    QVERIFY(nestedRuns >= 1);
}

void tst_SocketHub::movedToAnotherThreadAndBack()
{
    EchoPairs pairs(ManyPairs);
    QSeqpacketSocket *traveller = pairs.far[ManyPairs - 1]; // joined the hub, where there is one
    // What the threads share is made before the thread starts (ThreadSanitizer sees that order;
    // it cannot see Qt's event queue, which orders the rest).
    std::atomic<QThread *> servedIn { nullptr };
    std::atomic<bool> movedBack { false };
    QThread *const mainThread = QThread::currentThread();
    RunningThread thread;
    QObject::connect(traveller, &QSeqpacketSocket::packetReady, traveller, [&servedIn] {
        servedIn = QThread::currentThread();
    });

    traveller->moveToThread(&thread);
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoes(1));
    QCOMPARE(servedIn.load(), &thread);

    // Back, from its own thread (moveToThread() pushes, it does not pull). Not with a blocking
    // queued call: ThreadSanitizer cannot see Qt's semaphore, and the atomic says it all.
    QMetaObject::invokeMethod(traveller, [traveller, mainThread, &movedBack] {
        traveller->moveToThread(mainThread);
        movedBack = true;
    }, Qt::QueuedConnection);
    QVERIFY(QTest::qWaitFor([&movedBack] { return movedBack.load(); }, LongTimeout));
    QCOMPARE(traveller->thread(), mainThread);
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoes(2));
    QCOMPARE(servedIn.load(), QThread::currentThread());
    for (int heard : pairs.echoesHeard)
        QCOMPARE(heard, 2);
}

void tst_SocketHub::forkedChildLeavesTheParentsSetAlone()
{
    if (TestUtil::underValgrind())
        QSKIP("valgrind cannot follow the forked child's copy of the event loop");
    EchoPairs pairs(ManyPairs);
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoes(1));

    const pid_t child = ::fork();
    QVERIFY(child != -1);
    if (child == 0) {
        // The child's copies of the sockets go: they close the child's descriptors and must not
        // take the parent's sockets out of the epoll set the two processes share. A socket the
        // child makes has a set of its own.
        for (auto &socket : pairs.far)
            delete socket.data();
        {
            EchoPairs own(ManyPairs);
            own.sendFromEach();
            QCoreApplication::processEvents();
        }
        ::_exit(0);
    }
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    pairs.sendFromEach();
    QVERIFY2(pairs.waitForEchoes(2), "the parent's sockets were taken out of its epoll set");
}

void tst_SocketHub::sendQueueDrainsThroughTheSet()
{
    EchoPairs pairs(ManyPairs);
    // More than the kernel takes while nobody reads: the rest waits in the send queue, and the
    // sender asks the set for writability as well, then for reading alone again.
    QSeqpacketSocket *sender = pairs.near[ManyPairs - 1];
    QSeqpacketSocket *receiver = pairs.far[ManyPairs - 1];
    QObject::disconnect(receiver, &QSeqpacketSocket::packetReady, nullptr, nullptr);
    int next = 0;
    QByteArray problem;
    QObject::connect(receiver, &QSeqpacketSocket::packetReady, receiver, [&] {
        for (QSeqpacketPacket packet = receiver->receivePacket(); packet.isValid(); packet = receiver->receivePacket()) {
            if (TestUtil::sequenceOf(packet.data()) != next++)
                problem = "out of order at " + QByteArray::number(next - 1);
        }
    });
    constexpr int Count = 2000;
    for (int i = 0; i < Count; ++i)
        sender->sendPacket(TestUtil::sequencedPayload(i, 1024));
    QVERIFY2(sender->packetsToWrite() > 0, "the kernel took everything: nothing was queued");
    QVERIFY(QTest::qWaitFor([&] { return next == Count || !problem.isEmpty(); }, LongTimeout));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(sender->packetsToWrite(), 0);
    // And the pairs around it still echo.
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoesOfAllBut(ManyPairs - 1, 1));
}

void tst_SocketHub::socketWithoutDescriptorMoves()
{
    EchoPairs pairs(ManyPairs);
    // A socket that has closed its descriptor watches nothing; in another thread it still
    // watches nothing, and back here it is unconnected while the sockets around it work.
    QSeqpacketSocket *socket = pairs.near[ManyPairs - 1];
    socket->abort();
    std::atomic<bool> movedBack { false }; // before the thread starts, as above
    QThread *const mainThread = QThread::currentThread();
    RunningThread thread;
    socket->moveToThread(&thread);
    QMetaObject::invokeMethod(socket, [socket, mainThread, &movedBack] {
        socket->moveToThread(mainThread);
        movedBack = true;
    }, Qt::QueuedConnection);
    QVERIFY(QTest::qWaitFor([&movedBack] { return movedBack.load(); }, LongTimeout));
    QCOMPARE(socket->state(), QSeqpacketSocket::UnconnectedState);
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoesOfAllBut(ManyPairs - 1, 1));
}

void tst_SocketHub::deletedBeforeItsNewThreadRan()
{
    EchoPairs pairs(ManyPairs);
    // Moved to a thread that never ran, then deleted here (allowed: its thread runs no events):
    // it leaves this thread's set and count once, and nothing of it is left.
    QThread neverStarted;
    QSeqpacketSocket *socket = pairs.far[ManyPairs - 1];
    socket->moveToThread(&neverStarted);
    delete socket;
    pairs.sendFromEach();
    QVERIFY(pairs.waitForEchoesOfAllBut(ManyPairs - 1, 1));
}

QTEST_GUILESS_MAIN(tst_SocketHub)
#include "tst_socket_hub.moc"
