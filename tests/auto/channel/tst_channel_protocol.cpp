// SPDX-License-Identifier: MIT
// QSeqpacketChannel against a peer in another process that speaks the protocol without the
// library: protocolpeer.py (Python 3, plain socket calls with SCM_RIGHTS, memfds sealed with
// fcntl(), CBOR by cbor2), started with QProcess. So the wire format is checked both ways by code
// that shares nothing with the library: cbor2 decodes what the channel sends and checks it is
// minimal CBOR, the channel decodes what cbor2 (or the peer, by hand) encodes.
//
// Covered: messages both ways with bodies of every CBOR kind and descriptors; the peer's requests
// answered now, later, with an error, not at all (NoReply), with a descriptor, with id 0, two with
// one id; our requests answered by the peer in reverse order, an error reply without a name;
// UnknownRequest; both sides asking at once;
// frames in sealed memfds both ways up to 17 MiB; every hostile packet of docs/protocol.md, each
// with a descriptor that the peer sees closed, each followed by a good frame that still arrives;
// a flood of requests against setMaxUnansweredRequests(); requests that time out, then late
// replies. The in-process tests of the channel are tst_channel.
#include <QSeqpacketChannel>
#include <QSeqpacketFrame>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QFuture>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <functional>
#include <memory>

#include <unistd.h>

#include "channeltest.h"

#ifndef QSEQPACKET_PYTHON3
#error "QSEQPACKET_PYTHON3 (the python3 that runs the protocol peer) comes from CMake"
#endif
#ifndef QSEQPACKET_PROTOCOL_PEER
#error "QSEQPACKET_PROTOCOL_PEER (protocolpeer.py) comes from CMake"
#endif

using ChannelTest::contentOf;
using ChannelTest::memfdWith;
using ChannelTest::ReceivedMessage;
using ChannelTest::Timeout;
using ChannelTest::waitFor;
using ChannelTest::waitUntil;

namespace {

const QString Python3 = QStringLiteral(QSEQPACKET_PYTHON3);
const QString PeerScript = QStringLiteral(QSEQPACKET_PROTOCOL_PEER);

// size bytes, byte i being (i + seed) % 251: protocolpeer.py's pattern().
QByteArray pattern(qsizetype size, int seed)
{
    QByteArray period(251, Qt::Uninitialized);
    for (int i = 0; i < 251; ++i)
        period[i] = char((i + seed) % 251);
    QByteArray result;
    result.reserve(size + 251);
    while (result.size() < size)
        result.append(period);
    result.truncate(size);
    return result;
}

// The bodies of every CBOR kind: protocolpeer.py's CBOR_KINDS, in the same order.
QList<std::pair<QString, QCborValue>> cborKinds()
{
    QCborValue nested(QStringLiteral("core"));
    for (int i = 0; i < 100; ++i)
        nested = QCborArray{nested};
    return {
        {QStringLiteral("null"), QCborValue(nullptr)},
        {QStringLiteral("true"), QCborValue(true)},
        {QStringLiteral("false"), QCborValue(false)},
        {QStringLiteral("zero"), QCborValue(0)},
        {QStringLiteral("uint8"), QCborValue(24)},
        {QStringLiteral("uint16"), QCborValue(1000)},
        {QStringLiteral("uint32"), QCborValue(100000)},
        {QStringLiteral("uint64"), QCborValue(qint64(1) << 40)},
        {QStringLiteral("int64 max"), QCborValue(std::numeric_limits<qint64>::max())},
        {QStringLiteral("negative"), QCborValue(-1)},
        {QStringLiteral("negative16"), QCborValue(-1000)},
        {QStringLiteral("int64 min"), QCborValue(std::numeric_limits<qint64>::min())},
        {QStringLiteral("double"), QCborValue(3.25)},
        {QStringLiteral("text"), QCborValue(QStringLiteral("grüße, 世界"))},
        {QStringLiteral("empty text"), QCborValue(QString(""))},
        {QStringLiteral("bytes"), QCborValue(QByteArray("\x00\x01\xff binary", 10))},
        {QStringLiteral("empty bytes"), QCborValue(QByteArray(""))},
        {QStringLiteral("array"), QCborValue(QCborArray{1, QStringLiteral("two"), QCborArray{3.5, nullptr}})},
        {QStringLiteral("map"), QCborValue(QCborMap{{QStringLiteral("a"), 1}, {2, QStringLiteral("b")},
                                                    {QStringLiteral("nested"), QCborMap{{QStringLiteral("x"), true}}}})},
        {QStringLiteral("tagged"), QCborValue(QCborKnownTags::ExpectedBase64, QByteArray("tagged"))},
        {QStringLiteral("undefined"), QCborValue()}, // sent as null: QCborValue() is "no body"
        {QStringLiteral("simple"), QCborValue(QCborSimpleType(16))},
        {QStringLiteral("100 levels"), nested},
    };
}

// One run of protocolpeer.py: a server here, the peer connected to it, a channel on the accepted
// connection. What the peer prints (JSON lines) is collected as events.
class ProtocolPeer
{
public:
    explicit ProtocolPeer(const QString &scenario, const QString &argument = QString())
        : m_scenario(scenario), m_argument(argument)
    {
    }
    ~ProtocolPeer()
    {
        m_channel.reset();
        m_socket.reset();
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(Timeout);
        }
    }
    Q_DISABLE_COPY(ProtocolPeer)

