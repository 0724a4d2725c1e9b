// SPDX-License-Identifier: MIT
// Receiving when the system calls fail (testsupport/faultinject): recvmmsg() short of kernel
// memory (ENOMEM, ENOBUFS) pauses reading and retries, without spinning, and loses nothing;
// EINTR and a short batch are transparent; any other failure ends the connection cleanly with
// errorOccurred() naming the call; poll() failing in a waitFor...() call; the one-packet-at-a-time
// reading of a thread whose receive buffers could not be mapped (recv(MSG_PEEK) + recvmsg())
// under the same faults; descriptors cut short (MSG_CTRUNC). The sender is a raw socket whose
// calls never fail; every test checks that no descriptor is left open.
#include <QSeqpacketSocket>

#include "faulttest.h"

#include <QtCore/QPointer>

#include <sys/mman.h>

#include <thread>

using namespace FaultTest;
using TestUtil::sequencedPayload;

class tst_FaultReceive : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initFaultTestCase(); }
    void init() { startTest(); }
    void cleanup() { endTest(); }
    void cleanupTestCase() { reportPairs("tst_fault_receive"); }

    void recvmmsgShortOfMemoryPausesAndRetries_data();
    void recvmmsgShortOfMemoryPausesAndRetries();
    void recvmmsgShortOfMemoryDoesNotSpin();
    void recvmmsgShortOfMemoryInWaitForPacket();
    void deadlineInsideThePause();
    void recvmmsgInterruptedIsTransparent();
    void recvmmsgShortBatchesLoseNothing();
    void recvmmsgFinalFailureEndsTheConnection_data();
    void recvmmsgFinalFailureEndsTheConnection();
    void deletedInErrorOccurredOfAReadFailure();
    void largePacketPathFailureNamesRecvmsg();
    void requestResponsePathFailureNamesRecvmsg();
    void pollInterruptedInWaitIsTransparent();
    void pollFailureInWaitForPacket();
    void pollFailureInWaitForDisconnected();
    void truncatedDescriptorsAreClosed();
    void fallbackReadsOnePacketAtATime();
    void fallbackShortOfMemoryPausesAndRetries_data();
    void fallbackShortOfMemoryPausesAndRetries();
    void fallbackInterruptedIsTransparent();
    void fallbackFinalFailureEndsTheConnection_data();
    void fallbackFinalFailureEndsTheConnection();
    void fallbackTruncatedDescriptorsAreClosed();
};

