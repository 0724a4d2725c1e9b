// SPDX-License-Identifier: MIT
// The event hub (a thread's epoll set, from 32 sockets on) when its system calls fail: no epoll
// set (epoll_create1: EMFILE, ENFILE, ENOMEM), a socket the set refuses (epoll_ctl ADD: ENOSPC,
// ENOMEM, EPERM), a change of interest it refuses (MOD), a removal that fails (DEL), and
// epoll_wait failing or interrupted. What a user sees: the sockets go on with a notifier each
// (a warning says why), every packet arrives once and in order, nothing leaks, nothing spins.
#include <QSeqpacketSocket>

#include "faulttest.h"

#include <QtCore/QRegularExpression>

#include <memory>
#include <vector>

#include <sys/epoll.h>

using namespace FaultTest;
using TestUtil::sequencedPayload;

namespace {

// A socket pair whose second socket counts what it receives, in order.
struct CountedPair
{
    CountedPair()
    {
        auto [a, b] = QSeqpacketSocket::createPair();
        sender.reset(a);
        receiver.reset(b);
        QObject::connect(receiver.get(), &QSeqpacketSocket::packetReady, receiver.get(), [this] {
            problem += takeSequence(receiver.get(), &next);
        });
    }
    bool isValid() const { return sender->state() == QSeqpacketSocket::ConnectedState && receiver->state() == QSeqpacketSocket::ConnectedState; }
    void send(int count, int size = 64)
    {
        for (int i = 0; i < count; ++i)
            sender->sendPacket(sequencedPayload(sent++, size));
    }
    bool allArrived() { return waitUntil([this] { return next == sent || !problem.isEmpty(); }) && problem.isEmpty(); }

    std::unique_ptr<QSeqpacketSocket> sender;
    std::unique_ptr<QSeqpacketSocket> receiver;
    int sent = 0;
    int next = 0;
    QByteArray problem;
};

// Enough sockets in this thread that the next ones join its event hub (SocketsForHub, 32).
struct Crowd
{
    Crowd()
    {
        for (int i = 0; i < 16; ++i)
            pairs.push_back(std::make_unique<CountedPair>());
    }
    bool allWork()
    {
        for (auto &pair : pairs)
            pair->send(1);
        for (auto &pair : pairs) {
            if (!pair->allArrived())
                return false;
        }
        return true;
    }
    std::vector<std::unique_ptr<CountedPair>> pairs;
};

bool hubTurnedOff()
{
    bool set = false;
    return qEnvironmentVariableIntValue("QSEQPACKET_EVENT_HUB", &set) == 0 && set;
}

} // namespace

class tst_FaultHub : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        initFaultTestCase();
        if (hubTurnedOff())
            QSKIP("QSEQPACKET_EVENT_HUB=0: no event hub to make fail");
    }
    void init() { startTest(); }
    void cleanup() { endTest(); }
    void cleanupTestCase() { reportPairs("tst_fault_hub"); }

    void noEventSet_data();
    void noEventSet();
    void socketRefused_data();
    void socketRefused();
    void changeOfInterestRefused();
    void removalFails();
    void waitFailsOnce();
    void interruptedCallsAreRetried();
};

void tst_FaultHub::noEventSet_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("EMFILE") << EMFILE;
    QTest::newRow("ENFILE") << ENFILE;
    QTest::newRow("ENOMEM") << ENOMEM;
}

void tst_FaultHub::noEventSet()
{
    QFETCH(int, error);
    {
        // A set that works first: the warning comes with the first failure after success.
        Crowd crowd;
        CountedPair pair;
        QVERIFY(crowd.allWork());
    }
    const int setsAtStart = TestUtil::openEventSetCount();
    // Every attempt fails: the first says so, and every socket uses notifiers.
    const int rule = FaultInject::fail(Call::EpollCreate1, error, -1);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("^epoll_create1: .*; watching each socket with a notifier of its own$")));
    Crowd crowd;
    CountedPair pair;
    QVERIFY(pair.isValid());
    QVERIFY(FaultInject::injected(rule) >= 1);
    QCOMPARE(TestUtil::openEventSetCount(), setsAtStart);
    pair.send(100);
    QVERIFY2(pair.allArrived(), pair.problem.constData());
    QVERIFY(crowd.allWork());
}

