// SPDX-License-Identifier: MIT
// The peer processes of the benchmark: `qseqpacket-bench --peer MODE ARGS...`, started by the
// driver with the data socket as descriptor 3 and a control socket as descriptor 4. Each says
// 'R' (ready) on the control socket first; senders then wait for 'G' (go).
#include "channel.h"
#include "common.h"

#include <QSeqpacketSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qsocketnotifier.h>
#include <QtNetwork/qlocalsocket.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>
#include <algorithm>
#include <vector>

namespace bench {
namespace {

long argNumber(int argc, char **argv, int index)
{
    if (index >= argc)
        fail(std::string("peer ") + argv[0] + ": missing argument " + std::to_string(index));
    return std::strtol(argv[index], nullptr, 10);
}

std::vector<char> pattern(size_t size)
{
    std::vector<char> data(size ? size : 1);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = char('a' + i % 26);
    return data;
}

void writeAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            fail("write", errno);
        }
        data += n;
        size -= size_t(n);
    }
}

// mmsg-send SIZE COUNT: saturates the socket with sendmmsg, then closes.
int mmsgSend(int argc, char **argv)
{
    const size_t size = size_t(argNumber(argc, argv, 1));
    const long count = argNumber(argc, argv, 2);
    const std::vector<char> data = pattern(size);
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    sendmmsgAll(PeerDataFd, data.data(), size, count);
    ::close(PeerDataFd);
    return 0;
}

// contract-send SIZE COUNT: the sending half of the sweep's contract floor. A non-blocking send()
// per packet, as QSeqpacketSocket::sendPacket() hands each packet to the kernel at once; where the
// kernel is full, a QSocketNotifier says when to go on. Closes when all are sent.
int contractSend(int argc, char **argv)
{
    const size_t size = size_t(argNumber(argc, argv, 1));
    const long count = argNumber(argc, argv, 2);
    QCoreApplication app(argc, argv);
    const std::vector<char> data = pattern(size);
    setNonBlocking(PeerDataFd, true);
    QSocketNotifier writable(PeerDataFd, QSocketNotifier::Write);
    writable.setEnabled(false);
    long sent = 0;
    auto pump = [&] {
        writable.setEnabled(false);
        while (sent < count) {
            if (::send(PeerDataFd, data.data(), size, MSG_NOSIGNAL) == -1) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN) {
                    writable.setEnabled(true);
                    return;
                }
                fail("contract-send: send", errno);
            }
            ++sent;
        }
        ::close(PeerDataFd);
        app.quit();
    };
    QObject::connect(&writable, &QSocketNotifier::activated, &app, pump);
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    QMetaObject::invokeMethod(&app, pump, Qt::QueuedConnection);
    return app.exec();
}

// stream-send SIZE COUNT [PER-WRITE]: writes 4-byte length-prefixed frames, PER-WRITE (default
// 64) to a write(), then closes.
int streamSend(int argc, char **argv)
{
    const size_t size = size_t(argNumber(argc, argv, 1));
    const long count = argNumber(argc, argv, 2);
    const long perWrite = argc > 3 ? std::max(1L, std::min<long>(Batch, argNumber(argc, argv, 3))) : Batch;
    const std::vector<char> payload = pattern(size);
    std::vector<char> frames;
    const quint32 length = quint32(size);
    for (int i = 0; i < Batch; ++i) {
        frames.insert(frames.end(), reinterpret_cast<const char *>(&length), reinterpret_cast<const char *>(&length) + 4);
        frames.insert(frames.end(), payload.begin(), payload.begin() + long(size));
    }
    const size_t frameSize = size + 4;
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    long left = count;
    while (left > 0) {
        const long n = left < perWrite ? left : perWrite;
        writeAll(PeerDataFd, frames.data(), size_t(n) * frameSize);
        left -= n;
    }
    ::close(PeerDataFd);
    return 0;
}

// drain COUNT: takes COUNT packets off the socket with recvmmsg, then says 'D'.
int drain(int argc, char **argv)
{
    const long count = argNumber(argc, argv, 1);
    RecvBatch batch;
    sendControl(PeerControlFd, 'R');
    long got = 0;
    while (got < count) {
        const int r = batch.receive(PeerDataFd, Batch);
        if (r == -1)
            fail("drain: recvmmsg", errno);
        if (r == 0)
            fail("drain: end-of-file after " + std::to_string(got) + " packets");
        got += r;
    }
    sendControl(PeerControlFd, 'D');
    return 0;
}

