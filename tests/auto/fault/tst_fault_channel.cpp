// SPDX-License-Identifier: MIT
// The message channel when the system calls fail (testsupport/faultinject): a frame that spills
// into a memfd when memfd_create(), write() or fcntl(F_ADD_SEALS) fails (send() false, a
// request qseqpacket.TooLarge, with a message naming the call; the memfd closed); write() short
// or interrupted (the frame still whole); receiving a spilled frame when fcntl(F_GET_SEALS),
// fstat() or mmap() fails (protocolError() naming the call, the frame's descriptors closed, the
// channel going on); the socket under the channel short of memory (nothing lost). Every test
// checks that no descriptor is left open.
#include <QSeqpacketChannel>
#include <QSeqpacketSocket>

#include <QtCore/QFuture>

#include "faulttest.h"

#include <QtCore/QCborArray>

#include <sys/mman.h>

#include <algorithm>

using namespace FaultTest;

class tst_FaultChannel : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initFaultTestCase(); }
    void init() { startTest(); }
    void cleanup() { endTest(); }
    void cleanupTestCase() { reportPairs("tst_fault_channel"); }

    void spillFails_data();
    void spillFails();
    void spillFailsMidFrame_data();
    void spillFailsMidFrame();
    void spillWriteShortOrInterrupted_data();
    void spillWriteShortOrInterrupted();
    void receivingSpilledFrameFails_data();
    void receivingSpilledFrameFails();
    void socketShortOfMemoryUnderTheChannel();
    void socketRefusesTheFrame_data();
    void socketRefusesTheFrame();
    void answerTooLargeToSend();
    void manyRequestsTimeOut();
};

