// SPDX-License-Identifier: MIT
//
// The helper process of the server tests (tst_server_*). Client modes use plain syscalls (no
// QSeqpacket), so the server is tested against an independent client; server modes run a
// QSeqpacketServer in a process of their own (a server that gets killed, socket activation,
// descriptor exhaustion).
//
//   noop                                   exit 0 at once (warms up QProcess in the tests)
//   echo <address> <connections> <rounds> <maxsize> [wait]
//                                          open <connections> connections to <address>, print
//                                          "connected <pid> <uid> <gid>"; with "wait", wait for a
//                                          line on stdin; then <rounds> times send one packet on
//                                          every connection and read every echo back, checking
//                                          each is the packet sent, intact; close everything,
//                                          print "ok <connections> <packets>" and exit 0
//   expectclosed <address>                 connect, print "connected", send nothing and wait for
//                                          the server to close the connection: print "closed" and
//                                          exit 0 (exit 3 when a packet arrives instead)
//   listen <address>                       QSeqpacketServer::listen(), print "listening", echo
//                                          every packet on every connection until stdin closes
//   activated [name]                       QSeqpacketServer::listenActivated(name): on failure
//                                          print "error <code> <message>" and exit 3; else print
//                                          "listening <address> <fd> cloexec=<0|1> nonblocking=<0|1>"
//                                          and echo until stdin closes
//   activatedwith <name|-> <self|other|none> <keep|unset>
//                                          as "activated", after setting LISTEN_PIDFDID to this
//                                          process's pidfd inode (self), to another value (other)
//                                          or leaving it alone (none), with
//                                          QSeqpacketServer::UnsetEnvironmentOption for "unset";
//                                          the "listening" line ends with " env=<LISTEN_* left>
//                                          othercloexec=<0|1>" (the descriptors not taken)
//   emfile <address> <clients>             listen, then lower RLIMIT_NOFILE and fill every free
//                                          descriptor so that accept() fails with EMFILE, print
//                                          "full"; once acceptError() came, watch the process's
//                                          CPU time for a while (then print "window ..."), free
//                                          the descriptors, accept <clients> clients and echo
//                                          their packets; when they have all disconnected print a
//                                          "result ..." line and exit 0
//   emfilewait <address> <clients>         the same with no event loop at all: after "full" and
//                                          a line on stdin, waitForNewConnection() while out of
//                                          descriptors, then free them, accept and echo with
//                                          waitForNewConnection(); print a "result ..." line
//
// <address> is "@name" for an abstract name, anything else is a path. Every wait is bounded; an
// alarm ends a stuck helper.

#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"

using TestUtil::cpuTimeMs;

