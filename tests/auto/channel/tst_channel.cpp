// SPDX-License-Identifier: MIT
// QSeqpacketChannel between two channels of this process: messages and bodies of every CBOR kind,
// descriptors both ways, requests with replies in any order, answered later, from another thread,
// or not at all (NoReply, UnknownRequest), error replies, timeouts, cancellation, disconnection,
// large messages through sealed memfds, the limits (message size, unanswered requests), channels
// in another thread. Every test checks that no descriptor is left open. The protocol against a
// peer written without the library is tst_channel_protocol.
#include <QSeqpacketChannel>
#include <QSeqpacketFrame>
#include <QSeqpacketSocket>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QDateTime>
#include <QtCore/QFuture>
#include <QtCore/QRegularExpression>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include <memory>
#include <thread>

#include "channeltest.h"

using ChannelTest::contentOf;
using ChannelTest::memfdWith;
using ChannelTest::ReceivedMessage;
using ChannelTest::Timeout;
using ChannelTest::waitFor;
using TestUtil::UniqueFd;

namespace {

// Two connected sockets with a channel on each, all owned here.
struct ChannelPair
{
    ChannelPair()
    {
        auto [a, b] = QSeqpacketSocket::createPair();
        socketA.reset(a);
        socketB.reset(b);
        a_ = std::make_unique<QSeqpacketChannel>(a);
        b_ = std::make_unique<QSeqpacketChannel>(b);
    }
    ~ChannelPair()
    {
        a_.reset();
        b_.reset();
    }
    QSeqpacketChannel *a() const { return a_.get(); }
    QSeqpacketChannel *b() const { return b_.get(); }

    // Collects b()'s messages into \a received; b() answers every request with its message.
    void collectAndEcho(QList<ReceivedMessage> *received) const
    {
        QObject::connect(b(), &QSeqpacketChannel::messageReceived, b(),
                         [received](const QString &name, const QSeqpacketMessage &message) {
                             received->append({name, message});
                         });
        QObject::connect(b(), &QSeqpacketChannel::requestReceived, b(),
                         [](QSeqpacketRequest request) { request.reply(request.message()); });
    }

    std::unique_ptr<QSeqpacketSocket> socketA;
    std::unique_ptr<QSeqpacketSocket> socketB;
    std::unique_ptr<QSeqpacketChannel> a_;
    std::unique_ptr<QSeqpacketChannel> b_;
};

} // namespace

class tst_Channel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void messagesBothWays();
    void bodies_data();
    void bodies();
    void bodyBytes_data();
    void bodyBytes();
    void descriptorsWithMessages();
    void credentialsOfMessages();
    void requestAndReply();
    void repliesInAnyOrder();
    void answeredLater();
    void requestsWaitingAcrossWatchRounds();
    void answeredFromAnotherThread();
    void errorReply();
    void noReplyWhenDropped();
    void unknownRequestWithoutHandler();
    void descriptorsInReplies();
    void timeoutThenLateReply();
    void cancelThroughTheFuture();
    void cancelAfterTheWatcherCame();
    void canceledThenAnswered();
    void disconnectionFailsEveryRequest();
    void requestWhileUnconnected();
    void deletedChannelAnswersNoReply();
    void largeMessagesSpill_data();
    void largeMessagesSpill();
    void message64MiBWithDefaultBuffers();
    void spillThresholdZero();
    void spillThresholdAboveOnePacket();
    void negativeSettingsRefused();
    void largeStructuredMessageSpills();
    void maxMessageSize();
    void tooManyUnansweredRequests();
    void tooManyDescriptors();
    void bothDirectionsAtOnce();
    void channelInAnotherThread();
    void badPacketsCostOnlyThemselves();
    void peerThatNeverReads();
    void frameLimits_data();
    void frameLimits();
    void packetsBeforeTheChannel();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_Channel::initTestCase()
{
    qRegisterMetaType<QSeqpacketMessage>();
    qRegisterMetaType<QSeqpacketRequest>();
    // Warm up what Qt keeps for the process's life (threads, the event dispatcher), so that the
    // descriptor accounting of each test is exact.
    ChannelPair pair;
    QThread thread;
    thread.start();
    thread.quit();
    thread.wait();
    std::thread([] { QObject object; }).join();
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) { request.reply(); });
    QVERIFY(waitFor(pair.a()->request(QStringLiteral("warm-up"))));
    QCoreApplication::processEvents();
}

void tst_Channel::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_Channel::cleanup()
{
    CHANNELTEST_FDS_UNCHANGED(m_fdsAtStart);
}

void tst_Channel::messagesBothWays()
{
    ChannelPair pair;
    QList<ReceivedMessage> atA;
    QList<ReceivedMessage> atB;
    connect(pair.a(), &QSeqpacketChannel::messageReceived, this,
            [&atA](const QString &name, const QSeqpacketMessage &message) { atA.append({name, message}); });
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&atB](const QString &name, const QSeqpacketMessage &message) { atB.append({name, message}); });
    QSignalSpy errorsA(pair.a(), &QSeqpacketChannel::protocolError);
    QSignalSpy errorsB(pair.b(), &QSeqpacketChannel::protocolError);

    QVERIFY(pair.a()->send(QStringLiteral("hello"), QSeqpacketMessage(QStringLiteral("from a"))));
    QVERIFY(pair.a()->send(QStringLiteral("empty")));
    QVERIFY(pair.b()->send(QStringLiteral("answer"), QSeqpacketMessage(QCborMap{{QStringLiteral("n"), 42}})));
    QTRY_COMPARE_WITH_TIMEOUT(atB.size(), 2, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(atA.size(), 1, Timeout);
    QCOMPARE(atB.at(0).name, QStringLiteral("hello"));
    QCOMPARE(atB.at(0).message.body(), QCborValue(QStringLiteral("from a")));
    QCOMPARE(atB.at(1).name, QStringLiteral("empty"));
    QVERIFY(atB.at(1).message.body().isNull()); // nothing goes as null
    QCOMPARE(atA.at(0).name, QStringLiteral("answer"));
    QCOMPARE(atA.at(0).message.body().toMap().value(QStringLiteral("n")).toInteger(), 42);
    QCOMPARE(errorsA.size() + errorsB.size(), 0);
}

