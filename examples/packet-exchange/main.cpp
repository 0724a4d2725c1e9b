// SPDX-License-Identifier: MIT
//
// packet-exchange: two processes talk over one AF_UNIX SOCK_SEQPACKET connection.
//
// The parent makes a connected pair of sockets, keeps one end and hands the other end to a child
// process (this same program, started again with "--child FD"). Then:
//
//   child  -> parent   "hello"                          (the child is ready)
//   parent -> child    a text packet
//   parent -> child    a zero-length packet            (a packet, not end-of-file)
//   parent -> child    a packet carrying a file descriptor of a memfd with some text in it
//   child  -> parent   one reply to each: a text, a zero-length packet, and the text the child
//                      read through the descriptor it received
//   parent             checks the replies, closes the connection, and waits for the child to exit
//
// Everything is driven by the event loop: packetReady() says packets wait, disconnected() says the
// peer is gone. Nothing here blocks.
//
// Run it with no arguments:   ./packet-exchange

#include <QSeqpacketSocket>

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QTimer>

#include <cstdio>

#include <fcntl.h>     // fcntl, FD_CLOEXEC
#include <sys/mman.h>  // memfd_create
#include <sys/stat.h>  // fstat
#include <unistd.h>    // getpid, pread, write, close

namespace {

// The whole exchange takes milliseconds; this only stops a broken run from hanging forever.
constexpr int TimeoutMsecs = 15000;

const QByteArray FileContent = "This text lives in a memfd that the parent created.\n";

// Both processes write to the same terminal (the child's stdout is the parent's). Each line goes
// out in one write() and is flushed at once, so lines from the two processes never mix and appear
// in the order they happened even when stdout is a pipe.
void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

QString describe(const QSeqpacketPacket &packet, int number)
{
    const qsizetype fdCount = packet.fileDescriptors().size();
    QString line = QStringLiteral("received packet #%1 (%2 bytes, %3 descriptor%4)")
                           .arg(number)
                           .arg(packet.data().size())
                           .arg(fdCount)
                           .arg(fdCount == 1 ? QString() : QStringLiteral("s"));
    // Per-packet credentials (SCM_CREDENTIALS) are filled in by the kernel from the process that
    // really sent the packet: they cannot be forged by the sender.
    if (packet.credentials().isValid())
        line += QStringLiteral(" from pid %1").arg(packet.credentials().processId());
    if (packet.data().isEmpty())
        line += QStringLiteral(": <empty>");
    else
        line += QStringLiteral(": \"%1\"").arg(QString::fromUtf8(packet.data()).trimmed());
    return line;
}

QString describe(const QSeqpacketCredentials &credentials)
{
    if (!credentials.isValid())
        return QStringLiteral("unknown");
    return QStringLiteral("pid %1, uid %2, gid %3")
            .arg(credentials.processId())
            .arg(credentials.userId())
            .arg(credentials.groupId());
}

// ------------------------------------------------------------------------------------------------
// The parent: owns one end of the pair, starts the child with the other end.
// ------------------------------------------------------------------------------------------------
// Parent and Child derive from QObject (no Q_OBJECT needed: they only receive signals, through
// lambdas) so that they can be the context of their connections and own their sockets: when one is
// destroyed, its connections go before its sockets, and no lambda runs on a half-destroyed object.
class Parent : public QObject
{
public:
    int run()
    {
        // createPair() is socketpair(AF_UNIX, SOCK_SEQPACKET): two sockets already connected to
        // each other, no name in the filesystem or in the abstract namespace needed.
        const std::pair<QSeqpacketSocket *, QSeqpacketSocket *> pair =
                QSeqpacketSocket::createPair(this);
        m_socket = pair.first;
        QSeqpacketSocket *childEnd = pair.second;
        if (m_socket->state() != QSeqpacketSocket::ConnectedState) {
            say(QStringLiteral("parent: cannot create a socket pair: %1").arg(m_socket->errorString()));
            return 1;
        }

        // Ask the kernel to attach the sender's pid/uid/gid to every packet we receive. Set it
        // before the child can send anything, so that even its first packet carries them.
        m_socket->setPerPacketCredentials(true);

        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] { readPackets(); });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] {
            say(QStringLiteral("parent: disconnected"));
            m_disconnected = true;
            finishIfDone();
        });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this] {
            say(QStringLiteral("parent: socket error: %1").arg(m_socket->errorString()));
        });

        // The child's end leaves this process as a plain descriptor number. Every descriptor the
        // library makes is close-on-exec, so that helper processes do not inherit sockets by
        // accident; here we want the child to inherit this one, so we arrange it on purpose.
        const int childFd = childEnd->releaseSocketDescriptor();
        delete childEnd;

        m_child->setProgram(QCoreApplication::applicationFilePath());
        m_child->setArguments({ QStringLiteral("--child"), QString::number(childFd) });
        // The child prints to our stdout/stderr directly.
        m_child->setProcessChannelMode(QProcess::ForwardedChannels);
        // Runs in the child between fork() and exec(): clear FD_CLOEXEC on the child's end so that
        // it survives exec(). Only async-signal-safe calls are allowed here; fcntl() is one. The
        // flag is per process, so the parent's copy stays close-on-exec.
        m_child->setChildProcessModifier([childFd] { ::fcntl(childFd, F_SETFD, 0); });
        connect(m_child, &QProcess::finished, this,
                         [this](int exitCode, QProcess::ExitStatus status) {
                             m_childExitCode = status == QProcess::NormalExit ? exitCode : -1;
                             say(QStringLiteral("parent: child exited with code %1").arg(m_childExitCode));
                             m_childFinished = true;
                             finishIfDone();
                         });
        connect(m_child, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
            if (error == QProcess::FailedToStart) {
                say(QStringLiteral("parent: cannot start the child: %1").arg(m_child->errorString()));
                QCoreApplication::exit(1);
            }
        });

        say(QStringLiteral("parent: pid %1, starting the child with descriptor %2")
                    .arg(::getpid())
                    .arg(childFd));
        m_child->start();

        // The child has its own copy now. Close ours: while the parent held the child's end open,
        // the connection could never end, and we would not see disconnected() if the child died.
        ::close(childFd);

        // SO_PEERCRED of a socket pair names the process that called socketpair(), for both ends:
        // here that is the parent itself. The per-packet credentials above name the real sender.
        say(QStringLiteral("parent: peer credentials (of whoever created the pair, i.e. us): %1")
                    .arg(describe(m_socket->peerCredentials())));
        return -1; // keep running
    }