namespace {

constexpr int PacketSize = 200;
constexpr int PeekFlags = MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT;
constexpr int BatchBufferFlags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

QByteArray sendSequence(int fd, int first, int count)
{
    for (int i = first; i < first + count; ++i) {
        if (!TestUtil::rawSend(fd, sequencedPayload(i, PacketSize)))
            return "the peer could not send packet " + QByteArray::number(i);
    }
    return {};
}

// Takes packets from \a socket with waitForPacket() (no event loop) until *next reaches \a end.
QByteArray waitForSequence(QSeqpacketSocket *socket, int *next, int end)
{
    while (*next < end) {
        if (!socket->waitForPacket(Timeout))
            return "waitForPacket() for packet " + QByteArray::number(*next) + ": " + socket->errorString().toUtf8();
        const QByteArray problem = takeSequence(socket, next);
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

// A packet with \a count memfds; the peer's copies are closed once sent.
QByteArray sendWithDescriptors(int fd, int count)
{
    QList<int> fds;
    for (int i = 0; i < count; ++i)
        fds << TestUtil::makeMemfd("descriptor " + QByteArray::number(i));
    const bool sent = TestUtil::rawSend(fd, "with descriptors", fds);
    for (int descriptor : std::as_const(fds))
        ::close(descriptor);
    return sent ? QByteArray() : QByteArray("the peer could not send descriptors");
}

// Runs \a body in a thread of its own whose receive batch buffers cannot be mapped (mmap fails
// at their first use): the library reads there one packet at a time, with recv(MSG_PEEK) for its
// size and recvmsg(). Returns what went wrong.
QByteArray inFallbackThread(const std::function<QByteArray()> &body)
{
    FaultInject::Fault noBuffers;
    noBuffers.call = Call::Mmap;
    noBuffers.error = ENOMEM;
    noBuffers.selector = BatchBufferFlags;
    const int rule = FaultInject::inject(noBuffers);
    QTest::ignoreMessage(QtWarningMsg, "receive: mmap of the batch buffers: Cannot allocate memory");
    QByteArray problem;
    std::thread worker([&] { problem = body(); });
    worker.join();
    if (problem.isEmpty() && FaultInject::injected(rule) != 1)
        problem = "the thread's batch buffers were not mapped";
    if (problem.isEmpty() && FaultInject::calls(Call::Recvmmsg) != 0)
        problem = "recvmmsg() was called without batch buffers";
    return problem;
}

} // namespace

void tst_FaultReceive::recvmmsgShortOfMemoryPausesAndRetries_data()
{
    QTest::addColumn<int>("error");
    QTest::newRow("ENOMEM") << ENOMEM;
    QTest::newRow("ENOBUFS") << ENOBUFS;
}

void tst_FaultReceive::recvmmsgShortOfMemoryPausesAndRetries()
{
    QFETCH(int, error);
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
    });
    const int rule = FaultInject::fail(Call::Recvmmsg, error, 3);
    constexpr int Packets = 50;
    QVERIFY(sendSequence(pair.peer.get(), 0, Packets).isEmpty());
    QVERIFY(waitUntil([&] { return FaultInject::injected(rule) == 3; }));
    // Paused, not ended: error() says so, errorOccurred() does not.
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QVERIFY2(pair.socket->errorString().contains(QLatin1String("receivePacket: recvmmsg: "))
                     && pair.socket->errorString().contains(QLatin1String("trying again in")),
             qPrintable(pair.socket->errorString()));
    QVERIFY(waitUntil([&] { return next == Packets || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(next, Packets);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
    // Nothing more comes (no packet twice).
    runEventLoop(100);
    QCOMPARE(next, Packets);
    QVERIFY(!pair.socket->hasPendingPackets());
}

void tst_FaultReceive::recvmmsgShortOfMemoryDoesNotSpin()
{
    // recvmmsg() keeps failing for a second while packets wait: reading backs off (5 ms doubling
    // to 1 s) with the read notifier off, and the CPU stays idle. Then every packet comes once.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
    });
    const int rule = FaultInject::fail(Call::Recvmmsg, ENOMEM, -1);
    QVERIFY(sendSequence(pair.peer.get(), 0, 10).isEmpty());
    const qint64 cpuBefore = TestUtil::cpuTimeMs();
    runEventLoop(1000);
    const qint64 cpuUsed = TestUtil::cpuTimeMs() - cpuBefore;
    const long attempts = FaultInject::injected(rule);
    FaultInject::reset();
    QVERIFY2(attempts >= 3 && attempts <= 10, QByteArray::number(qlonglong(attempts)).constData());
    QVERIFY2(cpuUsed < 300, QByteArray::number(cpuUsed).constData());
    QCOMPARE(next, 0);
    QVERIFY(waitUntil([&] { return next == 10 || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(errors.count(), 0);
}

void tst_FaultReceive::recvmmsgShortOfMemoryInWaitForPacket()
{
    // waitForPacket() waits out the pause itself.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    const int rule = FaultInject::fail(Call::Recvmmsg, ENOBUFS, 3);
    QVERIFY(sendSequence(pair.peer.get(), 0, 5).isEmpty());
    int next = 0;
    const QByteArray problem = waitForSequence(pair.socket.get(), &next, 5);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
}

void tst_FaultReceive::recvmmsgInterruptedIsTransparent()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
    });
    const int rule = FaultInject::fail(Call::Recvmmsg, EINTR, 3);
    QVERIFY(sendSequence(pair.peer.get(), 0, 20).isEmpty());
    QVERIFY(waitUntil([&] { return next == 20 || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::NoError);
}

void tst_FaultReceive::recvmmsgShortBatchesLoseNothing()
{
    // recvmmsg() hands over fewer packets than there are, batch after batch.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
    });
    FaultInject::Fault shortened;
    shortened.call = Call::Recvmmsg;
    shortened.shortCount = 1;
    shortened.times = 20;
    const int rule = FaultInject::inject(shortened);
    constexpr int Packets = 100;
    QVERIFY(sendSequence(pair.peer.get(), 0, Packets).isEmpty());
    QVERIFY(waitUntil([&] { return next == Packets || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(FaultInject::injected(rule), 20L);
    QCOMPARE(errors.count(), 0);
    runEventLoop(100);
    QCOMPARE(next, Packets);
}

void tst_FaultReceive::recvmmsgFinalFailureEndsTheConnection_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<QSeqpacketSocket::SocketError>("expected");
    QTest::newRow("EINVAL") << EINVAL << QSeqpacketSocket::OperationError;
    QTest::newRow("EBADF") << EBADF << QSeqpacketSocket::OperationError;
    QTest::newRow("EFAULT") << EFAULT << QSeqpacketSocket::UnknownSocketError;
}

void tst_FaultReceive::recvmmsgFinalFailureEndsTheConnection()
{
    // A failure that asking again cannot mend: what was read stays readable, errorOccurred()
    // names the call, input ends and the connection closes (no notifier left to spin).
    QFETCH(int, error);
    QFETCH(QSeqpacketSocket::SocketError, expected);
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    QSignalSpy finished(pair.socket.get(), &QSeqpacketSocket::readChannelFinished);
    QSignalSpy disconnected(pair.socket.get(), &QSeqpacketSocket::disconnected);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
    });
    QVERIFY(sendSequence(pair.peer.get(), 0, 3).isEmpty());
    QVERIFY(waitUntil([&] { return next == 3 || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());

    const int rule = FaultInject::fail(Call::Recvmmsg, error, -1);
    QVERIFY(sendSequence(pair.peer.get(), 3, 2).isEmpty());
    QVERIFY(waitUntil([&] { return disconnected.count() > 0; }));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), expected);
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("receivePacket: recvmmsg: %1").arg(QString::fromLocal8Bit(strerror(error))));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(disconnected.count(), 1);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(pair.socket->socketDescriptor(), -1);
    // Asked once; nothing asks again.
    runEventLoop(100);
    QCOMPARE(FaultInject::injected(rule), 1L);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(disconnected.count(), 1);
}