void tst_Channel::bodies_data()
{
    QTest::addColumn<QCborValue>("body");
    QTest::newRow("null") << QCborValue(nullptr);
    QTest::newRow("false") << QCborValue(false);
    QTest::newRow("integer") << QCborValue(123456789012345LL);
    QTest::newRow("negative") << QCborValue(-17);
    QTest::newRow("double") << QCborValue(3.25);
    QTest::newRow("text") << QCborValue(QStringLiteral("grüße, 世界"));
    QTest::newRow("empty text") << QCborValue(QString(""));
    QTest::newRow("bytes") << QCborValue(QByteArray("\x00\x01\xff binary", 10));
    QTest::newRow("array") << QCborValue(QCborArray{1, QStringLiteral("two"), QCborArray{3.0, nullptr}});
    QTest::newRow("empty array") << QCborValue(QCborArray());
    QTest::newRow("empty map") << QCborValue(QCborMap());
    QTest::newRow("empty containers inside") << QCborValue(QCborArray{QCborArray(), QCborMap(), 7});
    QTest::newRow("map") << QCborValue(QCborMap{{QStringLiteral("a"), 1}, {2, QStringLiteral("b")},
                                                {QStringLiteral("nested"), QCborMap{{QStringLiteral("x"), true}}}});
    QTest::newRow("date-time") << QCborValue(QDateTime(QDate(2026, 11, 27), QTime(8, 30), Qt::UTC));
    QTest::newRow("tagged") << QCborValue(QCborKnownTags::ExpectedBase64, QByteArray("tagged"));
    QTest::newRow("64 levels deep") << [] {
        QCborValue value(QStringLiteral("core"));
        for (int i = 0; i < 64; ++i)
            value = QCborArray{value};
        return value;
    }();
}

void tst_Channel::bodies()
{
    QFETCH(QCborValue, body);
    ChannelPair pair;
    QList<ReceivedMessage> received;
    pair.collectAndEcho(&received);
    QVERIFY(pair.a()->send(QStringLiteral("body"), QSeqpacketMessage(body)));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).message.body(), body);
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("echo"), QSeqpacketMessage(body));
    QVERIFY(waitFor(reply));
    QVERIFY(!reply.result().isError());
    QCOMPARE(reply.result().message().body(), body);
}

void tst_Channel::bodyBytes_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("empty") << 0;
    QTest::newRow("small") << 100;
    QTest::newRow("spilled") << (3 << 20); // more than one packet of the default buffers
}

void tst_Channel::bodyBytes()
{
    QFETCH(int, size);
    const QByteArray bytes = TestUtil::sequencedPayload(5, size);

    // As a value: the same body as QCborValue(bytes), sharing the bytes.
    QSeqpacketMessage message;
    message.setBodyBytes(bytes);
    QCOMPARE(message.body(), QCborValue(bytes));
    QCOMPARE(message.bodyBytes(), bytes);
    if (size > 0)
        QVERIFY(message.bodyBytes().constData() == bytes.constData()); // the same buffer, not a copy
    QCOMPARE(QSeqpacketMessage(QCborValue(bytes)).bodyBytes(), bytes);
    QVERIFY(QSeqpacketMessage(QCborMap{{1, bytes}}).bodyBytes().isEmpty());
    QVERIFY(QSeqpacketMessage(QStringLiteral("text")).bodyBytes().isEmpty());
    QSeqpacketMessage replaced = message;
    replaced.setBody(QStringLiteral("text"));
    QVERIFY(replaced.bodyBytes().isEmpty());
    QCOMPARE(message.bodyBytes(), bytes); // the copy detached

    // On the wire: exactly the frame of QCborValue(bytes), in the packet or in its memfd.
    const QByteArray expected = QSeqpacketFrame(QSeqpacketFrame::MessageFrame, 0, QStringLiteral("bytes"),
                                                QCborValue(bytes)).encode();
    {
        auto [a, b] = QSeqpacketSocket::createPair();
        std::unique_ptr<QSeqpacketSocket> sender(a), reader(b);
        QSeqpacketChannel channel(sender.get());
        QVERIFY2(channel.send(QStringLiteral("bytes"), message), qPrintable(channel.errorString()));
        QVERIFY(reader->waitForPacket(Timeout));
        const QSeqpacketPacket packet = reader->receivePacket();
        const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(packet);
        QVERIFY2(frame.isValid(), qPrintable(frame.errorString()));
        QCOMPARE(frame.isSpilled(), size > (1 << 20));
        if (frame.isSpilled())
            QCOMPARE(contentOf(packet.fileDescriptors().at(0)), expected);
        else
            QCOMPARE(packet.data(), expected);
    }

    // Received, both ways of sending: the bytes, and the same as a QCborValue.
    ChannelPair pair;
    QList<ReceivedMessage> received;
    pair.collectAndEcho(&received);
    QVERIFY(pair.a()->send(QStringLiteral("bytes"), message));
    QVERIFY(pair.a()->send(QStringLiteral("value"), QSeqpacketMessage(QCborValue(bytes))));
    // A name beyond ASCII: the frame goes through the full decoder, with the same result.
    QVERIFY(pair.a()->send(QStringLiteral("bytes \u00e9"), message));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 3, Timeout);
    for (const ReceivedMessage &r : std::as_const(received)) {
        QCOMPARE(r.message.bodyBytes(), bytes);
        QCOMPARE(r.message.body(), QCborValue(bytes));
        // The same buffer at every call, not a copy each (QCOMPARE would compare the bytes).
        QVERIFY(r.message.bodyBytes().constData() == r.message.bodyBytes().constData());
    }
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("echo"), message);
    QVERIFY(waitFor(reply));
    QVERIFY(!reply.result().isError());
    QCOMPARE(reply.result().message().bodyBytes(), bytes);
}

