// SPDX-License-Identifier: MIT
//
// echo-server: sends every packet it receives back to its sender, file descriptors included.
//
//   echo-server ADDRESS
//
// ADDRESS is a filesystem path (/run/user/1000/echo.sock, ./echo.sock) or, starting with "@", a
// Linux abstract name (@echo) that lives in no filesystem and vanishes with the socket. Stop the
// server with Ctrl+C (SIGINT) or SIGTERM: it closes cleanly and removes its socket file.
//
// What it shows:
//   - listening on a path or an abstract name given as text (QSeqpacketAddress::fromString),
//   - a stale socket file left by a server that died is removed before listening, safely,
//   - each connection handled by the event loop, with backpressure: the server stops reading from
//     a client that does not read its echoes, instead of queueing echoes without end,
//   - SIGINT/SIGTERM turned into an ordinary event (self-pipe + QSocketNotifier).

#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QCoreApplication>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <functional>

#include <fcntl.h>   // O_CLOEXEC, O_NONBLOCK
#include <unistd.h>  // pipe2, read, write, getpid

namespace {

void say(const QString &line)
{
    // One write per line, flushed at once: the lines appear in order even when stdout is a pipe
    // or a file (a test script waits for the "listening on" line).
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

QString count(qsizetype n, const char *noun)
{
    return QStringLiteral("%1 %2%3").arg(n).arg(QLatin1String(noun)).arg(n == 1 ? "" : "s");
}

// ------------------------------------------------------------------------------------------------
// SIGINT and SIGTERM as events
// ------------------------------------------------------------------------------------------------
// A signal handler interrupts the program between any two instructions, possibly inside malloc()
// or inside Qt. It may only call async-signal-safe functions: no Qt, no memory allocation, no
// printf. So the handler only writes the signal number into a pipe; a QSocketNotifier on the
// other end of the pipe wakes the event loop, and the real work happens there, where it is safe.
//
// (signalfd() would do without a handler, but it needs the signals blocked in every thread, and
// a blocked signal stays blocked in the programs this process starts. The self-pipe has neither
// catch.)
int signalPipe[2] = { -1, -1 };

extern "C" void writeSignalToPipe(int signalNumber)
{
    const int savedErrno = errno; // the interrupted code may be about to look at errno
    const char byte = char(signalNumber);
    // The write end is non-blocking: should the pipe ever be full, the handler must not hang.
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
    errno = savedErrno;
}

// Calls `handler` from the event loop (in the thread that calls this) when SIGINT or SIGTERM arrives.
bool onQuitSignal(QObject *context, std::function<void(int signalNumber)> handler)
{
    if (::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) == -1)
        return false;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [handler] {
        char byte = 0;
        int last = 0;
        while (::read(signalPipe[0], &byte, 1) == 1) // several signals may have come at once
            last = byte;
        if (last != 0)
            handler(last);
    });

    struct sigaction action {};
    action.sa_handler = writeSignalToPipe;
    sigemptyset(&action.sa_mask);
    // System calls the signal interrupts are restarted instead of failing with EINTR.
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

// ------------------------------------------------------------------------------------------------
// One client connection
// ------------------------------------------------------------------------------------------------
// A Session owns its socket: when the session goes, its connections go first, then the socket.
// (No Q_OBJECT needed: it only receives signals, through lambdas.)
class Session : public QObject
{
public:
    Session(QSeqpacketSocket *socket, int number, QObject *parent)
        : QObject(parent), m_socket(socket), m_number(number)
    {
        m_socket->setParent(this);

        // The peer's credentials come from the kernel (SO_PEERCRED), as they were when it
        // called connect(): the peer cannot lie about them.
        const QSeqpacketCredentials peer = m_socket->peerCredentials();
        say(QStringLiteral("client %1 connected: pid %2, uid %3, gid %4")
                    .arg(m_number)
                    .arg(peer.processId())
                    .arg(peer.userId())
                    .arg(peer.groupId()));

        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] { echoPackets(); });
        // Echoes reached the kernel: there is room in the send queue again, read what we left.
        connect(m_socket, &QSeqpacketSocket::packetsWritten, this, [this] { echoPackets(); });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this] {
            say(QStringLiteral("client %1: %2").arg(m_number).arg(m_socket->errorString()));
        });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] {
            say(QStringLiteral("client %1 disconnected after %2").arg(m_number).arg(count(m_echoed, "packet")));
            // Not `delete this`: we are inside one of the socket's signals.
            deleteLater();
        });

        // Packets may have arrived before we connected to packetReady(): the socket emitted it
        // while nobody listened, and it is emitted again only when new packets arrive. Read now.
        echoPackets();
    }

