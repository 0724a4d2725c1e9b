// SPDX-License-Identifier: MIT
// What a developer sees while debugging: the QDebug output of every value type (packets,
// credentials, messages, replies, requests, frames, sockets) with each optional part, the frame
// decoder's reason for each malformed envelope, and the library's debug messages (off by default;
// QT_LOGGING_RULES="qseqpacket*.debug=true" turns them on) for listening, connecting, dropping
// unsent packets, filtered peers and dropped frames.
#include <QSeqpacketChannel>
#include <QSeqpacketCredentials>
#include <QSeqpacketFrame>
#include <QSeqpacketMessage>
#include <QSeqpacketPacket>
#include <QSeqpacketReply>
#include <QSeqpacketRequest>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QDebug>
#include <QtCore/QLoggingCategory>
#include <QtCore/QMutex>
#include <QtCore/QScopeGuard>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include "testutil.h"

#include <memory>
#include <grp.h>
#include <sys/socket.h>

#include <vector>
#include <unistd.h>

namespace {

constexpr int Timeout = 30000;

template <typename T>
QString debugText(const T &value)
{
    QString out;
    QDebug(&out) << value;
    return out.trimmed();
}

// Collects the messages of the qseqpacket categories while it lives, with debug output on.
class DebugLog
{
public:
    DebugLog()
    {
        s_current = this;
        QLoggingCategory::setFilterRules(QStringLiteral("qseqpacket*.debug=true"));
        m_previous = qInstallMessageHandler(&DebugLog::handler);
    }
    ~DebugLog()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QString());
        s_current = nullptr;
    }
    bool contains(const QString &category, const QString &text) const
    {
        QMutexLocker locker(&m_mutex);
        for (const auto &[cat, message] : m_messages) {
            if (cat == category && message.contains(text))
                return true;
        }
        return false;
    }
    QString all() const
    {
        QMutexLocker locker(&m_mutex);
        QStringList lines;
        for (const auto &[cat, message] : m_messages)
            lines << cat + QStringLiteral(": ") + message;
        return lines.join(QLatin1Char('\n'));
    }

private:
    static void handler(QtMsgType, const QMessageLogContext &context, const QString &message)
    {
        if (DebugLog *log = s_current) {
            const QString category = QString::fromLatin1(context.category ? context.category : "");
            if (category.startsWith(QLatin1String("qseqpacket"))) {
                QMutexLocker locker(&log->m_mutex);
                log->m_messages.append({category, message});
            }
        }
    }

    static inline DebugLog *s_current = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QList<std::pair<QString, QString>> m_messages;
};

// Two connected raw descriptors; the test adopts one.
struct UniqueFdPair
{
    UniqueFdPair() { valid = TestUtil::rawSocketPair(&mine, &peer); }
    TestUtil::UniqueFd mine;
    TestUtil::UniqueFd peer;
    bool valid = false;
};

} // namespace