namespace {

constexpr int WaitMs = 30000;

void say(const QByteArray &line)
{
    const QByteArray text = line + '\n';
    qsizetype done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, text.constData() + done, size_t(text.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        done += n;
    }
}

int fail(const QByteArray &what)
{
    std::fprintf(stderr, "server-test-client: %s (errno %d: %s)\n", what.constData(), errno, std::strerror(errno));
    return 2;
}

// Connection c, round r: a header naming both, then bytes that depend on both, of a size that
// varies from packet to packet.
QByteArray payloadFor(int connection, int round, int maxSize)
{
    QByteArray data = "c=" + QByteArray::number(connection).rightJustified(4, '0') + " r="
            + QByteArray::number(round).rightJustified(6, '0') + ';';
    const int size = qMax(int(data.size()), (connection * 131 + round * 977) % qMax(maxSize, 1));
    data.reserve(size);
    for (int i = int(data.size()); i < size; ++i)
        data.append(char((connection * 7 + round * 13 + i) & 0xff));
    return data;
}

bool waitForStdinLine()
{
    if (TestUtil::pollFor(STDIN_FILENO, POLLIN, WaitMs) != 1)
        return false;
    char buffer[64];
    return ::read(STDIN_FILENO, buffer, sizeof buffer) > 0;
}

int runEcho(const QByteArray &address, int connections, int rounds, int maxSize, bool wait)
{
    std::vector<TestUtil::UniqueFd> sockets;
    for (int i = 0; i < connections; ++i) {
        const int fd = TestUtil::rawConnect(address);
        if (fd < 0)
            return fail("connect " + address + " #" + QByteArray::number(i));
        sockets.emplace_back(fd);
    }
    say("connected " + QByteArray::number(::getpid()) + ' ' + QByteArray::number(::geteuid()) + ' '
        + QByteArray::number(::getegid()));
    if (wait && !waitForStdinLine())
        return fail("no go on stdin");
    int packets = 0;
    for (int round = 0; round < rounds; ++round) {
        for (int c = 0; c < connections; ++c) {
            if (!TestUtil::rawSend(sockets[size_t(c)].get(), payloadFor(c, round, maxSize)))
                return fail("send on connection " + QByteArray::number(c));
        }
        for (int c = 0; c < connections; ++c) {
            TestUtil::RawPacket echo = TestUtil::rawReceive(sockets[size_t(c)].get(), WaitMs);
            echo.closeFds();
            if (!echo.ok)
                return fail("no echo on connection " + QByteArray::number(c) + " round " + QByteArray::number(round)
                            + (echo.eof ? " (closed)" : echo.timedOut ? " (timed out)" : ""));
            if (echo.flags & MSG_TRUNC)
                return fail("truncated echo");
            if (echo.data != payloadFor(c, round, maxSize))
                return fail("wrong echo on connection " + QByteArray::number(c) + " round " + QByteArray::number(round)
                            + ": " + echo.data.left(20));
            ++packets;
        }
    }
    sockets.clear();
    say("ok " + QByteArray::number(connections) + ' ' + QByteArray::number(packets));
    return 0;
}

int runExpectClosed(const QByteArray &address)
{
    TestUtil::UniqueFd socket(TestUtil::rawConnect(address));
    if (!socket.isValid())
        return fail("connect " + address);
    say("connected");
    TestUtil::RawPacket packet = TestUtil::rawReceive(socket.get(), WaitMs);
    packet.closeFds();
    if (packet.eof) {
        say("closed");
        return 0;
    }
    if (packet.ok) {
        say("data");
        return 3;
    }
    return fail(packet.timedOut ? "the server did not close the connection" : "recvmsg");
}

// Echoes every packet of every connection \a server accepts.
void echoConnections(QSeqpacketServer *server, int *accepted = nullptr, int *echoed = nullptr, int *finished = nullptr)
{
    QObject::connect(server, &QSeqpacketServer::newConnection, server, [=] {
        while (QSeqpacketSocket *socket = server->nextPendingConnection()) {
            if (accepted)
                ++*accepted;
            QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, [=] {
                while (socket->hasPendingPackets()) {
                    socket->sendPacket(socket->receivePacket());
                    if (echoed)
                        ++*echoed;
                }
            });
            QObject::connect(socket, &QSeqpacketSocket::disconnected, socket, [=] {
                if (finished)
                    ++*finished;
                socket->deleteLater();
            });
        }
    });
}

// Quits the application when stdin reaches end-of-file.
void quitOnStdinClosed(QCoreApplication *app)
{
    auto *notifier = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, app);
    QObject::connect(notifier, &QSocketNotifier::activated, app, [notifier] {
        char buffer[256];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
            notifier->setEnabled(false);
            QCoreApplication::quit();
        }
    });
}

int runListen(int argc, char **argv, const QByteArray &address)
{
    QCoreApplication app(argc, argv);
    QSeqpacketServer server;
    if (!server.listen(QString::fromLocal8Bit(address))) {
        say("error " + QByteArray::number(int(server.serverError())) + ' ' + server.errorString().toUtf8());
        return 3;
    }
    echoConnections(&server);
    quitOnStdinClosed(&app);
    say("listening");
    return app.exec();
}

// The inode of a pidfd of this process: what systemd puts in LISTEN_PIDFDID; -1 without pidfds.
qint64 ownPidfdInode()
{
    const int pidfd = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
    struct stat info;
    const bool ok = pidfd >= 0 && ::fstat(pidfd, &info) == 0;
    if (pidfd >= 0)
        ::close(pidfd);
    return ok ? qint64(info.st_ino) : -1;
}

