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
// The far sides: what answers, counts or reads, in a peer process or (--in-process) here
// ---------------------------------------------------------------------------------------------

namespace {

bool inProcess = false;

using Done = std::function<void()>;

// channel-echo: a channel answering every request with its body.
void attachChannelEcho(QSeqpacketSocket *socket)
{
    auto *channel = new QSeqpacketChannel(socket, socket);
    QObject::connect(channel, &QSeqpacketChannel::requestReceived, channel, [](QSeqpacketRequest request) {
        if (!request.reply(QSeqpacketMessage(request.message().body())))
            fail("channel-echo: reply");
    });
}

// channel-count / qt-count: counts \a count messages (packets), checking each; then \a done.
void attachCounter(QSeqpacketSocket *socket, bool frames, long count, const Done &done)
{
    auto got = std::make_shared<long>(0);
    auto counted = [got, count, done] {
        if (++*got == count)
            done();
    };
    if (frames) {
        auto *channel = new QSeqpacketChannel(socket, socket);
        QObject::connect(channel, &QSeqpacketChannel::messageReceived, channel,
                         [got, counted](const QString &name, const QSeqpacketMessage &message) {
                             if (name != smallName())
                                 fail("channel-count: wrong name");
                             checkCborBody(message.body(), *got, "channel-count");
                             counted();
                         });
        QObject::connect(channel, &QSeqpacketChannel::protocolError, channel, [](const QString &why) {
            fail("channel-count: protocol error: " + why.toStdString());
        });
        return;
    }
    const qsizetype size = frameSize(QSeqpacketFrame::MessageFrame);
    QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, [socket, size, counted] {
        for (;;) {
            const QSeqpacketPacket packet = socket->receivePacket();
            if (!packet.isValid())
                return;
            if (packet.data().size() != size)
                fail("qt-count: wrong size");
            counted();
        }
    });
}

// qlocal-datastream-count: reads (QString, QVariantMap) pairs with QDataStream transactions.
void attachDataStreamCounter(QLocalSocket *socket, long count, const Done &done)
{
    auto in = std::make_shared<QDataStream>(socket); // goes with the connection
    auto got = std::make_shared<long>(0);
    QObject::connect(socket, &QLocalSocket::readyRead, socket, [in, got, count, done] {
        for (;;) {
            in->startTransaction();
            QString name;
            QVariantMap body;
            *in >> name >> body;
            if (!in->commitTransaction())
                return;
            if (name != smallName())
                fail("qlocal-datastream-count: wrong name");
            checkVariantBody(body, *got, "qlocal-datastream-count");
            if (++*got == count)
                done();
        }
    });
}

// A sealed memfd holding \a data (the raw baseline's way, and the caller's own in ChannelFd).
int sealedMemfd(const QByteArray &data)
{
    const int memfd = ::memfd_create("bench-raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd == -1)
        fail("memfd_create", errno);
    for (qsizetype written = 0; written < data.size();) {
        const ssize_t n = ::write(memfd, data.constData() + written, size_t(data.size() - written));
        if (n <= 0) {
            if (n == -1 && errno == EINTR)
                continue;
            fail("write to the memfd", errno);
        }
        written += n;
    }
    if (::fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == -1)
        fail("F_ADD_SEALS", errno);
    return memfd;
}

// Maps \a size bytes of \a memfd and reads every one of them (checksum).
quint64 checksumOfMemfd(int memfd, long size)
{
    void *mapped = ::mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, memfd, 0);
    if (mapped == MAP_FAILED)
        fail("mmap of the memfd", errno);
    const quint64 sum = checksum(static_cast<const char *>(mapped), size_t(size));
    ::munmap(mapped, size_t(size));
    return sum;
}