    QSeqpacketChannel *channel() const { return m_channel.get(); }
    QSeqpacketSocket *socket() const { return m_socket.get(); }
    QList<ReceivedMessage> messages;
    QStringList protocolErrors;

    // Listens, starts the peer and accepts its connection; the channel is made and connected.
    bool start()
    {
        const QString address = QLatin1Char('@') + QString::fromLatin1(TestUtil::uniqueAbstractName("protocol"));
        if (!m_server.listen(address))
            return failure(QStringLiteral("listen: ") + m_server.errorString());
        QStringList arguments{PeerScript, address, m_scenario};
        if (!m_argument.isNull())
            arguments << m_argument;
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] { readOutput(); });
        m_process.start(Python3, arguments, QIODevice::ReadOnly);
        if (!m_process.waitForStarted(Timeout))
            return failure(QStringLiteral("cannot start %1: %2").arg(Python3, m_process.errorString()));
        if (!waitUntil([this] { return m_server.hasPendingConnections() || !running(); }))
            return failure(QStringLiteral("the peer did not connect"));
        if (!m_server.hasPendingConnections())
            return failure(QStringLiteral("the peer ended before it connected"));
        m_socket.reset(m_server.nextPendingConnection());
        m_socket->setParent(nullptr);
        m_server.close();
        m_channel = std::make_unique<QSeqpacketChannel>(m_socket.get());
        QObject::connect(m_channel.get(), &QSeqpacketChannel::messageReceived, m_channel.get(),
                         [this](const QString &name, const QSeqpacketMessage &message) {
                             messages.append({name, message});
                         });
        QObject::connect(m_channel.get(), &QSeqpacketChannel::protocolError, m_channel.get(),
                         [this](const QString &description) { protocolErrors.append(description); });
        return true;
    }

    // The peer waits for this before it does anything: the channel is set up by then.
    bool go(const QCborMap &parameters = QCborMap())
    {
        return m_channel->send(QStringLiteral("go"), QSeqpacketMessage(parameters))
                || failure(QStringLiteral("send go: ") + m_channel->errorString());
    }

    // The next event of that name the peer printed (taken from the list); an empty object, with
    // diagnostics() saying why, where none comes or the peer reported a failure.
    QJsonObject waitForEvent(const QString &event)
    {
        QJsonObject found;
        waitUntil([&] {
            for (qsizetype i = 0; i < m_events.size(); ++i) {
                if (m_events.at(i).value(QLatin1String("event")).toString() == event) {
                    found = m_events.takeAt(i);
                    return true;
                }
            }
            return failed() || !running();
        });
        if (found.isEmpty())
            failure(QStringLiteral("no event \"%1\" from the peer").arg(event));
        return found;
    }

    // Waits for the message name from the peer; its index in messages, or -1.
    qsizetype waitForMessage(const QString &name)
    {
        qsizetype index = -1;
        waitUntil([&] {
            for (qsizetype i = 0; i < messages.size(); ++i) {
                if (messages.at(i).name == name) {
                    index = i;
                    return true;
                }
            }
            return failed() || !running();
        });
        if (index < 0)
            failure(QStringLiteral("no message \"%1\" from the peer").arg(name));
        return index;
    }

    // Tells the peer to end and waits for it to exit 0 after it printed "done".
    bool finish()
    {
        if (m_channel && !m_channel->send(QStringLiteral("end")))
            return failure(QStringLiteral("send end: ") + m_channel->errorString());
        if (waitForEvent(QStringLiteral("done")).isEmpty())
            return false;
        if (!waitUntil([this] { return !running(); }))
            return failure(QStringLiteral("the peer did not exit"));
        if (m_process.exitStatus() != QProcess::NormalExit || m_process.exitCode() != 0)
            return failure(QStringLiteral("the peer exited with %1").arg(m_process.exitCode()));
        return true;
    }

    // What went wrong, with everything the peer printed: for QVERIFY2.
    QByteArray diagnostics()
    {
        readOutput();
        m_stderr += m_process.readAllStandardError();
        QByteArray text = m_why.toUtf8();
        text += "\n  peer (" + m_scenario.toUtf8() + ' ' + m_argument.toUtf8() + ") stdout:\n" + m_stdout
                + "  stderr:\n" + m_stderr;
        return text;
    }

private:
    bool running() const { return m_process.state() == QProcess::Running; }

    bool failed() const
    {
        for (const QJsonObject &event : m_events) {
            if (event.value(QLatin1String("event")).toString() == QLatin1String("fail"))
                return true;
        }
        return false;
    }

    bool failure(const QString &why)
    {
        m_why = why;
        return false;
    }

    void readOutput()
    {
        while (m_process.canReadLine()) {
            const QByteArray line = m_process.readLine();
            m_stdout += line;
            const QJsonDocument document = QJsonDocument::fromJson(line);
            if (document.isObject())
                m_events.append(document.object());
        }
    }

    QString m_scenario;
    QString m_argument;
    QSeqpacketServer m_server;
    QProcess m_process;
    std::unique_ptr<QSeqpacketSocket> m_socket;
    std::unique_ptr<QSeqpacketChannel> m_channel;
    QList<QJsonObject> m_events;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QString m_why;
};