namespace {

constexpr int SpillThreshold = 64;

struct Received
{
    QString name;
    QSeqpacketMessage message;
};

// Two connected sockets with a channel on each; frames over 64 bytes spill into a memfd.
struct ChannelPair
{
    ChannelPair()
    {
        auto [a, b] = QSeqpacketSocket::createPair();
        socketA.reset(a);
        socketB.reset(b);
        channelA = std::make_unique<QSeqpacketChannel>(a);
        channelB = std::make_unique<QSeqpacketChannel>(b);
        channelA->setSpillThreshold(SpillThreshold);
        channelB->setSpillThreshold(SpillThreshold);
        QObject::connect(channelB.get(), &QSeqpacketChannel::messageReceived, channelB.get(),
                         [this](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
        QObject::connect(channelB.get(), &QSeqpacketChannel::protocolError, channelB.get(),
                         [this](const QString &description) { protocolErrors.append(description); });
    }
    ~ChannelPair()
    {
        channelA.reset();
        channelB.reset();
    }

    std::unique_ptr<QSeqpacketSocket> socketA;
    std::unique_ptr<QSeqpacketSocket> socketB;
    std::unique_ptr<QSeqpacketChannel> channelA;
    std::unique_ptr<QSeqpacketChannel> channelB;
    QList<Received> received;
    QStringList protocolErrors;
};

QByteArray largeBody(int sequence)
{
    return TestUtil::sequencedPayload(sequence, 4096);
}

QString reason(int error)
{
    return QString::fromLocal8Bit(strerror(error));
}

bool waitFor(const QFuture<QSeqpacketReply> &future)
{
    return waitUntil([&] { return future.isFinished(); });
}

} // namespace

void tst_FaultChannel::spillFails_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("selector");
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("named");
    QTest::newRow("memfd_create EMFILE") << int(Call::MemfdCreate) << FaultInject::AnySelector << EMFILE << QStringLiteral("memfd_create");
    QTest::newRow("memfd_create ENOMEM") << int(Call::MemfdCreate) << FaultInject::AnySelector << ENOMEM << QStringLiteral("memfd_create");
    QTest::newRow("write ENOSPC") << int(Call::Write) << FaultInject::AnySelector << ENOSPC << QStringLiteral("write");
    QTest::newRow("write EIO") << int(Call::Write) << FaultInject::AnySelector << EIO << QStringLiteral("write");
    QTest::newRow("fcntl(F_ADD_SEALS) EPERM") << int(Call::Fcntl) << int(F_ADD_SEALS) << EPERM
                                              << QStringLiteral("fcntl(F_ADD_SEALS)");
    QTest::newRow("fcntl(F_ADD_SEALS) EBUSY") << int(Call::Fcntl) << int(F_ADD_SEALS) << EBUSY
                                              << QStringLiteral("fcntl(F_ADD_SEALS)");
}

void tst_FaultChannel::spillFails()
{
    // The frame cannot be put in a memfd: nothing is sent, the caller hears why (the call named),
    // and the half-made memfd is closed.
    QFETCH(int, call);
    QFETCH(int, selector);
    QFETCH(int, error);
    QFETCH(QString, named);
    ChannelPair pair;
    FaultInject::fail(Call(call), error, 1, selector);
    QVERIFY(!pair.channelA->send(QStringLiteral("large"), QSeqpacketMessage(largeBody(0))));
    QVERIFY2(pair.channelA->errorString().contains(QStringLiteral("needs a memfd: %1: %2").arg(named, reason(error))),
             qPrintable(pair.channelA->errorString()));
    QVERIFY2(pair.channelA->errorString().startsWith(QLatin1String("a frame of ")), qPrintable(pair.channelA->errorString()));

    FaultInject::fail(Call(call), error, 1, selector);
    const QFuture<QSeqpacketReply> reply = pair.channelA->request(QStringLiteral("large"), QSeqpacketMessage(largeBody(1)), Timeout);
    QVERIFY(reply.isFinished());
    QVERIFY(reply.result().isError());
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.TooLarge"));
    QVERIFY2(reply.result().message().body().toString().contains(QStringLiteral("needs a memfd: %1: %2").arg(named, reason(error))),
             qPrintable(reply.result().message().body().toString()));
    QCOMPARE(pair.channelA->pendingRequests(), 0);

    // Nothing arrived; the channel works.
    runEventLoop(50);
    QVERIFY(pair.received.isEmpty());
    QVERIFY(pair.channelA->send(QStringLiteral("large"), QSeqpacketMessage(largeBody(2))));
    QVERIFY(waitUntil([&] { return !pair.received.isEmpty(); }));
    QCOMPARE(pair.received.size(), 1);
    QCOMPARE(pair.received.at(0).message.body().toByteArray(), largeBody(2));
    QVERIFY(pair.protocolErrors.isEmpty());
}

void tst_FaultChannel::spillFailsMidFrame_data()
{
    // The frame is written into its memfd as it is encoded, piece by piece: a failure while
    // pieces of the body still come (which are then dropped), a failure writing what was
    // gathered before a large piece, and a failure writing a large piece (64 KiB or more) itself.
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("from");
    QTest::addColumn<int>("error");
    QTest::addColumn<QCborValue>("body");
    QTest::addColumn<QString>("named");
    const QCborValue smallPieces(QCborArray{largeBody(0), largeBody(1), largeBody(2)});
    const QCborValue largePiece(QCborArray{largeBody(0), QByteArray(100000, 'b')});
    QTest::newRow("memfd_create, pieces after it") << int(Call::MemfdCreate) << 1 << EMFILE << smallPieces
                                                   << QStringLiteral("memfd_create");
    QTest::newRow("write of what was gathered") << int(Call::Write) << 1 << EIO << largePiece << QStringLiteral("write");
    QTest::newRow("write of a large piece") << int(Call::Write) << 2 << ENOSPC << largePiece << QStringLiteral("write");
}

void tst_FaultChannel::spillFailsMidFrame()
{
    // Nothing is sent, the caller hears why (the call named), the half-made memfd is closed
    // (cleanup() counts descriptors), and the channel then sends the same frame.
    QFETCH(int, call);
    QFETCH(int, from);
    QFETCH(int, error);
    QFETCH(QCborValue, body);
    QFETCH(QString, named);
    ChannelPair pair;
    FaultInject::Fault fault;
    fault.call = Call(call);
    fault.error = error;
    fault.from = from;
    const int rule = FaultInject::inject(fault);
    QVERIFY(!pair.channelA->send(QStringLiteral("pieces"), QSeqpacketMessage(body)));
    QCOMPARE(FaultInject::injected(rule), 1L);
    QVERIFY2(pair.channelA->errorString().contains(QStringLiteral("needs a memfd: %1: %2").arg(named, reason(error))),
             qPrintable(pair.channelA->errorString()));
    runEventLoop(50);
    QVERIFY(pair.received.isEmpty());
    QVERIFY(pair.channelA->send(QStringLiteral("pieces"), QSeqpacketMessage(body)));
    QVERIFY(waitUntil([&] { return !pair.received.isEmpty(); }));
    QCOMPARE(pair.received.size(), 1);
    QCOMPARE(pair.received.at(0).message.body(), body);
    QVERIFY(pair.protocolErrors.isEmpty());
}

void tst_FaultChannel::spillWriteShortOrInterrupted_data()
{
    QTest::addColumn<int>("kind"); // 0: short writes, 1: EINTR, 2: a write that takes nothing
    QTest::newRow("short") << 0;
    QTest::newRow("EINTR") << 1;
    QTest::newRow("nothing written") << 2;
}

void tst_FaultChannel::spillWriteShortOrInterrupted()
{
    QFETCH(int, kind);
    ChannelPair pair;
    FaultInject::Fault fault;
    fault.call = Call::Write;
    fault.times = 3;
    if (kind == 0)
        fault.shortCount = 100;
    else if (kind == 1)
        fault.error = EINTR;
    else
        fault.shortCount = 0;
    const int rule = FaultInject::inject(fault);
    const bool sent = pair.channelA->send(QStringLiteral("large"), QSeqpacketMessage(largeBody(3)));
    QVERIFY(FaultInject::injected(rule) >= 1);
    if (kind == 2) {
        // The file takes nothing and says no error: an I/O error, not a loop.
        QVERIFY(!sent);
        QVERIFY2(pair.channelA->errorString().endsWith(QStringLiteral(" bytes needs a memfd: write: %1").arg(reason(EIO))),
                 qPrintable(pair.channelA->errorString()));
        return;
    }
    QVERIFY2(sent, qPrintable(pair.channelA->errorString()));
    QCOMPARE(FaultInject::injected(rule), 3L);
    QVERIFY(waitUntil([&] { return !pair.received.isEmpty(); }));
    QCOMPARE(pair.received.at(0).message.body().toByteArray(), largeBody(3));
    QVERIFY(pair.protocolErrors.isEmpty());
}

void tst_FaultChannel::receivingSpilledFrameFails_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("selector");
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("expected");
    QTest::newRow("mmap ENOMEM") << int(Call::Mmap) << int(MAP_PRIVATE) << ENOMEM
                                 << QStringLiteral("the spilled frame's memfd: mmap: %1").arg(reason(ENOMEM));
    QTest::newRow("mmap ENFILE") << int(Call::Mmap) << int(MAP_PRIVATE) << ENFILE
                                 << QStringLiteral("the spilled frame's memfd: mmap: %1").arg(reason(ENFILE));
    QTest::newRow("fcntl(F_GET_SEALS) EBADF") << int(Call::Fcntl) << int(F_GET_SEALS) << EBADF
                                              << QStringLiteral("the spilled frame's memfd: fcntl(F_GET_SEALS): %1").arg(reason(EBADF));
    QTest::newRow("fcntl(F_GET_SEALS) EINVAL") << int(Call::Fcntl) << int(F_GET_SEALS) << EINVAL
                                               << QStringLiteral("the spilled frame's descriptor is not a memfd");
    QTest::newRow("fstat ENOMEM") << int(Call::Fstat) << FaultInject::AnySelector << ENOMEM
                                  << QStringLiteral("the spilled frame's memfd: fstat: %1").arg(reason(ENOMEM));
}