// channel-blob: reads every byte (checksum) of messages whose body is a byte string of \a size
// (through bodyBytes() where \a asBytes, else body().toByteArray()), checks them, acknowledges
// each with a message.
void attachChannelBlob(QSeqpacketSocket *socket, long size, bool asBytes)
{
    const QByteArray expected = filler(size);
    const quint64 expectedSum = checksum(expected.constData(), size_t(size));
    auto *channel = new QSeqpacketChannel(socket, socket);
    QObject::connect(channel, &QSeqpacketChannel::messageReceived, channel,
                     [channel, size, expectedSum, asBytes](const QString &, const QSeqpacketMessage &message) {
                         quint64 sum = 0;
                         const QList<QSeqpacketFileDescriptor> fds = message.fileDescriptors();
                         if (!fds.isEmpty()) { // ChannelFd: the bytes are in the memfd; the body says how many
                             if (message.body().toInteger() != size)
                                 fail("channel-blob: wrong size");
                             sum = checksumOfMemfd(fds.constFirst().descriptor(), size);
                         } else {
                             const QByteArray bytes = asBytes ? message.bodyBytes() : message.body().toByteArray();
                             if (bytes.size() != size)
                                 fail("channel-blob: wrong size");
                             sum = checksum(bytes.constData(), size_t(size));
                         }
                         if (sum != expectedSum)
                             fail("channel-blob: wrong content");
                         if (!channel->send(QStringLiteral("ack")))
                             fail("channel-blob: send");
                     });
    QObject::connect(channel, &QSeqpacketChannel::protocolError, channel, [](const QString &why) {
        fail("channel-blob: protocol error: " + why.toStdString());
    });
}

// memfd-raw-read: receives one packet with a memfd, maps it, reads every byte (checksum), checks,
// acknowledges with one byte. False at end-of-file.
bool readMemfdPacket(int fd, long size, quint64 expectedSum)
{
    quint64 announced = 0;
    std::vector<int> fds;
    const ssize_t n = TestUtil::rawRecvMsg(fd, reinterpret_cast<char *>(&announced), sizeof(announced),
                                           MSG_CMSG_CLOEXEC, &fds);
    if (n == 0)
        return false;
    if (n != ssize_t(sizeof(announced)) || fds.size() != 1 || announced != quint64(size))
        fail("memfd-raw-read: not a packet with one memfd", n == -1 ? errno : 0);
    const quint64 sum = checksumOfMemfd(fds[0], size);
    ::close(fds[0]);
    if (sum != expectedSum)
        fail("memfd-raw-read: wrong content");
    if (::send(fd, "k", 1, MSG_NOSIGNAL) != 1)
        fail("memfd-raw-read: send", errno);
    return true;
}

// The far side of one measurement: a peer process (`--peer MODE ARGS...` on the pair's other
// end), or with --in-process the same objects made here on it.
struct FarSide
{
    Peer peer;
    std::unique_ptr<QObject> local; // in-process: the far side's socket; its objects are children

    template <typename Socket, typename Attach>
    static FarSide start(const std::vector<std::string> &peerArgs, int fd, Attach attach)
    {
        FarSide far;
        if (inProcess) {
            auto *socket = new Socket;
            far.local.reset(socket);
            adopt(*socket, fd);
            attach(socket);
        } else {
            far.peer = spawnPeer(peerArgs, fd);
            ::close(fd);
        }
        return far;
    }
    // Once this side has closed its end: the peer process ends (reaped) or the objects go.
    void finish()
    {
        local.reset();
        if (peer.pid > 0)
            reapPeer(peer);
    }
};

// For the counting far sides: quits \a loop when the count is complete (a peer says 'D').
struct DoneWatch
{
    DoneWatch(FarSide &far, QEventLoop &loop)
    {
        if (!inProcess)
            control = std::make_unique<ControlWatch>(far.peer, loop, 'D');
    }
    std::unique_ptr<ControlWatch> control;
};

// Calls \a begin, then runs \a loop until something quits it. Returns the seconds that took.
template <typename F>
double timeLoop(QEventLoop &loop, const char *what, F begin)
{
    const Clock::time_point start = Clock::now();
    begin();
    runLoop(loop, what);
    return secondsSince(start);
}

} // namespace

void setChannelInProcess(bool on)
{
    inProcess = on;
}

bool channelInProcess()
{
    return inProcess;
}

void attachPacketEcho(QSeqpacketSocket *socket)
{
    QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, [socket] {
        for (;;) {
            const QSeqpacketPacket packet = socket->receivePacket();
            if (!packet.isValid())
                break;
            if (!socket->sendPacket(packet))
                fail("echo: sendPacket: " + socket->errorString().toStdString());
        }
    });
}

// ---------------------------------------------------------------------------------------------