void tst_FaultReceive::deletedInErrorOccurredOfAReadFailure()
{
    // recvmmsg() fails for good while the event loop reads: the slot of errorOccurred() deletes
    // the socket; nothing of it is touched afterwards (no crash, no second signal), its
    // descriptor is closed (the peer sees the end; cleanup() counts descriptors).
    RawPeered pair;
    QVERIFY(pair.isValid());
    QPointer<QSeqpacketSocket> socket = pair.socket.release();
    int emitted = 0;
    QSeqpacketSocket::SocketError seen = QSeqpacketSocket::NoError;
    QString message;
    connect(socket, &QSeqpacketSocket::errorOccurred, this, [&](QSeqpacketSocket::SocketError error) {
        ++emitted;
        seen = error;
        message = socket->errorString();
        delete socket.data();
    });
    const int rule = FaultInject::fail(Call::Recvmmsg, EINVAL, -1);
    QVERIFY(sendSequence(pair.peer.get(), 0, 2).isEmpty());
    QVERIFY(waitUntil([&] { return socket.isNull(); }));
    runEventLoop(50);
    QCOMPARE(emitted, 1);
    QCOMPARE(seen, QSeqpacketSocket::OperationError);
    QCOMPARE(message, QStringLiteral("receivePacket: recvmmsg: %1").arg(QString::fromLocal8Bit(strerror(EINVAL))));
    QCOMPARE(FaultInject::injected(rule), 1L);
    QVERIFY(connectionEnded(pair.peer.get()));
}

void tst_FaultReceive::largePacketPathFailureNamesRecvmsg()
{
    // After a large packet (8 KiB or more) the next one is read alone with recvmsg() into a
    // pooled buffer; a final failure there ends the connection like one of recvmmsg(), and the
    // message names recvmsg.
    constexpr int LargeSize = 10000;
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    QSignalSpy disconnected(pair.socket.get(), &QSeqpacketSocket::disconnected);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
    });
    QVERIFY(TestUtil::rawSend(pair.peer.get(), sequencedPayload(0, LargeSize)));
    QVERIFY(waitUntil([&] { return next == 1 || !problem.isEmpty(); }));
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(FaultInject::calls(Call::Recvmsg), 0L);

    const int rule = FaultInject::fail(Call::Recvmsg, EINVAL, -1);
    QVERIFY(TestUtil::rawSend(pair.peer.get(), sequencedPayload(1, LargeSize)));
    QVERIFY(waitUntil([&] { return disconnected.count() > 0; }));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::OperationError);
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("receivePacket: recvmsg: %1").arg(QString::fromLocal8Bit(strerror(EINVAL))));
    QCOMPARE(FaultInject::injected(rule), 1L);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(next, 1);
}