void tst_FaultChannel::receivingSpilledFrameFails()
{
    // The receiver cannot read the spilled frame: protocolError() names the call, the packet goes
    // with its memfd and the descriptors it carried, and the next frame comes through.
    QFETCH(int, call);
    QFETCH(int, selector);
    QFETCH(int, error);
    QFETCH(QString, expected);
    ChannelPair pair;
    const QSeqpacketFileDescriptor carried = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("carried"));
    QVERIFY(pair.channelA->send(QStringLiteral("large"), QSeqpacketMessage(largeBody(4), {carried})));
    FaultInject::fail(Call(call), error, 1, selector);
    QVERIFY(waitUntil([&] { return !pair.protocolErrors.isEmpty(); }));
    QCOMPARE(pair.protocolErrors, QStringList{expected});
    QVERIFY(pair.received.isEmpty());
    FaultInject::reset();
    QVERIFY(pair.channelA->send(QStringLiteral("large"), QSeqpacketMessage(largeBody(5))));
    QVERIFY(waitUntil([&] { return !pair.received.isEmpty(); }));
    QCOMPARE(pair.received.at(0).message.body().toByteArray(), largeBody(5));
    QCOMPARE(pair.protocolErrors.size(), 1);
}

void tst_FaultChannel::socketShortOfMemoryUnderTheChannel()
{
    // The kernel short of memory on both sides of a request and its reply: they wait and go, once.
    ChannelPair pair;
    connect(pair.channelB.get(), &QSeqpacketChannel::requestReceived, this, [](const QSeqpacketRequest &request) {
        request.reply(QSeqpacketMessage(request.message().body()));
    });
    FaultInject::fail(Call::Sendmsg, ENOBUFS, 2); // the spilled frames (a memfd goes with them)
    FaultInject::fail(Call::Send, ENOBUFS, 2);    // the others
    FaultInject::fail(Call::Recvmmsg, ENOMEM, 2);
    QList<QFuture<QSeqpacketReply>> replies;
    for (int i = 0; i < 10; ++i)
        replies << pair.channelA->request(QStringLiteral("echo"), QSeqpacketMessage(i < 5 ? largeBody(i) : QByteArray::number(i)), Timeout);
    for (int i = 0; i < 10; ++i) {
        QVERIFY(waitFor(replies.at(i)));
        QVERIFY2(!replies.at(i).result().isError(), qPrintable(replies.at(i).result().errorName()));
        QCOMPARE(replies.at(i).result().message().body().toByteArray(), i < 5 ? largeBody(i) : QByteArray::number(i));
    }
    QCOMPARE(pair.channelA->pendingRequests(), 0);
    QCOMPARE(pair.channelB->unansweredRequests(), 0);
    QVERIFY(pair.protocolErrors.isEmpty());
}