class tst_Debug : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { m_fdsAtStart = TestUtil::openFds(); }
    void cleanup()
    {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        const auto now = TestUtil::openFds();
        QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
    }

    void packetOutput();
    void credentialsOutput();
    void messageOutputAndValueSemantics();
    void replyOutputAndValueSemantics();
    void requestOutput();
    void frameOutputAndValueSemantics();
    void frameEnvelopeErrors_data();
    void frameEnvelopeErrors();
    void socketOutput();
    void debugMessages();
    void moreDebugMessages();
    void invalidRequestAndChannelWithoutSocket();
    void valueAssignments();
    void supplementaryGroups();
    void descriptorsOverTheLimit();
    void listenActivatedByNameWithoutSockets();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_Debug::packetOutput()
{
    QCOMPARE(debugText(QSeqpacketPacket()), QStringLiteral("QSeqpacketPacket(invalid)"));
    QCOMPARE(debugText(QSeqpacketPacket(QByteArray("short"))), QStringLiteral("QSeqpacketPacket(5 bytes, \"short\")"));

    // Everything a packet can say: descriptors, credentials to send, a long payload cut at 32 bytes.
    QSeqpacketPacket full(QByteArray(40, 'x'), {QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("a")),
                                               QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("b"))});
    full.setCredentials(QSeqpacketCredentials::currentProcess());
    const QString text = debugText(full);
    QVERIFY2(text.startsWith(QStringLiteral("QSeqpacketPacket(40 bytes, 2 descriptors, as pid %1, \"%2\"...)")
                                     .arg(getpid())
                                     .arg(QString(32, QLatin1Char('x')))),
             qPrintable(text));

    // A received one: "from pid", and its pidfd.
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(receiver->setPerPacketCredentials(true));
    receiver->setPerPacketProcessFileDescriptor(true);
    QVERIFY(sender->sendPacket(QByteArray("hello")));
    QVERIFY(receiver->waitForPacket(Timeout));
    const QSeqpacketPacket received = receiver->receivePacket();
    const QString receivedText = debugText(received);
    QVERIFY2(receivedText.startsWith(QStringLiteral("QSeqpacketPacket(5 bytes, from pid %1").arg(getpid())), qPrintable(receivedText));
    if (received.processFileDescriptor().isValid())
        QVERIFY2(receivedText.contains(QStringLiteral(", pidfd %1").arg(received.processFileDescriptor().descriptor())),
                 qPrintable(receivedText));
}

void tst_Debug::credentialsOutput()
{
    QCOMPARE(debugText(QSeqpacketCredentials()), QStringLiteral("QSeqpacketCredentials(invalid)"));
    QCOMPARE(debugText(QSeqpacketCredentials(12, 1000, 100)), QStringLiteral("QSeqpacketCredentials(pid 12, uid 1000, gid 100)"));
    const QString withGroups = debugText(QSeqpacketCredentials(12, 1000, 100, {4, 27}));
    QVERIFY2(withGroups.startsWith(QStringLiteral("QSeqpacketCredentials(pid 12, uid 1000, gid 100, groups ")), qPrintable(withGroups));
    QVERIFY2(withGroups.contains(QLatin1String("4")) && withGroups.contains(QLatin1String("27")), qPrintable(withGroups));
}

void tst_Debug::messageOutputAndValueSemantics()
{
    QCOMPARE(debugText(QSeqpacketMessage(QCborValue(42))), QStringLiteral("QSeqpacketMessage(42)"));
    // A long body is cut at 80 characters of diagnostic notation.
    const QString longText(100, QLatin1Char('y'));
    const QString cut = debugText(QSeqpacketMessage(QCborValue(longText)));
    QCOMPARE(cut, QStringLiteral("QSeqpacketMessage(\"%1...)").arg(QString(79, QLatin1Char('y'))));

    QSeqpacketMessage message(QCborValue(1));
    message.setBody(QCborValue(QStringLiteral("body")));
    message.setFileDescriptors({QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("m"))});
    QCOMPARE(debugText(message), QStringLiteral("QSeqpacketMessage(\"body\", 1 descriptors)"));
    QVERIFY(!message.credentials().isValid());
    QVERIFY(!message.processFileDescriptor().isValid());

    // Copies share the descriptors; assignment and move keep body and descriptors.
    QSeqpacketMessage assigned;
    assigned = message;
    QCOMPARE(assigned.body().toString(), QStringLiteral("body"));
    QCOMPARE(assigned.fileDescriptors().size(), 1);
    QCOMPARE(assigned.fileDescriptors().at(0).descriptor(), message.fileDescriptors().at(0).descriptor());
    QSeqpacketMessage moved;
    moved = std::move(assigned);
    QCOMPARE(moved.body().toString(), QStringLiteral("body"));
    QCOMPARE(moved.fileDescriptors().size(), 1);
}