private:
    // Echoes flow back as fast as the client reads them. A client that sends and never reads would
    // make our send queue grow without end, so stop reading from it while the queue holds more than
    // this; the kernel then holds the client's packets, and in the end makes the client wait.
    static constexpr qint64 MaxQueuedBytes = 1024 * 1024;

    void echoPackets()
    {
        while (m_socket->bytesToWrite() < MaxQueuedBytes && m_socket->hasPendingPackets()) {
            // The whole packet: its bytes and the descriptors that came with it. A packet is
            // never merged with the next one nor split, so what goes back is exactly one echo.
            const QSeqpacketPacket packet = m_socket->receivePacket();
            ++m_echoed;
            say(QStringLiteral("client %1: echoing %2, %3")
                        .arg(m_number)
                        .arg(count(packet.data().size(), "byte"))
                        .arg(count(packet.fileDescriptors().size(), "descriptor")));
            // sendPacket() never blocks: what the kernel cannot take now waits in the send queue.
            // The packet's descriptors travel back (the kernel gives the client new ones for the
            // same open files); ours are closed when `packet` goes out of scope.
            if (!m_socket->sendPacket(packet)) {
                say(QStringLiteral("client %1: cannot echo: %2").arg(m_number).arg(m_socket->errorString()));
                m_socket->abort(); // emits disconnected(): the session goes
                return;
            }
        }
    }

    QSeqpacketSocket *m_socket;
    const int m_number;
    int m_echoed = 0;
};

// ------------------------------------------------------------------------------------------------
// The server
// ------------------------------------------------------------------------------------------------
class EchoServer : public QObject
{
public:
    bool listen(const QSeqpacketAddress &address)
    {
        if (address.kind() == QSeqpacketAddress::Path) {
            // A server that crashed or was killed (SIGKILL, power loss) had no chance to remove
            // its socket file; the file stays, and bind() on it fails with EADDRINUSE although
            // nobody listens. removeServer() removes such a stale file, and only that: it checks
            // that no server answers on it first, so starting a second copy of this program does
            // not steal the address of a live one (listen() below then fails with
            // AddressInUseError), and it leaves alone a path that is not a socket. (Checking
            // means connecting: a live server sees a connection that ends at once.)
            // An abstract name needs none of this: it disappears with the last socket bound to it.
            QSeqpacketServer::removeServer(address.path());
        }
        connect(m_server, &QSeqpacketServer::newConnection, this, [this] { acceptConnections(); });
        connect(m_server, &QSeqpacketServer::acceptError, this, [this] {
            // For example out of descriptors (EMFILE): the server keeps listening and retries.
            say(QStringLiteral("accept failed: %1").arg(m_server->errorString()));
        });
        if (!m_server->listen(address)) {
            say(QStringLiteral("cannot listen on %1: %2").arg(address.toString(), m_server->errorString()));
            return false;
        }
        say(QStringLiteral("echo-server: listening on %1 (pid %2); Ctrl+C stops it")
                    .arg(m_server->serverAddress().toString())
                    .arg(::getpid()));
        return true;
    }

    void stop(int signalNumber)
    {
        say(QStringLiteral("caught %1, closing").arg(signalNumber == SIGINT ? "SIGINT" : "SIGTERM"));
        // close() stops listening and removes the socket file this server made (and no other:
        // not one that another server has put at the same path since).
        m_server->close();
        QCoreApplication::quit(); // the sessions, our children, close their connections as they go
    }

private:
    void acceptConnections()
    {
        // One newConnection() may stand for several connections: take them all.
        while (QSeqpacketSocket *socket = m_server->nextPendingConnection())
            new Session(socket, ++m_connections, this);
    }

    QSeqpacketServer *m_server = new QSeqpacketServer(this);
    int m_connections = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 2 || args.at(1).startsWith(QLatin1String("-"))) {
        std::fprintf(stderr, "usage: echo-server ADDRESS   (a path, or @name for an abstract name)\n");
        return 2;
    }

    // "@name" is an abstract name, anything else a path ("./@x" is the file @x).
    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.at(1));
    if (!address.isValid()) {
        // For example a path longer than sockaddr_un can hold (108 bytes): says so.
        std::fprintf(stderr, "echo-server: %s\n", qPrintable(address.errorString()));
        return 2;
    }

    EchoServer server;
    if (!onQuitSignal(&server, [&server](int signalNumber) { server.stop(signalNumber); })) {
        std::perror("echo-server: cannot handle SIGINT/SIGTERM");
        return 1;
    }
    if (!server.listen(address))
        return 1;
    return app.exec();
}