void tst_Channel::descriptorsWithMessages()
{
    ChannelPair pair;
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    {
        const QSeqpacketFileDescriptor first = memfdWith("first file");
        const QSeqpacketFileDescriptor second = memfdWith("second file");
        QVERIFY(pair.a()->send(QStringLiteral("files"), QSeqpacketMessage(QStringLiteral("two"), {first, second})));
    } // ours are closed; the receiver's copies are its own
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    const QList<QSeqpacketFileDescriptor> fds = received.at(0).message.fileDescriptors();
    QCOMPARE(fds.size(), 2);
    QVERIFY(TestUtil::hasCloexec(fds.at(0).descriptor()));
    QCOMPARE(contentOf(fds.at(0)), QByteArray("first file"));
    QCOMPARE(contentOf(fds.at(1)), QByteArray("second file"));
    received.clear(); // the last copy: the descriptors close (cleanup() checks)
}

void tst_Channel::credentialsOfMessages()
{
    ChannelPair pair;
    QVERIFY(pair.socketB->setPerPacketCredentials(true));
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QVERIFY(pair.a()->send(QStringLiteral("who")));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).message.credentials().processId(), QCoreApplication::applicationPid());
    QCOMPARE(received.at(0).message.credentials().userId(), uint(::geteuid()));
}

void tst_Channel::requestAndReply()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> seen;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [&seen](QSeqpacketRequest request) {
        seen.append(request);
        const QCborArray terms = request.message().body().toArray();
        QVERIFY(!request.isAnswered());
        QVERIFY(request.reply(QSeqpacketMessage(terms.at(0).toInteger() + terms.at(1).toInteger())));
        QVERIFY(request.isAnswered());
        QVERIFY(!request.reply(QSeqpacketMessage(0))); // once
    });
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("add"), QSeqpacketMessage(QCborArray{2, 3}));
    QCOMPARE(pair.a()->pendingRequests(), 1);
    QVERIFY(waitFor(reply));
    QCOMPARE(reply.resultCount(), 1);
    QVERIFY(!reply.result().isError());
    QCOMPARE(reply.result().errorName(), QString());
    QCOMPARE(reply.result().message().body().toInteger(), 5);
    QCOMPARE(pair.a()->pendingRequests(), 0);
    QCOMPARE(pair.b()->unansweredRequests(), 0);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen.at(0).name(), QStringLiteral("add"));
    QVERIFY(seen.at(0).id() != 0);
    QVERIFY(seen.at(0).isAnswered());
}

void tst_Channel::repliesInAnyOrder()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [&held](const QSeqpacketRequest &request) {
        held.append(request);
    });
    QList<QFuture<QSeqpacketReply>> replies;
    for (int i = 0; i < 10; ++i)
        replies.append(pair.a()->request(QStringLiteral("n"), QSeqpacketMessage(i)));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 10, Timeout);
    QCOMPARE(pair.b()->unansweredRequests(), 10);
    // Answered last first, odd ones before even ones.
    for (int i = 9; i >= 0; i -= 2)
        QVERIFY(held[i].reply(QSeqpacketMessage(held[i].message().body().toInteger() * 10)));
    for (int i = 8; i >= 0; i -= 2)
        QVERIFY(held[i].reply(QSeqpacketMessage(held[i].message().body().toInteger() * 10)));
    for (int i = 0; i < 10; ++i) {
        QVERIFY(waitFor(replies[i]));
        QCOMPARE(replies[i].result().message().body().toInteger(), i * 10);
    }
    QCOMPARE(pair.b()->unansweredRequests(), 0);
}

void tst_Channel::answeredLater()
{
    ChannelPair pair;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
        // Kept by the timer's functor and answered from the event loop.
        QTimer::singleShot(50, [request]() mutable { request.reply(QSeqpacketMessage(QStringLiteral("later"))); });
    });
    QElapsedTimer timer;
    timer.start();
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("slow"));
    QVERIFY(waitFor(reply));
    QVERIFY(timer.elapsed() >= 45);
    QCOMPARE(reply.result().message().body(), QCborValue(QStringLiteral("later")));
}

void tst_Channel::requestsWaitingAcrossWatchRounds()
{
    // A request still waiting when a later one starts the watch timer again keeps the watcher it
    // has (no second one); both are answered, each with its own reply.
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [&held](QSeqpacketRequest request) {
        held.append(request);
    });
    const QFuture<QSeqpacketReply> first = pair.a()->request(QStringLiteral("first"));
    QTest::qWait(100); // several watch rounds (20 ms each): the first request gets its watcher
    const QFuture<QSeqpacketReply> second = pair.a()->request(QStringLiteral("second"));
    QTest::qWait(100); // more rounds, with the first request watched already
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 2, Timeout);
    QVERIFY(!first.isFinished());
    QVERIFY(!second.isFinished());
    for (QSeqpacketRequest &request : held)
        request.reply(QSeqpacketMessage(request.name()));
    QVERIFY(waitFor(first));
    QVERIFY(waitFor(second));
    QCOMPARE(first.result().message().body(), QCborValue(QStringLiteral("first")));
    QCOMPARE(second.result().message().body(), QCborValue(QStringLiteral("second")));
}

