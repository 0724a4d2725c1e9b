// SPDX-License-Identifier: MIT
// qseqpacket-demo-peer: a peer for the Inspector's demo. It connects to (or listens on) an address
// and keeps sending a mix of packets: text, binary records, JSON, and a report in a sealed memfd
// whose descriptor travels with the packet. It answers what it receives with an "ack".
//
// With --channel it speaks QSeqpacketChannel's protocol instead (docs/protocol.md): messages,
// requests (which wait for an answer the Inspector does not give unless you send one) and a
// snapshot large enough to travel in a sealed memfd. It answers requests: "add" with the sum of
// its numbers, anything else with what came.
//
//   qseqpacket-demo-peer --connect @qseqpacket-inspector [--name NAME] [--interval MS] [--count N] [--channel]
//   qseqpacket-demo-peer --listen @demo                   (then: qseqpacket-inspector --connect @demo)
#include <QSeqpacketChannel>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/qcborarray.h>
#include <QtCore/qcbormap.h>
#include <QtCore/qcommandlineparser.h>
#include <QtCore/qfuture.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qendian.h>
#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>
#include <QtCore/qtimer.h>

#include <cstdio>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MFD_ALLOW_SEALING
#  define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#  define F_ADD_SEALS 1033
#  define F_SEAL_SEAL 0x0001
#  define F_SEAL_SHRINK 0x0002
#  define F_SEAL_GROW 0x0004
#  define F_SEAL_WRITE 0x0008
#endif

namespace {

QSeqpacketFileDescriptor makeMemfd(const QByteArray &name, const QByteArray &content)
{
    const int fd = ::memfd_create(name.constData(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return {};
    QSeqpacketFileDescriptor owned = QSeqpacketFileDescriptor::adopt(fd);
    qsizetype written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.constData() + written, size_t(content.size() - written));
        if (n <= 0)
            return {};
        written += n;
    }
    ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    return owned;
}

class DemoPeer : public QObject
{
public:
    DemoPeer(const QString &name, int interval, int count, bool channel)
        : m_name(name), m_count(count), m_useChannel(channel)
    {
        m_timer.setInterval(interval);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_retry.setInterval(500);
        m_retry.setSingleShot(true);
        QObject::connect(&m_retry, &QTimer::timeout, this, [this] { connectNow(); });
    }

    void connectTo(const QSeqpacketAddress &address)
    {
        m_address = address;
        connectNow();
    }

    void listenOn(const QSeqpacketAddress &address)
    {
        m_server = new QSeqpacketServer(this);
        if (!m_server->listen(address)) {
            std::fprintf(stderr, "demo-peer: cannot listen on %s: %s\n", qPrintable(address.toString()),
                         qPrintable(m_server->errorString()));
            QCoreApplication::exit(1);
            return;
        }
        std::printf("demo-peer %s: listening on %s\n", qPrintable(m_name),
                    qPrintable(m_server->serverAddress().toString()));
        std::fflush(stdout);
        QObject::connect(m_server, &QSeqpacketServer::newConnection, this, [this] {
            while (QSeqpacketSocket *socket = m_server->nextPendingConnection()) {
                if (m_socket) {
                    socket->deleteLater(); // one at a time
                    continue;
                }
                adopt(socket);
            }
        });
    }

private:
    void connectNow()
    {
        auto *socket = new QSeqpacketSocket(this);
        socket->connectToServer(m_address);
        if (socket->state() != QSeqpacketSocket::ConnectedState) {
            if (!m_waiting) {
                std::fprintf(stderr, "demo-peer %s: waiting for %s (%s)\n", qPrintable(m_name),
                             qPrintable(m_address.toString()), qPrintable(socket->errorString()));
                m_waiting = true;
            }
            socket->deleteLater();
            m_retry.start();
            return;
        }
        m_waiting = false;
        std::printf("demo-peer %s: connected to %s\n", qPrintable(m_name), qPrintable(m_address.toString()));
        std::fflush(stdout);
        adopt(socket);
    }