// raw-echo: blocking recv/send echo until end-of-file.
int rawEcho(int, char **)
{
    std::vector<char> buffer(SlotSize);
    sendControl(PeerControlFd, 'R');
    for (;;) {
        const ssize_t n = ::recv(PeerDataFd, buffer.data(), buffer.size(), 0);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            fail("raw-echo: recv", errno);
        }
        if (n == 0)
            return 0;
        if (::send(PeerDataFd, buffer.data(), size_t(n), MSG_NOSIGNAL) == -1)
            fail("raw-echo: send", errno);
    }
}

// raw-poll-echo: non-blocking echo driven by poll(), as an event loop would be, until end-of-file.
int rawPollEcho(int, char **)
{
    std::vector<char> buffer(SlotSize);
    setNonBlocking(PeerDataFd, true);
    sendControl(PeerControlFd, 'R');
    for (;;) {
        pollfd p = { PeerDataFd, POLLIN, 0 };
        if (::poll(&p, 1, -1) == -1) {
            if (errno == EINTR)
                continue;
            fail("raw-poll-echo: poll", errno);
        }
        const ssize_t n = ::recv(PeerDataFd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n == -1) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            fail("raw-poll-echo: recv", errno);
        }
        if (n == 0)
            return 0;
        if (::send(PeerDataFd, buffer.data(), size_t(n), MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
            fail("raw-poll-echo: send", errno);
    }
}

// notifier-echo: a QSocketNotifier in an event loop; its slot echoes one packet with non-blocking
// recv/send (the notifier is level-triggered: it fires again while more is there); quits at
// end-of-file. contract-notifier-echo (\a contract): the same with the calls a socket class
// keeping BEHAVIOUR.md needs at the least (contractReceive(): recvmsg with SO_TIMESTAMP and room
// for descriptors, which tells an empty packet from end-of-file).
int notifierEcho(int argc, char **argv, bool contract)
{
    QCoreApplication app(argc, argv);
    std::vector<char> buffer(SlotSize);
    setNonBlocking(PeerDataFd, true);
    if (contract)
        prepareContractReceive(PeerDataFd);
    const std::string mode = contract ? "contract-notifier-echo" : "notifier-echo";
    QSocketNotifier notifier(PeerDataFd, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        for (;;) {
            const ssize_t n = contract ? contractReceive(PeerDataFd, buffer.data(), buffer.size())
                                       : ::recv(PeerDataFd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n == -1 && errno == EAGAIN)
                return;
            if (n == -1 && errno == EINTR)
                continue;
            if (n == -1)
                fail(mode + (contract ? ": recvmsg" : ": recv"), errno);
            if (n == (contract ? -2 : 0)) { // end-of-file
                notifier.setEnabled(false);
                app.quit();
                return;
            }
            if (::send(PeerDataFd, buffer.data(), size_t(n), MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
                fail(mode + ": send", errno);
            return; // one recv per activation: the notifier fires again while more is there
        }
    });
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

// fd-send COUNT: sends COUNT 8-byte packets, each with one descriptor (of /dev/null).
int fdSend(int argc, char **argv)
{
    const long count = argNumber(argc, argv, 1);
    const int passed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (passed == -1)
        fail("open /dev/null", errno);
    char payload[8] = { 'f', 'd', 'p', 'a', 's', 's', '0', '1' };
    iovec vector = { payload, sizeof(payload) };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr header;
    std::memset(&header, 0, sizeof(header));
    std::memset(control, 0, sizeof(control));
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    cmsghdr *c = CMSG_FIRSTHDR(&header);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &passed, sizeof(int));
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    for (long i = 0; i < count; ++i) {
        if (::sendmsg(PeerDataFd, &header, MSG_NOSIGNAL) == -1) {
            if (errno == EINTR) {
                --i;
                continue;
            }
            fail("fd-send: sendmsg", errno);
        }
    }
    ::close(PeerDataFd);
    return 0;
}

// fd-drain COUNT: receives COUNT packets with recvmsg, closes the descriptor each brings, says 'D'.
int fdDrain(int argc, char **argv)
{
    const long count = argNumber(argc, argv, 1);
    char buffer[256];
    sendControl(PeerControlFd, 'R');
    for (long got = 0; got < count;) {
        iovec vector = { buffer, sizeof(buffer) };
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
        msghdr header;
        std::memset(&header, 0, sizeof(header));
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        header.msg_control = control;
        header.msg_controllen = sizeof(control);
        const ssize_t n = ::recvmsg(PeerDataFd, &header, MSG_CMSG_CLOEXEC);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            fail("fd-drain: recvmsg", errno);
        }
        if (n == 0)
            fail("fd-drain: end-of-file");
        int fds = 0;
        for (cmsghdr *c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                const int k = int((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                for (int i = 0; i < k; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    ::close(fd);
                    ++fds;
                }
            }
        }
        if (fds != 1)
            fail("fd-drain: a packet came with " + std::to_string(fds) + " descriptors");
        ++got;
    }
    sendControl(PeerControlFd, 'D');
    return 0;
}

// qt-echo: QSeqpacketSocket in an event loop sends every packet back.
int qtEcho(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("qt-echo: setSocketDescriptor: " + socket.errorString().toStdString());
    attachPacketEcho(&socket);
    QObject::connect(&socket, &QSeqpacketSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

// Parses 4-byte length-prefixed frames off a QLocalSocket, calling \a onFrame for each.
template <typename F>
void readFrames(QLocalSocket &socket, qint64 &need, F onFrame)
{
    for (;;) {
        if (need < 0) {
            if (socket.bytesAvailable() < 4)
                return;
            quint32 length;
            socket.read(reinterpret_cast<char *>(&length), 4);
            need = length;
        }
        if (socket.bytesAvailable() < need)
            return;
        const QByteArray message = socket.read(need);
        need = -1;
        onFrame(message);
    }
}

// qlocal-echo: QLocalSocket in an event loop sends every frame back.
int qlocalEcho(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLocalSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("qlocal-echo: setSocketDescriptor: " + socket.errorString().toStdString());
    qint64 need = -1;
    QObject::connect(&socket, &QLocalSocket::readyRead, &socket, [&] {
        readFrames(socket, need, [&](const QByteArray &message) {
            const quint32 length = quint32(message.size());
            socket.write(reinterpret_cast<const char *>(&length), 4);
            socket.write(message);
        });
        socket.flush();
    });
    QObject::connect(&socket, &QLocalSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

// qt-send SIZE COUNT WATERMARK: QSeqpacketSocket sends COUNT packets, keeping at most WATERMARK
// bytes queued (more once packetsWritten() says the kernel took some), then disconnects.
int qtSend(int argc, char **argv)
{
    const qsizetype size = qsizetype(argNumber(argc, argv, 1));
    const long count = argNumber(argc, argv, 2);
    const qint64 watermark = argNumber(argc, argv, 3);
    QCoreApplication app(argc, argv);
    const std::vector<char> data = pattern(size_t(size));
    const QByteArrayView payload(data.data(), size);
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("qt-send: setSocketDescriptor: " + socket.errorString().toStdString());
    long sent = 0;
    auto pump = [&] {
        while (sent < count && socket.bytesToWrite() < watermark) {
            if (!socket.sendPacket(payload))
                fail("qt-send: sendPacket: " + socket.errorString().toStdString());
            ++sent;
        }
        if (sent == count && socket.state() == QSeqpacketSocket::ConnectedState)
            socket.disconnectFromServer(); // writes what is queued, then closes
    };
    QObject::connect(&socket, &QSeqpacketSocket::packetsWritten, &socket, pump);
    QObject::connect(&socket, &QSeqpacketSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    pump();
    if (socket.state() == QSeqpacketSocket::UnconnectedState)
        return 0;
    return app.exec();
}

// qlocal-send SIZE COUNT WATERMARK: the same with QLocalSocket and 4-byte length framing.
int qlocalSend(int argc, char **argv)
{
    const qsizetype size = qsizetype(argNumber(argc, argv, 1));
    const long count = argNumber(argc, argv, 2);
    const qint64 watermark = argNumber(argc, argv, 3);
    QCoreApplication app(argc, argv);
    const std::vector<char> data = pattern(size_t(size));
    const QByteArray payload(data.data(), size);
    QLocalSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("qlocal-send: setSocketDescriptor: " + socket.errorString().toStdString());
    long sent = 0;
    auto pump = [&] {
        while (sent < count && socket.bytesToWrite() < watermark) {
            const quint32 length = quint32(size);
            socket.write(reinterpret_cast<const char *>(&length), 4);
            socket.write(payload);
            ++sent;
        }
        if (sent == count && socket.state() == QLocalSocket::ConnectedState)
            socket.disconnectFromServer(); // writes what is buffered, then closes
    };
    QObject::connect(&socket, &QLocalSocket::bytesWritten, &socket, pump);
    QObject::connect(&socket, &QLocalSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    pump();
    if (socket.state() == QLocalSocket::UnconnectedState)
        return 0;
    return app.exec();
}

// clients ABSTRACT-NAME TOTAL ACTIVE WINDOW COUNT: on 'G' connects TOTAL clients (blocking
// connect), says 'C'. On 'E' the first ACTIVE clients each keep WINDOW 64-byte packets in flight
// until COUNT echoes came back, and the time is reported as 'T<seconds>'. 'Q' ends.
int clients(int argc, char **argv)
{
    const std::string name = argv[1];
    const long total = argNumber(argc, argv, 2);
    const long active = argNumber(argc, argv, 3);
    const long window = argNumber(argc, argv, 4);
    const long count = argNumber(argc, argv, 5);
    sockaddr_un address;
    std::memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    const socklen_t addressLength = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    std::vector<int> fds;
    fds.reserve(size_t(total));
    sendControl(PeerControlFd, 'R');
    readControl(PeerControlFd, 'G');
    for (long i = 0; i < total; ++i) {
        const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd == -1)
            fail("clients: socket", errno);
        int r;
        do {
            r = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), addressLength);
        } while (r == -1 && errno == EINTR);
        if (r == -1)
            fail("clients: connect #" + std::to_string(i), errno);
        fds.push_back(fd);
    }
    sendControl(PeerControlFd, 'C');

    char buffer[256];
    std::memset(buffer, 'e', sizeof(buffer));
    for (;;) {
        const char command = readControl(PeerControlFd, 0);
        if (command == 'Q')
            break;
        if (command != 'E')
            fail(std::string("clients: unknown command ") + command);
        const int ep = ::epoll_create1(EPOLL_CLOEXEC);
        for (long i = 0; i < active; ++i) {
            setNonBlocking(fds[size_t(i)], true);
            epoll_event event = {};
            event.events = EPOLLIN;
            event.data.fd = fds[size_t(i)];
            ::epoll_ctl(ep, EPOLL_CTL_ADD, fds[size_t(i)], &event);
        }
        long sent = 0, done = 0;
        const Clock::time_point start = Clock::now();
        for (long w = 0; w < window; ++w) {
            for (long i = 0; i < active && sent < count; ++i) {
                if (::send(fds[size_t(i)], buffer, 64, MSG_NOSIGNAL) == -1)
                    fail("clients: send", errno);
                ++sent;
            }
        }
        epoll_event events[128];
        while (done < count) {
            const int n = ::epoll_wait(ep, events, 128, 30000);
            if (n == 0)
                fail("clients: no echo for 30 s (" + std::to_string(done) + " of " + std::to_string(count) + ")");
            if (n == -1) {
                if (errno == EINTR)
                    continue;
                fail("clients: epoll_wait", errno);
            }
            for (int e = 0; e < n; ++e) {
                const int fd = events[e].data.fd;
                for (;;) {
                    const ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
                    if (got == -1) {
                        if (errno == EAGAIN)
                            break;
                        fail("clients: recv", errno);
                    }
                    if (got == 0)
                        fail("clients: the server closed a connection");
                    ++done;
                    if (sent < count) {
                        if (::send(fd, buffer, 64, MSG_NOSIGNAL) == -1)
                            fail("clients: send", errno);
                        ++sent;
                    }
                }
            }
        }
        const double elapsed = secondsSince(start);
        ::close(ep);
        for (long i = 0; i < active; ++i)
            setNonBlocking(fds[size_t(i)], false);
        sendControl(PeerControlFd, 'T', std::to_string(elapsed));
    }
    for (int fd : fds)
        ::close(fd);
    return 0;
}

} // namespace

int peerMain(int argc, char **argv)
{
    // argv: qseqpacket-bench --peer MODE ARGS...
    ::signal(SIGPIPE, SIG_IGN);
    if (argc < 3)
        fail("--peer needs a mode");
    const std::string mode = argv[2];
    const int n = argc - 2;
    char **a = argv + 2;
    if (mode == "mmsg-send")
        return mmsgSend(n, a);
    if (mode == "stream-send")
        return streamSend(n, a);
    if (mode == "contract-send")
        return contractSend(n, a);
    if (mode == "drain")
        return drain(n, a);
    if (mode == "raw-echo")
        return rawEcho(n, a);
    if (mode == "raw-poll-echo")
        return rawPollEcho(n, a);
    if (mode == "notifier-echo")
        return notifierEcho(n, a, false);
    if (mode == "contract-notifier-echo")
        return notifierEcho(n, a, true);
    if (mode == "fd-send")
        return fdSend(n, a);
    if (mode == "fd-drain")
        return fdDrain(n, a);
    if (mode == "qt-echo")
        return qtEcho(n, a);
    if (mode == "qlocal-echo")
        return qlocalEcho(n, a);
    if (mode == "qt-send")
        return qtSend(n, a);
    if (mode == "qlocal-send")
        return qlocalSend(n, a);
    if (mode == "clients")
        return clients(n, a);
    int status = 0;
    if (channelPeer(mode, n, a, &status)) // channel.cpp: the channel group's peers
        return status;
    fail("unknown peer mode " + mode);
}

} // namespace bench