void tst_FaultChannel::socketRefusesTheFrame_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<bool>("connectionLost");
    QTest::newRow("EPIPE") << EPIPE << true;
    QTest::newRow("ECONNRESET") << ECONNRESET << true;
    QTest::newRow("EMSGSIZE") << EMSGSIZE << false;
}

void tst_FaultChannel::socketRefusesTheFrame()
{
    // send() under the channel fails: send() is false with the socket's reason, a request
    // fails at once (the connection's end, or the frame alone where the socket is still
    // connected), and nothing arrives.
    QFETCH(int, error);
    QFETCH(bool, connectionLost);
    ChannelPair pair;
    FaultInject::fail(Call::Send, error);
    QVERIFY(!pair.channelA->send(QStringLiteral("small"), QSeqpacketMessage(QCborValue(1))));
    QCOMPARE(pair.channelA->errorString(), pair.socketA->errorString());
    QVERIFY2(pair.channelA->errorString().startsWith(QLatin1String("sendPacket: ")), qPrintable(pair.channelA->errorString()));
    const QSeqpacketSocket::SocketError socketError = pair.socketA->error();
    QVERIFY2(connectionLost == (socketError == QSeqpacketSocket::PeerClosedError || socketError == QSeqpacketSocket::ConnectionResetError),
             errorName(socketError));
    {
        FaultInject::fail(Call::Send, error);
        const QFuture<QSeqpacketReply> reply = pair.channelA->request(QStringLiteral("small"), QSeqpacketMessage(QCborValue(2)), Timeout);
        QVERIFY(reply.isFinished());
        QVERIFY(reply.result().isError());
        QCOMPARE(pair.channelA->pendingRequests(), 0);
    }
    if (!connectionLost) {
        // The next one goes through.
        QVERIFY(pair.channelA->send(QStringLiteral("small"), QSeqpacketMessage(QCborValue(3))));
        QVERIFY(waitUntil([&] { return !pair.received.isEmpty(); }));
        QCOMPARE(pair.received.size(), 1);
        QCOMPARE(pair.received.at(0).message.body().toInteger(), 3);
    } else {
        runEventLoop(50);
        QVERIFY(pair.received.isEmpty());
    }
}

