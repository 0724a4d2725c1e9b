// SPDX-License-Identifier: MIT
#include "channel.h"
#include "common.h"
#include "qtsupport.h"

#include <QSeqpacketChannel>
#include <QSeqpacketFrame>
#include <QSeqpacketSocket>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatastream.h>
#include <QtCore/qfuture.h>
#include <QtNetwork/qlocalsocket.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <sys/mman.h>
#include <unistd.h>

#include "rawsocket.h" // testsupport/: sendmsg/recvmsg with descriptors

namespace bench {

namespace {

constexpr qint64 StreamWatermark = 256 * 1024;
constexpr long FrameIdForSize = 1000; // a typical request id and body number, for the payload size

QString bodyText()
{
    return QStringLiteral("hello, seqpacket");
}

QByteArray filler(long size)
{
    QByteArray data(size, Qt::Uninitialized);
    char *bytes = data.data();
    for (long i = 0; i < size; ++i)
        bytes[i] = char('a' + i % 26);
    return data;
}

// What the large message's reader computes over every byte, and checks.
quint64 checksum(const char *data, size_t size)
{
    quint64 sum = 0;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, data + i, 8);
        sum += word;
    }
    for (; i < size; ++i)
        sum += uchar(data[i]);
    return sum;
}

long frameSize(QSeqpacketFrame::Type type)
{
    const quint64 id = type == QSeqpacketFrame::RequestFrame ? FrameIdForSize : 0;
    return long(QSeqpacketFrame(type, id, smallName(), smallCborBody(FrameIdForSize)).encode().size());
}

void checkCborBody(const QCborValue &body, qint64 n, const char *what)
{
    const QCborMap map = body.toMap();
    if (map.value(QLatin1String("n")).toInteger(-1) != n || map.value(QLatin1String("s")).toString() != bodyText())
        fail(std::string(what) + ": wrong body " + body.toDiagnosticNotation().toStdString() + ", expected n = " + std::to_string(n));
}

} // namespace

QCborMap smallCborBody(qint64 n)
{
    QCborMap body;
    body.insert(QLatin1String("n"), n);
    body.insert(QLatin1String("s"), bodyText());
    return body;
}

QVariantMap smallVariantBody(qint64 n)
{
    return { { QStringLiteral("n"), QVariant::fromValue(n) }, { QStringLiteral("s"), bodyText() } };
}

QString smallName()
{
    return QStringLiteral("echo");
}

long smallFrameSize()
{
    return frameSize(QSeqpacketFrame::RequestFrame);
}

void checkVariantBody(const QVariantMap &body, qint64 n, const char *what)
{
    if (body.value(QStringLiteral("n")).toLongLong() != n || body.value(QStringLiteral("s")).toString() != bodyText())
        fail(std::string(what) + ": wrong body, expected n = " + std::to_string(n));
}

void quitWhenControlCloses()
{
    auto *notifier = new QSocketNotifier(PeerControlFd, QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [notifier] {
        char byte;
        const ssize_t n = ::recv(PeerControlFd, &byte, 1, MSG_DONTWAIT);
        if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
            notifier->setEnabled(false);
            QCoreApplication::quit();
        }
    });
}

#ifndef QSEQPACKET_BENCH_DBUS
bool haveDBus() { return false; }
double dbusRoundTrip(long) { return std::nan(""); }
int dbusEchoPeer(int, char **) { fail("dbus-echo: built without Qt6DBus"); }
#else
bool haveDBus() { return true; }
#endif
#ifndef QSEQPACKET_BENCH_REMOTEOBJECTS
bool haveRemoteObjects() { return false; }
double remoteObjectsRoundTrip(long) { return std::nan(""); }
int remoteObjectsEchoPeer(int, char **) { fail("ro-echo: built without Qt6RemoteObjects"); }
#else
bool haveRemoteObjects() { return true; }
#endif

// ---------------------------------------------------------------------------------------------