QJsonArray toJson(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

} // namespace

class tst_ChannelProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void messagesBothWays();
    void peerRequests();
    void ourRequests();
    void unknownRequest();
    void bothDirectionsAtOnce();
    void largeFrames();
    void hostile_data();
    void hostile();
    void truncatedPacket();
    void floodOfRequests();
    void requestsTimeOutThenLateReplies();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_ChannelProtocol::initTestCase()
{
    qRegisterMetaType<QSeqpacketMessage>();
    qRegisterMetaType<QSeqpacketRequest>();
    // python3 with cbor2 is a dependency of the tests (scripts/install-deps.sh installs python3
    // and python3-cbor2): without it this fails rather than skips.
    QVERIFY2(!Python3.isEmpty(), "CMake found no python3 (find_package(Python3)): run bash scripts/install-deps.sh "
                                 "(python3, python3-cbor2) and configure again");
    QProcess probe;
    probe.start(Python3, {QStringLiteral("-c"), QStringLiteral("import cbor2")});
    QVERIFY2(probe.waitForFinished(Timeout) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0,
             qPrintable(QStringLiteral("%1 cannot import cbor2: install python3-cbor2 (bash scripts/install-deps.sh): %2")
                                .arg(Python3, QString::fromLocal8Bit(probe.readAllStandardError()))));
    // A first run warms up what Qt keeps for the process's life, so that each test's descriptor
    // accounting is exact.
    ProtocolPeer peer(QStringLiteral("unknown-request"));
    QVERIFY2(peer.start() && peer.go(), peer.diagnostics().constData());
    QVERIFY2(!peer.waitForEvent(QStringLiteral("answer")).isEmpty(), peer.diagnostics().constData());
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
}

void tst_ChannelProtocol::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_ChannelProtocol::cleanup()
{
    CHANNELTEST_FDS_UNCHANGED(m_fdsAtStart);
}

void tst_ChannelProtocol::messagesBothWays()
{
    ProtocolPeer peer(QStringLiteral("messages"));
    QVERIFY2(peer.start() && peer.go(), peer.diagnostics().constData());
    const auto kinds = cborKinds();

    // From the peer: cbor2's encoding of every kind, descriptors, encodings that are not minimal.
    QVERIFY2(!peer.waitForEvent(QStringLiteral("sent")).isEmpty(), peer.diagnostics().constData());
    QVERIFY2(peer.waitForMessage(QStringLiteral("with an id")) >= 0, peer.diagnostics().constData());
    QCOMPARE(peer.messages.size(), kinds.size() + 3);
    for (qsizetype i = 0; i < kinds.size(); ++i) {
        QCOMPARE(peer.messages.at(i).name, QStringLiteral("kind:") + kinds.at(i).first);
        QVERIFY2(peer.messages.at(i).message.body() == kinds.at(i).second,
                 qPrintable(QStringLiteral("%1: %2, expected %3").arg(kinds.at(i).first,
                         peer.messages.at(i).message.body().toDiagnosticNotation(),
                         kinds.at(i).second.toDiagnosticNotation())));
        QVERIFY(peer.messages.at(i).message.fileDescriptors().isEmpty());
    }
    const ReceivedMessage files = peer.messages.at(kinds.size());
    QCOMPARE(files.name, QStringLiteral("files"));
    QCOMPARE(files.message.body(), QCborValue(QStringLiteral("two")));
    QCOMPARE(files.message.fileDescriptors().size(), 2);
    QVERIFY(TestUtil::hasCloexec(files.message.fileDescriptors().at(0).descriptor()));
    QCOMPARE(contentOf(files.message.fileDescriptors().at(0)), QByteArray("first file"));
    QCOMPARE(contentOf(files.message.fileDescriptors().at(1)), QByteArray("second file"));
    // Non-minimal integers and a chunked name are valid CBOR: accepted (docs/protocol.md).
    QCOMPARE(peer.messages.at(kinds.size() + 1).name, QStringLiteral("non-minimal"));
    QCOMPARE(peer.messages.at(kinds.size() + 1).message.body(), QCborValue(1));
    peer.messages.clear();

    // To the peer: cbor2 decodes each to the value it stands for, from minimal CBOR.
    for (const auto &[name, value] : kinds)
        QVERIFY(peer.channel()->send(QStringLiteral("kind:") + name, QSeqpacketMessage(value)));
    QVERIFY(peer.channel()->send(QStringLiteral("files"), QSeqpacketMessage(QStringLiteral("two"),
                                                          {memfdWith("first file"), memfdWith("second file")})));
    QVERIFY(peer.channel()->send(QStringLiteral("empty")));
    const QJsonObject received = peer.waitForEvent(QStringLiteral("received"));
    QVERIFY2(!received.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(received.value(QLatin1String("kinds")).toArray().size(), kinds.size());
    QCOMPARE(received.value(QLatin1String("files")).toArray(),
             toJson({QStringLiteral("first file"), QStringLiteral("second file")}));
    QVERIFY(received.value(QLatin1String("cloexec")).toBool());
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors, QStringList());
}