void tst_Debug::replyOutputAndValueSemantics()
{
    const QSeqpacketReply ok(QSeqpacketMessage(QCborValue(7)));
    QCOMPARE(debugText(ok), QStringLiteral("QSeqpacketReply(QSeqpacketMessage(7))"));
    const QSeqpacketReply failed(QStringLiteral("example.Failed"), QSeqpacketMessage(QCborValue(QStringLiteral("why"))));
    QCOMPARE(debugText(failed), QStringLiteral("QSeqpacketReply(error \"example.Failed\", QSeqpacketMessage(\"why\"))"));

    QSeqpacketReply copy;
    QVERIFY(!copy.isError());
    copy = failed;
    QVERIFY(copy.isError());
    QCOMPARE(copy.errorName(), QStringLiteral("example.Failed"));
    QSeqpacketReply moved;
    moved = std::move(copy);
    QVERIFY(moved.isError());
    QCOMPARE(moved.message().body().toString(), QStringLiteral("why"));
    const QSeqpacketReply moveConstructed(std::move(moved));
    QCOMPARE(moveConstructed.errorName(), QStringLiteral("example.Failed"));
}

void tst_Debug::requestOutput()
{
    QCOMPARE(debugText(QSeqpacketRequest()), QStringLiteral("QSeqpacketRequest(invalid)"));

    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> socketA(a), socketB(b);
    QSeqpacketChannel client(a);
    QSeqpacketChannel service(b);
    QList<QSeqpacketRequest> requests;
    connect(&service, &QSeqpacketChannel::requestReceived, this,
            [&requests](const QSeqpacketRequest &request) { requests.append(request); });
    const QFuture<QSeqpacketReply> reply = client.request(QStringLiteral("ask"), QSeqpacketMessage(QCborValue(5)), Timeout);
    QVERIFY(QTest::qWaitFor([&] { return !requests.isEmpty(); }, Timeout));
    const QSeqpacketRequest request = requests.takeFirst();
    const QString before = debugText(request);
    QCOMPARE(before, QStringLiteral("QSeqpacketRequest(%1, \"ask\", QSeqpacketMessage(5))").arg(request.id()));
    QVERIFY(request.reply(QSeqpacketMessage(QCborValue(6))));
    QCOMPARE(debugText(request), QStringLiteral("QSeqpacketRequest(%1, \"ask\", QSeqpacketMessage(5), answered)").arg(request.id()));
    QVERIFY(QTest::qWaitFor([&] { return reply.isFinished(); }, Timeout));
    QCOMPARE(reply.result().message().body().toInteger(), 6);
}

void tst_Debug::frameOutputAndValueSemantics()
{
    const QSeqpacketFrame invalid = QSeqpacketFrame::fromPacket(QSeqpacketPacket());
    QVERIFY(!invalid.isValid());
    QCOMPARE(invalid.errorString(), QStringLiteral("no packet"));
    QCOMPARE(debugText(invalid), QStringLiteral("QSeqpacketFrame(invalid: no packet)"));

    const QSeqpacketFrame request(QSeqpacketFrame::RequestFrame, 3, QStringLiteral("name"), QCborValue(QString(100, QLatin1Char('z'))),
                                  {QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("f"))});
    QVERIFY(!request.isSpilled());
    QCOMPARE(request.spilledSize(), qint64(-1));
    const QString text = debugText(request);
    QCOMPARE(text, QStringLiteral("QSeqpacketFrame(QSeqpacketFrame::RequestFrame, id 3, \"name\", \"%1..., 1 descriptors)").arg(QString(79, QLatin1Char('z'))));

    // A frame spilled into a memfd (by a channel with a small spill threshold) says how big it was.
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> socketA(a), socketB(b);
    QSeqpacketChannel sender(a);
    sender.setSpillThreshold(64);
    QVERIFY(sender.send(QStringLiteral("big"), QSeqpacketMessage(QCborValue(QByteArray(1000, 'b')))));
    QVERIFY(b->waitForPacket(Timeout));
    const QSeqpacketFrame spilled = QSeqpacketFrame::fromPacket(b->receivePacket());
    QVERIFY2(spilled.isValid(), qPrintable(spilled.errorString()));
    QVERIFY(spilled.isSpilled());
    QVERIFY(spilled.spilledSize() > 1000);
    const QString spilledText = debugText(spilled);
    QVERIFY2(spilledText.startsWith(QStringLiteral("QSeqpacketFrame(QSeqpacketFrame::MessageFrame, id 0, \"big\", h'")), qPrintable(spilledText));
    QVERIFY2(spilledText.endsWith(QStringLiteral(", spilled %1 bytes)").arg(spilled.spilledSize())), qPrintable(spilledText));

    // Copy and move assignment.
    QSeqpacketFrame copy;
    QVERIFY(!copy.isValid());
    copy = request;
    QCOMPARE(copy.name(), QStringLiteral("name"));
    QCOMPARE(copy.fileDescriptors().size(), 1);
    QSeqpacketFrame moved;
    moved = std::move(copy);
    QCOMPARE(moved.type(), QSeqpacketFrame::RequestFrame);
    QCOMPARE(moved.id(), quint64(3));
}