    void adopt(QSeqpacketSocket *socket)
    {
        m_socket = socket;
        if (m_useChannel) {
            adoptWithChannel(socket);
            return;
        }
        QObject::connect(socket, &QSeqpacketSocket::packetReady, this, [this] { readAll(); });
        QObject::connect(socket, &QSeqpacketSocket::disconnected, this, [this] { onDisconnected(); });
        send(QStringLiteral("hello from %1 (pid %2): I send text, binary records, JSON and a memfd")
                     .arg(m_name).arg(QCoreApplication::applicationPid()).toUtf8());
        m_timer.start();
    }

    void onDisconnected()
    {
        std::printf("demo-peer %s: disconnected\n", qPrintable(m_name));
        std::fflush(stdout);
        m_timer.stop();
        delete m_channel; // before its socket
        m_channel = nullptr;
        if (m_socket)
            m_socket->deleteLater();
        m_socket = nullptr;
        if (!m_server)
            m_retry.start(); // the Inspector may come back
    }

    // The channel reads every packet of the socket from now on.
    void adoptWithChannel(QSeqpacketSocket *socket)
    {
        m_channel = new QSeqpacketChannel(socket, this);
        // A snapshot of 24 KiB spills at 16 KiB: the demo shows a memfd frame without sending
        // what one packet cannot carry (about 200 KiB).
        m_channel->setSpillThreshold(16 * 1024);
        QObject::connect(socket, &QSeqpacketSocket::disconnected, this, [this] { onDisconnected(); });
        QObject::connect(m_channel, &QSeqpacketChannel::messageReceived, this,
                         [this](const QString &name, const QSeqpacketMessage &message) {
                             std::printf("demo-peer %s: message %s %s\n", qPrintable(m_name), qPrintable(name),
                                         qPrintable(message.body().toDiagnosticNotation()));
                             std::fflush(stdout);
                         });
        QObject::connect(m_channel, &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
            const QCborValue body = request.message().body();
            if (request.name() == QLatin1String("add")) {
                qint64 sum = 0;
                for (const QCborValue &term : body.toArray())
                    sum += term.toInteger();
                request.reply(QSeqpacketMessage(sum));
            } else {
                request.reply(QSeqpacketMessage(QCborMap{{QStringLiteral("request"), request.name()},
                                                         {QStringLiteral("body"), body}}));
            }
        });
        QObject::connect(m_channel, &QSeqpacketChannel::protocolError, this, [this](const QString &why) {
            std::printf("demo-peer %s: not a frame: %s\n", qPrintable(m_name), qPrintable(why));
            std::fflush(stdout);
        });
        m_channel->send(QStringLiteral("hello"),
                        QSeqpacketMessage(QCborMap{{QStringLiteral("name"), m_name},
                                                   {QStringLiteral("pid"), QCoreApplication::applicationPid()},
                                                   {QStringLiteral("speaks"), QStringLiteral("QSeqpacketChannel")}}));
        m_timer.start();
    }