void tst_ChannelProtocol::peerRequests()
{
    ProtocolPeer peer(QStringLiteral("peer-requests"));
    QVERIFY2(peer.start(), peer.diagnostics().constData());
    QList<std::pair<QString, quint64>> seen; // names and ids (a copy of "drop" would keep it unanswered)
    QList<QSeqpacketRequest> twice;          // two requests with one id: answered once both wait
    QObject::connect(peer.channel(), &QSeqpacketChannel::requestReceived, peer.channel(),
                     [&seen, &twice](QSeqpacketRequest request) {
        seen.append({request.name(), request.id()});
        const QString name = request.name();
        const QCborValue body = request.message().body();
        if (name == QLatin1String("add")) {
            request.reply(QSeqpacketMessage(body.toArray().at(0).toInteger() + body.toArray().at(1).toInteger()));
        } else if (name == QLatin1String("later")) {
            QTimer::singleShot(100, [request]() mutable { request.reply(QSeqpacketMessage(QStringLiteral("later"))); });
        } else if (name == QLatin1String("fail")) {
            request.replyError(QStringLiteral("example.NotFound"), QSeqpacketMessage(QCborMap{{QStringLiteral("path"), body}}));
        } else if (name == QLatin1String("zero")) {
            request.reply(QSeqpacketMessage(body.toString() + QStringLiteral(" back")));
        } else if (name == QLatin1String("file")) {
            const QByteArray question = contentOf(request.message().fileDescriptors().value(0));
            request.reply(QSeqpacketMessage(QCborValue(), {memfdWith("answer to " + question)}));
        } else if (name == QLatin1String("twice")) {
            twice.append(request);
            if (twice.size() == 2) {
                for (QSeqpacketRequest &held : twice)
                    held.reply(held.message());
                twice.clear();
            }
        } // "drop": nobody keeps it, so the channel answers qseqpacket.NoReply
    });
    QVERIFY2(peer.go(), peer.diagnostics().constData());
    const QJsonObject answers = peer.waitForEvent(QStringLiteral("answers"));
    QVERIFY2(!answers.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(seen.size(), 8);
    QCOMPARE(seen.at(6), std::pair(QStringLiteral("twice"), quint64(12)));
    QCOMPARE(seen.at(7), std::pair(QStringLiteral("twice"), quint64(12)));
    QCOMPARE(answers.value(QLatin1String("twice")).toArray(), toJson({QStringLiteral("a"), QStringLiteral("b")}));
    QCOMPARE(seen.at(4), std::pair(QStringLiteral("zero"), quint64(0))); // an id like any other
    QCOMPARE(seen.at(0), std::pair(QStringLiteral("add"), quint64(7)));
    QCOMPARE(answers.value(QLatin1String("order")).toArray().size(), 6);
    QCOMPARE(answers.value(QLatin1String("order")).toArray().last().toString(), QStringLiteral("later"));
    QVERIFY(!answers.value(QLatin1String("noReply")).toString().isEmpty());
    QCOMPARE(peer.channel()->unansweredRequests(), 0);
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors, QStringList());
}

void tst_ChannelProtocol::ourRequests()
{
    ProtocolPeer peer(QStringLiteral("our-requests"));
    QVERIFY2(peer.start() && peer.go(), peer.diagnostics().constData());
    QList<QFuture<QSeqpacketReply>> replies;
    for (int n = 1; n <= 5; ++n)
        replies.append(peer.channel()->request(QStringLiteral("square"), QSeqpacketMessage(n)));
    for (int n = 1; n <= 5; ++n) {
        const QFuture<QSeqpacketReply> &reply = replies.at(n - 1);
        QVERIFY2(waitFor(reply), peer.diagnostics().constData());
        if (n == 3) {
            QVERIFY(reply.result().isError());
            QCOMPARE(reply.result().errorName(), QStringLiteral("example.Odd"));
            QCOMPARE(reply.result().message().body().toMap().value(QStringLiteral("n")).toInteger(), 3);
            continue;
        }
        QVERIFY(!reply.result().isError());
        QCOMPARE(reply.result().message().body().toInteger(), n * n);
        QCOMPARE(reply.result().message().fileDescriptors().size(), n == 5 ? 1 : 0);
    }
    QCOMPARE(contentOf(replies.at(4).result().message().fileDescriptors().at(0)), QByteArray("five"));
    // An error reply is an error by its type, whatever its name: here an empty one.
    const QFuture<QSeqpacketReply> nameless = peer.channel()->request(QStringLiteral("nameless"));
    QVERIFY2(waitFor(nameless), peer.diagnostics().constData());
    QVERIFY(nameless.result().isError());
    QCOMPARE(nameless.result().errorName(), QString());
    QCOMPARE(nameless.result().message().body(), QCborValue(QStringLiteral("an error without a name")));
    const QJsonObject answered = peer.waitForEvent(QStringLiteral("answered"));
    QVERIFY2(!answered.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(answered.value(QLatin1String("order")).toArray(), (QJsonArray{5, 4, 3, 2, 1}));
    replies.clear();
    QCOMPARE(peer.channel()->pendingRequests(), 0);
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors, QStringList());
}

