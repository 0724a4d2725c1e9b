// SPDX-License-Identifier: MIT
// libFuzzer target: the receive path of QSeqpacketSocket fed by a hostile peer.
//
// One end of a socket pair is a QSeqpacketSocket; the other is a raw descriptor that the fuzz
// input drives: packets of any size (zero-length, small, larger than the batch slots when the
// peer may force its send buffer), with 0 to 253 descriptors (and 254, which the kernel
// refuses), with or without SCM_CREDENTIALS; write shutdown, close while the library's packets
// are unread (a reset), all at any point. The input also drives the application side: receive
// whole or into short buffers, peek, pendingPacketSize(), waitForPacket(0), the event loop with
// a packetReady() slot that reads a varying number of packets, the receive descriptor limit,
// per-packet credentials, sending back, duplicate(), abort().
//
// Invariants checked on every packet and every input:
//   - packets arrive in order, each exactly once, their bytes intact (cut only where the
//     application asked for fewer, and then reported as truncated with the real size);
//   - descriptors: the right count (all of them, or as many as the receive descriptor limit in
//     force allowed, with areFileDescriptorsTruncated() set), each referring to the file sent,
//     each close-on-exec; peeking leaves none behind;
//   - nothing the peer sent before it closed is lost, and disconnected() comes at most once;
//   - no descriptor leaks: /proc/self/fd holds as many entries after each input as before;
//   - no crash, no sanitizer report, no SIGPIPE (it is left at its default, deadly action).
//
// This target found that the receive descriptor limit let up to 8 descriptors more through where
// per-packet credentials were off (fixed in 057c5c7; tst_socket_descriptors::receiveDescriptorLimit).
#include <QSeqpacketSocket>

#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>
#include <QtCore/QFile>

#include <fuzzer/FuzzedDataProvider.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openfds.h" // testsupport/
#include "rawsocket.h"