void tst_Channel::answeredFromAnotherThread()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    const QFuture<QSeqpacketReply> first = pair.a()->request(QStringLiteral("one"));
    const QFuture<QSeqpacketReply> second = pair.a()->request(QStringLiteral("two"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 2, Timeout);
    bool answered = false;
    std::thread([&] {
        answered = held[0].reply(QSeqpacketMessage(QStringLiteral("from a thread")));
        QSeqpacketRequest dropped = held.takeLast(); // the last copy goes in this thread: NoReply
        Q_UNUSED(dropped);
    }).join();
    QVERIFY(answered);
    QVERIFY(waitFor(first) && waitFor(second));
    QCOMPARE(first.result().message().body(), QCborValue(QStringLiteral("from a thread")));
    QVERIFY(second.result().isError());
    QCOMPARE(second.result().errorName(), QStringLiteral("qseqpacket.NoReply"));
    held.clear();
    QTRY_COMPARE_WITH_TIMEOUT(pair.b()->unansweredRequests(), 0, Timeout);
}

void tst_Channel::errorReply()
{
    ChannelPair pair;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
        QVERIFY(!request.replyError(QString())); // an error needs a name
        QVERIFY(request.replyError(QStringLiteral("example.NotFound"),
                                   QSeqpacketMessage(QCborMap{{QStringLiteral("path"), request.message().body()}})));
    });
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("open"), QSeqpacketMessage(QStringLiteral("/nope")));
    QVERIFY(waitFor(reply));
    QVERIFY(reply.result().isError());
    QCOMPARE(reply.result().errorName(), QStringLiteral("example.NotFound"));
    QCOMPARE(reply.result().message().body().toMap().value(QStringLiteral("path")).toString(), QStringLiteral("/nope"));
}

void tst_Channel::noReplyWhenDropped()
{
    ChannelPair pair;
    int asked = 0;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [&asked](const QSeqpacketRequest &) { ++asked; });
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("ignored"));
    QVERIFY(waitFor(reply));
    QCOMPARE(asked, 1);
    QVERIFY(reply.result().isError());
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.NoReply"));
    QCOMPARE(pair.b()->unansweredRequests(), 0);
}

void tst_Channel::unknownRequestWithoutHandler()
{
    ChannelPair pair; // nothing connected to b's requestReceived
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("anyone?"));
    QVERIFY(waitFor(reply));
    QVERIFY(reply.result().isError());
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.UnknownRequest"));
}

void tst_Channel::descriptorsInReplies()
{
    ChannelPair pair;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
        request.reply(QSeqpacketMessage(QStringLiteral("here"), {memfdWith("the content " + request.name().toUtf8())}));
    });
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("file"));
    QVERIFY(waitFor(reply));
    const QList<QSeqpacketFileDescriptor> fds = reply.result().message().fileDescriptors();
    QCOMPARE(fds.size(), 1);
    QCOMPARE(contentOf(fds.at(0)), QByteArray("the content file"));
}

void tst_Channel::timeoutThenLateReply()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    QSignalSpy protocolErrors(pair.a(), &QSeqpacketChannel::protocolError);
    QElapsedTimer timer;
    timer.start();
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("slow"), QSeqpacketMessage(), 100);
    const QFuture<QSeqpacketReply> patient = pair.a()->request(QStringLiteral("slow"), QSeqpacketMessage(), -1);
    QVERIFY(waitFor(reply));
    QVERIFY(timer.elapsed() >= 95);
    QVERIFY(reply.result().isError());
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.Timeout"));
    QVERIFY(!patient.isFinished());
    QCOMPARE(pair.a()->pendingRequests(), 1);

    // The late reply, with a descriptor: dropped, its descriptor closed, and said so.
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 2, Timeout);
    QVERIFY(held[0].reply(QSeqpacketMessage(QStringLiteral("too late"), {memfdWith("late")})));
    QVERIFY(protocolErrors.wait(Timeout));
    QVERIFY2(protocolErrors.at(0).at(0).toString().contains(QLatin1String("timed out")),
             qPrintable(protocolErrors.at(0).at(0).toString()));
    QVERIFY(held[1].reply());
    QVERIFY(waitFor(patient));
    QVERIFY(!patient.result().isError());
}

void tst_Channel::cancelThroughTheFuture()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    QSignalSpy protocolErrors(pair.a(), &QSeqpacketChannel::protocolError);
    QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("cancel me"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, Timeout);
    reply.cancel();
    QTRY_VERIFY_WITH_TIMEOUT(reply.isFinished(), Timeout);
    QVERIFY(reply.isCanceled());
    QCOMPARE(reply.resultCount(), 0);
    QCOMPARE(pair.a()->pendingRequests(), 0);
    // Its reply, should one still come, is dropped with its descriptors.
    QVERIFY(held[0].reply(QSeqpacketMessage(QCborValue(), {memfdWith("unwanted")})));
    QVERIFY(protocolErrors.wait(Timeout));
}

