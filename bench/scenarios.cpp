// SPDX-License-Identifier: MIT
#include "scenarios.h"
#include "common.h"
#include "qtsupport.h"

#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/qeventloop.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalsocket.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "openfds.h" // testsupport/: this process's open descriptors

namespace bench {

namespace {

constexpr qint64 PeerWatermark = 256 * 1024;
constexpr qint64 PumpWatermark = 64 * 1024;

std::vector<char> pattern(size_t size)
{
    std::vector<char> data(size ? size : 1);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = char('A' + i % 26);
    return data;
}

// Parses 4-byte length-prefixed frames as a QLocalSocket user would: the header, then the
// message once all of it is there, as a QByteArray.
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
        if (!onFrame(message))
            return;
    }
}

} // namespace

// ---------------------------------------------------------------------------------------------

double oneWay(Receiver receiver, Sender sender, size_t size, long count)
{
    const bool stream = receiver == Receiver::QLocal;
    int fds[2];
    if (stream)
        streamPair(fds);
    else
        seqpacketPair(fds);
    std::vector<std::string> args;
    switch (sender) {
    case Sender::RawSendmmsg:
        args = { stream ? "stream-send" : "mmsg-send", std::to_string(size), std::to_string(count) };
        break;
    case Sender::RawSendEach:
        if (!stream)
            fail("oneWay: one frame per write() is for QLocalSocket");
        args = { "stream-send", std::to_string(size), std::to_string(count), "1" };
        break;
    case Sender::QtSend:
        args = { "qt-send", std::to_string(size), std::to_string(count), std::to_string(PeerWatermark) };
        break;
    case Sender::QLocalSend:
        args = { "qlocal-send", std::to_string(size), std::to_string(count), std::to_string(PeerWatermark) };
        break;
    case Sender::ContractSendEach:
        args = { "contract-send", std::to_string(size), std::to_string(count) };
        break;
    }
    Peer peer = spawnPeer(args, fds[1]);
    ::close(fds[1]);
    const int fd = fds[0];
    long got = 0;
    qint64 bytes = 0;
    double elapsed = 0;

    switch (receiver) {
    case Receiver::RawRecvmmsg: {
        setSocketTimeouts(fd, 60);
        RecvBatch batch;
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        while (got < count) {
            const int n = batch.receive(fd, int(std::min<long>(Batch, count - got)));
            if (n <= 0)
                fail("receive: recvmmsg", n == 0 ? EPIPE : errno);
            for (int i = 0; i < n; ++i)
                bytes += batch.headers[i].msg_len;
            got += n;
        }
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case Receiver::RawRecv: {
        setSocketTimeouts(fd, 60);
        std::vector<char> buffer(SlotSize);
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        while (got < count) {
            const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                if (n == -1 && errno == EINTR)
                    continue;
                fail("receive: recv", n == 0 ? EPIPE : errno);
            }
            bytes += n;
            ++got;
        }
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case Receiver::RawRecvFresh: {
        // What an application that wants each packet in a buffer of its own pays at the least:
        // a new QByteArray of the packet's size per packet (the bench knows the size), received
        // into directly, then dropped.
        setSocketTimeouts(fd, 60);
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        while (got < count) {
            QByteArray buffer(qsizetype(size), Qt::Uninitialized);
            const ssize_t n = ::recv(fd, buffer.data(), size_t(buffer.size()), 0);
            if (n <= 0) {
                if (n == -1 && errno == EINTR)
                    continue;
                fail("receive: recv", n == 0 ? EPIPE : errno);
            }
            bytes += n;
            ++got;
        }
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case Receiver::QtPacket:
    case Receiver::QtBuffer: {
        QSeqpacketSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        std::vector<char> buffer(SlotSize);
        const bool packets = receiver == Receiver::QtPacket;
        QObject::connect(&socket, &QSeqpacketSocket::packetReady, &loop, [&] {
            while (got < count) {
                if (packets) {
                    const QSeqpacketPacket packet = socket.receivePacket();
                    if (!packet.isValid())
                        return;
                    bytes += packet.data().size();
                } else {
                    const qint64 n = socket.receivePacket(buffer.data(), qint64(buffer.size()));
                    if (n < 0)
                        return;
                    bytes += n;
                }
                ++got;
            }
            loop.quit();
        });
        QObject::connect(&socket, &QSeqpacketSocket::disconnected, &loop, [&] {
            if (got < count)
                fail("receive: disconnected after " + std::to_string(got) + " packets: " + socket.errorString().toStdString());
        });
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        runLoop(loop, "receive (QSeqpacketSocket)");
        elapsed = secondsSince(start);
        break;
    }
    case Receiver::ContractNotifier: {
        setNonBlocking(fd, true);
        prepareContractReceive(fd);
        constexpr size_t ControlSize = CMSG_SPACE(sizeof(timeval)) + CMSG_SPACE(sizeof(int) * 253);
        RecvBatch batch;
        std::vector<char> control(ControlSize * Batch);
        QEventLoop loop;
        QSocketNotifier notifier(fd, QSocketNotifier::Read);
        QObject::connect(&notifier, &QSocketNotifier::activated, &loop, [&] {
            while (got < count) {
                for (int i = 0; i < Batch; ++i) {
                    batch.headers[i].msg_hdr.msg_control = control.data() + size_t(i) * ControlSize;
                    batch.headers[i].msg_hdr.msg_controllen = ControlSize;
                }
                int n;
                do
                    n = ::recvmmsg(fd, batch.headers, unsigned(std::min<long>(Batch, count - got)),
                                   MSG_DONTWAIT | MSG_CMSG_CLOEXEC, nullptr);
                while (n == -1 && errno == EINTR);
                if (n == -1 && errno == EAGAIN)
                    return;
                if (n <= 0)
                    fail("receive: recvmmsg", n == 0 ? EPIPE : errno);
                for (int i = 0; i < n; ++i) {
                    // What the contract's reader looks at in every packet: its control data.
                    msghdr *header = &batch.headers[i].msg_hdr;
                    if (!CMSG_FIRSTHDR(header))
                        fail("receive: a packet without its timestamp");
                    bytes += batch.headers[i].msg_len;
                }
                got += n;
            }
            loop.quit();
        });
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        runLoop(loop, "receive (contract floor)");
        elapsed = secondsSince(start);
        notifier.setEnabled(false);
        ::close(fd);
        break;
    }
    case Receiver::QLocal: {
        QLocalSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        qint64 need = -1;
        QObject::connect(&socket, &QLocalSocket::readyRead, &loop, [&] {
            readFrames(socket, need, [&](const QByteArray &message) {
                bytes += message.size();
                if (++got < count)
                    return true;
                loop.quit();
                return false;
            });
        });
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        runLoop(loop, "receive (QLocalSocket)");
        elapsed = secondsSince(start);
        break;
    }
    }
    if (bytes != qint64(size) * count)
        fail("receive: got " + std::to_string(bytes) + " bytes, expected " + std::to_string(qint64(size) * count));
    reapPeer(peer);
    return double(count) / elapsed;
}

// ---------------------------------------------------------------------------------------------

double sendPath(SendMode mode, size_t size, long count, long *queuedPackets)
{
    int fds[2];
    seqpacketPair(fds);
    Peer peer = spawnPeer({ "drain", std::to_string(count) }, fds[1]);
    ::close(fds[1]);
    const int fd = fds[0];
    const std::vector<char> data = pattern(size);
    double elapsed = 0;
    switch (mode) {
    case SendMode::RawSend: {
        setSocketTimeouts(fd, 60);
        const Clock::time_point start = Clock::now();
        for (long i = 0; i < count; ++i) {
            if (::send(fd, data.data(), size, MSG_NOSIGNAL) == -1) {
                if (errno == EINTR) {
                    --i;
                    continue;
                }
                fail("send", errno);
            }
        }
        readControl(peer.control, 'D');
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case SendMode::RawSendmmsg: {
        setSocketTimeouts(fd, 60);
        const Clock::time_point start = Clock::now();
        sendmmsgAll(fd, data.data(), size, count);
        readControl(peer.control, 'D');
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case SendMode::QtLoop:
    case SendMode::QtPump: {
        QSeqpacketSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        ControlWatch done(peer, loop, 'D');
        const QByteArrayView payload(data.data(), qsizetype(size));
        long sent = 0;
        long queued = 0; // packets that went through the send queue
        auto pump = [&] {
            while (sent < count && (mode == SendMode::QtLoop || socket.bytesToWrite() < PumpWatermark)) {
                if (!socket.sendPacket(payload))
                    fail("sendPacket: " + socket.errorString().toStdString());
                ++sent;
            }
        };
        QObject::connect(&socket, &QSeqpacketSocket::packetsWritten, &loop, [&](qint64 written) {
            queued += long(written);
            if (mode == SendMode::QtPump)
                pump();
        });
        const Clock::time_point start = Clock::now();
        pump();
        runLoop(loop, "send (QSeqpacketSocket)");
        elapsed = secondsSince(start);
        if (sent != count || socket.packetsToWrite() != 0)
            fail("send: the peer finished before everything was written");
        if (queuedPackets)
            *queuedPackets = queued;
        break;
    }
    }
    reapPeer(peer);
    return double(count) / elapsed;
}

// ---------------------------------------------------------------------------------------------

double roundTrip(RoundTrip kind, size_t size, long count)
{
    int fds[2];
    if (kind == RoundTrip::QLocal)
        streamPair(fds);
    else
        seqpacketPair(fds);
    const char *peerMode = kind == RoundTrip::RawBlocking ? "raw-echo"
            : kind == RoundTrip::RawPoll                   ? "raw-poll-echo"
            : kind == RoundTrip::Notifier                  ? "notifier-echo"
            : kind == RoundTrip::ContractNotifier          ? "contract-notifier-echo"
            : kind == RoundTrip::Qt                        ? "qt-echo"
                                                           : "qlocal-echo";
    Peer peer = spawnPeer({ peerMode }, fds[1]);
    ::close(fds[1]);
    const int fd = fds[0];
    const std::vector<char> data = pattern(size);
    double elapsed = 0;
    long got = 0;
    switch (kind) {
    case RoundTrip::RawBlocking: {
        setSocketTimeouts(fd, 60);
        std::vector<char> buffer(SlotSize);
        const Clock::time_point start = Clock::now();
        for (; got < count; ++got) {
            if (::send(fd, data.data(), size, MSG_NOSIGNAL) == -1)
                fail("round trip: send", errno);
            ssize_t n;
            do {
                n = ::recv(fd, buffer.data(), buffer.size(), 0);
            } while (n == -1 && errno == EINTR);
            if (n != ssize_t(size))
                fail("round trip: recv", n == -1 ? errno : EPIPE);
        }
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case RoundTrip::RawPoll: {
        setNonBlocking(fd, true);
        std::vector<char> buffer(SlotSize);
        const Clock::time_point start = Clock::now();
        for (; got < count; ++got) {
            if (::send(fd, data.data(), size, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
                fail("round trip: send", errno);
            for (;;) {
                pollfd p = { fd, POLLIN, 0 };
                if (::poll(&p, 1, 60000) != 1)
                    fail("round trip: poll", errno);
                const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
                if (n == -1 && (errno == EAGAIN || errno == EINTR))
                    continue;
                if (n != ssize_t(size))
                    fail("round trip: recv", n == -1 ? errno : EPIPE);
                break;
            }
        }
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case RoundTrip::Notifier:
    case RoundTrip::ContractNotifier: {
        // The floor of any socket class driven by Qt's event loop: a QSocketNotifier on the
        // descriptor and a non-blocking recv (then send) in its slot, nothing else.
        // The contract floor receives as a socket class keeping BEHAVIOUR.md must at the least.
        const bool contract = kind == RoundTrip::ContractNotifier;
        setNonBlocking(fd, true);
        if (contract)
            prepareContractReceive(fd);
        QEventLoop loop;
        std::vector<char> buffer(SlotSize);
        QSocketNotifier notifier(fd, QSocketNotifier::Read);
        QObject::connect(&notifier, &QSocketNotifier::activated, &loop, [&] {
            for (;;) {
                const ssize_t n = contract ? contractReceive(fd, buffer.data(), buffer.size())
                                           : ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
                if (n == -1 && errno == EAGAIN)
                    return;
                if (n == -1 && errno == EINTR)
                    continue;
                if (n != ssize_t(size))
                    fail("round trip: recv", n == -1 ? errno : EPIPE);
                if (++got == count) {
                    loop.quit();
                    return;
                }
                if (::send(fd, data.data(), size, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
                    fail("round trip: send", errno);
                return; // one packet is in flight: the next one comes with the next activation
            }
        });
        const Clock::time_point start = Clock::now();
        if (::send(fd, data.data(), size, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
            fail("round trip: send", errno);
        runLoop(loop, "round trip (QSocketNotifier)");
        elapsed = secondsSince(start);
        notifier.setEnabled(false);
        ::close(fd);
        break;
    }
    case RoundTrip::Qt: {
        QSeqpacketSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        const QByteArrayView payload(data.data(), qsizetype(size));
        QObject::connect(&socket, &QSeqpacketSocket::packetReady, &loop, [&] {
            for (;;) {
                const QSeqpacketPacket packet = socket.receivePacket();
                if (!packet.isValid())
                    return;
                if (packet.data().size() != qsizetype(size))
                    fail("round trip: wrong size");
                if (++got == count) {
                    loop.quit();
                    return;
                }
                socket.sendPacket(payload);
            }
        });
        const Clock::time_point start = Clock::now();
        socket.sendPacket(payload);
        runLoop(loop, "round trip (QSeqpacketSocket)");
        elapsed = secondsSince(start);
        break;
    }
    case RoundTrip::QLocal: {
        QLocalSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        const QByteArray payload(data.data(), qsizetype(size));
        const quint32 length = quint32(size);
        auto sendOne = [&] {
            socket.write(reinterpret_cast<const char *>(&length), 4);
            socket.write(payload);
            socket.flush();
        };
        qint64 need = -1;
        QObject::connect(&socket, &QLocalSocket::readyRead, &loop, [&] {
            readFrames(socket, need, [&](const QByteArray &message) {
                if (message.size() != qsizetype(size))
                    fail("round trip: wrong size");
                if (++got == count) {
                    loop.quit();
                    return false;
                }
                sendOne();
                return true;
            });
        });
        const Clock::time_point start = Clock::now();
        sendOne();
        runLoop(loop, "round trip (QLocalSocket)");
        elapsed = secondsSince(start);
        break;
    }
    }
    reapPeer(peer);
    return elapsed * 1e6 / double(count);
}

// ---------------------------------------------------------------------------------------------

double fdPassing(FdMode mode, long count)
{
    int fds[2];
    seqpacketPair(fds);
    const bool weReceive = mode == FdMode::RawRecvmsg || mode == FdMode::QtReceive;
    Peer peer = spawnPeer({ weReceive ? "fd-send" : "fd-drain", std::to_string(count) }, fds[1]);
    ::close(fds[1]);
    const int fd = fds[0];
    double elapsed = 0;
    char payload[8] = { 'f', 'd', 'p', 'a', 's', 's', '0', '1' };
    switch (mode) {
    case FdMode::RawRecvmsg: {
        setSocketTimeouts(fd, 60);
        char buffer[256];
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        for (long got = 0; got < count;) {
            iovec vector = { buffer, sizeof(buffer) };
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
            msghdr header;
            std::memset(&header, 0, sizeof(header));
            header.msg_iov = &vector;
            header.msg_iovlen = 1;
            header.msg_control = control;
            header.msg_controllen = sizeof(control);
            const ssize_t n = ::recvmsg(fd, &header, MSG_CMSG_CLOEXEC);
            if (n <= 0) {
                if (n == -1 && errno == EINTR)
                    continue;
                fail("fd passing: recvmsg", n == 0 ? EPIPE : errno);
            }
            int received = 0;
            for (cmsghdr *c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                    int passed;
                    std::memcpy(&passed, CMSG_DATA(c), sizeof(int));
                    ::close(passed);
                    ++received;
                }
            }
            if (received != 1)
                fail("fd passing: a packet without its descriptor");
            ++got;
        }
        elapsed = secondsSince(start);
        ::close(fd);
        break;
    }
    case FdMode::QtReceive: {
        QSeqpacketSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        long got = 0;
        QObject::connect(&socket, &QSeqpacketSocket::packetReady, &loop, [&] {
            while (got < count) {
                const QSeqpacketPacket packet = socket.receivePacket();
                if (!packet.isValid())
                    return;
                if (packet.fileDescriptors().size() != 1)
                    fail("fd passing: a packet without its descriptor");
                ++got; // the descriptor closes with the packet
            }
            loop.quit();
        });
        const Clock::time_point start = Clock::now();
        peerGo(peer);
        runLoop(loop, "fd passing (QSeqpacketSocket receive)");
        elapsed = secondsSince(start);
        break;
    }
    case FdMode::RawSendmsg: {
        setSocketTimeouts(fd, 60);
        const int passed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        iovec vector = { payload, sizeof(payload) };
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        std::memset(control, 0, sizeof(control));
        msghdr header;
        std::memset(&header, 0, sizeof(header));
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        header.msg_control = control;
        header.msg_controllen = sizeof(control);
        cmsghdr *c = CMSG_FIRSTHDR(&header);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &passed, sizeof(int));
        const Clock::time_point start = Clock::now();
        for (long i = 0; i < count; ++i) {
            if (::sendmsg(fd, &header, MSG_NOSIGNAL) == -1) {
                if (errno == EINTR) {
                    --i;
                    continue;
                }
                fail("fd passing: sendmsg", errno);
            }
        }
        readControl(peer.control, 'D');
        elapsed = secondsSince(start);
        ::close(passed);
        ::close(fd);
        break;
    }
    case FdMode::QtSend: {
        QSeqpacketSocket socket;
        adopt(socket, fd);
        QEventLoop loop;
        ControlWatch done(peer, loop, 'D');
        const QList<QSeqpacketFileDescriptor> passed = {
            QSeqpacketFileDescriptor::adopt(::open("/dev/null", O_RDONLY | O_CLOEXEC)) };
        const QByteArrayView data(payload, sizeof(payload));
        const Clock::time_point start = Clock::now();
        for (long i = 0; i < count; ++i) {
            if (!socket.sendPacket(data, passed))
                fail("fd passing: sendPacket: " + socket.errorString().toStdString());
        }
        runLoop(loop, "fd passing (QSeqpacketSocket send)");
        elapsed = secondsSince(start);
        break;
    }
    }
    reapPeer(peer);
    return double(count) / elapsed;
}

// ---------------------------------------------------------------------------------------------

namespace {

std::string uniqueName()
{
    static int counter = 0;
    return "qseqpacket-bench-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

double cpuMs(const rusage &a, const rusage &b)
{
    auto ms = [](const timeval &t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3; };
    return ms(b.ru_utime) - ms(a.ru_utime) + ms(b.ru_stime) - ms(a.ru_stime);
}

// CPU time (ms) this process uses in an idle event loop of \a ms; \a wakeups gets the voluntary
// context switches.
double idleEventLoopCpu(int ms, double *wakeups)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    rusage before, after;
    ::getrusage(RUSAGE_SELF, &before);
    loop.exec();
    ::getrusage(RUSAGE_SELF, &after);
    if (wakeups)
        *wakeups = double(after.ru_nvcsw - before.ru_nvcsw);
    return cpuMs(before, after);
}

// Has the clients' peer run its echo phase against this process's event loop; echoes per second.
double runEchoInEventLoop(Peer &peer, long echoes, const char *what)
{
    QEventLoop echoLoop;
    std::string text;
    ControlWatch done(peer, echoLoop, 'T', &text);
    sendControl(peer.control, 'E');
    runLoop(echoLoop, what);
    return double(echoes) / std::stod(text);
}

} // namespace

ScaleResult serverScaleQt(int clients, int active, long echoes, int idleMs)
{
    ScaleResult result;
    const std::string name = uniqueName();
    auto server = std::make_unique<QSeqpacketServer>();
    if (!server->listen(QSeqpacketAddress::fromAbstractName(QByteArray::fromStdString(name))))
        fail("QSeqpacketServer::listen: " + server->errorString().toStdString());
    std::vector<QSeqpacketSocket *> sockets;
    sockets.reserve(size_t(clients));
    Peer peer = spawnPeer({ "clients", name, std::to_string(clients), std::to_string(active), "8", std::to_string(echoes) }, -1);

    if (idleMs > 0)
        result.idleCpuMsEmpty = idleEventLoopCpu(idleMs, nullptr);

    QEventLoop acceptLoop;
    QObject::connect(server.get(), &QSeqpacketServer::newConnection, &acceptLoop, [&] {
        while (QSeqpacketSocket *socket = server->nextPendingConnection()) {
            QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, [socket] {
                for (;;) {
                    const QSeqpacketPacket packet = socket->receivePacket();
                    if (!packet.isValid())
                        return;
                    socket->sendPacket(packet);
                }
            });
            sockets.push_back(socket);
        }
        if (int(sockets.size()) >= clients)
            acceptLoop.quit();
    });
    QObject::connect(server.get(), &QSeqpacketServer::acceptError, &acceptLoop, [&] {
        fail("QSeqpacketServer: accept: " + server->errorString().toStdString());
    });

    const long long heapBefore = heapInUse();
    const int fdsBefore = TestUtil::openFdCount();
    const Clock::time_point start = Clock::now();
    peerGo(peer);
    runLoop(acceptLoop, "server scale: accept");
    result.acceptRate = double(clients) / secondsSince(start);
    const long long heapAfter = heapInUse();
    const int fdsAfter = TestUtil::openFdCount();
    readControl(peer.control, 'C');
    result.heapPerConnection = double(heapAfter - heapBefore) / clients;
    result.fdsPerConnection = double(fdsAfter - fdsBefore) / clients;

    if (idleMs > 0)
        result.idleCpuMs = idleEventLoopCpu(idleMs, &result.idleWakeups);

    if (echoes > 0)
        result.echoRate = runEchoInEventLoop(peer, echoes, "server scale: echo");
    sendControl(peer.control, 'Q');
    reapPeer(peer);
    server.reset(); // and the connections, its children
    return result;
}

namespace {

// Answers every packet waiting on \a fd; false once the peer has gone. With \a contract, each
// packet is received as BEHAVIOUR.md requires (contractReceive(): its timestamp, room for
// descriptors) and not with a bare recv().
bool echoAll(int fd, bool contract)
{
    char buffer[256];
    for (;;) {
        const ssize_t got = contract ? contractReceive(fd, buffer, sizeof(buffer))
                                     : ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (got == -1) {
            if (errno == EAGAIN)
                return true;
            if (errno == EINTR)
                continue;
            fail("floor server: recv", errno);
        }
        if (got == 0 && !contract)
            return false;
        if (got == -2)
            return false;
        if (::send(fd, buffer, size_t(got), MSG_NOSIGNAL) == -1)
            fail("floor server: send", errno);
    }
}

} // namespace

ScaleResult serverScaleFloor(QtFloor design, int clients, int active, long echoes)
{
    ScaleResult result;
    const std::string name = uniqueName();
    const int listener = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address;
    std::memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (listener == -1 || ::bind(listener, reinterpret_cast<sockaddr *>(&address), length) == -1 || ::listen(listener, 128) == -1)
        fail("floor server: socket/bind/listen", errno);
    Peer peer = spawnPeer({ "clients", name, std::to_string(clients), std::to_string(active), "8", std::to_string(echoes) }, -1);

    std::vector<int> fds;
    fds.reserve(size_t(clients));
    std::vector<std::unique_ptr<QSocketNotifier>> notifiers;
    const bool objects = design == QtFloor::OneEpollContractObject;
    const bool contract = design == QtFloor::OneEpollContract || objects;
    QObject server; // the connections' objects are its children
    const bool oneEpoll = design == QtFloor::OneEpoll || contract;
    const int ep = oneEpoll ? ::epoll_create1(EPOLL_CLOEXEC) : -1;
    std::unique_ptr<QSocketNotifier> epollNotifier;
    if (oneEpoll) {
        if (ep == -1)
            fail("floor server: epoll_create1", errno);
        epollNotifier = std::make_unique<QSocketNotifier>(ep, QSocketNotifier::Read);
        QObject::connect(epollNotifier.get(), &QSocketNotifier::activated, [ep, contract] {
            epoll_event events[256];
            int n;
            do
                n = ::epoll_wait(ep, events, 256, 0);
            while (n == -1 && errno == EINTR);
            if (n == -1)
                fail("floor server: epoll_wait", errno);
            for (int e = 0; e < n; ++e) {
                if (!echoAll(events[e].data.fd, contract))
                    ::epoll_ctl(ep, EPOLL_CTL_DEL, events[e].data.fd, nullptr);
            }
        });
    }

    QEventLoop acceptLoop;
    QSocketNotifier listenNotifier(listener, QSocketNotifier::Read);
    QObject::connect(&listenNotifier, &QSocketNotifier::activated, &acceptLoop, [&] {
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd == -1) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN)
                    break;
                fail("floor server: accept4", errno);
            }
            fds.push_back(fd);
            if (contract)
                prepareContractReceive(fd);
            if (objects) {
                auto *connection = new QObject(&server);
                QObject::connect(connection, &QObject::objectNameChanged, connection, [fd] { echoAll(fd, true); });
            }
            if (oneEpoll) {
                epoll_event event = {};
                event.events = EPOLLIN;
                event.data.fd = fd;
                if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event) == -1)
                    fail("floor server: epoll_ctl", errno);
            } else {
                auto notifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
                QSocketNotifier *n = notifier.get();
                QObject::connect(n, &QSocketNotifier::activated, n, [n, fd] {
                    if (!echoAll(fd, false))
                        n->setEnabled(false);
                });
                notifiers.push_back(std::move(notifier));
            }
        }
        if (int(fds.size()) >= clients)
            acceptLoop.quit();
    });

    const Clock::time_point start = Clock::now();
    peerGo(peer);
    runLoop(acceptLoop, "floor server: accept");
    result.acceptRate = double(clients) / secondsSince(start);
    listenNotifier.setEnabled(false);
    readControl(peer.control, 'C');

    if (echoes > 0)
        result.echoRate = runEchoInEventLoop(peer, echoes, "floor server: echo");
    sendControl(peer.control, 'Q');
    reapPeer(peer);
    notifiers.clear();
    epollNotifier.reset();
    for (int fd : fds)
        ::close(fd);
    if (ep != -1)
        ::close(ep);
    ::close(listener);
    return result;
}

ScaleResult serverScaleRaw(int clients, int active, long echoes, int idleMs)
{
    ScaleResult result;
    const std::string name = uniqueName();
    const int listener = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un address;
    std::memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (::bind(listener, reinterpret_cast<sockaddr *>(&address), length) == -1 || ::listen(listener, 128) == -1)
        fail("raw server: bind/listen", errno);
    Peer peer = spawnPeer({ "clients", name, std::to_string(clients), std::to_string(active), "8", std::to_string(echoes) }, -1);
    std::vector<int> fds;
    fds.reserve(size_t(clients));

    const long long heapBefore = heapInUse();
    const int fdsBefore = TestUtil::openFdCount();
    const Clock::time_point start = Clock::now();
    peerGo(peer);
    for (int i = 0; i < clients; ++i) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EINTR) {
                --i;
                continue;
            }
            fail("raw server: accept4", errno);
        }
        fds.push_back(fd);
    }
    result.acceptRate = double(clients) / secondsSince(start);
    result.heapPerConnection = double(heapInUse() - heapBefore) / clients;
    result.fdsPerConnection = double(TestUtil::openFdCount() - fdsBefore) / clients;
    readControl(peer.control, 'C');

    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (int fd : fds) {
        epoll_event event = {};
        event.events = EPOLLIN;
        event.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event);
    }
    epoll_event events[256];
    if (idleMs > 0) {
        rusage before, after;
        ::getrusage(RUSAGE_SELF, &before);
        const Clock::time_point idleStart = Clock::now();
        for (;;) {
            const int left = idleMs - int(secondsSince(idleStart) * 1000);
            if (left <= 0)
                break;
            ::epoll_wait(ep, events, 256, left);
        }
        ::getrusage(RUSAGE_SELF, &after);
        result.idleCpuMs = cpuMs(before, after);
        result.idleWakeups = double(after.ru_nvcsw - before.ru_nvcsw);
    }

    if (echoes > 0) {
        epoll_event event = {};
        event.events = EPOLLIN;
        event.data.fd = peer.control;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, peer.control, &event);
        sendControl(peer.control, 'E');
        char buffer[256];
        std::string text;
        bool done = false;
        while (!done) {
            const int n = ::epoll_wait(ep, events, 256, WatchdogMs);
            if (n == 0)
                fail("raw server: echo timed out");
            if (n == -1) {
                if (errno == EINTR)
                    continue;
                fail("raw server: epoll_wait", errno);
            }
            for (int e = 0; e < n; ++e) {
                const int fd = events[e].data.fd;
                if (fd == peer.control) {
                    readControl(peer.control, 'T', &text);
                    done = true;
                    continue;
                }
                for (;;) {
                    const ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
                    if (got == -1) {
                        if (errno == EAGAIN)
                            break;
                        fail("raw server: recv", errno);
                    }
                    if (got == 0)
                        break;
                    if (::send(fd, buffer, size_t(got), MSG_NOSIGNAL) == -1)
                        fail("raw server: send", errno);
                }
            }
        }
        result.echoRate = double(echoes) / std::stod(text);
    }
    ::close(ep);
    sendControl(peer.control, 'Q');
    reapPeer(peer);
    for (int fd : fds)
        ::close(fd);
    ::close(listener);
    return result;
}

} // namespace bench
