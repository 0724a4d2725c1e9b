// SPDX-License-Identifier: MIT
// Sending when the system calls fail (testsupport/faultinject): sendmsg() and sendmmsg() short of
// kernel memory (ENOBUFS, ENOMEM) pause and retry, nothing lost or sent twice; EINTR is
// transparent; a short sendmmsg() keeps the order; final failures (a broken pipe, a packet the
// kernel refuses) are errorOccurred() with the call named. The receiving end is a raw socket
// whose calls never fail; every test checks that no descriptor is left open.
#include <QSeqpacketSocket>

#include "faulttest.h"

#include <QtCore/QPointer>

using namespace FaultTest;
using TestUtil::sequencedPayload;

class tst_FaultSend : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initFaultTestCase(); }
    void init() { startTest(); }
    void cleanup() { endTest(); }
    void cleanupTestCase() { reportPairs("tst_fault_send"); }

    void sendShortOfMemoryQueuesAndRetries_data();
    void sendShortOfMemoryQueuesAndRetries();
    void sendShortOfMemoryWithoutEventLoop();
    void sendShortOfMemoryWithQueueLimitZeroFails();
    void sendInterruptedIsTransparent();
    void sendFinalFailures_data();
    void sendFinalFailures();
    void sendmmsgShortOfMemoryKeepsOrder_data();
    void sendmmsgShortOfMemoryKeepsOrder();
    void sendmmsgShortOfMemoryDoesNotSpin();
    void sendmmsgShortCountKeepsOrder();
    void sendmmsgInterruptedIsTransparent();
    void sendmmsgRefusedPacketIsDroppedAlone_data();
    void sendmmsgRefusedPacketIsDroppedAlone();
    void deletedInErrorOccurredOfARefusedQueuedPacket();
    void sendmmsgBrokenPipeEndsSending();
};

namespace {

constexpr int PacketSize = 100;

// Makes the next send() say EAGAIN, as a full send buffer does: the packet and those after it
// wait in the send queue, and go out in sendmmsg() batches. (A packet without descriptors or
// credentials goes out with send(), one with them with sendmsg().)
int queueFromNow()
{
    return FaultInject::fail(Call::Send, EAGAIN);
}

} // namespace

void tst_FaultSend::sendShortOfMemoryQueuesAndRetries_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("ENOBUFS") << ENOBUFS;
    QTest::newRow("ENOMEM") << ENOMEM;
}

void tst_FaultSend::sendShortOfMemoryQueuesAndRetries()
{
    QFETCH(int, error);
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);

    const int rule = FaultInject::fail(Call::Send, error);
    constexpr int Packets = 10;
    for (int i = 0; i < Packets; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize)));
    QCOMPARE(FaultInject::injected(rule), 1L);
    // Queued, not lost: the connection is fine, error() says why and when it tries again.
    QCOMPARE(pair.socket->packetsToWrite(), qint64(Packets));
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QVERIFY2(pair.socket->errorString().contains(QLatin1String("sendPacket: send: "))
                     && pair.socket->errorString().contains(QLatin1String("trying again in 5 ms")),
             qPrintable(pair.socket->errorString()));
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);

    // After the pause the queue goes out with sendmmsg(), each packet once, in order.
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    QVERIFY(FaultInject::calls(Call::Sendmmsg) >= 1);
    const QByteArray problem = expectSequence(pair.peer.get(), 0, Packets);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(errors.count(), 0);

    // Sending goes on as before, at once.
    QVERIFY(pair.socket->sendPacket(sequencedPayload(Packets, PacketSize)));
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    const QByteArray after = expectSequence(pair.peer.get(), Packets, 1);
    QVERIFY2(after.isEmpty(), after.constData());
}