namespace {

// QSEQPACKET_FUZZ_TRACE=1 prints what an input does (for reading a crash or writing a seed).
bool tracing()
{
    static const bool value = qEnvironmentVariableIntValue("QSEQPACKET_FUZZ_TRACE") != 0;
    return value;
}

#define TRACE(...) do { if (tracing()) std::fprintf(stderr, "trace: " __VA_ARGS__); } while (false)

int g_fileA = -1; // the two files the peer sends descriptors of
int g_fileB = -1;
dev_t g_devA, g_devB;
ino_t g_inoA, g_inoB;
size_t g_slotSize = 0; // the library's batch slot: packets larger than it take the single-read path
bool g_canForceSendBuffer = false;

using TestUtil::openFdCount;

void listFds()
{
    for (const auto &[fd, target] : TestUtil::openFdList())
        std::fprintf(stderr, "  fd %d -> %s\n", fd, target.c_str());
}

[[noreturn]] void failed(const char *format, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void failed(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    std::fprintf(stderr, "fuzz_receive: ");
    std::vfprintf(stderr, format, args);
    std::fprintf(stderr, "\n");
    va_end(args);
    std::abort();
}

// Packet bytes: a window into one table, where the packet's sequence number picks the start.
constexpr qsizetype MaxPacket = 3900000; // the kernel allocates up to about 4 MiB for one packet
constexpr qsizetype PatternPeriod = 251;

const char *patternTable()
{
    static const std::vector<char> table = [] {
        std::vector<char> t(size_t(MaxPacket + PatternPeriod));
        for (size_t i = 0; i < t.size(); ++i)
            t[i] = char((i * 7 + (i >> 8)) & 0xff);
        return t;
    }();
    return table.data();
}

const char *payload(quint32 seq)
{
    return patternTable() + seq % PatternPeriod;
}

bool samePayload(const char *data, qsizetype size, quint32 seq)
{
    return size <= MaxPacket && (size == 0 || std::memcmp(data, payload(seq), size_t(size)) == 0);
}

struct Expected
{
    quint32 seq;
    qsizetype size;
    int fds;
    size_t limitIndex;  // the limit in force when it was sent
    size_t passcredIndex;
};

class Harness
{
public:
    explicit Harness(FuzzedDataProvider &input) : in(input) { }
    ~Harness()
    {
        delete socket;
        if (peer >= 0)
            ::close(peer);
    }

    void run();

private:
    bool setUp();
    void peerSend();
    void peerRead();
    void check(const QSeqpacketPacket &packet, qint64 maxSize, const char *how);
    void checkBuffer(qint64 stored, const char *buffer, qint64 maxSize, bool truncated, const char *how);
    void checkPeek();
    void drainAndFinish();
    bool limitAllows(const Expected &e, int got) const;

    FuzzedDataProvider &in;
    QSeqpacketSocket *socket = nullptr;
    int peer = -1;
    bool peerWriteShut = false;
    bool aborted = false;
    bool connectionEnded = false; // the peer closed or shut down its write side
    int disconnects = 0;
    quint32 nextSeq = 0;
    int handlerReads = 1;
    int fdsInFlight = 0;
    int librarySent = 0;
    std::deque<Expected> expected;
    std::vector<int> limits { 253 };
    std::vector<bool> passcred { false };
};

bool Harness::setUp()
{
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        failed("socketpair: %s", std::strerror(errno));
    peer = sv[1];
    const int flags = ::fcntl(peer, F_GETFL);
    ::fcntl(peer, F_SETFL, flags | O_NONBLOCK);
    socket = new QSeqpacketSocket;
    if (!socket->setSocketDescriptor(sv[0]))
        failed("setSocketDescriptor: %s", qPrintable(socket->errorString()));
    QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, [this] {
        for (int i = 0; i < handlerReads && socket->hasPendingPackets(); ++i)
            check(socket->receivePacket(), -1, "packetReady slot");
    });
    QObject::connect(socket, &QSeqpacketSocket::disconnected, socket, [this] { ++disconnects; });
    if (in.ConsumeBool()) {
        passcred.back() = true;
        socket->setPerPacketCredentials(true);
    }
    if (g_canForceSendBuffer && in.ConsumeIntegralInRange(0, 7) == 0) {
        const int force = int(g_slotSize * 2 + 256 * 1024);
        ::setsockopt(peer, SOL_SOCKET, SO_SNDBUFFORCE, &force, sizeof force);
    }
    return true;
}

bool Harness::limitAllows(const Expected &e, int got) const
{
    // The limit in force when the library read the packet: any since it was sent.
    for (size_t i = e.limitIndex; i < limits.size(); ++i) {
        if (got == qMin(e.fds, limits[i]))
            return true;
    }
    return false;
}

void Harness::check(const QSeqpacketPacket &packet, qint64 maxSize, const char *how)
{
    if (!packet.isValid())
        failed("%s: an invalid packet from a receive that said one waits", how);
    if (expected.empty())
        failed("%s: a packet (%d bytes) the peer never sent", how, int(packet.data().size()));
    const Expected e = expected.front();
    expected.pop_front();
    const QByteArray data = packet.data();
    TRACE("%s: packet %u, %d bytes, %d descriptors%s\n", how, e.seq, int(data.size()),
          int(packet.fileDescriptors().size()), packet.areFileDescriptorsTruncated() ? " (truncated)" : "");
    const qsizetype want = maxSize < 0 ? e.size : qMin<qsizetype>(e.size, qsizetype(maxSize));
    if (data.size() != want || !samePayload(data.constData(), want, e.seq))
        failed("%s: packet %u: %d bytes, expected %d of %d, or the bytes differ", how, e.seq, int(data.size()),
               int(want), int(e.size));
    if (packet.originalSize() != e.size)
        failed("%s: packet %u: originalSize() %lld, sent %d", how, e.seq, packet.originalSize(), int(e.size));
    if (packet.isTruncated() != (want < e.size))
        failed("%s: packet %u: isTruncated() is %d for %d of %d bytes", how, e.seq, packet.isTruncated(),
               int(want), int(e.size));
    const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
    if (!limitAllows(e, int(fds.size())))
        failed("%s: packet %u: %d descriptors, sent %d, receive limits since then:%s", how, e.seq, int(fds.size()),
               e.fds, [&] {
                   static char text[512];
                   int at = 0;
                   for (size_t i = e.limitIndex; i < limits.size() && at < 480; ++i)
                       at += std::snprintf(text + at, sizeof text - size_t(at), " %d", limits[i]);
                   return text;
               }());
    if (packet.areFileDescriptorsTruncated() != (fds.size() < e.fds))
        failed("%s: packet %u: areFileDescriptorsTruncated() is %d with %d of %d descriptors", how, e.seq,
               packet.areFileDescriptorsTruncated(), int(fds.size()), e.fds);
    for (qsizetype j = 0; j < fds.size(); ++j) {
        const int fd = fds.at(j).descriptor();
        struct stat st;
        if (fd < 0 || ::fstat(fd, &st) != 0)
            failed("%s: packet %u: descriptor %d is not open", how, e.seq, int(j));
        const bool a = (e.seq + quint32(j)) % 2 == 0;
        if (st.st_dev != (a ? g_devA : g_devB) || st.st_ino != (a ? g_inoA : g_inoB))
            failed("%s: packet %u: descriptor %d refers to the wrong file", how, e.seq, int(j));
        const int flags = ::fcntl(fd, F_GETFD);
        if (flags == -1 || !(flags & FD_CLOEXEC))
            failed("%s: packet %u: descriptor %d is not close-on-exec", how, e.seq, int(j));
    }
    fdsInFlight -= e.fds;
    // Credentials are this process's, or, for a packet sent before SO_PASSCRED was on, the
    // kernel's "unknown" (pid 0, the overflow uid 65534).
    const QSeqpacketCredentials credentials = packet.credentials();
    if (credentials.isValid() && credentials.userId() != uint(::getuid())
        && !(credentials.processId() == 0 && credentials.userId() == 65534))
        failed("%s: packet %u: credentials of pid %lld uid %u", how, e.seq, credentials.processId(), credentials.userId());
}

void Harness::checkBuffer(qint64 stored, const char *buffer, qint64 maxSize, bool truncated, const char *how)
{
    if (expected.empty())
        failed("%s: %lld bytes the peer never sent", how, stored);
    const Expected e = expected.front();
    expected.pop_front();
    fdsInFlight -= e.fds;
    const qsizetype want = qMin<qsizetype>(e.size, qsizetype(maxSize));
    if (stored != want || !samePayload(buffer, want, e.seq))
        failed("%s: packet %u: %lld bytes stored, expected %d of %d, or the bytes differ", how, e.seq, stored,
               int(want), int(e.size));
    if (truncated != (want < e.size))
        failed("%s: packet %u: truncated is %d for %d of %d bytes", how, e.seq, truncated, int(want), int(e.size));
}

void Harness::checkPeek()
{
    if (!socket->hasPendingPackets())
        return;
    const int before = openFdCount();
    const Expected e = expected.empty() ? Expected { 0, -1, 0, 0, 0 } : expected.front();
    const qint64 maxSize = in.ConsumeBool() ? -1 : in.ConsumeIntegralInRange<qint64>(0, 70000);
    if (in.ConsumeBool()) {
        const QSeqpacketPacket peeked = socket->peekPacket(maxSize);
        const qsizetype want = maxSize < 0 ? e.size : qMin<qsizetype>(e.size, qsizetype(maxSize));
        if (expected.empty() || peeked.data().size() != want || !samePayload(peeked.data().constData(), want, e.seq)
            || peeked.originalSize() != e.size)
            failed("peekPacket(%lld): not the next packet (%u)", maxSize, e.seq);
    } else {
        std::vector<char> buffer(size_t(qMax<qint64>(maxSize, 0)) + 1);
        bool truncated = false;
        const qint64 size = maxSize < 0 ? 0 : maxSize;
        const qint64 stored = socket->peekPacket(buffer.data(), size, &truncated);
        const qsizetype want = qMin<qsizetype>(e.size, qsizetype(size));
        if (expected.empty() || stored != want || !samePayload(buffer.data(), want, e.seq)
            || truncated != (want < e.size))
            failed("peekPacket(buffer, %lld): not the next packet (%u)", size, e.seq);
    }
    if (openFdCount() != before)
        failed("peeking left descriptors behind: %d before, %d after", before, openFdCount());
}

void Harness::peerSend()
{
    if (peer < 0 || peerWriteShut)
        return;
    qsizetype size = 0;
    switch (in.ConsumeIntegralInRange(0, 15)) {
    case 0:
        size = 0;
        break;
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9:
        size = in.ConsumeIntegralInRange(0, 300);
        break;
    case 10: case 11: case 12: case 13:
        size = in.ConsumeIntegralInRange(0, 70000);
        break;
    default:
        // Large: with a forced send buffer, packets (or several queued together) can outgrow a
        // batch slot and take the single-read path; else the kernel refuses them.
        size = in.ConsumeIntegralInRange<qsizetype>(70000, qMin<qsizetype>(qsizetype(g_slotSize) + 70000, MaxPacket));
        break;
    }
    int fds = 0;
    switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0: case 1: case 2: case 3:
        fds = 0;
        break;
    case 4: case 5:
        fds = in.ConsumeIntegralInRange(1, 4);
        break;
    case 6:
        fds = in.ConsumeIntegralInRange(0, 253);
        break;
    default:
        fds = in.ConsumeBool() ? 253 : 254; // 254: more than the kernel takes
        break;
    }
    if (fdsInFlight + fds > 2000)
        fds = 0; // keep within the descriptor table
    const bool withCredentials = in.ConsumeIntegralInRange(0, 7) == 0;