private:
    void readPackets()
    {
        // Read everything that waits. packetReady() is emitted again only when new packets arrive.
        while (m_socket->hasPendingPackets()) {
            const QSeqpacketPacket packet = m_socket->receivePacket();
            ++m_received;
            say(QStringLiteral("parent: ") + describe(packet, m_received));
            handle(packet);
        }
    }

    void handle(const QSeqpacketPacket &packet)
    {
        switch (m_received) {
        case 1: // the child's hello: it is ready, send it our three packets
            sendPackets();
            break;
        case 2:
            m_ok = m_ok && packet.data() == "got your text";
            break;
        case 3: // the child answered our empty packet with one of its own
            m_ok = m_ok && packet.isValid() && packet.data().isEmpty();
            break;
        case 4: // the child read the memfd through the descriptor we sent
            m_ok = m_ok && packet.data() == "the file says: " + FileContent;
            say(QStringLiteral("parent: the child read the file %1")
                        .arg(m_ok ? QStringLiteral("correctly") : QStringLiteral("WRONG")));
            // All done. disconnectFromServer() first writes anything still queued, then closes;
            // the child sees disconnected() and exits.
            m_socket->disconnectFromServer();
            break;
        default:
            m_ok = false;
            break;
        }
    }

    void sendPackets()
    {
        // 1: text. One sendPacket() is one packet on the wire: the child receives exactly these
        // bytes in one piece, never merged with the next packet or split.
        m_socket->sendPacket("hello from the parent");

        // 2: nothing at all. A zero-length packet is still a packet (QLocalSocket could not tell
        // it apart from "no data"); the end of the connection is disconnected(), not this.
        m_socket->sendPacket(QByteArrayView());

        // 3: a file descriptor. memfd_create() makes an anonymous file in memory; the child gets
        // its own descriptor for the same open file (SCM_RIGHTS), not a copy of the content.
        const int memfd = ::memfd_create("qseqpacket-demo", MFD_CLOEXEC);
        if (memfd < 0 || ::write(memfd, FileContent.constData(), FileContent.size()) != FileContent.size()) {
            say(QStringLiteral("parent: cannot create the memfd"));
            m_ok = false;
        }
        // adopt(): the QSeqpacketFileDescriptor owns it now and closes it when its last copy goes.
        // sendPacket() does not take the descriptor away from us: the kernel passes a duplicate.
        const QSeqpacketFileDescriptor file = QSeqpacketFileDescriptor::adopt(memfd);
        if (!m_socket->sendPacket("here is a file for you", { file })) {
            say(QStringLiteral("parent: cannot send the file: %1").arg(m_socket->errorString()));
            m_ok = false;
        }
        say(QStringLiteral("parent: sent 3 packets (text, empty, memfd descriptor %1)").arg(memfd));
    } // `file` goes out of scope: our descriptor is closed, the child's stays open

    void finishIfDone()
    {
        if (!m_disconnected || !m_childFinished)
            return;
        const bool success = m_ok && m_received == 4 && m_childExitCode == 0;
        say(success ? QStringLiteral("parent: exchange complete, exiting")
                    : QStringLiteral("parent: the exchange FAILED"));
        QCoreApplication::exit(success ? 0 : 1);
    }

    QSeqpacketSocket *m_socket = nullptr;
    QProcess *m_child = new QProcess(this);
    int m_received = 0;
    int m_childExitCode = -1;
    bool m_ok = true;
    bool m_disconnected = false;
    bool m_childFinished = false;
};