void tst_Debug::frameEnvelopeErrors_data()
{
    // A packet's bytes and the reason fromPacket() gives for them.
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");
    const auto raw = [](const char *data, int size) { return QByteArray(data, size); };
    QTest::newRow("empty") << QByteArray("") << QStringLiteral("an empty packet is not a frame");
    QTest::newRow("not an array") << raw("\x00", 1) << QStringLiteral("the packet is not a CBOR array");
    QTest::newRow("three items") << raw("\x83\x00\x00\x60", 4) << QStringLiteral("the frame has 3 items, not 4");
    QTest::newRow("indefinite length") << raw("\x9f\x00\x00\x60\xf6\xff", 6)
                                       << QStringLiteral("the frame is an array of indefinite length");
    QTest::newRow("type a string") << raw("\x84\x60\x00\x60\xf6", 5) << QStringLiteral("the frame's type is not an unsigned integer");
    QTest::newRow("type 5") << raw("\x84\x05\x00\x60\xf6", 5) << QStringLiteral("unknown frame type 5");
    QTest::newRow("id negative") << raw("\x84\x00\x20\x60\xf6", 5) << QStringLiteral("the frame's id is not an unsigned integer");
    QTest::newRow("spill size negative") << raw("\x84\x04\x20\x60\xf6", 5)
                                         << QStringLiteral("the spilled frame's size is not an unsigned integer");
    QTest::newRow("name bytes") << raw("\x84\x00\x00\x40\xf6", 5) << QStringLiteral("the frame's name is not a text string");
    QTest::newRow("name with a byte-string chunk")
            << raw("\x84\x00\x00\x7f\x41\x61\xff\xf6", 8) << QStringLiteral("the frame's name is not valid: ");
    QTest::newRow("one byte after") << raw("\x84\x00\x00\x60\xf6\x00", 6) << QStringLiteral("1 byte follows the frame's array");
    QTest::newRow("two bytes after") << raw("\x84\x00\x00\x60\xf6\x00\x00", 7) << QStringLiteral("2 bytes follow the frame's array");
    QTest::newRow("body a reserved byte") << raw("\x84\x00\x00\x60\x1c", 5) << QStringLiteral("the frame's body is not valid CBOR: ");
    QTest::newRow("body cut inside a tag") << raw("\x84\x00\x00\x60\xc6", 5) << QStringLiteral("the frame's body is not valid CBOR: ");
    QTest::newRow("body a map cut short") << raw("\x84\x00\x00\x60\xa1\x00", 6) << QStringLiteral("the frame's body is not valid CBOR: ");
    QTest::newRow("body a string cut short") << raw("\x84\x00\x00\x60\x62\x61", 6) << QStringLiteral("not valid CBOR");
    QTest::newRow("cut after the array's header") << raw("\x84", 1) << QStringLiteral("the frame is not valid CBOR: ");
    QTest::newRow("cut after the type") << raw("\x84\x00", 2) << QStringLiteral("the frame is not valid CBOR: ");
    QTest::newRow("cut after the id") << raw("\x84\x00\x00", 3) << QStringLiteral("the frame is not valid CBOR: ");
    QTest::newRow("cut after the name") << raw("\x84\x00\x00\x60", 4) << QStringLiteral("the frame ends before its body");
    QTest::newRow("body an array cut after its header") << raw("\x84\x00\x00\x60\x81", 5) << QStringLiteral("not valid CBOR");
    QTest::newRow("body an array cut after an item") << raw("\x84\x00\x00\x60\x82\x00", 6) << QStringLiteral("not valid CBOR");
    QTest::newRow("body a map cut after its key") << raw("\x84\x00\x00\x60\xa1\x81\x00", 7) << QStringLiteral("not valid CBOR");
    QTest::newRow("-2^63 - 1") << raw("\x84\x00\x00\x60\x3b\x80\x00\x00\x00\x00\x00\x00\x00", 13)
                               << QStringLiteral("the frame's body has an integer below -2^63");
}