void tst_FaultSend::sendShortOfMemoryWithoutEventLoop()
{
    // waitForPacketsWritten() waits out the pause itself (here in a thread without an event loop).
    UniqueFd mine, peer;
    QVERIFY(TestUtil::rawSocketPair(&mine, &peer));
    bool ok = false;
    QString message;
    qint64 left = -1;
    int signalled = -1;
    std::thread worker([&] {
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(mine.get()))
            return;
        mine.release();
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        FaultInject::fail(Call::Send, ENOBUFS);
        FaultInject::fail(Call::Sendmmsg, ENOBUFS, 2);
        for (int i = 0; i < 5; ++i)
            socket.sendPacket(sequencedPayload(i, PacketSize));
        message = socket.errorString();
        ok = socket.waitForPacketsWritten(Timeout);
        left = socket.packetsToWrite();
        signalled = int(errors.count());
    });
    worker.join();
    QVERIFY2(ok, qPrintable(message));
    QCOMPARE(left, qint64(0));
    QCOMPARE(signalled, 0);
    QVERIFY2(message.contains(QLatin1String("sendPacket: send: ")), qPrintable(message));
    QCOMPARE(FaultInject::calls(Call::Sendmmsg), 3L); // two failures, then the batch
    const QByteArray problem = expectSequence(peer.get(), 0, 5);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::sendShortOfMemoryWithQueueLimitZeroFails()
{
    // With raw semantics (a send queue limit of 0) nothing waits: the failure is the caller's.
    RawPeered pair;
    QVERIFY(pair.isValid());
    pair.socket->setSendQueueLimit(0);
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Send, ENOBUFS);
    QVERIFY(!pair.socket->sendPacket(sequencedPayload(0, PacketSize)));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::ResourceError);
    QVERIFY2(pair.socket->errorString().startsWith(QLatin1String("sendPacket: send: ")),
             qPrintable(pair.socket->errorString()));
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
    // Nothing went out; the next packet does.
    QVERIFY(pair.socket->sendPacket(sequencedPayload(1, PacketSize)));
    const QByteArray problem = expectSequence(pair.peer.get(), 1, 1);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::sendInterruptedIsTransparent()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    const int rule = FaultInject::fail(Call::Send, EINTR, 3);
    QVERIFY(pair.socket->sendPacket(sequencedPayload(0, PacketSize)));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(FaultInject::calls(Call::Send), 4L);
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::NoError);
    QCOMPARE(errors.count(), 0);
    const QByteArray problem = expectSequence(pair.peer.get(), 0, 1);
    QVERIFY2(problem.isEmpty(), problem.constData());

    // The same with a descriptor, which goes with sendmsg().
    const int withDescriptor = FaultInject::fail(Call::Sendmsg, EINTR, 3);
    QVERIFY(pair.socket->sendPacket(sequencedPayload(1, PacketSize),
                                    { QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("interrupted")) }));
    QCOMPARE(FaultInject::injected(withDescriptor), 3L);
    QCOMPARE(FaultInject::calls(Call::Sendmsg), 4L);
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    QCOMPARE(errors.count(), 0);
    TestUtil::RawPacket second = TestUtil::rawReceive(pair.peer.get(), Timeout);
    const qsizetype descriptors = second.fds.size();
    second.closeFds();
    QVERIFY(second.ok);
    QCOMPARE(second.data, sequencedPayload(1, PacketSize));
    QCOMPARE(descriptors, qsizetype(1));
}

void tst_FaultSend::sendFinalFailures_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<QSeqpacketSocket::SocketError>("expected");
    QTest::addColumn<QString>("message");
    QTest::newRow("EPIPE") << EPIPE << QSeqpacketSocket::PeerClosedError << QStringLiteral("sendPacket: send: ");
    QTest::newRow("EPIPE with descriptors") << EPIPE << QSeqpacketSocket::PeerClosedError << QStringLiteral("sendPacket: sendmsg: ");
    QTest::newRow("ECONNRESET") << ECONNRESET << QSeqpacketSocket::ConnectionResetError
                                << QStringLiteral("sendPacket: send: ");
    QTest::newRow("EMSGSIZE") << EMSGSIZE << QSeqpacketSocket::PacketTooLargeError
                              << QStringLiteral("sendPacket: 100 bytes is more than");
    QTest::newRow("EINVAL with descriptors") << EINVAL << QSeqpacketSocket::TooManyDescriptorsError
                                             << QStringLiteral("sendPacket: sendmsg: ");
    // Without descriptors EINVAL cannot be about them.
    QTest::newRow("EINVAL") << EINVAL << QSeqpacketSocket::OperationError << QStringLiteral("sendPacket: send: ");
    QTest::newRow("EPERM") << EPERM << QSeqpacketSocket::SocketAccessError
                           << QStringLiteral("sendPacket: the peer refuses descriptors (it turned SO_PASSRIGHTS off)");
    QTest::newRow("EPERM with credentials") << EPERM << QSeqpacketSocket::SocketAccessError
                                            << QStringLiteral("sendPacket: the kernel refused the packet's credentials");
    QTest::newRow("EPERM with descriptors and credentials")
            << EPERM << QSeqpacketSocket::SocketAccessError
            << QStringLiteral("sendPacket: the peer refuses descriptors (SO_PASSRIGHTS), or the kernel the packet's credentials");
    QTest::newRow("ESRCH") << ESRCH << QSeqpacketSocket::OperationError
                           << QStringLiteral("sendPacket: the process id of the packet's credentials");
    QTest::newRow("EIO") << EIO << QSeqpacketSocket::UnknownSocketError << QStringLiteral("sendPacket: send: ");
}