void tst_FaultReceive::requestResponsePathFailureNamesRecvmsg()
{
    // A socket that answers each packet it reads is in request/response traffic and reads one
    // packet at a time with recvmsg(); a final failure there ends the connection like one of
    // recvmmsg(), and the message names recvmsg. Everything answered before it arrived.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    QSignalSpy disconnected(pair.socket.get(), &QSeqpacketSocket::disconnected);
    int next = 0;
    QByteArray problem;
    connect(pair.socket.get(), &QSeqpacketSocket::packetReady, this, [&] {
        const int before = next;
        if (problem.isEmpty())
            problem = takeSequence(pair.socket.get(), &next);
        for (int i = before; i < next; ++i)
            pair.socket->sendPacket("ack");
    });
    constexpr int Answered = 5;
    for (int i = 0; i < Answered; ++i) {
        QVERIFY(TestUtil::rawSend(pair.peer.get(), sequencedPayload(i, PacketSize)));
        QVERIFY(waitUntil([&] { return next == i + 1 || !problem.isEmpty(); }));
        QVERIFY2(problem.isEmpty(), problem.constData());
        const TestUtil::RawPacket ack = TestUtil::rawReceive(pair.peer.get(), Timeout);
        QVERIFY(ack.ok);
        QCOMPARE(ack.data, QByteArray("ack"));
    }
    QVERIFY(FaultInject::calls(Call::Recvmsg) >= 1); // the reads after the first few

    const int rule = FaultInject::fail(Call::Recvmsg, EINVAL, -1);
    QVERIFY(TestUtil::rawSend(pair.peer.get(), sequencedPayload(Answered, PacketSize)));
    QVERIFY(waitUntil([&] { return disconnected.count() > 0; }));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::OperationError);
    QCOMPARE(pair.socket->errorString(),
             QStringLiteral("receivePacket: recvmsg: %1").arg(QString::fromLocal8Bit(strerror(EINVAL))));
    QCOMPARE(FaultInject::injected(rule), 1L);
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(next, Answered);
}

void tst_FaultReceive::pollInterruptedInWaitIsTransparent()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    const int rule = FaultInject::fail(Call::Poll, EINTR, 3, POLLIN);
    std::thread sender([fd = pair.peer.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        TestUtil::rawSend(fd, sequencedPayload(0, PacketSize));
    });
    const bool got = pair.socket->waitForPacket(Timeout);
    sender.join();
    QVERIFY2(got, qPrintable(pair.socket->errorString()));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QCOMPARE(TestUtil::sequenceOf(pair.socket->receivePacket().data()), 0);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::NoError);
}

void tst_FaultReceive::pollFailureInWaitForPacket()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Poll, ENOMEM, 1, POLLIN);
    QVERIFY(!pair.socket->waitForPacket(Timeout));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::ResourceError);
    QVERIFY2(pair.socket->errorString().startsWith(QLatin1String("waitFor: poll: ")),
             qPrintable(pair.socket->errorString()));
    // The connection is untouched: the next wait works.
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(TestUtil::rawSend(pair.peer.get(), sequencedPayload(1, PacketSize)));
    QVERIFY(pair.socket->waitForPacket(Timeout));
    QCOMPARE(TestUtil::sequenceOf(pair.socket->receivePacket().data()), 1);
}

void tst_FaultReceive::pollFailureInWaitForDisconnected()
{
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    FaultInject::fail(Call::Poll, ENOMEM, 1, POLLIN);
    QVERIFY(!pair.socket->waitForDisconnected(Timeout));
    QCOMPARE(errors.count(), 1);
    QVERIFY2(pair.socket->errorString().startsWith(QLatin1String("waitForDisconnected: poll: ")),
             qPrintable(pair.socket->errorString()));
    QCOMPARE(pair.socket->state(), QSeqpacketSocket::ConnectedState);
    // Interrupted waits are resumed: the peer's close ends the next one.
    const int rule = FaultInject::fail(Call::Poll, EINTR, 2, POLLIN);
    std::thread closer([&pair] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        pair.peer.reset();
    });
    const bool ended = pair.socket->waitForDisconnected(Timeout);
    closer.join();
    QVERIFY2(ended, qPrintable(pair.socket->errorString()));
    QCOMPARE(FaultInject::injected(rule), 2L);
}