int runActivated(int argc, char **argv, const QString &name, const QByteArray &pidfdId = "none",
                 bool unset = false)
{
    QCoreApplication app(argc, argv);
    if (pidfdId != "none") {
        const qint64 own = ownPidfdInode();
        const qint64 value = pidfdId == "self" ? own : own + 1000;
        qputenv("LISTEN_PIDFDID", QByteArray::number(value));
    }
    const int handedOver = qEnvironmentVariableIntValue("LISTEN_FDS"); // before it may be unset
    QSeqpacketServer server;
    const QSeqpacketServer::ActivationOptions options =
            unset ? QSeqpacketServer::UnsetEnvironmentOption : QSeqpacketServer::NoActivationOptions;
    if (!server.listenActivated(name, options)) {
        say("error " + QByteArray::number(int(server.serverError())) + ' ' + server.errorString().toUtf8());
        return 3;
    }
    echoConnections(&server);
    quitOnStdinClosed(&app);
    const int fd = server.socketDescriptor();
    QByteArray line = "listening " + server.serverAddress().toString().toUtf8() + ' ' + QByteArray::number(fd)
            + " cloexec=" + QByteArray::number(TestUtil::hasCloexec(fd) ? 1 : 0) + " nonblocking="
            + QByteArray::number(TestUtil::isNonBlocking(fd) ? 1 : 0);
    if (pidfdId != "none" || unset) {
        int left = 0;
        for (const char *variable : { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID" })
            left += qEnvironmentVariableIsSet(variable) ? 1 : 0;
        bool othersCloexec = true;
        for (int other = 3; other < 3 + handedOver; ++other) {
            if (other != fd && !TestUtil::hasCloexec(other))
                othersCloexec = false;
        }
        line += " env=" + QByteArray::number(left) + " othercloexec=" + QByteArray::number(othersCloexec ? 1 : 0);
    }
    say(line);
    return app.exec();
}

// Lowers RLIMIT_NOFILE to leave a few descriptors, then takes them all (into \a spare): from
// now on accept() fails with EMFILE. \a original is the limit to give back.
bool exhaustDescriptors(std::vector<int> *spare, rlimit *original)
{
    ::getrlimit(RLIMIT_NOFILE, original);
    int highest = 0;
    for (int fd : TestUtil::openFds().keys())
        highest = qMax(highest, fd);
    rlimit lowered = *original;
    lowered.rlim_cur = rlim_t(highest + 1 + 8);
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0)
        return false;
    for (;;) {
        const int fd = ::dup(STDERR_FILENO);
        if (fd < 0)
            return errno == EMFILE;
        spare->push_back(fd);
    }
}

void freeDescriptors(std::vector<int> *spare, const rlimit &original)
{
    for (int fd : *spare)
        ::close(fd);
    spare->clear();
    ::setrlimit(RLIMIT_NOFILE, &original);
}

// Descriptor exhaustion with no event loop at all (no QCoreApplication): waitForNewConnection().
int runEmfileWait(const QByteArray &address, int clients)
{
    QSeqpacketServer server;
    if (!server.listen(QString::fromLocal8Bit(address)))
        return fail("listen: " + server.errorString().toUtf8());
    int acceptErrors = 0;
    QSeqpacketSocket::SocketError firstError = QSeqpacketSocket::NoError;
    QObject::connect(&server, &QSeqpacketServer::acceptError, [&](QSeqpacketSocket::SocketError error) {
        if (acceptErrors++ == 0)
            firstError = error;
    });
    std::vector<int> spare;
    rlimit original;
    if (!exhaustDescriptors(&spare, &original))
        return fail("could not exhaust the descriptors");
    say("full " + QByteArray::number(qsizetype(spare.size())));
    if (!waitForStdinLine()) // the clients have connected
        return fail("no go on stdin");

    bool timedOut = false;
    const qint64 cpuBefore = cpuTimeMs();
    const bool gotOne = server.waitForNewConnection(1000, &timedOut);
    const qint64 cpuUsed = cpuTimeMs() - cpuBefore;
    const bool stillListening = server.isListening();
    const QByteArray message = server.errorString().toUtf8();
    const int errorsWhileExhausted = acceptErrors;
    freeDescriptors(&spare, original);

    // Descriptors are free again: the waiting clients are accepted and echoed.
    int accepted = 0;
    int echoed = 0;
    QByteArray problem = "none";
    const QDeadlineTimer deadline(WaitMs);
    while (accepted < clients && !deadline.hasExpired()) {
        bool waitTimedOut = false;
        if (!server.waitForNewConnection(int(qMax<qint64>(deadline.remainingTime(), 1)), &waitTimedOut)) {
            problem = waitTimedOut ? QByteArray("timed-out") : "error:" + server.errorString().toUtf8().replace(' ', '_');
            break;
        }
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            ++accepted;
            if (socket->waitForPacket(WaitMs) && socket->sendPacket(socket->receivePacket().data())
                && socket->waitForPacketsWritten(WaitMs))
                ++echoed;
            delete socket;
        }
    }
    say("result got=" + QByteArray::number(gotOne ? 1 : 0) + " errors=" + QByteArray::number(errorsWhileExhausted)
        + " code=" + QByteArray::number(int(firstError)) + " listening=" + QByteArray::number(stillListening ? 1 : 0)
        + " cpu_ms=" + QByteArray::number(cpuUsed) + " accepted=" + QByteArray::number(accepted)
        + " echoed=" + QByteArray::number(echoed) + " problem=" + problem + " message=" + message);
    return 0;
}