void tst_FaultSend::sendFinalFailures()
{
    QFETCH(int, error);
    QFETCH(QSeqpacketSocket::SocketError, expected);
    QFETCH(QString, message);
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    // A descriptor with the packet, so that EPERM reads as the peer refusing descriptors.
    const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("x"));
    // EPERM: who is refused depends on what the packet carries (descriptors, credentials, both).
    const QByteArray tag(QTest::currentDataTag());
    const bool withCredentials = error == ESRCH || tag.contains("credentials");
    QList<QSeqpacketFileDescriptor> fds;
    if ((error == EPERM && tag == "EPERM") || tag.contains("descriptors"))
        fds << memfd;
    // A packet with descriptors or credentials goes with sendmsg(), a plain one with send().
    FaultInject::fail(fds.isEmpty() && !withCredentials ? Call::Send : Call::Sendmsg, error);
    if (withCredentials) {
        QSeqpacketPacket packet(sequencedPayload(0, PacketSize), fds);
        packet.setCredentials(QSeqpacketCredentials::currentProcess());
        QVERIFY(!pair.socket->sendPacket(packet));
    } else {
        QVERIFY(!pair.socket->sendPacket(sequencedPayload(0, PacketSize), fds));
    }
    QCOMPARE(errors.count(), 1);
    QCOMPARE(pair.socket->error(), expected);
    QVERIFY2(pair.socket->errorString().startsWith(message), qPrintable(pair.socket->errorString()));
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    // Nothing was sent.
    TestUtil::RawPacket none = TestUtil::rawReceive(pair.peer.get(), 100);
    none.closeFds();
    QVERIFY(!none.ok);
}

void tst_FaultSend::sendmmsgShortOfMemoryKeepsOrder_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("ENOBUFS") << ENOBUFS;
    QTest::newRow("ENOMEM") << ENOMEM;
}

void tst_FaultSend::sendmmsgShortOfMemoryKeepsOrder()
{
    QFETCH(int, error);
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    queueFromNow();
    // The first batch is shortened to 3 and the next two fail: 3 out, then two pauses (5, 10 ms).
    FaultInject::Fault shortened;
    shortened.call = Call::Sendmmsg;
    shortened.shortCount = 3;
    FaultInject::inject(shortened);
    FaultInject::Fault failing;
    failing.call = Call::Sendmmsg;
    failing.error = error;
    failing.from = 2;
    failing.times = 2;
    const int rule = FaultInject::inject(failing);

    constexpr int Packets = 40;
    for (int i = 0; i < Packets; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize)));
    QVERIFY(waitUntil([&] { return FaultInject::injected(rule) == 2; }));
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QVERIFY2(pair.socket->errorString().contains(QLatin1String("sendPacket: sendmmsg: ")),
             qPrintable(pair.socket->errorString()));
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    QCOMPARE(errors.count(), 0);
    const QByteArray problem = expectSequence(pair.peer.get(), 0, Packets);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::sendmmsgShortOfMemoryDoesNotSpin()
{
    // The kernel stays short of memory for a second: the retries back off (5 ms doubling to 1 s),
    // the event loop runs, and the CPU is idle. Then everything goes out once.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    queueFromNow();
    const int rule = FaultInject::fail(Call::Sendmmsg, ENOMEM, -1);
    for (int i = 0; i < 10; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize)));
    const qint64 cpuBefore = TestUtil::cpuTimeMs();
    runEventLoop(1000);
    const qint64 cpuUsed = TestUtil::cpuTimeMs() - cpuBefore;
    const long attempts = FaultInject::injected(rule);
    FaultInject::reset();
    // 5 + 10 + 20 + ... ms: at most 9 attempts in a second (a spinning socket makes thousands).
    QVERIFY2(attempts >= 3 && attempts <= 10, QByteArray::number(qlonglong(attempts)).constData());
    QVERIFY2(cpuUsed < 300, QByteArray::number(cpuUsed).constData());
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->packetsToWrite(), qint64(10));
    // The next retry (at most a second away) writes the queue.
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    const QByteArray problem = expectSequence(pair.peer.get(), 0, 10);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::sendmmsgShortCountKeepsOrder()
{
    // sendmmsg() takes fewer packets than offered, batch after batch: the rest are offered again,
    // nothing twice.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    queueFromNow();
    FaultInject::Fault shortened;
    shortened.call = Call::Sendmmsg;
    shortened.shortCount = 1;
    shortened.times = 10;
    const int rule = FaultInject::inject(shortened);
    constexpr int Packets = 100;
    for (int i = 0; i < Packets; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize)));
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    QCOMPARE(FaultInject::injected(rule), 10L);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::NoError);
    const QByteArray problem = expectSequence(pair.peer.get(), 0, Packets);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::sendmmsgInterruptedIsTransparent()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    queueFromNow();
    const int rule = FaultInject::fail(Call::Sendmmsg, EINTR, 3);
    for (int i = 0; i < 5; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize)));
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::NoError);
    const QByteArray problem = expectSequence(pair.peer.get(), 0, 5);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::sendmmsgRefusedPacketIsDroppedAlone_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<QSeqpacketSocket::SocketError>("expected");
    QTest::addColumn<QString>("message");
    QTest::newRow("EMSGSIZE") << EMSGSIZE << QSeqpacketSocket::PacketTooLargeError
                              << QStringLiteral("sendPacket: 100 bytes is more than");
    QTest::newRow("EINVAL") << EINVAL << QSeqpacketSocket::OperationError
                            << QStringLiteral("sendPacket: sendmmsg of a queued packet: ");
    QTest::newRow("ETOOMANYREFS") << ETOOMANYREFS << QSeqpacketSocket::TooManyDescriptorsError
                                  << QStringLiteral("sendPacket: sendmmsg of a queued packet: ");
    QTest::newRow("EPERM") << EPERM << QSeqpacketSocket::SocketAccessError
                           << QStringLiteral("sendPacket: the peer refuses descriptors");
}