void tst_Channel::cancelAfterTheWatcherCame()
{
    // A request that waits long enough gets a QFutureWatcher; a cancel then goes through it.
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    QSignalSpy protocolErrors(pair.a(), &QSeqpacketChannel::protocolError);
    QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("cancel me later"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, Timeout);
    QTest::qWait(150);
    QVERIFY(!reply.isFinished());
    reply.cancel();
    QTRY_VERIFY_WITH_TIMEOUT(reply.isFinished(), Timeout);
    QVERIFY(reply.isCanceled());
    QCOMPARE(reply.resultCount(), 0);
    QCOMPARE(pair.a()->pendingRequests(), 0);
    QVERIFY(held[0].reply(QSeqpacketMessage(QCborValue(), {memfdWith("unwanted")})));
    QVERIFY(protocolErrors.wait(Timeout));
}

void tst_Channel::canceledThenAnswered()
{
    // Canceled, and the reply comes before the channel has looked: the future finishes once,
    // canceled, without the reply; nothing is left waiting.
    ChannelPair pair;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [](const QSeqpacketRequest &request) { request.reply(QSeqpacketMessage(QCborValue(1))); });
    QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("cancel me now"));
    reply.cancel();
    QTRY_VERIFY_WITH_TIMEOUT(reply.isFinished(), Timeout);
    QVERIFY(reply.isCanceled());
    QCOMPARE(reply.resultCount(), 0);
    QCOMPARE(pair.a()->pendingRequests(), 0);
    // The next request is answered as usual.
    QFuture<QSeqpacketReply> next = pair.a()->request(QStringLiteral("after"));
    QVERIFY(waitFor(next));
    QCOMPARE(next.result().message().body(), QCborValue(1));
}

void tst_Channel::disconnectionFailsEveryRequest()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    QList<QFuture<QSeqpacketReply>> replies;
    for (int i = 0; i < 5; ++i)
        replies.append(pair.a()->request(QStringLiteral("never")));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 5, Timeout);
    pair.socketB->abort();
    for (const QFuture<QSeqpacketReply> &reply : std::as_const(replies)) {
        QVERIFY(waitFor(reply));
        QVERIFY(reply.result().isError());
        QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.Disconnected"));
    }
    QCOMPARE(pair.a()->pendingRequests(), 0);
    // Answering now sends nothing (the connection is gone) and nothing breaks.
    for (QSeqpacketRequest &request : held)
        request.reply();
    held.clear();
}

void tst_Channel::requestWhileUnconnected()
{
    QSeqpacketSocket socket;
    QSeqpacketChannel channel(&socket);
    const QFuture<QSeqpacketReply> reply = channel.request(QStringLiteral("nobody"));
    QVERIFY(reply.isFinished());
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.Disconnected"));
    QVERIFY(!channel.send(QStringLiteral("nobody")));
    QVERIFY(!channel.errorString().isEmpty());
}

void tst_Channel::deletedChannelAnswersNoReply()
{
    ChannelPair pair;
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("pending"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, Timeout);
    pair.b_.reset(); // its socket stays connected
    QVERIFY(waitFor(reply));
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.NoReply"));
    // The request outlived its channel: answering it does nothing.
    QVERIFY(!held[0].reply());
    held.clear();
}

void tst_Channel::largeMessagesSpill_data()
{
    QTest::addColumn<int>("size");
    {
        auto [a, b] = QSeqpacketSocket::createPair(); // only asked for the packet size, then deleted
        const std::unique_ptr<QSeqpacketSocket> socketA(a);
        const std::unique_ptr<QSeqpacketSocket> socketB(b);
        QTest::newRow("just over a packet") << int(a->maxPacketSize()) + 1;
    }
    QTest::newRow("1 MiB") << (1 << 20);
    QTest::newRow("8 MiB") << (8 << 20);
}

void tst_Channel::largeMessagesSpill()
{
    QFETCH(int, size);
    ChannelPair pair;
    QList<ReceivedMessage> received;
    pair.collectAndEcho(&received);
    const QByteArray big = TestUtil::sequencedPayload(7, size);
    const QSeqpacketFileDescriptor file = memfdWith("with the big one");
    QVERIFY2(pair.a()->send(QStringLiteral("big"), QSeqpacketMessage(big, {file})), qPrintable(pair.a()->errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).message.body().toByteArray(), big);
    QCOMPARE(received.at(0).message.fileDescriptors().size(), 1); // the spill memfd is not among them
    QCOMPARE(contentOf(received.at(0).message.fileDescriptors().at(0)), QByteArray("with the big one"));
    received.clear();
    // Both ways: a large request, a large reply.
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("echo"), QSeqpacketMessage(big));
    QVERIFY(waitFor(reply));
    QVERIFY(!reply.result().isError());
    QCOMPARE(reply.result().message().body().toByteArray(), big);
}

void tst_Channel::message64MiBWithDefaultBuffers()
{
    // The largest message accepted by default, with the sockets' default buffers: it goes in a
    // sealed memfd (its encoding is a little more than the body).
    ChannelPair pair;
    pair.b()->setMaxMessageSize(65 << 20);
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QByteArray big(64 << 20, 'x');
    for (qsizetype i = 0; i < big.size(); i += 4096)
        big[i] = char(i / 4096);
    QVERIFY2(pair.a()->send(QStringLiteral("64 MiB"), QSeqpacketMessage(big)), qPrintable(pair.a()->errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).message.body().toByteArray(), big);
}