void tst_ChannelProtocol::unknownRequest()
{
    ProtocolPeer peer(QStringLiteral("unknown-request")); // nothing connected to requestReceived
    QVERIFY2(peer.start() && peer.go(), peer.diagnostics().constData());
    const QJsonObject answer = peer.waitForEvent(QStringLiteral("answer"));
    QVERIFY2(!answer.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(answer.value(QLatin1String("name")).toString(), QStringLiteral("qseqpacket.UnknownRequest"));
    QVERIFY(answer.value(QLatin1String("body")).toString().contains(QLatin1String("anyone?")));
    QVERIFY(answer.value(QLatin1String("closed")).toBool()); // the request's descriptor
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
}

void tst_ChannelProtocol::bothDirectionsAtOnce()
{
    constexpr int Count = 200;
    ProtocolPeer peer(QStringLiteral("both-ways"), QString::number(Count));
    QVERIFY2(peer.start(), peer.diagnostics().constData());
    QObject::connect(peer.channel(), &QSeqpacketChannel::requestReceived, peer.channel(), [](QSeqpacketRequest request) {
        request.reply(QSeqpacketMessage(request.message().body().toInteger() + 1));
    });
    QVERIFY2(peer.go(), peer.diagnostics().constData());
    QList<QFuture<QSeqpacketReply>> replies;
    for (int i = 0; i < Count; ++i)
        replies.append(peer.channel()->request(QStringLiteral("inc"), QSeqpacketMessage(i)));
    for (int i = 0; i < Count; ++i) {
        QVERIFY2(waitFor(replies.at(i)), peer.diagnostics().constData());
        QCOMPARE(replies.at(i).result().message().body().toInteger(), i + 1);
    }
    const QJsonObject both = peer.waitForEvent(QStringLiteral("both"));
    QVERIFY2(!both.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(both.value(QLatin1String("answered")).toInt(), Count);
    QCOMPARE(both.value(QLatin1String("replies")).toInt(), Count);
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors, QStringList());
}

void tst_ChannelProtocol::largeFrames()
{
    constexpr qsizetype Big = 1 << 20;
    constexpr qsizetype Huge = 17 << 20; // over 16 MiB
    ProtocolPeer peer(QStringLiteral("large"));
    QVERIFY2(peer.start(), peer.diagnostics().constData());
    QObject::connect(peer.channel(), &QSeqpacketChannel::requestReceived, peer.channel(),
                     [](QSeqpacketRequest request) { request.reply(request.message()); });
    QVERIFY2(peer.go(QCborMap{{QStringLiteral("big"), Big}, {QStringLiteral("huge"), Huge}}),
             peer.diagnostics().constData());

    // Ours: spilled, sealed, the size announced; cbor2 decodes the frame inside.
    QVERIFY2(peer.channel()->send(QStringLiteral("big"), QSeqpacketMessage(pattern(Big, 1), {memfdWith("with the big one")})),
             qPrintable(peer.channel()->errorString()));
    // The huge one as bytes (setBodyBytes()): on the wire the same byte string.
    QSeqpacketMessage huge;
    huge.setBodyBytes(pattern(Huge, 2));
    QVERIFY2(peer.channel()->send(QStringLiteral("huge"), huge), qPrintable(peer.channel()->errorString()));
    const QJsonObject received = peer.waitForEvent(QStringLiteral("received"));
    QVERIFY2(!received.isEmpty(), peer.diagnostics().constData());
    for (const auto &[name, size] : {std::pair(QLatin1String("big"), Big), std::pair(QLatin1String("huge"), Huge)}) {
        const QJsonObject spill = received.value(name).toObject();
        const qint64 spilledSize = spill.value(QLatin1String("size")).toInteger();
        QVERIFY2(spilledSize > size && spilledSize < size + 64, qPrintable(QString::number(spilledSize)));
        QCOMPARE(spill.value(QLatin1String("seals")).toInt() & 15, 15);
        // The spill packet itself: [4, size, "", null] in minimal CBOR.
        const QByteArray outer = QSeqpacketFrame(QSeqpacketFrame::SpilledFrame, quint64(spilledSize), QString(),
                                                 QCborValue(nullptr)).encode();
        QCOMPARE(spill.value(QLatin1String("outer")).toString().toLatin1(), outer.toHex());
    }
    QCOMPARE(received.value(QLatin1String("big")).toObject().value(QLatin1String("fds")).toArray(),
             toJson({QStringLiteral("with the big one")}));

    // The peer's: in memfds it sealed itself; a small frame in a memfd is fine too.
    QVERIFY2(peer.waitForMessage(QStringLiteral("tiny")) >= 0, peer.diagnostics().constData());
    QCOMPARE(peer.messages.size(), 3);
    QCOMPARE(peer.messages.at(0).name, QStringLiteral("big"));
    QVERIFY(peer.messages.at(0).message.body().toByteArray() == pattern(Big, 3));
    QCOMPARE(peer.messages.at(0).message.fileDescriptors().size(), 1);
    QCOMPARE(contentOf(peer.messages.at(0).message.fileDescriptors().at(0)), QByteArray("from the peer"));
    QCOMPARE(peer.messages.at(1).name, QStringLiteral("huge"));
    QVERIFY(peer.messages.at(1).message.bodyBytes() == pattern(Huge, 4));
    QVERIFY(peer.messages.at(1).message.body() == QCborValue(pattern(Huge, 4)));
    QCOMPARE(peer.messages.at(2).message.body(), QCborValue(QStringLiteral("in a memfd")));
    peer.messages.clear();

    // A large request from the peer, and our large reply to it.
    const QJsonObject echoed = peer.waitForEvent(QStringLiteral("echoed"));
    QVERIFY2(!echoed.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(echoed.value(QLatin1String("seals")).toInt() & 15, 15);
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors, QStringList());
}

void tst_ChannelProtocol::hostile_data()
{
    // The case (protocolpeer.py's hostile_frames()), what protocolError() must say (a regular
    // expression), the channel's maximum message size (-1: the default), the socket's receive
    // descriptor limit (-1: the default), and whether the peer can tell that its pipe was not read.
    QTest::addColumn<QString>("expected");
    QTest::addColumn<qint64>("maxSize");
    QTest::addColumn<int>("descriptorLimit");
    QTest::addColumn<bool>("unread");
    const auto row = [](const char *name, const char *expected, qint64 maxSize = -1, int descriptorLimit = -1,
                        bool unread = false) {
        QTest::newRow(name) << QString::fromUtf8(expected) << maxSize << descriptorLimit << unread;
    };
    row("empty packet", "^an empty packet is not a frame$");
    row("not an array", "^the packet is not a CBOR array$");
    row("an integer", "^the packet is not a CBOR array$");
    row("three items", "^the frame has 3 items, not 4$");
    row("five items", "^the frame has 5 items, not 4$");
    row("type not unsigned", "^the frame's type is not an unsigned integer$");
    row("type is text", "^the frame's type is not an unsigned integer$");
    row("id not unsigned", "^the frame's id is not an unsigned integer$");
    row("id is a float", "^the frame's id is not an unsigned integer$");
    row("name not text", "^the frame's name is not a text string$");
    row("name is null", "^the frame's name is not a text string$");
    row("name not UTF-8", "^the frame's name is not valid: .*UTF-8");
    row("unknown type", "^unknown frame type 9$");
    row("reply nobody waits for", "^a reply to request 99, which does not wait for one$");
    row("error reply nobody waits for", "^a reply to request 98, which does not wait for one$");
    row("10000 nested arrays", "^the frame's body nests deeper than 128 levels$");
    row("10000 nested maps", "^the frame's body nests deeper than 128 levels$");
    row("10000 nested tags", "^the frame's body nests deeper than 128 levels$");
    row("body not valid CBOR", "^the frame's body is not valid CBOR: .*UTF-8");
    row("body cut short", "^the frame's body is not valid CBOR: ");
    row("trailing bytes", "^1 byte follows the frame's array$");
    row("a second frame after it", "^6 bytes follow the frame's array$");
    row("indefinite-length array", "^the frame is an array of indefinite length$");
    row("spill without its memfd", "^a spilled frame without its memfd$");
    row("spill without seals", "lacks the seals F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE$");
    row("spill memfd that cannot be sealed", "lacks the seals F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE$");
    row("spill missing F_SEAL_SEAL", "lacks the seals F_SEAL_SEAL$");
    row("spill missing F_SEAL_SHRINK", "lacks the seals F_SEAL_SHRINK$");
    row("spill missing F_SEAL_GROW", "lacks the seals F_SEAL_GROW$");
    row("spill missing F_SEAL_WRITE", "lacks the seals F_SEAL_WRITE$");
    row("spill with F_SEAL_FUTURE_WRITE instead of F_SEAL_WRITE", "lacks the seals F_SEAL_WRITE$");
    row("spill memfd larger than announced", "^the spilled frame's memfd holds 38 bytes, not the 18 the packet says$");
    row("spill memfd smaller than announced", "^the spilled frame's memfd holds 18 bytes, not the 38 the packet says$");
    row("spill of a regular file", "^the spilled frame's descriptor is not a memfd$");
    row("spill of a pipe", "^the spilled frame's descriptor is not a memfd$", -1, -1, true);
    row("spill inside a spill", "^a spilled frame inside a spilled frame$");
    row("spill that is not a frame", "^the spilled frame: the packet is not a CBOR array$");
    row("spill of nothing", "^an empty spilled frame$");
    row("spill larger than the receiver accepts", "^a spilled frame of 20016 bytes, more than the 4096 accepted$", 4096);
    row("spill of a pipe larger than the receiver accepts",
        "^a spilled frame of 20000 bytes, more than the 4096 accepted$", 4096, -1, true);
    row("spill of 2^64-1 bytes", "^a spilled frame of 18446744073709551615 bytes, more than the 67108864 accepted$");
    row("packet larger than the receiver accepts", "^a frame of 20016 bytes, more than the 4096 accepted$", 4096);
    row("descriptors cut (MSG_CTRUNC)",
        "^some of the packet's descriptors did not arrive \\(more than the receiver takes\\)$", -1, 2);
}

void tst_ChannelProtocol::hostile()
{
    QFETCH(QString, expected);
    QFETCH(qint64, maxSize);
    QFETCH(int, descriptorLimit);
    QFETCH(bool, unread);
    const QString testCase = QString::fromUtf8(QTest::currentDataTag());
    ProtocolPeer peer(QStringLiteral("hostile"), testCase);
    QVERIFY2(peer.start(), peer.diagnostics().constData());
    if (maxSize >= 0)
        peer.channel()->setMaxMessageSize(maxSize);
    if (descriptorLimit >= 0)
        peer.socket()->setReceiveDescriptorLimit(descriptorLimit);
    const QMap<int, QByteArray> fdsBefore = TestUtil::openFds();

    // The bad packet, then a good frame: that one still arrives, the bad one is said so.
    QVERIFY2(peer.go(), peer.diagnostics().constData());
    const qsizetype after = peer.waitForMessage(QStringLiteral("after"));
    QVERIFY2(after >= 0, peer.diagnostics().constData());
    QCOMPARE(after, 0);
    QCOMPARE(peer.messages.at(after).message.body().toString(), testCase);
    QCOMPARE(peer.protocolErrors.size(), 1);
    const QString description = peer.protocolErrors.at(0);
    qInfo("%s: protocolError(\"%s\")", qPrintable(testCase), qPrintable(description));
    QVERIFY2(QRegularExpression(expected).match(description).hasMatch(),
             qPrintable(QStringLiteral("\"%1\" does not match %2").arg(description, expected)));
    QCOMPARE(peer.socket()->state(), QSeqpacketSocket::ConnectedState);

    // Its descriptors are closed: none is left here, and the peer sees its pipes closed.
    peer.messages.clear();
    CHANNELTEST_FDS_UNCHANGED(fdsBefore);
    const QFuture<QSeqpacketReply> verdict = peer.channel()->request(QStringLiteral("verdict"));
    QVERIFY2(waitFor(verdict), peer.diagnostics().constData());
    const QCborMap answer = verdict.result().message().body().toMap();
    QVERIFY2(answer.value(QStringLiteral("closed")).toBool(), peer.diagnostics().constData());
    if (unread) // a pipe refused before anything was read from it still holds every byte
        QVERIFY2(answer.value(QStringLiteral("unread")).toBool(), peer.diagnostics().constData());
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors.size(), 1);
}