// ------------------------------------------------------------------------------------------------
// The child: adopts the inherited descriptor and answers the parent.
// ------------------------------------------------------------------------------------------------
class Child : public QObject
{
public:
    int run(int fd)
    {
        m_socket = new QSeqpacketSocket(this);
        // setSocketDescriptor() checks that fd is a connected SOCK_SEQPACKET socket, and makes it
        // non-blocking and close-on-exec again.
        if (!m_socket->setSocketDescriptor(fd)) {
            say(QStringLiteral("child: descriptor %1 is not usable: %2").arg(fd).arg(m_socket->errorString()));
            return 1;
        }
        m_socket->setPerPacketCredentials(true);

        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] { readPackets(); });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] {
            // The parent closed its end: every packet it sent before has been read already.
            say(QStringLiteral("child: the parent closed the connection after %1 packets, exiting")
                        .arg(m_received));
            QCoreApplication::exit(m_received == 3 && m_ok ? 0 : 1);
        });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this] {
            say(QStringLiteral("child: socket error: %1").arg(m_socket->errorString()));
        });

        say(QStringLiteral("child: pid %1, adopted descriptor %2; peer credentials: %3")
                    .arg(::getpid())
                    .arg(fd)
                    .arg(describe(m_socket->peerCredentials())));
        m_socket->sendPacket("hello");
        return -1; // keep running
    }

private:
    void readPackets()
    {
        while (m_socket->hasPendingPackets()) {
            const QSeqpacketPacket packet = m_socket->receivePacket();
            ++m_received;
            say(QStringLiteral("child: ") + describe(packet, m_received));

            if (!packet.fileDescriptors().isEmpty()) {
                // The descriptor belongs to the packet and is closed with it; read it while the
                // packet is alive (or duplicate()/release() it to keep it longer).
                const QSeqpacketFileDescriptor file = packet.fileDescriptors().constFirst();
                // /proc shows what the descriptor refers to: the parent's memfd, by its name.
                const QString target = QFile::symLinkTarget(
                        QStringLiteral("/proc/self/fd/%1").arg(file.descriptor()));
                const QByteArray content = readFile(file);
                say(QStringLiteral("child: descriptor %1 is %2; read %3 bytes through it: \"%4\"")
                            .arg(file.descriptor())
                            .arg(target)
                            .arg(content.size())
                            .arg(QString::fromUtf8(content).trimmed()));
                m_socket->sendPacket("the file says: " + content);
            } else if (packet.data().isEmpty()) {
                m_socket->sendPacket(QByteArrayView()); // answer an empty packet with one
            } else {
                m_socket->sendPacket("got your text");
            }
        }
    }

    QByteArray readFile(const QSeqpacketFileDescriptor &file)
    {
        // The received descriptor shares the file offset with the parent's (it is the same open
        // file), and the parent's write() left it at the end. pread() reads from offset 0 without
        // moving it.
        struct stat info {};
        if (::fstat(file.descriptor(), &info) != 0) {
            m_ok = false;
            return {};
        }
        QByteArray content(qsizetype(info.st_size), Qt::Uninitialized);
        const ssize_t n = ::pread(file.descriptor(), content.data(), content.size(), 0);
        if (n < 0) {
            m_ok = false;
            return {};
        }
        content.truncate(n);
        return content;
    }

    QSeqpacketSocket *m_socket = nullptr;
    int m_received = 0;
    bool m_ok = true;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);

    const QStringList args = app.arguments();
    const bool isChild = args.size() == 3 && args.at(1) == QLatin1String("--child");

    QTimer::singleShot(TimeoutMsecs, &app, [isChild] {
        say(QStringLiteral("%1: timed out").arg(isChild ? QStringLiteral("child") : QStringLiteral("parent")));
        QCoreApplication::exit(1);
    });

    Parent parent;
    Child child;
    int result;
    if (isChild) {
        bool ok = false;
        const int fd = args.at(2).toInt(&ok);
        result = ok ? child.run(fd) : 1;
    } else if (args.size() == 1) {
        result = parent.run();
    } else {
        say(QStringLiteral("usage: %1").arg(args.at(0)));
        result = 2;
    }
    if (result >= 0)
        return result;
    return app.exec();
}