void tst_FaultHub::socketRefused_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("ENOSPC") << ENOSPC; // fs.epoll.max_user_watches reached
    QTest::newRow("ENOMEM") << ENOMEM;
    QTest::newRow("EPERM") << EPERM;
}

void tst_FaultHub::socketRefused()
{
    QFETCH(int, error);
    Crowd crowd;
    // The next socket to join is refused; the one after it joins.
    const int rule = FaultInject::fail(Call::EpollCtl, error, 1, EPOLL_CTL_ADD);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("^epoll_ctl: .*; watching descriptor \\d+ with notifiers instead$")));
    CountedPair pair;
    QVERIFY(pair.isValid());
    QCOMPARE(FaultInject::injected(rule), 1L);
    pair.send(100);
    QVERIFY2(pair.allArrived(), pair.problem.constData());
    // Both ways: the refused socket reads with its notifier too.
    int next = 0;
    QByteArray problem;
    QObject::connect(pair.sender.get(), &QSeqpacketSocket::packetReady, pair.sender.get(),
                     [&] { problem += takeSequence(pair.sender.get(), &next); });
    for (int i = 0; i < 100; ++i)
        pair.receiver->sendPacket(sequencedPayload(i, 64));
    QVERIFY(waitUntil([&] { return next == 100 || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QVERIFY(crowd.allWork());
}

void tst_FaultHub::changeOfInterestRefused()
{
    Crowd crowd;
    CountedPair pair;
    QVERIFY(pair.isValid());
    // More than the kernel takes while nobody reads: the rest waits in the send queue, and the
    // socket asks the set for writability too (EPOLL_CTL_MOD), which is refused.
    const int rule = FaultInject::fail(Call::EpollCtl, ENOMEM, 1, EPOLL_CTL_MOD);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("^epoll_ctl: .*; watching descriptor \\d+ with notifiers instead$")));
    pair.send(2000, 1024);
    QVERIFY2(pair.sender->packetsToWrite() > 0, "the kernel took everything: nothing was queued");
    QCOMPARE(FaultInject::injected(rule), 1L);
    // The queue drains through the sender's notifiers, every packet once and in order.
    QVERIFY2(pair.allArrived(), pair.problem.constData());
    QCOMPARE(pair.sender->packetsToWrite(), 0);
    QVERIFY(crowd.allWork());
}

void tst_FaultHub::removalFails()
{
    Crowd crowd;
    auto pair = std::make_unique<CountedPair>();
    QVERIFY(pair->isValid());
    pair->send(10);
    QVERIFY(pair->allArrived());
    // Taking a socket out of the set fails (it cannot, for a registered descriptor: the library
    // says so in its debug log and goes on); the descriptor is closed all the same.
    const int rule = FaultInject::fail(Call::EpollCtl, ENOENT, 2, EPOLL_CTL_DEL);
    pair.reset();
    QCOMPARE(FaultInject::injected(rule), 2L);
    QVERIFY(crowd.allWork());
}

void tst_FaultHub::waitFailsOnce()
{
    Crowd crowd;
    CountedPair pair;
    QVERIFY(pair.isValid());
    // epoll_wait() fails once (EBADF: cannot happen to the hub's own set, so it is a warning);
    // the set stays readable, and the next pass of the event loop takes the events.
    const int rule = FaultInject::fail(Call::EpollWait, EBADF, 1);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^epoll_wait: ")));
    pair.send(100);
    QVERIFY2(pair.allArrived(), pair.problem.constData());
    QCOMPARE(FaultInject::injected(rule), 1L);
    QVERIFY(crowd.allWork());
}

void tst_FaultHub::interruptedCallsAreRetried()
{
    // EINTR in every call of the hub is retried where it happens: no warning, nothing lost.
    const int add = FaultInject::fail(Call::EpollCtl, EINTR, 3, EPOLL_CTL_ADD);
    const int wait = FaultInject::fail(Call::EpollWait, EINTR, 3);
    Crowd crowd;
    CountedPair pair;
    QVERIFY(pair.isValid());
    pair.send(100);
    QVERIFY2(pair.allArrived(), pair.problem.constData());
    QVERIFY(crowd.allWork());
    QCOMPARE(FaultInject::injected(add), 3L);
    QCOMPARE(FaultInject::injected(wait), 3L);
}

QTEST_GUILESS_MAIN(tst_FaultHub)
#include "tst_fault_hub.moc"