double channelRoundTrip(ChannelRoundTrip kind, long count)
{
    if (kind == ChannelRoundTrip::DBus)
        return dbusRoundTrip(count);
    if (kind == ChannelRoundTrip::RemoteObjects)
        return remoteObjectsRoundTrip(count);

    int fds[2];
    seqpacketPair(fds);
    Peer peer = spawnPeer({ kind == ChannelRoundTrip::Packet ? "qt-echo" : "channel-echo" }, fds[1]);
    ::close(fds[1]);
    long got = 0;
    double elapsed = 0;
    {
        QSeqpacketSocket socket;
        adopt(socket, fds[0]);
        QEventLoop loop;
        if (kind == ChannelRoundTrip::Packet) {
            const QByteArray payload = filler(smallFrameSize());
            QObject::connect(&socket, &QSeqpacketSocket::packetReady, &loop, [&] {
                for (;;) {
                    const QSeqpacketPacket packet = socket.receivePacket();
                    if (!packet.isValid())
                        return;
                    if (packet.data().size() != payload.size())
                        fail("channel round trip (packets): wrong size");
                    if (++got == count) {
                        loop.quit();
                        return;
                    }
                    socket.sendPacket(payload);
                }
            });
            const Clock::time_point start = Clock::now();
            socket.sendPacket(payload);
            runLoop(loop, "channel round trip (packets)");
            elapsed = secondsSince(start);
        } else {
            QSeqpacketChannel channel(&socket);
            const QString name = smallName();
            // What a user writes: ask, and ask again from the reply's continuation.
            std::function<void()> ask = [&] {
                const qint64 n = got;
                channel.request(name, QSeqpacketMessage(smallCborBody(n))).then(&loop, [&, n](const QSeqpacketReply &reply) {
                    if (reply.isError())
                        fail("channel request: " + reply.errorName().toStdString() + " " + reply.message().body().toDiagnosticNotation().toStdString());
                    checkCborBody(reply.message().body(), n, "channel request");
                    if (++got == count)
                        loop.quit();
                    else
                        ask();
                });
            };
            const Clock::time_point start = Clock::now();
            ask();
            runLoop(loop, "channel round trip (requests)");
            elapsed = secondsSince(start);
        }
    }
    reapPeer(peer);
    return elapsed * 1e6 / double(count);
}

// ---------------------------------------------------------------------------------------------

double channelStream(ChannelStream kind, long count)
{
    int fds[2];
    const char *peerMode = "channel-count";
    if (kind == ChannelStream::QLocalDataStream) {
        streamPair(fds);
        peerMode = "qlocal-datastream-count";
    } else {
        seqpacketPair(fds);
        if (kind == ChannelStream::Packet)
            peerMode = "qt-count";
    }
    Peer peer = spawnPeer({ peerMode, std::to_string(count) }, fds[1]);
    ::close(fds[1]);
    long sent = 0;
    double elapsed = 0;
    const QString name = smallName();
    switch (kind) {
    case ChannelStream::QLocalDataStream: {
        QLocalSocket socket;
        adopt(socket, fds[0]);
        QEventLoop loop;
        ControlWatch done(peer, loop, 'D');
        QDataStream out(&socket);
        auto pump = [&] {
            while (sent < count && socket.bytesToWrite() < StreamWatermark) {
                out << name << smallVariantBody(sent);
                ++sent;
            }
        };
        QObject::connect(&socket, &QLocalSocket::bytesWritten, &loop, pump);
        const Clock::time_point start = Clock::now();
        pump();
        runLoop(loop, "one-way messages (QLocalSocket + QDataStream)");
        elapsed = secondsSince(start);
        break;
    }
    case ChannelStream::Channel:
    case ChannelStream::Packet: {
        QSeqpacketSocket socket;
        adopt(socket, fds[0]);
        std::unique_ptr<QSeqpacketChannel> channel;
        if (kind == ChannelStream::Channel)
            channel = std::make_unique<QSeqpacketChannel>(&socket);
        QEventLoop loop;
        ControlWatch done(peer, loop, 'D');
        const QByteArray payload = filler(frameSize(QSeqpacketFrame::MessageFrame));
        auto pump = [&] {
            while (sent < count && socket.bytesToWrite() < StreamWatermark) {
                if (channel ? !channel->send(name, QSeqpacketMessage(smallCborBody(sent))) : !socket.sendPacket(payload))
                    fail("one-way messages: " + (channel ? channel->errorString() : socket.errorString()).toStdString());
                ++sent;
            }
        };
        QObject::connect(&socket, &QSeqpacketSocket::packetsWritten, &loop, pump);
        const Clock::time_point start = Clock::now();
        pump();
        runLoop(loop, "one-way messages (QSeqpacket)");
        elapsed = secondsSince(start);
        break;
    }
    }
    if (sent != count)
        fail("one-way messages: the peer finished before everything was sent");
    reapPeer(peer);
    return double(count) / elapsed;
}

// ---------------------------------------------------------------------------------------------