void tst_ChannelProtocol::truncatedPacket()
{
    // MSG_TRUNC: a packet larger than the receiver's batch slot (2 x net.core.wmem_max). Only a
    // sender allowed SO_SNDBUFFORCE gets a send buffer that large.
    if (::geteuid() != 0)
        QSKIP("a packet larger than the receiver's slot needs a sender with SO_SNDBUFFORCE (root)");
    ProtocolPeer peer(QStringLiteral("truncated"));
    QVERIFY2(peer.start(), peer.diagnostics().constData());
    const QMap<int, QByteArray> fdsBefore = TestUtil::openFds();
    QVERIFY2(peer.go(), peer.diagnostics().constData());
    const QJsonObject attempt = peer.waitForEvent(QStringLiteral("truncated"));
    QVERIFY2(!attempt.isEmpty(), peer.diagnostics().constData());
    QVERIFY2(peer.waitForMessage(QStringLiteral("after")) == 0, peer.diagnostics().constData());
    const bool sent = attempt.value(QLatin1String("sent")).toBool();
    if (sent) {
        QCOMPARE(peer.protocolErrors.size(), 1);
        qInfo("protocolError(\"%s\")", qPrintable(peer.protocolErrors.at(0)));
        QVERIFY2(peer.protocolErrors.at(0).startsWith(QLatin1String("the packet was cut short")),
                 qPrintable(peer.protocolErrors.at(0)));
    } else {
        QCOMPARE(peer.protocolErrors.size(), 0);
    }
    peer.messages.clear();
    CHANNELTEST_FDS_UNCHANGED(fdsBefore);
    const QFuture<QSeqpacketReply> verdict = peer.channel()->request(QStringLiteral("verdict"));
    QVERIFY2(waitFor(verdict), peer.diagnostics().constData());
    QVERIFY(verdict.result().message().body().toMap().value(QStringLiteral("closed")).toBool());
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    if (!sent) {
        QSKIP(qPrintable(QStringLiteral("the kernel refuses a packet of %1 bytes even with SO_SNDBUFFORCE (%2): "
                                        "the largest it takes is %3 bytes, within the receiver's slot of %4 "
                                        "bytes, so MSG_TRUNC cannot happen here")
                                 .arg(attempt.value(QLatin1String("size")).toInteger())
                                 .arg(attempt.value(QLatin1String("error")).toString())
                                 .arg(attempt.value(QLatin1String("largest")).toInteger())
                                 .arg(attempt.value(QLatin1String("slot")).toInteger())));
    }
}