void tst_Channel::largeStructuredMessageSpills()
{
    // A body of many small items, written into the memfd piece by piece as it is encoded, and
    // one with a large byte string among small ones.
    ChannelPair pair;
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QCborArray items;
    for (int i = 0; i < 200000; ++i)
        items.append(i % 3 ? QCborValue(i) : QCborValue(QStringLiteral("item %1").arg(i)));
    QCborMap mixed;
    mixed.insert(QStringLiteral("before"), QStringLiteral("small"));
    mixed.insert(QStringLiteral("bytes"), TestUtil::sequencedPayload(3, 300000));
    mixed.insert(QStringLiteral("after"), items.at(1));
    for (const QCborValue &body : { QCborValue(items), QCborValue(mixed) }) {
        received.clear();
        QVERIFY2(pair.a()->send(QStringLiteral("structured"), QSeqpacketMessage(body)), qPrintable(pair.a()->errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
        QCOMPARE(received.at(0).message.body(), body);
    }
}

void tst_Channel::spillThresholdZero()
{
    ChannelPair pair;
    pair.a()->setSpillThreshold(0);
    QCOMPARE(pair.a()->spillThreshold(), qint64(0));
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QVERIFY(pair.a()->send(QStringLiteral("tiny"), QSeqpacketMessage(1, {memfdWith("x")})));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).name, QStringLiteral("tiny"));
    QCOMPARE(received.at(0).message.body().toInteger(), 1);
    QCOMPARE(received.at(0).message.fileDescriptors().size(), 1);
    pair.a()->setSpillThreshold(-5);
    QCOMPARE(pair.a()->spillThreshold(), qint64(-1));
}

void tst_Channel::spillThresholdAboveOnePacket()
{
    // A threshold above what one packet carries does not keep a frame that does not fit one
    // packet from spilling: it still arrives, and a request with it gets its reply, not TooLarge.
    ChannelPair pair;
    pair.a()->setSpillThreshold(qint64(1) << 30);
    QCOMPARE(pair.a()->spillThreshold(), qint64(1) << 30);
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [](QSeqpacketRequest request) { request.reply(QSeqpacketMessage(request.message().body().toByteArray().size())); });
    const QByteArray big = TestUtil::sequencedPayload(5, int(pair.socketA->maxPacketSize()) * 2);
    QVERIFY2(pair.a()->send(QStringLiteral("bigger than a packet"), QSeqpacketMessage(big)), qPrintable(pair.a()->errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).message.body().toByteArray(), big);
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("size"), QSeqpacketMessage(big));
    QVERIFY(waitFor(reply));
    QVERIFY2(!reply.result().isError(), qPrintable(reply.result().errorName()));
    QCOMPARE(reply.result().message().body().toInteger(), qint64(big.size()));
}

void tst_Channel::negativeSettingsRefused()
{
    ChannelPair pair;
    pair.b()->setMaxMessageSize(5000);
    pair.b()->setMaxUnansweredRequests(9);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("setMaxMessageSize: -1 bytes")));
    pair.b()->setMaxMessageSize(-1);
    QCOMPARE(pair.b()->maxMessageSize(), qint64(5000));
    QVERIFY2(pair.b()->errorString().startsWith(QLatin1String("setMaxMessageSize")), qPrintable(pair.b()->errorString()));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("setMaxUnansweredRequests: -4 ")));
    pair.b()->setMaxUnansweredRequests(-4);
    QCOMPARE(pair.b()->maxUnansweredRequests(), 9);
    QVERIFY2(pair.b()->errorString().startsWith(QLatin1String("setMaxUnansweredRequests")), qPrintable(pair.b()->errorString()));
    // The channel goes on with its settings: a message and a request still come through.
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) { request.reply({}); });
    QVERIFY(pair.a()->send(QStringLiteral("still"), QSeqpacketMessage(QByteArray(1000, 'x'))));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("still"));
    QVERIFY(waitFor(reply));
    QVERIFY2(!reply.result().isError(), qPrintable(reply.result().errorName()));
}

void tst_Channel::maxMessageSize()
{
    ChannelPair pair;
    QCOMPARE(pair.b()->maxMessageSize(), QSeqpacketFrame::DefaultMaxMessageSize);
    pair.b()->setMaxMessageSize(1000);
    QList<ReceivedMessage> received;
    connect(pair.b(), &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QSignalSpy protocolErrors(pair.b(), &QSeqpacketChannel::protocolError);
    QVERIFY(pair.a()->send(QStringLiteral("too big"), QSeqpacketMessage(QByteArray(2000, 'x'), {memfdWith("x")})));
    pair.a()->setSpillThreshold(0);
    QVERIFY(pair.a()->send(QStringLiteral("too big, spilled"), QSeqpacketMessage(QByteArray(2000, 'y'))));
    QVERIFY(pair.a()->send(QStringLiteral("small")));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).name, QStringLiteral("small"));
    QCOMPARE(protocolErrors.size(), 2);
    for (const QList<QVariant> &error : std::as_const(protocolErrors))
        QVERIFY2(error.at(0).toString().contains(QLatin1String("1000")), qPrintable(error.at(0).toString()));
}

void tst_Channel::tooManyUnansweredRequests()
{
    ChannelPair pair;
    pair.b()->setMaxUnansweredRequests(2);
    QCOMPARE(pair.b()->maxUnansweredRequests(), 2);
    QList<QSeqpacketRequest> held;
    connect(pair.b(), &QSeqpacketChannel::requestReceived, this,
            [&held](const QSeqpacketRequest &request) { held.append(request); });
    const QFuture<QSeqpacketReply> first = pair.a()->request(QStringLiteral("1"));
    const QFuture<QSeqpacketReply> second = pair.a()->request(QStringLiteral("2"));
    const QFuture<QSeqpacketReply> third = pair.a()->request(QStringLiteral("3"));
    QVERIFY(waitFor(third));
    QCOMPARE(third.result().errorName(), QStringLiteral("qseqpacket.TooManyRequests"));
    QCOMPARE(held.size(), 2);
    QVERIFY(!first.isFinished() && !second.isFinished());
    held[0].reply();
    const QFuture<QSeqpacketReply> fourth = pair.a()->request(QStringLiteral("4"));
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), 3, Timeout);
    held.clear();
    QVERIFY(waitFor(first) && waitFor(second) && waitFor(fourth));
    QCOMPARE(fourth.result().errorName(), QStringLiteral("qseqpacket.NoReply"));
}

