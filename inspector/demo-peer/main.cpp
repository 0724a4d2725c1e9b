// SPDX-License-Identifier: MIT
// qseqpacket-demo-peer: a peer for the Inspector's demo. It connects to (or listens on) an address
// and keeps sending a mix of packets: text, binary records, JSON, and a report in a sealed memfd
// whose descriptor travels with the packet. It answers what it receives with an "ack".
//
//   qseqpacket-demo-peer --connect @qseqpacket-inspector [--name NAME] [--interval MS] [--count N]
//   qseqpacket-demo-peer --listen @demo                   (then: qseqpacket-inspector --connect @demo)
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/qcommandlineparser.h>
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
    DemoPeer(const QString &name, int interval, int count)
        : m_name(name), m_count(count)
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
        QObject::connect(socket, &QSeqpacketSocket::packetReady, this, [this] { readAll(); });
        QObject::connect(socket, &QSeqpacketSocket::disconnected, this, [this] {
            std::printf("demo-peer %s: disconnected\n", qPrintable(m_name));
            std::fflush(stdout);
            m_timer.stop();
            if (m_socket)
                m_socket->deleteLater();
            m_socket = nullptr;
            if (m_server)
                return;            // wait for the next connection
            m_retry.start();       // the Inspector may come back
        });
        send(QStringLiteral("hello from %1 (pid %2): I send text, binary records, JSON and a memfd")
                     .arg(m_name).arg(QCoreApplication::applicationPid()).toUtf8());
        m_timer.start();
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
    parser.addOptions({connectOption, listenOption, nameOption, intervalOption, countOption});
    parser.process(app);
    if (parser.isSet(connectOption) == parser.isSet(listenOption)) {
        std::fprintf(stderr, "demo-peer: give --connect ADDRESS or --listen ADDRESS (see --help)\n");
        return 2;
    }
    DemoPeer peer(parser.value(nameOption), qMax(20, parser.value(intervalOption).toInt()),
                  parser.value(countOption).toInt());
    if (parser.isSet(connectOption))
        peer.connectTo(QSeqpacketAddress::fromString(parser.value(connectOption)));
    else
        peer.listenOn(QSeqpacketAddress::fromString(parser.value(listenOption)));
    return app.exec();
}