void tst_Debug::frameEnvelopeErrors()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(QSeqpacketPacket(bytes));
    QVERIFY(!frame.isValid());
    QVERIFY2(frame.errorString().startsWith(error) || frame.errorString().contains(error), qPrintable(frame.errorString()));
}

void tst_Debug::socketOutput()
{
    QCOMPARE(debugText(static_cast<QSeqpacketSocket *>(nullptr)), QStringLiteral("QSeqpacketSocket(nullptr)"));
    QSeqpacketSocket socket;
    socket.setObjectName(QStringLiteral("named"));
    const QString text = debugText(&socket);
    QVERIFY2(text.startsWith(QLatin1String("QSeqpacketSocket(0x")), qPrintable(text));
    QVERIFY2(text.endsWith(QLatin1String(", \"named\", fd -1, QSeqpacketSocket::UnconnectedState)")), qPrintable(text));
}

void tst_Debug::debugMessages()
{
    DebugLog log;
    const QByteArray name = TestUtil::uniqueAbstractName("debug");
    const QSeqpacketAddress address = QSeqpacketAddress::fromAbstractName(name);

    // Listening, connecting, a peer the filter turns away.
    QSeqpacketServer server;
    QVERIFY2(server.listen(address), qPrintable(server.errorString()));
    QVERIFY2(log.contains(QStringLiteral("qseqpacket.server"), QStringLiteral("listening on")), qPrintable(log.all()));
    QSeqpacketSocket client;
    client.connectToServer(address);
    QVERIFY(client.waitForConnected(Timeout));
    QVERIFY2(log.contains(QStringLiteral("qseqpacket.socket"), QStringLiteral("connected to")), qPrintable(log.all()));
    QVERIFY(server.waitForNewConnection(Timeout));
    std::unique_ptr<QSeqpacketSocket> accepted(server.nextPendingConnection());
    QVERIFY(accepted);

    server.setPeerFilter(std::function<bool(const QSeqpacketCredentials &)>([](const QSeqpacketCredentials &) { return false; }));
    QSeqpacketSocket rejected;
    rejected.connectToServer(address);
    QVERIFY(rejected.waitForConnected(Timeout));
    QVERIFY(QTest::qWaitFor([&] { return log.contains(QStringLiteral("qseqpacket.server"), QStringLiteral("peer filter rejected pid")); },
                            Timeout));
    QVERIFY(!server.hasPendingConnections());

    // A frame the channel cannot read: dropped, with a protocolError() and a debug message.
    QSeqpacketChannel channel(accepted.get());
    QSignalSpy protocolErrors(&channel, &QSeqpacketChannel::protocolError);
    QVERIFY(client.sendPacket(QByteArray("not a frame")));
    QVERIFY(protocolErrors.wait(Timeout) || protocolErrors.count() == 1);
    QVERIFY2(log.contains(QStringLiteral("qseqpacket.channel"), QStringLiteral("dropped a packet: \"the packet is not a CBOR array\"")),
             qPrintable(log.all()));

    // A failure the server reports is a debug message too.
    QSeqpacketServer second;
    QVERIFY(!second.listen(address));
    QCOMPARE(second.serverError(), QSeqpacketSocket::AddressInUseError);
    QVERIFY2(log.contains(QStringLiteral("qseqpacket.server"), second.errorString()), qPrintable(log.all()));
}