void tst_Channel::tooManyDescriptors()
{
    ChannelPair pair;
    const QSeqpacketFileDescriptor fd = memfdWith("x");
    QList<QSeqpacketFileDescriptor> many(254, fd);
    QVERIFY(!pair.a()->send(QStringLiteral("many"), QSeqpacketMessage(QCborValue(), many)));
    QVERIFY(pair.a()->errorString().contains(QLatin1String("253")));
    const QFuture<QSeqpacketReply> reply = pair.a()->request(QStringLiteral("many"), QSeqpacketMessage(QCborValue(), many));
    QVERIFY(reply.isFinished());
    QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.TooLarge"));
    // A spilled frame needs one descriptor for its memfd: 253 of one's own are too many then.
    many.resize(253);
    QVERIFY(!pair.a()->send(QStringLiteral("big"), QSeqpacketMessage(QByteArray(1 << 20, 'z'), many)));
    QVERIFY2(pair.a()->errorString().contains(QLatin1String("252")), qPrintable(pair.a()->errorString()));
    QVERIFY(pair.a()->send(QStringLiteral("ok"), QSeqpacketMessage(QCborValue(), many))); // not spilled: fits
}

void tst_Channel::bothDirectionsAtOnce()
{
    ChannelPair pair;
    for (QSeqpacketChannel *channel : {pair.a(), pair.b()}) {
        connect(channel, &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
            request.reply(QSeqpacketMessage(request.message().body().toInteger() + 1));
        });
    }
    QList<QFuture<QSeqpacketReply>> fromA;
    QList<QFuture<QSeqpacketReply>> fromB;
    for (int i = 0; i < 200; ++i) {
        fromA.append(pair.a()->request(QStringLiteral("inc"), QSeqpacketMessage(i)));
        fromB.append(pair.b()->request(QStringLiteral("inc"), QSeqpacketMessage(1000 + i)));
    }
    for (int i = 0; i < 200; ++i) {
        QVERIFY(waitFor(fromA[i]) && waitFor(fromB[i]));
        QCOMPARE(fromA[i].result().message().body().toInteger(), i + 1);
        QCOMPARE(fromB[i].result().message().body().toInteger(), 1000 + i + 1);
    }
}

void tst_Channel::channelInAnotherThread()
{
    // The answering side lives in a thread of its own, moved there with its socket.
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> socketA(a);
    QSeqpacketChannel channelA(a);
    auto *channelB = new QSeqpacketChannel(b);
    QThread worker;
    b->moveToThread(&worker);
    channelB->moveToThread(&worker);
    Qt::HANDLE answeredIn = nullptr;
    connect(channelB, &QSeqpacketChannel::requestReceived, channelB, [&answeredIn](QSeqpacketRequest request) {
        answeredIn = QThread::currentThreadId();
        request.reply(QSeqpacketMessage(request.message().body().toString() + QStringLiteral(" back"),
                                        {memfdWith("from the worker")}));
    });
    connect(&worker, &QThread::finished, channelB, &QObject::deleteLater);
    connect(&worker, &QThread::finished, b, &QObject::deleteLater);
    worker.start();

    const QFuture<QSeqpacketReply> reply = channelA.request(QStringLiteral("hi"), QSeqpacketMessage(QStringLiteral("there")));
    QVERIFY(waitFor(reply));
    QCOMPARE(reply.result().message().body().toString(), QStringLiteral("there back"));
    QCOMPARE(contentOf(reply.result().message().fileDescriptors().at(0)), QByteArray("from the worker"));
    QVERIFY(answeredIn != nullptr && answeredIn != QThread::currentThreadId());
    worker.quit();
    QVERIFY(worker.wait(Timeout));
}

void tst_Channel::badPacketsCostOnlyThemselves()
{
    // Raw packets that are not frames, each with a descriptor: dropped with it, said so, and the
    // next good frame still arrives.
    QSeqpacketSocket socket;
    UniqueFd raw;
    {
        UniqueFd ours;
        QVERIFY(TestUtil::rawSocketPair(&ours, &raw));
        QVERIFY(socket.setSocketDescriptor(ours.release()));
    }
    QSeqpacketChannel channel(&socket);
    QList<ReceivedMessage> received;
    connect(&channel, &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QSignalSpy protocolErrors(&channel, &QSeqpacketChannel::protocolError);
    const QList<QByteArray> bad = {
        QByteArray(),                                         // empty
        QByteArray("\x01", 1),                                // an integer, not an array
        QByteArray("\x83\x00\x00\x60", 4),                    // three items
        QByteArray("\x84\x09\x00\x60\xf6", 5),                // type 9
        QByteArray("\x84\x00\x00\x01\xf6", 5),                // name is an integer
        QByteArray("\x84\x02\x18\x63\x60\xf6", 6),            // a reply to 99, which nobody asked
        QByteArray("\x84\x00\x00\x60\xf6\x00", 6),            // a byte after the array
        QByteArray("\x9f\x00\x00\x60\xf6\xff", 6),            // indefinite length
        QByteArray("\x84\x00\x00\x60", 4),                    // cut short
    };
    const int fd = TestUtil::makeMemfd("attached");
    for (const QByteArray &packet : bad)
        QVERIFY(TestUtil::rawSendMsg(raw.get(), packet.constData(), size_t(packet.size()), &fd, 1) >= 0);
    ::close(fd);
    const QByteArray good = QSeqpacketFrame(QSeqpacketFrame::MessageFrame, 0, QStringLiteral("good"), 1).encode();
    QVERIFY(TestUtil::rawSend(raw.get(), good));
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).name, QStringLiteral("good"));
    QCOMPARE(protocolErrors.size(), bad.size());
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
}