    const quint32 seq = nextSeq;
    iovec iov = { const_cast<char *>(payload(seq)), size_t(size) };
    msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control(CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 254));
    size_t used = 0;
    if (withCredentials || fds > 0) {
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (withCredentials) {
            const ucred own = { ::getpid(), ::getuid(), ::getgid() };
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_CREDENTIALS;
            c->cmsg_len = CMSG_LEN(sizeof own);
            std::memcpy(CMSG_DATA(c), &own, sizeof own);
            used += CMSG_SPACE(sizeof own);
            c = CMSG_NXTHDR(&msg, c);
        }
        if (fds > 0) {
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * size_t(fds));
            for (int j = 0; j < fds; ++j) {
                const int fd = (seq + quint32(j)) % 2 == 0 ? g_fileA : g_fileB;
                std::memcpy(CMSG_DATA(c) + size_t(j) * sizeof(int), &fd, sizeof fd);
            }
            used += CMSG_SPACE(sizeof(int) * size_t(fds));
        }
        msg.msg_controllen = used;
    }
    ssize_t sent;
    do {
        sent = ::sendmsg(peer, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent == -1 && errno == EINTR);
    TRACE("peer sends packet %u: %d bytes, %d descriptors%s: %s\n", seq, int(size), fds,
          withCredentials ? ", credentials" : "", sent == -1 ? std::strerror(errno) : "sent");
    if (sent == -1)
        return; // EAGAIN (full), EMSGSIZE (too large for the send buffer), EINVAL (254), EPIPE
    if (fds > 253)
        failed("the kernel accepted 254 descriptors");
    expected.push_back({ seq, size, fds, limits.size() - 1, passcred.size() - 1 });
    fdsInFlight += fds;
    ++nextSeq;
}