void tst_FaultReceive::truncatedDescriptorsAreClosed()
{
    // MSG_CTRUNC for real: a receive descriptor limit of 2 and a packet with 5. The kernel closes
    // three, the packet says so, and the two it brings close with it.
    RawPeered pair;
    QVERIFY(pair.isValid());
    pair.socket->setReceiveDescriptorLimit(2);
    QVERIFY(sendWithDescriptors(pair.peer.get(), 5).isEmpty());
    QVERIFY(pair.socket->waitForPacket(Timeout));
    const QSeqpacketPacket packet = pair.socket->receivePacket();
    QCOMPARE(packet.data(), QByteArray("with descriptors"));
    QVERIFY(packet.areFileDescriptorsTruncated());
    QCOMPARE(packet.fileDescriptors().size(), 2);
}

void tst_FaultReceive::fallbackReadsOnePacketAtATime()
{
    const QByteArray problem = inFallbackThread([] () -> QByteArray {
        UniqueFd mine, peer;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return "socketpair";
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(mine.release()))
            return "setSocketDescriptor: " + socket.errorString().toUtf8();
        QByteArray sent = sendSequence(peer.get(), 0, 10);
        if (!sent.isEmpty())
            return sent;
        int next = 0;
        const QByteArray received = waitForSequence(&socket, &next, 10);
        if (!received.isEmpty())
            return received;
        if (FaultInject::calls(Call::Recvmsg) < 10 || FaultInject::calls(Call::Recv) < 10)
            return "not read with recv(MSG_PEEK) and recvmsg()";
        if (socket.error() != QSeqpacketSocket::NoError)
            return "error(): " + socket.errorString().toUtf8();
        // An empty packet is a packet, and end-of-file is the end, on this path too.
        if (!TestUtil::rawSend(peer.get(), QByteArray()) || !socket.waitForPacket(Timeout))
            return "no empty packet";
        if (!socket.receivePacket().data().isEmpty())
            return "the empty packet was not empty";
        peer.reset();
        if (!socket.waitForDisconnected(Timeout))
            return "waitForDisconnected(): " + socket.errorString().toUtf8();
        return {};
    });
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultReceive::fallbackShortOfMemoryPausesAndRetries_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("message");
    QTest::newRow("recv ENOMEM") << int(Call::Recv) << ENOMEM << QStringLiteral("receivePacket: recv(MSG_PEEK): ");
    QTest::newRow("recv ENOBUFS") << int(Call::Recv) << ENOBUFS << QStringLiteral("receivePacket: recv(MSG_PEEK): ");
    QTest::newRow("recvmsg ENOMEM") << int(Call::Recvmsg) << ENOMEM << QStringLiteral("receivePacket: recvmsg: ");
    QTest::newRow("recvmsg ENOBUFS") << int(Call::Recvmsg) << ENOBUFS << QStringLiteral("receivePacket: recvmsg: ");
}

void tst_FaultReceive::fallbackShortOfMemoryPausesAndRetries()
{
    QFETCH(int, call);
    QFETCH(int, error);
    QFETCH(QString, message);
    const QByteArray problem = inFallbackThread([&] () -> QByteArray {
        UniqueFd mine, peer;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return "socketpair";
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(mine.release()))
            return "setSocketDescriptor: " + socket.errorString().toUtf8();
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        const int rule = FaultInject::fail(Call(call), error, 3, call == int(Call::Recv) ? PeekFlags : FaultInject::AnySelector);
        QByteArray sent = sendSequence(peer.get(), 0, 5);
        if (!sent.isEmpty())
            return sent;
        int next = 0;
        const QByteArray received = waitForSequence(&socket, &next, 5);
        if (!received.isEmpty())
            return received;
        if (FaultInject::injected(rule) != 3)
            return "injected " + QByteArray::number(qlonglong(FaultInject::injected(rule))) + " times";
        if (socket.error() != QSeqpacketSocket::ResourceError || !socket.errorString().startsWith(message)
            || !socket.errorString().contains(QLatin1String("trying again in")))
            return "error(): " + socket.errorString().toUtf8();
        if (errors.count() != 0)
            return "errorOccurred()";
        return {};
    });
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultReceive::fallbackInterruptedIsTransparent()
{
    const QByteArray problem = inFallbackThread([] () -> QByteArray {
        UniqueFd mine, peer;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return "socketpair";
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(mine.release()))
            return "setSocketDescriptor: " + socket.errorString().toUtf8();
        const int peeks = FaultInject::fail(Call::Recv, EINTR, 2, PeekFlags);
        const int reads = FaultInject::fail(Call::Recvmsg, EINTR, 2);
        QByteArray sent = sendSequence(peer.get(), 0, 5);
        if (!sent.isEmpty())
            return sent;
        int next = 0;
        const QByteArray received = waitForSequence(&socket, &next, 5);
        if (!received.isEmpty())
            return received;
        if (FaultInject::injected(peeks) != 2 || FaultInject::injected(reads) != 2)
            return "not interrupted";
        if (socket.error() != QSeqpacketSocket::NoError)
            return "error(): " + socket.errorString().toUtf8();
        return {};
    });
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultReceive::fallbackFinalFailureEndsTheConnection_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("operation");
    QTest::newRow("recv EINVAL") << int(Call::Recv) << EINVAL << QStringLiteral("receivePacket: recv(MSG_PEEK)");
    QTest::newRow("recvmsg EBADF") << int(Call::Recvmsg) << EBADF << QStringLiteral("receivePacket: recvmsg");
}