void tst_ChannelProtocol::floodOfRequests()
{
    constexpr int Count = 10000;
    constexpr int Limit = 100;
    ProtocolPeer peer(QStringLiteral("flood"), QString::number(Count));
    QVERIFY2(peer.start(), peer.diagnostics().constData());
    peer.channel()->setMaxUnansweredRequests(Limit);
    QList<QSeqpacketRequest> held; // never answered
    int mostUnanswered = 0;
    QObject::connect(peer.channel(), &QSeqpacketChannel::requestReceived, peer.channel(),
                     [&](const QSeqpacketRequest &request) {
        held.append(request);
        mostUnanswered = qMax(mostUnanswered, peer.channel()->unansweredRequests());
    });
    qint64 mostQueued = 0; // bytes of our answers waiting for the peer to read them
    QTimer sampler;
    QObject::connect(&sampler, &QTimer::timeout, &sampler,
                     [&] { mostQueued = qMax(mostQueued, peer.socket()->bytesToWrite()); });
    sampler.start(1);
    QVERIFY2(peer.go(QCborMap{{QStringLiteral("limit"), Limit}}), peer.diagnostics().constData());

    const QJsonObject flooded = peer.waitForEvent(QStringLiteral("flooded"));
    QVERIFY2(!flooded.isEmpty(), peer.diagnostics().constData());
    qInfo("%d requests: %d held, %lld answered qseqpacket.TooManyRequests; at most %lld bytes of answers queued here",
          Count, int(held.size()), flooded.value(QLatin1String("tooMany")).toInteger(), mostQueued);
    QCOMPARE(held.size(), Limit);
    QCOMPARE(mostUnanswered, Limit);
    QCOMPARE(peer.channel()->unansweredRequests(), Limit);
    QCOMPARE(flooded.value(QLatin1String("tooMany")).toInt(), Count - Limit);
    QCOMPARE(flooded.value(QLatin1String("names")).toArray(), toJson({QStringLiteral("qseqpacket.TooManyRequests")}));

    held.clear(); // the last copies go unanswered: qseqpacket.NoReply for each
    const QJsonObject answered = peer.waitForEvent(QStringLiteral("answered"));
    QVERIFY2(!answered.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(answered.value(QLatin1String("count")).toInt(), Count);
    QCOMPARE(answered.value(QLatin1String("noReply")).toInt(), Limit);
    // The descriptors of a held request and of refused ones are all closed.
    QCOMPARE(answered.value(QLatin1String("traced")).toInt(), 1 + Count / 1000);
    QVERIFY(answered.value(QLatin1String("closed")).toBool());
    QCOMPARE(peer.channel()->unansweredRequests(), 0);
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors, QStringList());
}