int runEmfile(int argc, char **argv, const QByteArray &address, int clients)
{
    QCoreApplication app(argc, argv);
    QSeqpacketServer server;
    if (!server.listen(QString::fromLocal8Bit(address)))
        return fail("listen: " + server.errorString().toUtf8());

    int accepted = 0;
    int echoed = 0;
    int finished = 0;
    echoConnections(&server, &accepted, &echoed, &finished);

    int acceptErrors = 0;
    int errorsWhileExhausted = 0;
    QSeqpacketSocket::SocketError firstError = QSeqpacketSocket::NoError;
    QByteArray firstMessage;
    bool exhausted = true;
    bool stillListening = false;
    qint64 cpuBefore = 0;
    qint64 cpuUsed = -1;
    qint64 windowMs = 0;
    QElapsedTimer window;
    std::vector<int> spare;
    rlimit original;

    const auto report = [&] {
        say("result errors=" + QByteArray::number(errorsWhileExhausted) + " code=" + QByteArray::number(int(firstError))
            + " listening=" + QByteArray::number(stillListening ? 1 : 0) + " cpu_ms=" + QByteArray::number(cpuUsed)
            + " window_ms=" + QByteArray::number(windowMs) + " accepted=" + QByteArray::number(accepted)
            + " echoed=" + QByteArray::number(echoed) + " message=" + firstMessage);
    };

    QObject::connect(&server, &QSeqpacketServer::acceptError, &app, [&](QSeqpacketSocket::SocketError error) {
        ++acceptErrors;
        if (!exhausted)
            return;
        ++errorsWhileExhausted;
        if (errorsWhileExhausted > 1)
            return;
        firstError = error;
        firstMessage = server.errorString().toUtf8();
        // The clients wait in the backlog and accept() keeps failing: measure what that costs.
        cpuBefore = cpuTimeMs();
        window.start();
        QTimer::singleShot(1500, &app, [&] {
            cpuUsed = cpuTimeMs() - cpuBefore;
            windowMs = window.elapsed();
            stillListening = server.isListening();
            exhausted = false;
            say("window errors=" + QByteArray::number(errorsWhileExhausted) + " cpu_ms=" + QByteArray::number(cpuUsed)
                + " listening=" + QByteArray::number(stillListening ? 1 : 0));
            freeDescriptors(&spare, original);
        });
    });
    QObject::connect(&server, &QSeqpacketServer::newConnection, &app, [&] {
        if (exhausted) {
            say("accepted while out of descriptors");
            app.exit(4);
        }
    });
    // Done when every client has been accepted, echoed and has gone.
    auto *poll = new QTimer(&app);
    QObject::connect(poll, &QTimer::timeout, &app, [&] {
        if (!exhausted && accepted >= clients && finished >= clients)
            app.exit(0);
    });
    poll->start(20);
    QTimer::singleShot(WaitMs, &app, [&] {
        say("timed out");
        app.exit(5);
    });

    if (!exhaustDescriptors(&spare, &original))
        return fail("could not exhaust the descriptors");
    say("full " + QByteArray::number(qsizetype(spare.size())));

    const int status = app.exec();
    report();
    return status;
}

} // namespace

int main(int argc, char **argv)
{
    ::signal(SIGPIPE, SIG_IGN);
    ::alarm(90); // never outlive a broken test

    const QByteArray mode = argc >= 2 ? QByteArray(argv[1]) : QByteArray();
    if (mode == "noop")
        return 0;
    if (mode == "echo" && argc >= 6)
        return runEcho(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]),
                       argc >= 7 && QByteArray(argv[6]) == "wait");
    if (mode == "expectclosed" && argc >= 3)
        return runExpectClosed(argv[2]);
    if (mode == "listen" && argc >= 3)
        return runListen(argc, argv, argv[2]);
    if (mode == "activated")
        return runActivated(argc, argv, argc >= 3 ? QString::fromLocal8Bit(argv[2]) : QString());
    if (mode == "activatedwith" && argc >= 5)
        return runActivated(argc, argv, QByteArray(argv[2]) == "-" ? QString() : QString::fromLocal8Bit(argv[2]),
                            argv[3], QByteArray(argv[4]) == "unset");
    if (mode == "emfilewait" && argc >= 4)
        return runEmfileWait(argv[2], std::atoi(argv[3]));
    if (mode == "emfile" && argc >= 4)
        return runEmfile(argc, argv, argv[2], std::atoi(argv[3]));
    std::fprintf(stderr, "usage: %s noop | echo <address> <connections> <rounds> <maxsize> [wait] | "
                         "expectclosed <address> | listen <address> | activated [name] | emfile[wait] <address> <clients>\n",
                 argv[0]);
    return 1;
}