    void channelTick()
    {
        const QString now = QTime::currentTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        switch (m_sequence % 4) {
        case 1: {
            // Nobody on the Inspector's side answers: the request times out here, and the
            // Inspector shows it waiting. Send [2, id, "", 5] in hex to answer it by hand.
            const qint64 a = QRandomGenerator::global()->bounded(100);
            const qint64 b = QRandomGenerator::global()->bounded(100);
            const QString name = m_name;
            m_channel->request(QStringLiteral("add"), QSeqpacketMessage(QCborArray{a, b}), 5000)
                    .then(this, [name](const QSeqpacketReply &reply) {
                        std::printf("demo-peer %s: add: %s %s\n", qPrintable(name), qPrintable(reply.errorName()),
                                    qPrintable(reply.message().body().toDiagnosticNotation()));
                        std::fflush(stdout);
                    });
            break;
        }
        case 2: {
            // Larger than the spill threshold: it travels in a sealed memfd, as [4, size, "", null].
            QByteArray samples(24 * 1024, Qt::Uninitialized);
            for (qsizetype i = 0; i < samples.size(); ++i)
                samples[i] = char(QRandomGenerator::global()->bounded(256));
            m_channel->send(QStringLiteral("snapshot"),
                            QSeqpacketMessage(QCborMap{{QStringLiteral("seq"), m_sequence},
                                                       {QStringLiteral("at"), now},
                                                       {QStringLiteral("samples"), samples}}));
            break;
        }
        case 3:
            m_channel->send(QStringLiteral("status"),
                            QSeqpacketMessage(QCborMap{{QStringLiteral("seq"), m_sequence},
                                                       {QStringLiteral("load"), QRandomGenerator::global()->bounded(100) / 100.0},
                                                       {QStringLiteral("ok"), true}}));
            break;
        default:
            m_channel->send(QStringLiteral("log"),
                            QSeqpacketMessage(QCborMap{{QStringLiteral("level"), QStringLiteral("info")},
                                                       {QStringLiteral("text"), QStringLiteral("%1 #%2 at %3: all systems nominal")
                                                                                        .arg(m_name).arg(m_sequence).arg(now)}}));
            break;
        }
    }

    void send(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds = {})
    {
        if (m_socket && !m_socket->sendPacket(QByteArrayView(data), fds))
            std::fprintf(stderr, "demo-peer %s: send: %s\n", qPrintable(m_name), qPrintable(m_socket->errorString()));
    }

    void tick()
    {
        if (!m_socket)
            return;
        ++m_sequence;
        if (m_channel) {
            channelTick();
            finishWhenCounted();
            return;
        }
        const QString now = QTime::currentTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        switch (m_sequence % 5) {
        case 0: {
            send(QStringLiteral("%1 #%2 at %3: all systems nominal").arg(m_name).arg(m_sequence).arg(now).toUtf8());
            break;
        }
        case 1: {
            // A binary record: magic, version, sequence, timestamp, eight samples.
            QByteArray record;
            record.append("QSPK", 4);
            record.append(char(1));
            record.append(char(0));
            quint32 seq = qToBigEndian(quint32(m_sequence));
            record.append(reinterpret_cast<const char *>(&seq), 4);
            quint64 ts = qToBigEndian(quint64(QDateTime::currentMSecsSinceEpoch()));
            record.append(reinterpret_cast<const char *>(&ts), 8);
            for (int i = 0; i < 8; ++i) {
                const quint16 sample = qToBigEndian(quint16(QRandomGenerator::global()->bounded(4096)));
                record.append(reinterpret_cast<const char *>(&sample), 2);
            }
            send(record);
            break;
        }
        case 2: {
            const double temperature = 20.0 + QRandomGenerator::global()->bounded(50) / 10.0;
            send(QStringLiteral("{\"from\":\"%1\",\"seq\":%2,\"temperature\":%3,\"unit\":\"C\"}")
                         .arg(m_name).arg(m_sequence).arg(temperature, 0, 'f', 1).toUtf8());
            break;
        }
        case 3: {
            // A report in a sealed memfd: the packet carries its descriptor.
            QByteArray report = QStringLiteral("Report #%1 from %2 (pid %3)\ngenerated at %4\n\n")
                                        .arg(m_sequence).arg(m_name).arg(QCoreApplication::applicationPid())
                                        .arg(QDateTime::currentDateTime().toString(Qt::ISODateWithMs))
                                        .toUtf8();
            for (int i = 1; i <= 12; ++i)
                report += QStringLiteral("line %1: value=%2\n").arg(i).arg(QRandomGenerator::global()->bounded(1000)).toUtf8();
            const QSeqpacketFileDescriptor memfd = makeMemfd("demo-report-" + m_name.toUtf8(), report);
            if (memfd.isValid())
                send(QStringLiteral("report #%1 attached (memfd, %2 bytes)").arg(m_sequence).arg(report.size()).toUtf8(),
                     {memfd});
            break;
        }
        case 4: {
            send(QByteArray()); // a zero-length packet is a packet too
            break;
        }
        }
        finishWhenCounted();
    }