double channelRoundTrip(ChannelRoundTrip kind, long count)
{
    if (kind == ChannelRoundTrip::DBus)
        return inProcess ? std::nan("") : dbusRoundTrip(count);
    if (kind == ChannelRoundTrip::RemoteObjects)
        return inProcess ? std::nan("") : remoteObjectsRoundTrip(count);

    int fds[2];
    seqpacketPair(fds);
    const bool packets = kind == ChannelRoundTrip::Packet;
    FarSide far = FarSide::start<QSeqpacketSocket>({ packets ? "qt-echo" : "channel-echo" }, fds[1],
                                                   packets ? attachPacketEcho : attachChannelEcho);
    long got = 0;
    double elapsed = 0;
    {
        QSeqpacketSocket socket;
        adopt(socket, fds[0]);
        QEventLoop loop;
        if (packets) {
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
            elapsed = timeLoop(loop, "channel round trip (packets)", [&] { socket.sendPacket(payload); });
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
            elapsed = timeLoop(loop, "channel round trip (requests)", ask);
        }
    }
    far.finish();
    return elapsed * 1e6 / double(count);
}

// ---------------------------------------------------------------------------------------------

double channelStream(ChannelStream kind, long count)
{
    int fds[2];
    long sent = 0;
    double elapsed = 0;
    const QString name = smallName();
    QEventLoop loop;
    const Done quit = [&loop] { loop.quit(); };
    if (kind == ChannelStream::QLocalDataStream) {
        streamPair(fds);
        FarSide far = FarSide::start<QLocalSocket>({ "qlocal-datastream-count", std::to_string(count) }, fds[1],
                                                   [&](QLocalSocket *socket) { attachDataStreamCounter(socket, count, quit); });
        {
            QLocalSocket socket;
            adopt(socket, fds[0]);
            DoneWatch done(far, loop);
            QDataStream out(&socket);
            auto pump = [&] {
                while (sent < count && socket.bytesToWrite() < StreamWatermark) {
                    out << name << smallVariantBody(sent);
                    ++sent;
                }
            };
            QObject::connect(&socket, &QLocalSocket::bytesWritten, &loop, pump);
            elapsed = timeLoop(loop, "one-way messages (QLocalSocket + QDataStream)", pump);
        }
        far.finish();
    } else {
        seqpacketPair(fds);
        const bool frames = kind == ChannelStream::Channel;
        FarSide far = FarSide::start<QSeqpacketSocket>({ frames ? "channel-count" : "qt-count", std::to_string(count) }, fds[1],
                                                       [&](QSeqpacketSocket *socket) { attachCounter(socket, frames, count, quit); });
        {
            QSeqpacketSocket socket;
            adopt(socket, fds[0]);
            std::unique_ptr<QSeqpacketChannel> channel;
            if (frames)
                channel = std::make_unique<QSeqpacketChannel>(&socket);
            DoneWatch done(far, loop);
            const QByteArray payload = filler(frameSize(QSeqpacketFrame::MessageFrame));
            auto pump = [&] {
                while (sent < count && socket.bytesToWrite() < StreamWatermark) {
                    if (channel ? !channel->send(name, QSeqpacketMessage(smallCborBody(sent))) : !socket.sendPacket(payload))
                        fail("one-way messages: " + (channel ? channel->errorString() : socket.errorString()).toStdString());
                    ++sent;
                }
            };
            QObject::connect(&socket, &QSeqpacketSocket::packetsWritten, &loop, pump);
            elapsed = timeLoop(loop, "one-way messages (QSeqpacket)", pump);
        }
        far.finish();
    }
    if (sent != count)
        fail("one-way messages: the far side finished before everything was sent");
    return double(count) / elapsed;
}

// ---------------------------------------------------------------------------------------------