void tst_ChannelProtocol::requestsTimeOutThenLateReplies()
{
    constexpr int Count = 5;
    ProtocolPeer peer(QStringLiteral("silent"));
    QVERIFY2(peer.start() && peer.go(QCborMap{{QStringLiteral("count"), Count}}), peer.diagnostics().constData());
    QList<QFuture<QSeqpacketReply>> replies;
    for (int i = 0; i < Count; ++i)
        replies.append(peer.channel()->request(QStringLiteral("hello?"), QSeqpacketMessage(i), 300));
    const QJsonObject requests = peer.waitForEvent(QStringLiteral("requests"));
    QVERIFY2(!requests.isEmpty(), peer.diagnostics().constData());
    QCOMPARE(requests.value(QLatin1String("ids")).toArray().size(), Count);
    for (const QFuture<QSeqpacketReply> &reply : std::as_const(replies)) {
        QVERIFY(waitFor(reply));
        QCOMPARE(reply.result().errorName(), QStringLiteral("qseqpacket.Timeout"));
    }
    QCOMPARE(peer.channel()->pendingRequests(), 0);

    // The replies come late, each with a descriptor: dropped with it, and said so.
    const QMap<int, QByteArray> fdsBefore = TestUtil::openFds();
    QVERIFY(peer.channel()->send(QStringLiteral("answer late")));
    QVERIFY2(peer.waitForMessage(QStringLiteral("after")) == 0, peer.diagnostics().constData());
    QCOMPARE(peer.protocolErrors.size(), Count);
    for (int i = 0; i < Count; ++i) {
        const quint64 id = quint64(requests.value(QLatin1String("ids")).toArray().at(i).toInteger());
        QCOMPARE(peer.protocolErrors.at(i),
                 QStringLiteral("a reply to request %1, which finished before it came (timed out or canceled)").arg(id));
    }
    qInfo("protocolError(\"%s\")", qPrintable(peer.protocolErrors.at(0)));
    peer.messages.clear();
    CHANNELTEST_FDS_UNCHANGED(fdsBefore);
    const QFuture<QSeqpacketReply> verdict = peer.channel()->request(QStringLiteral("verdict"));
    QVERIFY2(waitFor(verdict), peer.diagnostics().constData());
    QVERIFY2(verdict.result().message().body().toMap().value(QStringLiteral("closed")).toBool(),
             peer.diagnostics().constData());
    QVERIFY2(peer.finish(), peer.diagnostics().constData());
}

QTEST_GUILESS_MAIN(tst_ChannelProtocol)
#include "tst_channel_protocol.moc"