    void finishWhenCounted()
    {
        if (m_count > 0 && m_sequence >= m_count) {
            m_timer.stop();
            if (m_socket)
                m_socket->disconnectFromServer();
            QTimer::singleShot(200, qApp, [] { QCoreApplication::quit(); });
        }
    }

    void readAll()
    {
        QPointer<QSeqpacketSocket> socket = m_socket;
        while (socket && socket->hasPendingPackets()) {
            const QSeqpacketPacket packet = socket->receivePacket();
            const QByteArray data = packet.data();
            std::printf("demo-peer %s: got %lld bytes, %lld descriptors\n", qPrintable(m_name),
                        qint64(data.size()), qint64(packet.fileDescriptors().size()));
            std::fflush(stdout);
            QByteArray answer = "ack: " + QByteArray::number(data.size()) + " bytes";
            if (!packet.fileDescriptors().isEmpty()) {
                const int fd = packet.fileDescriptors().constFirst().descriptor();
                char head[64];
                const ssize_t n = ::pread(fd, head, sizeof head, 0);
                answer += ", " + QByteArray::number(packet.fileDescriptors().size()) + " descriptor(s)";
                if (n > 0)
                    answer += ", the first starts with \"" + QByteArray(head, int(n)).left(40).replace('\n', ' ') + "\"";
            }
            if (data.startsWith("ping"))
                answer = "pong" + data.mid(4);
            send(answer);
        }
    }

    QString m_name;
    int m_count = 0;
    bool m_useChannel = false;
    QSeqpacketChannel *m_channel = nullptr;
    int m_sequence = 0;
    bool m_waiting = false;
    QSeqpacketAddress m_address;
    QPointer<QSeqpacketSocket> m_socket;
    QSeqpacketServer *m_server = nullptr;
    QTimer m_timer;
    QTimer m_retry;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("qseqpacket-demo-peer"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "A peer for the QSeqpacket Inspector's demo: sends text, binary, JSON, empty packets and a "
            "sealed memfd with its descriptor, and answers what it receives."));
    parser.addHelpOption();
    const QCommandLineOption connectOption(QStringLiteral("connect"), QStringLiteral("Connect to <address> (retrying until it is there)."),
                                           QStringLiteral("address"));
    const QCommandLineOption listenOption(QStringLiteral("listen"), QStringLiteral("Listen on <address>."),
                                          QStringLiteral("address"));
    const QCommandLineOption nameOption(QStringLiteral("name"), QStringLiteral("Name in the packets (default demo)."),
                                        QStringLiteral("name"), QStringLiteral("demo"));
    const QCommandLineOption intervalOption(QStringLiteral("interval"), QStringLiteral("Milliseconds between packets (default 1000)."),
                                            QStringLiteral("ms"), QStringLiteral("1000"));
    const QCommandLineOption countOption(QStringLiteral("count"), QStringLiteral("Stop after <n> packets (default: never)."),
                                         QStringLiteral("n"), QStringLiteral("0"));
    const QCommandLineOption channelOption(QStringLiteral("channel"),
                                           QStringLiteral("Speak QSeqpacketChannel's protocol: messages, requests, a spilled snapshot."));
    parser.addOptions({connectOption, listenOption, nameOption, intervalOption, countOption, channelOption});
    parser.process(app);
    if (parser.isSet(connectOption) == parser.isSet(listenOption)) {
        std::fprintf(stderr, "demo-peer: give --connect ADDRESS or --listen ADDRESS (see --help)\n");
        return 2;
    }
    DemoPeer peer(parser.value(nameOption), qMax(20, parser.value(intervalOption).toInt()),
                  parser.value(countOption).toInt(), parser.isSet(channelOption));
    if (parser.isSet(connectOption))
        peer.connectTo(QSeqpacketAddress::fromString(parser.value(connectOption)));
    else
        peer.listenOn(QSeqpacketAddress::fromString(parser.value(listenOption)));
    return app.exec();
}