void tst_FaultChannel::answerTooLargeToSend()
{
    // An answer that cannot be framed (more descriptors than a packet carries): reply() is
    // false, the request stays unanswered, and a second answer that fits goes through.
    ChannelPair pair;
    QList<QSeqpacketRequest> requests;
    connect(pair.channelB.get(), &QSeqpacketChannel::requestReceived, this,
            [&requests](const QSeqpacketRequest &request) { requests.append(request); });
    const QFuture<QSeqpacketReply> reply = pair.channelA->request(QStringLiteral("ask"), QSeqpacketMessage(QCborValue(1)), Timeout);
    QVERIFY(waitUntil([&] { return !requests.isEmpty(); }));
    const QSeqpacketFileDescriptor one = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("fd"));
    QList<QSeqpacketFileDescriptor> tooMany;
    for (int i = 0; i < 254; ++i)
        tooMany << one;
    QVERIFY(!requests.at(0).reply(QSeqpacketMessage(QCborValue(2), tooMany)));
    QVERIFY(!requests.at(0).isAnswered());
    QVERIFY(requests.at(0).reply(QSeqpacketMessage(QCborValue(3))));
    QVERIFY(waitFor(reply));
    QVERIFY(!reply.result().isError());
    QCOMPARE(reply.result().message().body().toInteger(), 3);
}

void tst_FaultChannel::manyRequestsTimeOut()
{
    // More requests time out than the channel remembers as recently finished (256): each fails
    // with qseqpacket.Timeout, none is left pending, and the record stays bounded. The far end
    // keeps the requests unanswered (with no handler at all it would answer UnknownRequest,
    // which can come back before a 1 ms timeout fires).
    ChannelPair pair;
    QList<QSeqpacketRequest> kept;
    connect(pair.channelB.get(), &QSeqpacketChannel::requestReceived, this,
            [&kept](const QSeqpacketRequest &request) { kept.append(request); });
    QList<QFuture<QSeqpacketReply>> replies;
    for (int i = 0; i < 300; ++i)
        replies << pair.channelA->request(QStringLiteral("unanswered"), QSeqpacketMessage(QCborValue(i)), 1);
    QVERIFY(waitUntil([&] { return std::all_of(replies.cbegin(), replies.cend(), [](const auto &f) { return f.isFinished(); }); }));
    for (const QFuture<QSeqpacketReply> &reply : replies) {
        QVERIFY(reply.result().isError());
        QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.Timeout"));
    }
    QCOMPARE(pair.channelA->pendingRequests(), 0);
}

QTEST_GUILESS_MAIN(tst_FaultChannel)
#include "tst_fault_channel.moc"