void Harness::peerRead()
{
    if (peer < 0)
        return;
    char buffer[512];
    std::vector<int> fds;
    TestUtil::rawRecvMsg(peer, buffer, sizeof buffer, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, &fds);
    for (int fd : fds)
        ::close(fd);
}

void Harness::drainAndFinish()
{
    if (aborted) {
        if (socket->hasPendingPackets() || socket->receivePacket().isValid())
            failed("packets readable after abort()");
        return;
    }
    // Everything the peer's kernel accepted is readable now, whatever happened since.
    for (int guard = 0; socket->hasPendingPackets(); ++guard) {
        if (guard > 100000)
            failed("hasPendingPackets() does not end");
        check(socket->receivePacket(), -1, "drain");
    }
    if (!expected.empty())
        failed("packet %u (of %zu the peer sent and the application has not read) is lost", expected.front().seq,
               expected.size());
    // The connection must end where the peer closed, or shut down its write side while this side
    // has nothing left to write; a peer that only shut down writing still reads, so packets
    // queued for it keep the socket in ClosingState.
    if (connectionEnded && (peer < 0 || socket->packetsToWrite() == 0)) {
        if (socket->state() != QSeqpacketSocket::UnconnectedState)
            socket->waitForDisconnected(1000);
        QCoreApplication::processEvents();
        if (socket->state() != QSeqpacketSocket::UnconnectedState)
            failed("the peer is gone and everything is read, but the socket is in state %d", int(socket->state()));
        if (disconnects != 1)
            failed("disconnected() emitted %d times", disconnects);
    } else if (disconnects != 0) {
        failed("disconnected() while the peer is still there");
    }
}