double bigMessage(BigMessage kind, long size, long count)
{
    int fds[2];
    seqpacketPair(fds);
    const bool raw = kind == BigMessage::RawMemfd;
    Peer peer = spawnPeer({ raw ? "memfd-raw-read" : "channel-blob", std::to_string(size) }, fds[1]);
    ::close(fds[1]);
    const int fd = fds[0];
    const QByteArray data = filler(size); // what the application has to send, made before the timing
    double elapsed = 0;
    if (raw) {
        setSocketTimeouts(fd, 60);
        const Clock::time_point start = Clock::now();
        for (long i = 0; i < count; ++i) {
            const int memfd = ::memfd_create("bench-raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
            if (memfd == -1)
                fail("memfd_create", errno);
            for (qint64 written = 0; written < size;) {
                const ssize_t n = ::write(memfd, data.constData() + written, size_t(size - written));
                if (n <= 0) {
                    if (n == -1 && errno == EINTR)
                        continue;
                    fail("write to the memfd", errno);
                }
                written += n;
            }
            if (::fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == -1)
                fail("F_ADD_SEALS", errno);
            const quint64 announced = quint64(size);
            if (TestUtil::rawSendMsg(fd, reinterpret_cast<const char *>(&announced), sizeof(announced), &memfd, 1) == -1)
                fail("sendmsg with the memfd", errno);
            ::close(memfd);
            char ack;
            if (::recv(fd, &ack, 1, 0) != 1)
                fail("raw memfd: no acknowledgement", errno);
        }
        elapsed = secondsSince(start);
        ::close(fd);
    } else {
        QSeqpacketSocket socket;
        adopt(socket, fd);
        QSeqpacketChannel channel(&socket);
        QEventLoop loop;
        long acknowledged = 0;
        auto sendOne = [&] {
            // From the application's bytes to the message, as a user does it (the body is a copy).
            if (!channel.send(QStringLiteral("blob"), QSeqpacketMessage(QCborValue(data))))
                fail("channel: send: " + channel.errorString().toStdString());
        };
        QObject::connect(&channel, &QSeqpacketChannel::messageReceived, &loop, [&] {
            if (++acknowledged == count)
                loop.quit();
            else
                sendOne();
        });
        QObject::connect(&channel, &QSeqpacketChannel::protocolError, &loop, [](const QString &why) {
            fail("channel: protocol error: " + why.toStdString());
        });
        const Clock::time_point start = Clock::now();
        sendOne();
        runLoop(loop, "large message (QSeqpacketChannel)");
        elapsed = secondsSince(start);
    }
    reapPeer(peer);
    return double(size) * double(count) / (1024.0 * 1024.0) / elapsed;
}

// ---------------------------------------------------------------------------------------------
// The peers
// ---------------------------------------------------------------------------------------------

namespace {

// channel-echo: a channel answering every request with its body.
int channelEcho(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("channel-echo: setSocketDescriptor: " + socket.errorString().toStdString());
    QSeqpacketChannel channel(&socket);
    QObject::connect(&channel, &QSeqpacketChannel::requestReceived, &channel, [](QSeqpacketRequest request) {
        if (!request.reply(QSeqpacketMessage(request.message().body())))
            fail("channel-echo: reply");
    });
    QObject::connect(&socket, &QSeqpacketSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

// channel-count COUNT / qt-count COUNT: counts COUNT messages (packets), checking each, says 'D'.
int seqpacketCount(int argc, char **argv, bool frames)
{
    const long count = std::strtol(argc > 1 ? argv[1] : "0", nullptr, 10);
    QCoreApplication app(argc, argv);
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("count: setSocketDescriptor: " + socket.errorString().toStdString());
    QSeqpacketChannel *channel = nullptr;
    long got = 0;
    auto counted = [&] {
        if (++got == count)
            sendControl(PeerControlFd, 'D');
    };
    if (frames) {
        channel = new QSeqpacketChannel(&socket, &app);
        QObject::connect(channel, &QSeqpacketChannel::messageReceived, channel,
                         [&](const QString &name, const QSeqpacketMessage &message) {
                             if (name != smallName())
                                 fail("channel-count: wrong name");
                             checkCborBody(message.body(), got, "channel-count");
                             counted();
                         });
        QObject::connect(channel, &QSeqpacketChannel::protocolError, channel, [](const QString &why) {
            fail("channel-count: protocol error: " + why.toStdString());
        });
    } else {
        const qsizetype size = frameSize(QSeqpacketFrame::MessageFrame);
        QObject::connect(&socket, &QSeqpacketSocket::packetReady, &socket, [&] {
            for (;;) {
                const QSeqpacketPacket packet = socket.receivePacket();
                if (!packet.isValid())
                    return;
                if (packet.data().size() != size)
                    fail("qt-count: wrong size");
                counted();
            }
        });
    }
    QObject::connect(&socket, &QSeqpacketSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    const int status = app.exec();
    delete channel;
    if (got != count)
        fail("count: " + std::to_string(got) + " of " + std::to_string(count));
    return status;
}

// qlocal-datastream-count COUNT: reads (QString, QVariantMap) pairs with QDataStream transactions.
int qlocalDataStreamCount(int argc, char **argv)
{
    const long count = std::strtol(argc > 1 ? argv[1] : "0", nullptr, 10);
    QCoreApplication app(argc, argv);
    QLocalSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("qlocal-datastream-count: setSocketDescriptor: " + socket.errorString().toStdString());
    QDataStream in(&socket);
    long got = 0;
    QObject::connect(&socket, &QLocalSocket::readyRead, &socket, [&] {
        for (;;) {
            in.startTransaction();
            QString name;
            QVariantMap body;
            in >> name >> body;
            if (!in.commitTransaction())
                return;
            if (name != smallName())
                fail("qlocal-datastream-count: wrong name");
            checkVariantBody(body, got, "qlocal-datastream-count");
            if (++got == count)
                sendControl(PeerControlFd, 'D');
        }
    });
    QObject::connect(&socket, &QLocalSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    const int status = app.exec();
    if (got != count)
        fail("qlocal-datastream-count: " + std::to_string(got) + " of " + std::to_string(count));
    return status;
}

// memfd-raw-read SIZE: receives a memfd per packet, maps it, reads every byte (checksum),
// checks, acknowledges with one byte; until end-of-file.
int memfdRawRead(int argc, char **argv)
{
    const long size = std::strtol(argc > 1 ? argv[1] : "0", nullptr, 10);
    const QByteArray expected = filler(size);
    const quint64 expectedSum = checksum(expected.constData(), size_t(size));
    sendControl(PeerControlFd, 'R');
    for (;;) {
        quint64 announced = 0;
        std::vector<int> fds;
        const ssize_t n = TestUtil::rawRecvMsg(PeerDataFd, reinterpret_cast<char *>(&announced), sizeof(announced),
                                               MSG_CMSG_CLOEXEC, &fds);
        if (n == 0)
            return 0;
        if (n != ssize_t(sizeof(announced)) || fds.size() != 1 || announced != quint64(size))
            fail("memfd-raw-read: not a packet with one memfd", n == -1 ? errno : 0);
        void *mapped = ::mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fds[0], 0);
        if (mapped == MAP_FAILED)
            fail("memfd-raw-read: mmap", errno);
        const quint64 sum = checksum(static_cast<const char *>(mapped), size_t(size));
        ::munmap(mapped, size_t(size));
        ::close(fds[0]);
        if (sum != expectedSum)
            fail("memfd-raw-read: wrong content");
        if (::send(PeerDataFd, "k", 1, MSG_NOSIGNAL) != 1)
            fail("memfd-raw-read: send", errno);
    }
}

// channel-blob SIZE: receives messages whose body is a byte string of SIZE, reads every byte
// (checksum), checks, acknowledges with a message.
int channelBlob(int argc, char **argv)
{
    const long size = std::strtol(argc > 1 ? argv[1] : "0", nullptr, 10);
    QCoreApplication app(argc, argv);
    const QByteArray expected = filler(size);
    const quint64 expectedSum = checksum(expected.constData(), size_t(size));
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(PeerDataFd))
        fail("channel-blob: setSocketDescriptor: " + socket.errorString().toStdString());
    QSeqpacketChannel channel(&socket);
    QObject::connect(&channel, &QSeqpacketChannel::messageReceived, &channel,
                     [&](const QString &, const QSeqpacketMessage &message) {
                         const QByteArray bytes = message.body().toByteArray();
                         if (bytes.size() != size || checksum(bytes.constData(), size_t(size)) != expectedSum)
                             fail("channel-blob: wrong content");
                         if (!channel.send(QStringLiteral("ack")))
                             fail("channel-blob: send");
                     });
    QObject::connect(&channel, &QSeqpacketChannel::protocolError, &channel, [](const QString &why) {
        fail("channel-blob: protocol error: " + why.toStdString());
    });
    QObject::connect(&socket, &QSeqpacketSocket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

} // namespace

bool channelPeer(const std::string &mode, int argc, char **argv, int *status)
{
    if (mode == "channel-echo")
        *status = channelEcho(argc, argv);
    else if (mode == "channel-count")
        *status = seqpacketCount(argc, argv, true);
    else if (mode == "qt-count")
        *status = seqpacketCount(argc, argv, false);
    else if (mode == "qlocal-datastream-count")
        *status = qlocalDataStreamCount(argc, argv);
    else if (mode == "memfd-raw-read")
        *status = memfdRawRead(argc, argv);
    else if (mode == "channel-blob")
        *status = channelBlob(argc, argv);
    else if (mode == "dbus-echo")
        *status = dbusEchoPeer(argc, argv);
    else if (mode == "ro-echo")
        *status = remoteObjectsEchoPeer(argc, argv);
    else
        return false;
    return true;
}

} // namespace bench