void tst_FaultReceive::fallbackFinalFailureEndsTheConnection()
{
    QFETCH(int, call);
    QFETCH(int, error);
    QFETCH(QString, operation);
    const QByteArray problem = inFallbackThread([&] () -> QByteArray {
        UniqueFd mine, peer;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return "socketpair";
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(mine.release()))
            return "setSocketDescriptor: " + socket.errorString().toUtf8();
        QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
        QSignalSpy disconnected(&socket, &QSeqpacketSocket::disconnected);
        FaultInject::fail(Call(call), error, -1, call == int(Call::Recv) ? PeekFlags : FaultInject::AnySelector);
        QByteArray sent = sendSequence(peer.get(), 0, 2);
        if (!sent.isEmpty())
            return sent;
        if (socket.waitForPacket(Timeout))
            return "a packet came";
        const QString expected = QStringLiteral("%1: %2").arg(operation, QString::fromLocal8Bit(strerror(error)));
        if (errors.count() != 1 || socket.error() != QSeqpacketSocket::OperationError || socket.errorString() != expected)
            return "error(): " + socket.errorString().toUtf8() + ", expected " + expected.toUtf8();
        if (socket.state() != QSeqpacketSocket::UnconnectedState || disconnected.count() != 1)
            return "the connection did not end";
        return {};
    });
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultReceive::fallbackTruncatedDescriptorsAreClosed()
{
    const QByteArray problem = inFallbackThread([] () -> QByteArray {
        UniqueFd mine, peer;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return "socketpair";
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(mine.release()))
            return "setSocketDescriptor: " + socket.errorString().toUtf8();
        socket.setReceiveDescriptorLimit(1);
        const QByteArray sent = sendWithDescriptors(peer.get(), 3);
        if (!sent.isEmpty())
            return sent;
        if (!socket.waitForPacket(Timeout))
            return "waitForPacket(): " + socket.errorString().toUtf8();
        const QSeqpacketPacket packet = socket.receivePacket();
        if (!packet.areFileDescriptorsTruncated() || packet.fileDescriptors().size() != 1)
            return "descriptors: " + QByteArray::number(packet.fileDescriptors().size());
        return {};
    });
    QVERIFY2(problem.isEmpty(), problem.constData());
}

void tst_FaultReceive::deadlineInsideThePause()
{
    // waitForPacket() with a deadline shorter than the pause after ENOMEM: it gives up at the
    // deadline (TimeoutError, no errorOccurred()), and a later wait gets the packet, once.
    RawPeered pair;
    QVERIFY(pair.isValid());
    QSignalSpy errors(pair.socket.get(), &QSeqpacketSocket::errorOccurred);
    QVERIFY(TestUtil::rawSend(pair.peer.get(), TestUtil::sequencedPayload(0, 64)));
    // Three failures in a row (pauses of 5, 10 and 20 ms): a loaded machine that overslept the
    // first pause still meets the next inside the 2 ms deadline.
    const int rule = FaultInject::fail(Call::Recvmmsg, ENOMEM, 3);
    QVERIFY(!pair.socket->waitForPacket(2));
    QVERIFY(FaultInject::injected(rule) >= 1);
    QCOMPARE(pair.socket->error(), QSeqpacketSocket::TimeoutError);
    QCOMPARE(errors.count(), 0);
    QVERIFY(pair.socket->waitForPacket(Timeout));
    QCOMPARE(FaultInject::injected(rule), 3L);
    int next = 0;
    const QByteArray problem = takeSequence(pair.socket.get(), &next);
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(next, 1);
}

QTEST_GUILESS_MAIN(tst_FaultReceive)
#include "tst_fault_receive.moc"