void tst_FaultSend::sendmmsgRefusedPacketIsDroppedAlone()
{
    // A queued packet the kernel refuses is dropped and reported; the packets behind it still go.
    QFETCH(int, error);
    QFETCH(QSeqpacketSocket::SocketError, expected);
    QFETCH(QString, message);
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Sendmmsg, error);
    const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("x"));
    QList<QSeqpacketFileDescriptor> fds;
    if (error == EPERM)
        fds << memfd;
    // The first packet waits: it goes with sendmsg() where it carries a descriptor.
    if (fds.isEmpty())
        queueFromNow();
    else
        FaultInject::fail(Call::Sendmsg, EAGAIN);
    for (int i = 0; i < 5; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize), i == 0 ? fds : QList<QSeqpacketFileDescriptor>()));
    QVERIFY(waitUntil([&] { return pair.socket->packetsToWrite() == 0; }));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), expected);
    QVERIFY2(pair.socket->errorString().startsWith(message), qPrintable(pair.socket->errorString()));
    const QByteArray problem = expectSequence(pair.peer.get(), 1, 4);
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultSend::deletedInErrorOccurredOfARefusedQueuedPacket()
{
    // The kernel refuses the first queued packet (EMSGSIZE) while the queue is written from the
    // event loop; the slot of errorOccurred() deletes the socket. Writing stops there: the
    // packets behind it go with the socket, nothing is sent, the peer sees the end.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    int emitted = 0;
    QSeqpacketSocket::SocketError seen = QSeqpacketSocket::NoError;
    connect(socket, &QSeqpacketSocket::errorOccurred, this, [&](QSeqpacketSocket::SocketError error) {
        ++emitted;
        seen = error;
        delete socket.data();
    });
    queueFromNow();
    const int rule = FaultInject::fail(Call::Sendmmsg, EMSGSIZE);
    for (int i = 0; i < 5; ++i)
        QVERIFY(socket->sendPacket(sequencedPayload(i, PacketSize)));
    QCOMPARE(socket->packetsToWrite(), qint64(5));
    QVERIFY(waitUntil([&] { return socket.isNull(); }));
    runEventLoop(50);
    QCOMPARE(emitted, 1);
    QCOMPARE(seen, QSeqpacketSocket::PacketTooLargeError);
    QCOMPARE(FaultInject::injected(rule), 1L);
    QVERIFY(connectionEnded(pair.peer.get()));
}

void tst_FaultSend::sendmmsgBrokenPipeEndsSending()
{
    // EPIPE for the queue: the peer reads no more. The queue is dropped, once, with PeerClosedError.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    queueFromNow();
    FaultInject::fail(Call::Sendmmsg, EPIPE);
    for (int i = 0; i < 5; ++i)
        QVERIFY(pair.socket->sendPacket(sequencedPayload(i, PacketSize)));
    QVERIFY(waitUntil([&] { return errors.count() > 0; }));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::PeerClosedError);
    QVERIFY2(pair.socket->errorString().startsWith(QLatin1String("sendPacket: sendmmsg: ")),
             qPrintable(pair.socket->errorString()));
    QCOMPARE(pair.socket->packetsToWrite(), qint64(0));
    TestUtil::RawPacket none = TestUtil::rawReceive(pair.peer.get(), 100);
    QVERIFY(!none.ok);
}

QTEST_GUILESS_MAIN(tst_FaultSend)
#include "tst_fault_send.moc"