double bigMessage(BigMessage kind, long size, long count)
{
    int fds[2];
    seqpacketPair(fds);
    const QByteArray data = filler(size); // what the application has to send, made before the timing
    double elapsed = 0;
    if (kind == BigMessage::RawMemfd) {
        const quint64 expectedSum = checksum(data.constData(), size_t(size));
        Peer peer;
        if (inProcess) {
            setSocketTimeouts(fds[1], 60);
        } else {
            peer = spawnPeer({ "memfd-raw-read", std::to_string(size) }, fds[1]);
            ::close(fds[1]);
        }
        const int fd = fds[0];
        setSocketTimeouts(fd, 60);
        const Clock::time_point start = Clock::now();
        for (long i = 0; i < count; ++i) {
            const int memfd = sealedMemfd(data);
            const quint64 announced = quint64(size);
            if (TestUtil::rawSendMsg(fd, reinterpret_cast<const char *>(&announced), sizeof(announced), &memfd, 1) == -1)
                fail("sendmsg with the memfd", errno);
            ::close(memfd);
            if (inProcess)
                readMemfdPacket(fds[1], size, expectedSum);
            char ack;
            if (::recv(fd, &ack, 1, 0) != 1)
                fail("raw memfd: no acknowledgement", errno);
        }
        elapsed = secondsSince(start);
        ::close(fd);
        if (inProcess)
            ::close(fds[1]);
        else
            reapPeer(peer);
    } else {
        const bool asBytes = kind == BigMessage::ChannelBytes;
        FarSide far = FarSide::start<QSeqpacketSocket>(
                { "channel-blob", std::to_string(size), asBytes ? "bytes" : "value" }, fds[1],
                [size, asBytes](QSeqpacketSocket *socket) { attachChannelBlob(socket, size, asBytes); });
        {
            QSeqpacketSocket socket;
            adopt(socket, fds[0]);
            QSeqpacketChannel channel(&socket);
            QEventLoop loop;
            long acknowledged = 0;
            auto sendOne = [&] {
                // From the application's bytes to the message, as a user does it: a byte string body
                // (a copy into the QCborValue), the bytes themselves (setBodyBytes(), shared), or
                // the bytes in a sealed memfd of the caller's own sent as the descriptor.
                QSeqpacketMessage message;
                if (kind == BigMessage::Channel)
                    message.setBody(QCborValue(data));
                else if (kind == BigMessage::ChannelBytes)
                    message.setBodyBytes(data);
                else
                    message = QSeqpacketMessage(QCborValue(qint64(size)), { QSeqpacketFileDescriptor::adopt(sealedMemfd(data)) });
                if (!channel.send(QStringLiteral("blob"), message))
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
            elapsed = timeLoop(loop, "large message (QSeqpacketChannel)", sendOne);
        }
        far.finish();
    }
    return double(size) * double(count) / (1024.0 * 1024.0) / elapsed;
}

// ---------------------------------------------------------------------------------------------
// The peer processes
// ---------------------------------------------------------------------------------------------

namespace {

long numberArgument(int argc, char **argv)
{
    if (argc < 2)
        fail(std::string("peer ") + argv[0] + ": missing argument");
    return std::strtol(argv[1], nullptr, 10);
}

// A peer on the data socket: \a attach makes its objects; it ends when the driver disconnects.
template <typename Socket, typename Attach>
int runPeer(int argc, char **argv, Attach attach)
{
    QCoreApplication app(argc, argv);
    Socket socket;
    adopt(socket, PeerDataFd);
    attach(&socket);
    QObject::connect(&socket, &Socket::disconnected, &app, &QCoreApplication::quit);
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

// memfd-raw-read SIZE: reads memfds until end-of-file.
int memfdRawRead(int argc, char **argv)
{
    const long size = numberArgument(argc, argv);
    const QByteArray expected = filler(size);
    const quint64 expectedSum = checksum(expected.constData(), size_t(size));
    sendControl(PeerControlFd, 'R');
    while (readMemfdPacket(PeerDataFd, size, expectedSum)) {
    }
    return 0;
}

} // namespace

bool channelPeer(const std::string &mode, int argc, char **argv, int *status)
{
    const Done sayDone = [] { sendControl(PeerControlFd, 'D'); };
    if (mode == "channel-echo") {
        *status = runPeer<QSeqpacketSocket>(argc, argv, attachChannelEcho);
    } else if (mode == "channel-count" || mode == "qt-count") {
        const long count = numberArgument(argc, argv);
        const bool frames = mode == "channel-count";
        *status = runPeer<QSeqpacketSocket>(argc, argv, [&](QSeqpacketSocket *socket) {
            attachCounter(socket, frames, count, sayDone);
        });
    } else if (mode == "qlocal-datastream-count") {
        const long count = numberArgument(argc, argv);
        *status = runPeer<QLocalSocket>(argc, argv, [&](QLocalSocket *socket) {
            attachDataStreamCounter(socket, count, sayDone);
        });
    } else if (mode == "memfd-raw-read") {
        *status = memfdRawRead(argc, argv);
    } else if (mode == "channel-blob") {
        const long size = numberArgument(argc, argv);
        const bool asBytes = argc > 2 && std::string(argv[2]) == "bytes";
        *status = runPeer<QSeqpacketSocket>(argc, argv, [&](QSeqpacketSocket *socket) { attachChannelBlob(socket, size, asBytes); });
    } else if (mode == "dbus-echo") {
        *status = dbusEchoPeer(argc, argv);
    } else if (mode == "ro-echo") {
        *status = remoteObjectsEchoPeer(argc, argv);
    } else {
        return false;
    }
    return true;
}

} // namespace bench