void tst_Channel::peerThatNeverReads()
{
    // A peer floods us with requests and reads none of our answers: the channel's own answers
    // (here TooManyRequests for every one) stop queueing once 1 MiB of them waits unread.
    if (TestUtil::underValgrind())
        QSKIP("40,000 requests take more than 10 minutes under valgrind; ASan runs this test");
    QSeqpacketSocket socket;
    UniqueFd raw;
    {
        UniqueFd ours;
        QVERIFY(TestUtil::rawSocketPair(&ours, &raw));
        QVERIFY(socket.setSocketDescriptor(ours.release()));
    }
    QSeqpacketChannel channel(&socket);
    channel.setMaxUnansweredRequests(0);
    constexpr int Requests = 40000;
    std::atomic<bool> sent{false};
    std::thread flooder([&] {
        const QByteArray request = QSeqpacketFrame(QSeqpacketFrame::RequestFrame, 1, QStringLiteral("flood"),
                                                   QCborValue(nullptr)).encode();
        const int fd = raw.get();
        const int blocking = ::fcntl(fd, F_GETFL) & ~O_NONBLOCK;
        ::fcntl(fd, F_SETFL, blocking);
        for (int i = 0; i < Requests; ++i)
            TestUtil::rawSendMsg(fd, request.constData(), size_t(request.size()));
        sent = true;
    });
    qint64 mostQueued = 0;
    while (!sent) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        mostQueued = qMax(mostQueued, socket.bytesToWrite());
    }
    flooder.join();
    QTRY_VERIFY_WITH_TIMEOUT(!socket.hasPendingPackets(), Timeout);
    QCoreApplication::processEvents();
    mostQueued = qMax(mostQueued, socket.bytesToWrite());
    QVERIFY2(mostQueued < (1 << 20) + 4096, qPrintable(QString::number(mostQueued)));
    QVERIFY(mostQueued > (1 << 20) - 4096); // it did get there: the bound is what stopped it
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
}

void tst_Channel::frameLimits_data()
{
    // The body of a message frame [0, 0, "", body], as CBOR, and what fromPacket() says.
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error"); // empty: a valid frame
    const auto nested = [](int levels, char container) {
        QByteArray body(levels, container); // arrays of one (0x81) or tags (0xc6), around a null
        body.append(char(0xf6));
        return body;
    };
    QTest::newRow("arrays 128 deep") << nested(128, char(0x81)) << QString();
    QTest::newRow("arrays 129 deep") << nested(129, char(0x81)) << QStringLiteral("nests deeper than 128");
    QTest::newRow("tags 128 deep") << nested(128, char(0xc6)) << QString();
    QTest::newRow("tags 129 deep") << nested(129, char(0xc6)) << QStringLiteral("nests deeper than 128");
    QTest::newRow("tags around arrays 129 deep")
            << QByteArray(64, char(0xc6)) + nested(65, char(0x81)) << QStringLiteral("nests deeper than 128");
    QByteArray items("\x9a\x00\x3f\xff\xff", 5); // an array of MaxItems - 1 items: MaxItems with itself
    items.append(QByteArray(QSeqpacketFrame::MaxItems - 1, char(0xf6)));
    QTest::newRow("MaxItems items") << items << QString();
    QByteArray tooMany("\x9a\x00\x40\x00\x00", 5); // MaxItems in the array: one more with it
    tooMany.append(QByteArray(QSeqpacketFrame::MaxItems, char(0xf6)));
    QTest::newRow("MaxItems + 1 items") << tooMany << QStringLiteral("more than 4194304 items");
    QTest::newRow("-2^63") << QByteArray("\x3b\x7f\xff\xff\xff\xff\xff\xff\xff", 9) << QString();
    QTest::newRow("-2^64") << QByteArray("\x3b\xff\xff\xff\xff\xff\xff\xff\xff", 9)
                           << QStringLiteral("below -2^63");
    QTest::newRow("cut inside an array") << QByteArray("\x82\x01", 2) << QStringLiteral("not valid CBOR");
}

void tst_Channel::frameLimits()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(QSeqpacketPacket(QByteArray("\x84\x00\x00\x60", 4) + body));
    if (error.isEmpty()) {
        QVERIFY2(frame.isValid(), qPrintable(frame.errorString()));
        QCOMPARE(frame.type(), QSeqpacketFrame::MessageFrame);
    } else {
        QVERIFY(!frame.isValid());
        QVERIFY2(frame.errorString().contains(error), qPrintable(frame.errorString()));
    }
}

void tst_Channel::packetsBeforeTheChannel()
{
    // Packets that arrived before the channel was made are read by it, from the event loop.
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> socketA(a);
    std::unique_ptr<QSeqpacketSocket> socketB(b);
    QVERIFY(a->sendPacket(QSeqpacketFrame(QSeqpacketFrame::MessageFrame, 0, QStringLiteral("early"), 1).encode()));
    QVERIFY(b->waitForPacket(Timeout));
    QSeqpacketChannel channel(b);
    QList<ReceivedMessage> received;
    connect(&channel, &QSeqpacketChannel::messageReceived, this,
            [&received](const QString &name, const QSeqpacketMessage &message) { received.append({name, message}); });
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, Timeout);
    QCOMPARE(received.at(0).name, QStringLiteral("early"));
}

QTEST_GUILESS_MAIN(tst_Channel)
#include "tst_channel.moc"