void Harness::run()
{
    setUp();
    TRACE("per-packet credentials %d\n", int(passcred.back()));
    for (int op = 0; op < 256 && in.remaining_bytes() > 0; ++op) {
        const int code = in.ConsumeIntegralInRange(0, 19);
        TRACE("op %d\n", code);
        switch (code) {
        case 0: case 1: case 2: case 3:
            peerSend();
            break;
        case 4: {
            const bool has = socket->hasPendingPackets();
            if (has != !expected.empty() && !aborted)
                failed("hasPendingPackets() is %d with %zu packets sent and unread", has, expected.size());
            if (has) {
                const qint64 maxSize = in.ConsumeBool() ? -1 : in.ConsumeIntegralInRange<qint64>(0, 500);
                check(socket->receivePacket(maxSize), maxSize, "receivePacket(maxSize)");
            }
            break;
        }
        case 5: {
            const qint64 maxSize = in.ConsumeIntegralInRange<qint64>(0, 600);
            std::vector<char> buffer(size_t(maxSize) + 1);
            bool truncated = false;
            const qint64 stored = socket->receivePacket(maxSize == 0 && in.ConsumeBool() ? nullptr : buffer.data(),
                                                        maxSize, &truncated);
            if (stored >= 0)
                checkBuffer(stored, buffer.data(), maxSize, truncated, "receivePacket(buffer)");
            else if (!expected.empty() && !aborted)
                failed("receivePacket(buffer) found nothing with %zu packets unread", expected.size());
            break;
        }
        case 6:
            checkPeek();
            break;
        case 7: {
            const qint64 size = socket->pendingPacketSize();
            const qint64 want = expected.empty() || aborted ? -1 : expected.front().size;
            if (size != want)
                failed("pendingPacketSize() is %lld, expected %lld", size, want);
            break;
        }
        case 8: case 9:
            handlerReads = in.ConsumeIntegralInRange(0, 3);
            QCoreApplication::processEvents();
            break;
        case 10: {
            const int limit = in.ConsumeIntegralInRange(-1, 254);
            socket->setReceiveDescriptorLimit(limit);
            const bool valid = limit >= 0 && limit <= 253;
            if (valid != (socket->receiveDescriptorLimit() == limit))
                failed("setReceiveDescriptorLimit(%d) gave %d", limit, socket->receiveDescriptorLimit());
            if (valid)
                limits.push_back(limit);
            TRACE("receive descriptor limit %d%s\n", limit, valid ? "" : " (refused)");
            break;
        }
        case 11: {
            const bool on = in.ConsumeBool();
            if (socket->setPerPacketCredentials(on))
                passcred.push_back(on);
            break;
        }
        case 12:
            peerRead();
            break;
        case 13:
            if (!aborted && socket->state() == QSeqpacketSocket::ConnectedState) {
                const QByteArray data(in.ConsumeIntegralInRange(0, 2000), 'x');
                if (in.ConsumeBool())
                    socket->sendPacket(data);
                else
                    socket->sendPacket(data, { QSeqpacketFileDescriptor::adopt(::fcntl(g_fileA, F_DUPFD_CLOEXEC, 0)) });
                ++librarySent;
            }
            break;
        case 14:
            if (peer >= 0 && !peerWriteShut && in.ConsumeIntegralInRange(0, 3) == 0) {
                ::shutdown(peer, SHUT_WR);
                peerWriteShut = true;
                connectionEnded = true;
            }
            break;
        case 15:
            if (peer >= 0 && in.ConsumeIntegralInRange(0, 3) == 0) {
                // With the library's packets unread this is a reset.
                ::close(peer);
                peer = -1;
                connectionEnded = true;
            }
            break;
        case 16:
            if (in.ConsumeIntegralInRange(0, 7) == 0) {
                socket->abort();
                aborted = true;
                expected.clear();
                fdsInFlight = 0;
            }
            break;
        case 17:
            if (QSeqpacketSocket *copy = socket->duplicate()) {
                if (copy->socketDescriptor() == socket->socketDescriptor())
                    failed("duplicate() shares the descriptor");
                delete copy;
            }
            break;
        case 18:
            if (socket->waitForPacket(0)) {
                if (expected.empty())
                    failed("waitForPacket(0) found a packet the peer never sent");
                check(socket->receivePacket(), -1, "waitForPacket(0)");
            }
            break;
        case 19:
            if (in.ConsumeBool())
                QCoreApplication::processEvents();
            else
                socket->waitForPacketsWritten(0);
            break;
        }
    }
    drainAndFinish();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    std::signal(SIGPIPE, SIG_DFL); // the library must never raise it
    rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 4096) {
        limit.rlim_cur = qMin<rlim_t>(limit.rlim_max, 4096);
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    static QCoreApplication app(*argc, *argv);
    patternTable(); // built once, before the first input
    g_fileA = ::memfd_create("fuzz-file-A", MFD_CLOEXEC);
    g_fileB = ::memfd_create("fuzz-file-B", MFD_CLOEXEC);
    struct stat st;
    ::fstat(g_fileA, &st);
    g_devA = st.st_dev;
    g_inoA = st.st_ino;
    ::fstat(g_fileB, &st);
    g_devB = st.st_dev;
    g_inoB = st.st_ino;
    size_t wmemMax = 212992;
    QFile file(QStringLiteral("/proc/sys/net/core/wmem_max"));
    if (file.open(QIODevice::ReadOnly))
        wmemMax = size_t(file.readAll().trimmed().toULongLong());
    const size_t page = size_t(::sysconf(_SC_PAGESIZE));
    g_slotSize = (2 * wmemMax + page - 1) / page * page;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
        const int force = int(g_slotSize * 2);
        g_canForceSendBuffer = ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &force, sizeof force) == 0;
        ::close(sv[0]);
        ::close(sv[1]);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider input(data, size);
    const int before = openFdCount();
    {
        Harness harness(input);
        harness.run();
    }
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCoreApplication::processEvents();
    const int after = openFdCount();
    if (after != before) {
        std::fprintf(stderr, "fuzz_receive: %d descriptors open before the input, %d after\n", before, after);
        listFds();
        std::abort();
    }
    return 0;
}
