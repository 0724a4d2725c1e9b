// SPDX-License-Identifier: MIT
//
// echo-client: sends packets to echo-server and checks that each one comes back unchanged.
//
//   echo-client ADDRESS [MESSAGE...]
//
// Sends each MESSAGE as one packet ("hello" and "seqpacket" when none is given), then a
// zero-length packet, then a packet carrying a file descriptor (a memfd). It prints each echo as
// it arrives and exits 0 when every packet came back as sent, 1 otherwise.
//
// What it shows:
//   - connecting to a path or an abstract name given as text,
//   - sending several packets at once without waiting: each arrives whole and in order, so the
//     n-th packet received is the echo of the n-th packet sent; no framing, no length prefixes,
//   - a zero-length packet is a packet (the end of the connection is disconnected(), not that),
//   - a descriptor sent away and echoed back refers to the same open file.

#include <QSeqpacketSocket>

#include <QCoreApplication>
#include <QFile>
#include <QTimer>

#include <cstdio>

#include <sys/mman.h> // memfd_create
#include <sys/stat.h> // fstat

namespace {

// The exchange takes milliseconds; this only keeps a broken run from hanging forever.
constexpr int TimeoutMsecs = 10000;

void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

// Two descriptors refer to the same file when device and inode match.
bool sameFile(const QSeqpacketFileDescriptor &a, const QSeqpacketFileDescriptor &b)
{
    struct stat sa {}, sb {};
    return ::fstat(a.descriptor(), &sa) == 0 && ::fstat(b.descriptor(), &sb) == 0
            && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

class EchoClient : public QObject
{
public:
    explicit EchoClient(const QList<QByteArray> &messages)
    {
        for (const QByteArray &message : messages)
            m_sent.append(QSeqpacketPacket(message));
        m_sent.append(QSeqpacketPacket(QByteArray())); // zero bytes: still a packet

        // A memfd is an anonymous file in memory. The server receives a descriptor for it and
        // sends that back: we receive yet another descriptor, for the same open file.
        const int memfd = ::memfd_create("echo-client", MFD_CLOEXEC);
        if (memfd >= 0)
            m_sent.append(QSeqpacketPacket("a descriptor", { QSeqpacketFileDescriptor::adopt(memfd) }));
        else
            say(QStringLiteral("cannot create a memfd; sending no descriptor"));
    }

    // False when the connection failed at once.
    bool start(const QSeqpacketAddress &address)
    {
        // Connected before connectToServer(): it may emit these before it returns.
        connect(m_socket, &QSeqpacketSocket::connected, this, [this] { sendAll(); });
        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] { readEchoes(); });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this] {
            // ServerNotFoundError (no such file), ConnectionRefusedError (nobody listens), ...
            say(QStringLiteral("error: %1").arg(m_socket->errorString()));
            if (m_socket->state() == QSeqpacketSocket::UnconnectedState)
                QCoreApplication::exit(1); // the connection failed, or the socket closed
        });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] {
            const bool complete = m_received == m_sent.size() && m_ok;
            if (!complete)
                say(QStringLiteral("the server closed the connection after %1 of %2 echoes")
                            .arg(m_received)
                            .arg(m_sent.size()));
            QCoreApplication::exit(complete ? 0 : 1);
        });

        // Usually connected when this returns: the kernel queues the connection until the server
        // accepts it. Only when the server's backlog is full does the socket wait (ConnectingState)
        // and retry; connected() comes then.
        m_socket->connectToServer(address);
        return m_socket->state() != QSeqpacketSocket::UnconnectedState;
    }

private:
    void sendAll()
    {
        say(QStringLiteral("connected to %1 (server pid %2)")
                    .arg(m_socket->peerAddress().toString())
                    .arg(m_socket->peerCredentials().processId()));
        // All at once, no waiting for echoes in between. Each sendPacket() is one packet.
        for (const QSeqpacketPacket &packet : std::as_const(m_sent)) {
            if (!m_socket->sendPacket(packet)) {
                say(QStringLiteral("cannot send: %1").arg(m_socket->errorString()));
                QCoreApplication::exit(1);
                return;
            }
        }
        say(QStringLiteral("sent %1 packets").arg(m_sent.size()));
    }

    void readEchoes()
    {
        while (m_socket->hasPendingPackets()) {
            const QSeqpacketPacket echo = m_socket->receivePacket();
            if (m_received == m_sent.size()) {
                say(QStringLiteral("unexpected packet"));
                m_ok = false;
                continue;
            }
            const QSeqpacketPacket &sent = m_sent.at(m_received);
            ++m_received;
            check(sent, echo, m_received);
        }
        if (m_received == m_sent.size()) {
            say(m_ok ? QStringLiteral("all %1 packets came back").arg(m_sent.size())
                     : QStringLiteral("some echoes were WRONG"));
            // Writes anything still queued, closes, then emits disconnected(), which exits.
            m_socket->disconnectFromServer();
        }
    }

    void check(const QSeqpacketPacket &sent, const QSeqpacketPacket &echo, int number)
    {
        QString line = QStringLiteral("echo %1/%2: ").arg(number).arg(m_sent.size());
        line += echo.data().isEmpty() ? QStringLiteral("<empty>")
                                      : QStringLiteral("\"%1\"").arg(QString::fromUtf8(echo.data()));
        line += QStringLiteral(" (%1 byte%2)").arg(echo.data().size()).arg(echo.data().size() == 1 ? "" : "s");
        bool ok = echo.data() == sent.data() && !echo.isTruncated()
                && echo.fileDescriptors().size() == sent.fileDescriptors().size();

        if (ok && !echo.fileDescriptors().isEmpty()) {
            // A different descriptor number, the same file: descriptor passing hands over access
            // to an open file, not a number.
            const QSeqpacketFileDescriptor &back = echo.fileDescriptors().constFirst();
            ok = sameFile(back, sent.fileDescriptors().constFirst());
            line += QStringLiteral(" + descriptor %1 -> %2, %3")
                            .arg(back.descriptor())
                            .arg(QFile::symLinkTarget(QStringLiteral("/proc/self/fd/%1").arg(back.descriptor())))
                            .arg(ok ? QStringLiteral("the file we sent") : QStringLiteral("ANOTHER file"));
        }
        if (!ok)
            line += QStringLiteral("  <- WRONG");
        m_ok = m_ok && ok;
        say(line);
    }

    QSeqpacketSocket *m_socket = new QSeqpacketSocket(this);
    QList<QSeqpacketPacket> m_sent;
    int m_received = 0;
    bool m_ok = true;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    args.removeFirst();
    if (args.isEmpty() || args.constFirst().startsWith(QLatin1String("-"))) {
        std::fprintf(stderr, "usage: echo-client ADDRESS [MESSAGE...]   (ADDRESS: a path, or @name)\n");
        return 2;
    }

    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.takeFirst());
    if (!address.isValid()) {
        std::fprintf(stderr, "echo-client: %s\n", qPrintable(address.errorString()));
        return 2;
    }
    QList<QByteArray> messages;
    for (const QString &message : std::as_const(args))
        messages.append(message.toUtf8());
    if (messages.isEmpty())
        messages = { "hello", "seqpacket" };

    QTimer::singleShot(TimeoutMsecs, &app, [] {
        say(QStringLiteral("timed out"));
        QCoreApplication::exit(1);
    });

    EchoClient client(messages);
    if (!client.start(address))
        return 1; // the error is printed; exit() does nothing before exec() runs
    return app.exec();
}