void tst_Debug::moreDebugMessages()
{
    DebugLog log;
    const QByteArray name = TestUtil::uniqueAbstractName("debug-more");
    const QSeqpacketAddress address = QSeqpacketAddress::fromAbstractName(name);

    // A user over the server's limit of connections.
    QSeqpacketServer server;
    server.setMaxConnectionsPerUser(1);
    QVERIFY2(server.listen(address), qPrintable(server.errorString()));
    QSeqpacketSocket first;
    first.connectToServer(address);
    QVERIFY(first.waitForConnected(Timeout));
    QVERIFY(server.waitForNewConnection(Timeout));
    std::unique_ptr<QSeqpacketSocket> accepted(server.nextPendingConnection());
    QSeqpacketSocket second;
    second.connectToServer(address);
    QVERIFY(second.waitForConnected(Timeout));
    QVERIFY(QTest::qWaitFor([&] { return log.contains(QStringLiteral("qseqpacket.server"), QStringLiteral("connections already; rejected pid")); },
                            Timeout));
    QVERIFY(!server.hasPendingConnections());

    // A socket's failure is a debug message as well as errorOccurred().
    QSeqpacketSocket nowhere;
    nowhere.connectToServer(QSeqpacketAddress::fromAbstractName(TestUtil::uniqueAbstractName("debug-none")));
    QCOMPARE(nowhere.error(), QSeqpacketSocket::ConnectionRefusedError);
    QVERIFY2(log.contains(QStringLiteral("qseqpacket.socket"), nowhere.errorString()), qPrintable(log.all()));

    // Packets still queued when the connection is aborted are dropped, and the log says how many.
    {
        UniqueFdPair raw;
        QVERIFY(raw.valid);
        QSeqpacketSocket sender;
        QVERIFY(sender.setSocketDescriptor(raw.mine.release()));
        while (sender.packetsToWrite() == 0)
            QVERIFY(sender.sendPacket(QByteArray(16384, 'd')));
        const qint64 queued = sender.packetsToWrite();
        sender.abort();
        QVERIFY2(log.contains(QStringLiteral("qseqpacket.socket"), QStringLiteral("dropping %1 unsent packets").arg(queued)),
                 qPrintable(log.all()));
    }

    // A descriptor adopted with SO_PASSCRED already on: per-packet credentials are on, and said so.
    {
        UniqueFdPair raw;
        QVERIFY(raw.valid);
        const int on = 1;
        QCOMPARE(::setsockopt(raw.mine.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
        const int fd = raw.mine.get();
        QSeqpacketSocket adopted;
        QVERIFY(adopted.setSocketDescriptor(raw.mine.release()));
        QVERIFY(adopted.perPacketCredentials());
        QVERIFY2(log.contains(QStringLiteral("qseqpacket.socket"),
                              QStringLiteral("descriptor %1 has SO_PASSCRED on").arg(fd)),
                 qPrintable(log.all()));
    }

    // removeServer() leaves the file of a live server, and says why.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("live"));
    QSeqpacketServer live;
    QVERIFY2(live.listen(QSeqpacketAddress::fromPath(path)), qPrintable(live.errorString()));
    QVERIFY(!QSeqpacketServer::removeServer(path));
    QVERIFY(QFile::exists(path));
    QVERIFY2(log.contains(QStringLiteral("qseqpacket.server"), QStringLiteral("removeServer: a server listens on")), qPrintable(log.all()));
}

void tst_Debug::invalidRequestAndChannelWithoutSocket()
{
    // A default-constructed request has nothing and cannot be answered.
    const QSeqpacketRequest request;
    QVERIFY(!request.isValid());
    QVERIFY(request.name().isEmpty());
    QCOMPARE(request.id(), quint64(0));
    QVERIFY(request.message().body().isUndefined());
    QVERIFY(!request.reply(QSeqpacketMessage(QCborValue(1))));
    QVERIFY(!request.replyError(QStringLiteral("example.Error")));
    QVERIFY(!request.isAnswered());
    QSeqpacketRequest copy;
    copy = request;
    QVERIFY(!copy.isValid());

    // A channel without a socket warns once, and refuses to send.
    QTest::ignoreMessage(QtWarningMsg, "QSeqpacketChannel: no socket");
    QSeqpacketChannel channel(nullptr);
    QCOMPARE(channel.socket(), nullptr);
    QVERIFY(!channel.send(QStringLiteral("nothing")));
    QCOMPARE(channel.errorString(), QStringLiteral("the socket is not connected"));
    const QFuture<QSeqpacketReply> reply = channel.request(QStringLiteral("nothing"));
    QVERIFY(reply.isFinished());
    QVERIFY(reply.result().isError());
}

void tst_Debug::valueAssignments()
{
    const QSeqpacketPacket packet(QByteArray("data"), {QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("p"))});
    QSeqpacketPacket copy;
    copy = packet;
    QCOMPARE(copy.data(), QByteArray("data"));
    QCOMPARE(copy.fileDescriptors().at(0).descriptor(), packet.fileDescriptors().at(0).descriptor());

    QSeqpacketRequest request;
    request = QSeqpacketRequest();
    QVERIFY(!request.isValid());
}

void tst_Debug::supplementaryGroups()
{
    // The supplementary groups of this process and of a peer (SO_PEERGROUPS): as root, the test
    // gives itself two, and puts back what it had.
    if (::geteuid() != 0)
        QSKIP("needs root to set supplementary groups");
    const int count = ::getgroups(0, nullptr);
    QVERIFY(count >= 0);
    std::vector<gid_t> saved(size_t(count) + 1);
    QCOMPARE(::getgroups(count, saved.data()), count);
    saved.resize(size_t(count));
    const gid_t groups[] = {4, 27};
    QCOMPARE(::setgroups(2, groups), 0);
    const auto restore = qScopeGuard([&] { ::setgroups(saved.size(), saved.data()); });

    const QSeqpacketCredentials own = QSeqpacketCredentials::currentProcess();
    QCOMPARE(own.supplementaryGroups(), (QList<uint>{4, 27}));
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> socketA(a), socketB(b);
    const QSeqpacketCredentials peer = b->peerCredentials();
    QVERIFY(peer.isValid());
    QCOMPARE(peer.processId(), qint64(::getpid()));
    QCOMPARE(peer.supplementaryGroups(), (QList<uint>{4, 27}));
}

void tst_Debug::descriptorsOverTheLimit()
{
    // A limit set after the packet was queued (and credentials turned on meanwhile): no more than
    // the limit arrive, the rest are closed (by the kernel, MSG_CTRUNC, or by the library), and
    // the packet says its descriptors were truncated (in its QDebug output too).
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    const QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("limit"));
    QVERIFY(sender->sendPacket(QByteArray("five"), {fd, fd, fd, fd, fd}));
    QVERIFY(receiver->setPerPacketCredentials(true));
    receiver->setReceiveDescriptorLimit(2);
    QVERIFY(receiver->waitForPacket(Timeout));
    const QSeqpacketPacket packet = receiver->receivePacket();
    QCOMPARE(packet.data(), QByteArray("five"));
    QVERIFY(packet.fileDescriptors().size() <= 2);
    QVERIFY(packet.areFileDescriptorsTruncated());
    QVERIFY2(debugText(packet).contains(QLatin1String(", descriptors truncated")), qPrintable(debugText(packet)));
}

void tst_Debug::listenActivatedByNameWithoutSockets()
{
    // No LISTEN_FDS in the environment: nothing handed over, so no socket of that name.
    qunsetenv("LISTEN_FDS");
    qunsetenv("LISTEN_PID");
    QSeqpacketServer server;
    QVERIFY(!server.listenActivated(QStringLiteral("service")));
    QVERIFY(!server.isListening());
    QVERIFY(!server.errorString().isEmpty());
}

QTEST_GUILESS_MAIN(tst_Debug)
#include "tst_debug.moc"
