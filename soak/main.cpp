// SPDX-License-Identifier: MIT
// qseqpacket-soak: QSeqpacket under load, across processes, with peers that die.
//
//   qseqpacket-soak [--short] [--packets N] [--kills N] [--threads N] [--seed S]
//                   [--only packets|kills|threads]
//
// 1. packets: a child process (this program, started again) sends N packets with descriptors
//    through QSeqpacketSocket driven by the waitFor...() calls (no event loop); this process
//    receives them through the event loop and checks each one: in order, every byte, every
//    descriptor (the file it refers to). Every 64th packet goes back as an acknowledgement with
//    the descriptors it carried, which the child checks in turn.
// 2. kills: N runs in each of which a peer process (plain syscalls) sends numbered packets,
//    some with descriptors, as fast as it can while this process sends to it too, and is killed
//    with SIGKILL at a random moment. The peer counts in shared memory (a memfd) how many
//    sendmsg() calls the kernel accepted; this process must receive exactly those packets, in
//    order, and then see disconnected(). Half the runs use a socket pair, half a
//    QSeqpacketServer on an abstract name; some runs stop reading until the kill.
// 3. threads: socket pairs whose ends live in different threads (event loops) pass packets
//    with shared descriptors, received packets travel to the main thread (and are closed there),
//    and two std::threads without an event loop ping-pong with the waitFor...() calls.
//    Meant for ThreadSanitizer (scripts/sanitize.sh).
// 4. channel: a child process (this program) answers N requests of a QSeqpacketChannel, at most
//    64 waiting at once. Each request carries a memfd and a body whose size varies; every 50th
//    body is 300 KB, larger than a packet, so it travels in a sealed memfd (and so does every
//    50th reply). Each reply carries a memfd of its own, whose content names the request; the
//    child sends a one-way message every 1000 requests. Every body and descriptor is checked.
//
// Each phase counts this process's open descriptors (/proc/self/fd) before and after; any
// difference, any lost, duplicated, reordered or damaged packet, or a peer that fails, makes
// the exit code 1. The figures are printed at the end.
#include <QSeqpacketChannel>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QCryptographicHash>

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "openfds.h" // testsupport/
#include "rawsocket.h"

extern char **environ;

namespace {

// ---- shared helpers ---------------------------------------------------------------------------

std::atomic<int> g_failures{0}; // fail() may be called from any thread

void fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
void fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    std::fprintf(stderr, "soak: FAIL: ");
    std::vfprintf(stderr, format, args);
    std::fprintf(stderr, "\n");
    va_end(args);
    g_failures.fetch_add(1);
}

using TestUtil::openFdCount;

// The open descriptors as "fd->target fd->target ...", for failure messages.
QByteArray openFdList()
{
    QByteArray out;
    for (const auto &[fd, target] : TestUtil::openFdList())
        out += QByteArray::number(fd) + "->" + QByteArray::fromStdString(target) + ' ';
    return out;
}

long residentKiB()
{
    FILE *f = std::fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, "VmRSS:", 6) == 0)
            kib = std::strtol(line + 6, nullptr, 10);
    }
    std::fclose(f);
    return kib;
}

quint64 mix(quint64 x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

// Packet n of a stream: its size, its bytes (the sequence number in the first 8 bytes, then a
// pattern that depends on n) and how many descriptors it carries.
constexpr int MaxPayload = 16384;
constexpr int PatternPeriod = 251;

const char *patternTable()
{
    static const std::vector<char> table = [] {
        std::vector<char> t(PatternPeriod + MaxPayload);
        for (size_t i = 0; i < t.size(); ++i)
            t[i] = char((i * 7 + (i >> 8)) & 0xff);
        return t;
    }();
    return table.data();
}

int payloadSize(quint64 seq, quint64 salt)
{
    if (seq % 97 == 5)
        return 0; // zero-length packets are packets too
    const quint64 h = mix(seq ^ salt);
    if (h % 32 == 0)
        return 1024 + int((h >> 8) % (MaxPayload - 1024));
    return int((h >> 8) % 600);
}

void fillPayload(char *buffer, quint64 seq, int size)
{
    std::memcpy(buffer, patternTable() + seq % PatternPeriod, size_t(size));
    if (size >= 8)
        std::memcpy(buffer, &seq, 8);
}

bool payloadIntact(const char *data, qsizetype size, quint64 seq, int expectedSize)
{
    if (size != expectedSize)
        return false;
    if (size >= 8) {
        quint64 got;
        std::memcpy(&got, data, 8);
        if (got != seq)
            return false;
        return std::memcmp(data + 8, patternTable() + seq % PatternPeriod + 8, size_t(size - 8)) == 0;
    }
    return std::memcmp(data, patternTable() + seq % PatternPeriod, size_t(size)) == 0;
}

QByteArray identity(int fd)
{
    struct stat st;
    if (::fstat(fd, &st) != 0)
        return QByteArray();
    return QByteArray::number(quint64(st.st_dev)) + ':' + QByteArray::number(quint64(st.st_ino));
}

int makeMemfd(const char *name, const QByteArray &content, bool cloexec = true)
{
    const int fd = ::memfd_create(name, cloexec ? MFD_CLOEXEC : 0);
    if (fd >= 0 && ::write(fd, content.constData(), size_t(content.size())) != content.size()) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Starts this program again with \a args; \a fdMap moves our descriptors to the child's
// numbers (dup2, so the child's copies are not close-on-exec).
pid_t spawnSelf(const QList<QByteArray> &args, const QList<std::pair<int, int>> &fdMap)
{
    posix_spawn_file_actions_t actions;
    for (const auto &[from, to] : fdMap) {
        if (from >= 200) { // the targets (200 and up) must not overwrite a source
            fail("spawn: descriptor %d is too high to hand over", from);
            return -1;
        }
    }
    posix_spawn_file_actions_init(&actions);
    for (const auto &[from, to] : fdMap)
        posix_spawn_file_actions_adddup2(&actions, from, to);
    QList<QByteArray> all = { QByteArray("qseqpacket-soak") };
    all += args;
    std::vector<char *> argv;
    for (QByteArray &a : all)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int error = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
        fail("posix_spawn: %s", std::strerror(error));
        return -1;
    }
    return pid;
}

int waitChild(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) { }
    return status;
}

void raiseDescriptorLimit()
{
    rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 8192 && limit.rlim_max > limit.rlim_cur) {
        limit.rlim_cur = qMin<rlim_t>(limit.rlim_max, 8192);
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// ---- 1. packets ---------------------------------------------------------------------------------

constexpr quint64 PacketSalt = 0x5eed;
constexpr int AckEvery = 64;

int descriptorCount(quint64 seq)
{
    if (seq % 1000 == 999)
        return 253; // the most one packet can carry
    return int(seq % 3);
}

// Descriptor j of packet seq is file A or file B.
bool isFileA(quint64 seq, int j)
{
    return ((seq + quint64(j)) & 1) == 0;
}

struct PacketStats
{
    quint64 packets = 0;
    quint64 bytes = 0;
    quint64 descriptors = 0;
    quint64 acks = 0;
    int fdsBefore = 0;
    int fdsAfter = 0;
    int fdsMax = 0;
    long rssBefore = 0;
    long rssAfter = 0;
    double seconds = 0;
};

// The child: sends \a count packets and END, checks the acknowledgements, waits for BYE.
int packetSenderChild(int fd, quint64 count)
{
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(fd)) {
        std::fprintf(stderr, "soak child: setSocketDescriptor: %s\n", qPrintable(socket.errorString()));
        return 2;
    }
    socket.setSendQueueLimit(4 * 1024 * 1024);
    const QSeqpacketFileDescriptor fileA = QSeqpacketFileDescriptor::adopt(makeMemfd("soak-A", "file A"));
    const QSeqpacketFileDescriptor fileB = QSeqpacketFileDescriptor::adopt(makeMemfd("soak-B", "file B"));
    if (!fileA.isValid() || !fileB.isValid())
        return 2;
    const QByteArray idA = identity(fileA.descriptor());
    const QByteArray idB = identity(fileB.descriptor());
    // The descriptor lists, by count and parity of the first.
    QList<QSeqpacketFileDescriptor> lists[254][2];
    for (int n : { 1, 2, 253 }) {
        for (int parity = 0; parity < 2; ++parity) {
            for (int j = 0; j < n; ++j)
                lists[n][parity].append(isFileA(quint64(parity), j) ? fileA : fileB);
        }
    }

    quint64 acks = 0;
    quint64 nextAck = AckEvery - 1;
    bool bye = false;
    int failures = 0;
    auto readIncoming = [&] {
        while (socket.hasPendingPackets()) {
            const QSeqpacketPacket packet = socket.receivePacket();
            const QByteArray data = packet.data();
            if (data == "BYE") {
                bye = true;
                continue;
            }
            quint64 seq = 0;
            if (data.size() != 11 || !data.startsWith("ACK")) {
                if (failures++ < 5)
                    std::fprintf(stderr, "soak child: unexpected packet of %d bytes\n", int(data.size()));
                continue;
            }
            std::memcpy(&seq, data.constData() + 3, 8);
            const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
            bool ok = seq == nextAck && fds.size() == descriptorCount(seq) && !packet.areFileDescriptorsTruncated();
            for (int j = 0; ok && j < fds.size(); ++j)
                ok = identity(fds.at(j).descriptor()) == (isFileA(seq, j) ? idA : idB);
            if (!ok && failures++ < 5)
                std::fprintf(stderr, "soak child: bad acknowledgement %llu (expected %llu, %d descriptors)\n",
                             seq, nextAck, int(fds.size()));
            nextAck += AckEvery;
            ++acks;
        }
    };

    std::vector<char> buffer(MaxPayload);
    for (quint64 seq = 0; seq <= count; ++seq) {
        const bool end = seq == count;
        const int size = end ? 3 : payloadSize(seq, PacketSalt);
        if (end)
            std::memcpy(buffer.data(), "END", 3);
        else
            fillPayload(buffer.data(), seq, size);
        const int n = end ? 0 : descriptorCount(seq);
        const QList<QSeqpacketFileDescriptor> &fds = lists[n][seq & 1];
        while (!socket.sendPacket(QByteArrayView(buffer.data(), size), fds)) {
            if (socket.error() != QSeqpacketSocket::SendQueueFullError) {
                std::fprintf(stderr, "soak child: sendPacket %llu: %s\n", seq, qPrintable(socket.errorString()));
                return 2;
            }
            socket.waitForPacketsWritten(1000);
            readIncoming();
        }
        if ((seq & 255) == 0)
            readIncoming();
    }
    if (!socket.waitForPacketsWritten(60000)) {
        std::fprintf(stderr, "soak child: waitForPacketsWritten: %s\n", qPrintable(socket.errorString()));
        return 2;
    }
    QElapsedTimer timer;
    timer.start();
    while (!bye && timer.elapsed() < 120000) {
        readIncoming();
        if (!bye && !socket.waitForPacket(1000) && socket.state() != QSeqpacketSocket::ConnectedState)
            break;
    }
    readIncoming();
    const quint64 expectedAcks = count / AckEvery;
    if (!bye) {
        std::fprintf(stderr, "soak child: no BYE\n");
        return 2;
    }
    if (acks != expectedAcks || failures) {
        std::fprintf(stderr, "soak child: %llu acknowledgements (expected %llu), %d bad\n",
                     acks, expectedAcks, failures);
        return 2;
    }
    socket.disconnectFromServer();
    return 0;
}

PacketStats runPackets(quint64 count)
{
    PacketStats stats;
    stats.fdsBefore = openFdCount();
    stats.fdsMax = stats.fdsBefore;
    stats.rssBefore = residentKiB();
    QElapsedTimer timer;
    timer.start();

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
        fail("socketpair: %s", std::strerror(errno));
        return stats;
    }
    const pid_t pid = spawnSelf({ "--packet-sender", "200", QByteArray::number(count) }, { { sv[1], 200 } });
    ::close(sv[1]);
    if (pid < 0) {
        ::close(sv[0]);
        return stats;
    }
    {
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(sv[0])) {
            fail("setSocketDescriptor: %s", qPrintable(socket.errorString()));
            ::close(sv[0]);
        }
        QEventLoop loop;
        quint64 next = 0;
        bool ended = false;
        int failures = 0;
        QByteArray idA, idB;
        QObject::connect(&socket, &QSeqpacketSocket::packetReady, &loop, [&] {
            while (socket.hasPendingPackets()) {
                const QSeqpacketPacket packet = socket.receivePacket();
                const QByteArray data = packet.data();
                if (ended) {
                    if (failures++ < 5)
                        fail("packets: a packet after END");
                    continue;
                }
                if (next == count) {
                    if (data != "END" && failures++ < 5)
                        fail("packets: expected END, got %d bytes", int(data.size()));
                    ended = true;
                    socket.sendPacket(QByteArrayView("BYE"));
                    continue;
                }
                const quint64 seq = next++;
                const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
                if (!payloadIntact(data.constData(), data.size(), seq, payloadSize(seq, PacketSalt))
                    || packet.isTruncated()) {
                    if (failures++ < 5)
                        fail("packets: packet %llu damaged or out of order (%d bytes, expected %d)",
                             seq, int(data.size()), payloadSize(seq, PacketSalt));
                }
                if (fds.size() != descriptorCount(seq) || packet.areFileDescriptorsTruncated()) {
                    if (failures++ < 5)
                        fail("packets: packet %llu has %d descriptors, expected %d", seq, int(fds.size()),
                             descriptorCount(seq));
                }
                for (int j = 0; j < fds.size(); ++j) {
                    const QByteArray id = identity(fds.at(j).descriptor());
                    QByteArray &expected = isFileA(seq, j) ? idA : idB;
                    if (expected.isEmpty())
                        expected = id; // the first time each file is seen
                    if (id != expected && failures++ < 5)
                        fail("packets: packet %llu descriptor %d refers to the wrong file", seq, j);
                }
                stats.packets++;
                stats.bytes += quint64(data.size());
                stats.descriptors += quint64(fds.size());
                if (seq % AckEvery == AckEvery - 1) {
                    QByteArray ack("ACK", 3);
                    ack.append(reinterpret_cast<const char *>(&seq), 8);
                    if (!socket.sendPacket(ack, fds) && failures++ < 5)
                        fail("packets: acknowledgement %llu: %s", seq, qPrintable(socket.errorString()));
                    stats.acks++;
                }
                if (seq % 100000 == 0) {
                    stats.fdsMax = qMax(stats.fdsMax, openFdCount());
                    if (seq > 0 && seq % 200000 == 0)
                        std::fprintf(stderr, "soak: packets: %llu received, %d descriptors open\n", seq,
                                     openFdCount());
                }
            }
        });
        QObject::connect(&socket, &QSeqpacketSocket::disconnected, &loop, &QEventLoop::quit);
        QTimer watchdog;
        watchdog.setSingleShot(true);
        QObject::connect(&watchdog, &QTimer::timeout, &loop, [&] {
            fail("packets: timed out after %llu packets", next);
            loop.quit();
        });
        watchdog.start(count * 2 + 120000); // generous: sanitizers and valgrind are slow
        if (socket.state() == QSeqpacketSocket::ConnectedState)
            loop.exec();
        if (!ended)
            fail("packets: %llu of %llu packets before the connection ended", next, count);
    }
    const int status = waitChild(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("packets: the sender child failed (status 0x%x)", status);
    stats.seconds = double(timer.elapsed()) / 1000.0;
    stats.fdsAfter = openFdCount();
    stats.rssAfter = residentKiB();
    if (stats.fdsAfter != stats.fdsBefore)
        fail("packets: %d descriptors open before, %d after: %s", stats.fdsBefore, stats.fdsAfter,
             openFdList().constData());
    return stats;
}

// ---- 2. kills -----------------------------------------------------------------------------------

struct SharedCounters
{
    std::atomic<quint64> attempted; // sendmsg() calls started
    std::atomic<quint64> accepted;  // sendmsg() calls the kernel accepted
    std::atomic<quint64> connected; // the peer is connected (server runs)
    std::atomic<quint64> received;  // packets the peer read from us
};
static_assert(std::atomic<quint64>::is_always_lock_free, "shared counters must be lock-free");

constexpr quint64 KillSalt = 0x4b11;

int killDescriptorCount(quint64 seq)
{
    return seq % 4 == 1 ? 1 : (seq % 50 == 7 ? 3 : 0);
}

// The peer of a kill run: plain blocking syscalls, until it is killed.
int killPeerChild(int sock, int counterFd, const QByteArray &connectTo, quint64 seed)
{
    void *memory = ::mmap(nullptr, sizeof(SharedCounters), PROT_READ | PROT_WRITE, MAP_SHARED, counterFd, 0);
    if (memory == MAP_FAILED)
        return 2;
    auto *counters = static_cast<SharedCounters *>(memory);
    if (!connectTo.isEmpty()) {
        sock = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        sockaddr_un sun;
        std::memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        std::memcpy(sun.sun_path + 1, connectTo.constData(), size_t(connectTo.size()));
        const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + size_t(connectTo.size()));
        if (::connect(sock, reinterpret_cast<sockaddr *>(&sun), length) == -1) {
            std::fprintf(stderr, "soak kill peer: connect: %s\n", std::strerror(errno));
            return 2;
        }
        counters->connected.store(1, std::memory_order_release);
    }
    const int memfd = makeMemfd("soak-kill", "kill peer file", false);
    const int readMode = int(seed % 3); // 0: never reads, 1: reads after every packet, 2: now and then
    std::vector<char> buffer(MaxPayload);
    std::vector<char> incoming(65536);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)];
    for (quint64 seq = 0;; ++seq) {
        const int size = payloadSize(seq, KillSalt ^ seed);
        fillPayload(buffer.data(), seq, size);
        iovec iov = { buffer.data(), size_t(size) };
        msghdr msg;
        std::memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        const int n = killDescriptorCount(seq);
        if (n > 0) {
            msg.msg_control = control;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * size_t(n));
            cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * size_t(n));
            for (int j = 0; j < n; ++j)
                std::memcpy(CMSG_DATA(c) + j * sizeof(int), &memfd, sizeof(int));
        }
        counters->attempted.store(seq + 1, std::memory_order_seq_cst);
        ssize_t sent;
        do {
            sent = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
        } while (sent == -1 && errno == EINTR);
        if (sent == -1)
            return 3; // the other side is gone: nothing more to do but wait to be killed
        counters->accepted.store(seq + 1, std::memory_order_seq_cst);
        if (readMode == 1 || (readMode == 2 && mix(seq ^ seed) % 16 == 0)) {
            std::vector<int> fds;
            while (TestUtil::rawRecvMsg(sock, incoming.data(), incoming.size(), MSG_DONTWAIT | MSG_CMSG_CLOEXEC, &fds) >= 0) {
                for (int fd : fds)
                    ::close(fd);
                fds.clear();
                counters->received.fetch_add(1);
            }
        }
    }
}

struct KillStats
{
    int runs = 0;
    int survived = 0;
    int exact = 0;         // the count was exact: the peer was not inside sendmsg() when killed
    int inFlight = 0;      // killed inside sendmsg(): the packet it was sending may or may not count
    int serverRuns = 0;
    int stalledRuns = 0;
    int resets = 0;        // runs in which the socket reported ConnectionResetError
    quint64 packets = 0;   // packets received, all runs
    quint64 descriptors = 0;
    quint64 sentToPeer = 0;
    int fdsBefore = 0;
    int fdsAfter = 0;
    int fdsMax = 0;
    double seconds = 0;
};

void runOneKill(int run, quint64 seed, KillStats *stats)
{
    const int failuresBefore = g_failures.load();
    QRandomGenerator random(quint32(seed ^ quint64(run) * 7919));
    const bool useServer = run % 2 == 1;
    const bool stall = random.bounded(5) == 0;       // do not read until the peer is dead
    const int killAfterMs = random.bounded(8) == 0 ? 0 : int(random.bounded(40));
    const quint64 peerSeed = random.generate64();

    const int counterFd = ::memfd_create("soak-counters", MFD_CLOEXEC);
    if (counterFd < 0 || ::ftruncate(counterFd, sizeof(SharedCounters)) != 0) {
        fail("kills: memfd for the counters: %s", std::strerror(errno));
        return;
    }
    void *memory = ::mmap(nullptr, sizeof(SharedCounters), PROT_READ | PROT_WRITE, MAP_SHARED, counterFd, 0);
    if (memory == MAP_FAILED) {
        fail("kills: mmap: %s", std::strerror(errno));
        ::close(counterFd);
        return;
    }
    auto *counters = static_cast<SharedCounters *>(memory);

    QEventLoop loop;
    std::unique_ptr<QSeqpacketServer> server;
    QPointer<QSeqpacketSocket> socket;
    std::unique_ptr<QSeqpacketSocket> ownedSocket;
    pid_t pid = -1;
    const QByteArray name = "qseqpacket-soak-" + QByteArray::number(::getpid()) + '-' + QByteArray::number(run);
    if (useServer) {
        server = std::make_unique<QSeqpacketServer>();
        server->setPeerFilter([](const QSeqpacketCredentials &credentials) { return credentials.userId() == ::getuid(); });
        if (!server->listen(QSeqpacketAddress::fromAbstractName(name))) {
            fail("kills: listen: %s", qPrintable(server->errorString()));
            return;
        }
        pid = spawnSelf({ "--kill-peer", "-1", "200", QByteArray::number(peerSeed), name }, { { counterFd, 200 } });
        stats->serverRuns++;
    } else {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
            fail("kills: socketpair: %s", std::strerror(errno));
            return;
        }
        pid = spawnSelf({ "--kill-peer", "201", "200", QByteArray::number(peerSeed) }, { { counterFd, 200 }, { sv[1], 201 } });
        ::close(sv[1]);
        ownedSocket = std::make_unique<QSeqpacketSocket>();
        if (!ownedSocket->setSocketDescriptor(sv[0])) {
            fail("kills: setSocketDescriptor: %s", qPrintable(ownedSocket->errorString()));
            ::close(sv[0]);
        }
        socket = ownedSocket.get();
    }
    if (stall)
        stats->stalledRuns++;

    quint64 received = 0;
    bool killed = false;
    bool disconnected = false;
    bool reset = false;
    int failures = 0;
    const int outgoingFd = makeMemfd("soak-outgoing", "to the peer");
    const QSeqpacketFileDescriptor outgoing = QSeqpacketFileDescriptor::adopt(outgoingFd);

    auto readAll = [&] {
        if (!socket || (stall && !killed))
            return;
        while (socket->hasPendingPackets()) {
            const QSeqpacketPacket packet = socket->receivePacket();
            const QByteArray data = packet.data();
            const quint64 seq = received++;
            if (!payloadIntact(data.constData(), data.size(), seq, payloadSize(seq, KillSalt ^ peerSeed))
                && failures++ < 3)
                fail("kills: run %d: packet %llu damaged or out of order (%d bytes)", run, seq, int(data.size()));
            if (packet.fileDescriptors().size() != killDescriptorCount(seq) && failures++ < 3)
                fail("kills: run %d: packet %llu has %d descriptors, expected %d", run, seq,
                     int(packet.fileDescriptors().size()), killDescriptorCount(seq));
            stats->descriptors += quint64(packet.fileDescriptors().size());
        }
    };
    auto attach = [&](QSeqpacketSocket *s) {
        socket = s;
        s->setSendQueueLimit(256 * 1024);
        QObject::connect(s, &QSeqpacketSocket::packetReady, &loop, readAll);
        QObject::connect(s, &QSeqpacketSocket::errorOccurred, &loop, [&](QSeqpacketSocket::SocketError e) {
            if (e == QSeqpacketSocket::ConnectionResetError)
                reset = true;
        });
        QObject::connect(s, &QSeqpacketSocket::disconnected, &loop, [&] {
            disconnected = true;
            if (killed)
                loop.quit();
        });
    };
    if (ownedSocket)
        attach(ownedSocket.get());
    if (server) {
        QObject::connect(server.get(), &QSeqpacketServer::newConnection, &loop, [&] {
            while (QSeqpacketSocket *s = server->nextPendingConnection()) {
                if (socket) {
                    fail("kills: run %d: a second connection", run);
                    delete s;
                    continue;
                }
                attach(s);
                readAll();
            }
        });
    }

    // This side sends too: the peer reads some, all or none of it, so that its death finds
    // packets (and descriptors) queued both in its socket and in ours.
    QTimer sender;
    QObject::connect(&sender, &QTimer::timeout, &loop, [&] {
        if (!socket || socket->state() != QSeqpacketSocket::ConnectedState)
            return;
        for (int i = 0; i < 8; ++i) {
            if (!socket->sendPacket(QByteArrayView("from the survivor"), { outgoing }))
                break;
            stats->sentToPeer++;
        }
    });
    sender.start(1);

    // The kill comes from a thread of its own, at its moment whatever this thread is doing: a
    // peer that sends faster than this side reads keeps a packetReady() slot busy, and a timer
    // in this thread would wait for it (docs/security.md, finding 6).
    std::atomic<bool> peerDead { false };
    std::thread killer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(killAfterMs));
        ::kill(pid, SIGKILL);
        waitChild(pid);
        peerDead.store(true);
    });
    QTimer watchdog;
    watchdog.setSingleShot(true);
    QObject::connect(&watchdog, &QTimer::timeout, &loop, [&] {
        fail("kills: run %d: no disconnected() 10 s after the kill (received %llu)", run, received);
        loop.quit();
    });
    QTimer afterKill;
    QObject::connect(&afterKill, &QTimer::timeout, &loop, [&] {
        if (killed || !peerDead.load())
            return;
        killed = true;
        afterKill.stop();
        watchdog.start(10000);
        // After the kill nothing new can come; what the kernel accepted must all arrive.
        if (server && !socket && counters->connected.load()) {
            // The peer connected but this side has not accepted yet: the connection waits in
            // the backlog, with its packets.
            if (!server->waitForNewConnection(5000))
                fail("kills: run %d: the peer connected but nothing could be accepted", run);
            else if (QSeqpacketSocket *s = server->nextPendingConnection())
                attach(s);
        }
        if (!socket || disconnected) {
            loop.quit();
            return;
        }
        readAll();
    });
    afterKill.start(1);
    loop.exec();
    killer.join();
    readAll(); // anything left when the loop ended

    const quint64 attempted = counters->attempted.load();
    const quint64 accepted = counters->accepted.load();
    if (received == accepted) {
        stats->exact++;
    } else if (received == attempted && attempted == accepted + 1) {
        stats->inFlight++; // sendmsg() succeeded, the peer died before it could count it
    } else {
        fail("kills: run %d (%s%s, killed after %d ms): received %llu packets; the peer's kernel accepted %llu"
             " (attempted %llu)", run, useServer ? "server" : "pair", stall ? ", stalled" : "",
             killAfterMs, received, accepted, attempted);
    }
    if (socket && socket->state() != QSeqpacketSocket::UnconnectedState)
        fail("kills: run %d: still %d after the peer died", run, int(socket->state()));
    if (reset)
        stats->resets++;
    stats->packets += received;
    stats->runs++;
    if (g_failures.load() == failuresBefore)
        stats->survived++;

    sender.stop();
    ownedSocket.reset();
    server.reset(); // deletes the accepted socket, its child
    ::munmap(memory, sizeof(SharedCounters));
    ::close(counterFd);
}

KillStats runKills(int runs, quint64 seed)
{
    KillStats stats;
    stats.fdsBefore = openFdCount();
    stats.fdsMax = stats.fdsBefore;
    QElapsedTimer timer;
    timer.start();
    for (int run = 0; run < runs; ++run) {
        runOneKill(run, seed, &stats);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        const int now = openFdCount();
        stats.fdsMax = qMax(stats.fdsMax, now);
        if (now != stats.fdsBefore) {
            fail("kills: run %d: %d descriptors open, %d before the first run: %s", run, now, stats.fdsBefore,
                 openFdList().constData());
        }
        if (stats.runs - stats.survived > 5)
            break; // enough to go on
        if ((run + 1) % 25 == 0)
            std::fprintf(stderr, "soak: kills: %d runs, %d descriptors open\n", run + 1, now);
    }
    stats.fdsAfter = openFdCount();
    stats.seconds = double(timer.elapsed()) / 1000.0;
    return stats;
}

// ---- 3. threads ---------------------------------------------------------------------------------

struct ThreadStats
{
    int pairs = 0;
    quint64 packets = 0;
    quint64 pingPongs = 0;
    int fdsBefore = 0;
    int fdsAfter = 0;
    double seconds = 0;
};

// Sends \a count packets, each with the shared descriptor, from its own thread.
class ThreadSender : public QObject
{
    Q_OBJECT
public:
    ThreadSender(QSeqpacketSocket *socket, const QSeqpacketFileDescriptor &fd, int count)
        : m_socket(socket), m_fd(fd), m_count(count)
    {
        m_socket->setSendQueueLimit(64 * 1024);
        connect(m_socket, &QSeqpacketSocket::packetsWritten, this, &ThreadSender::sendSome);
    }
public Q_SLOTS:
    void sendSome()
    {
        while (m_next < m_count) {
            QByteArray data(64, char(m_next & 0xff));
            const quint64 seq = quint64(m_next);
            std::memcpy(data.data(), &seq, 8);
            if (!m_socket->sendPacket(data, { m_fd })) {
                if (m_socket->error() != QSeqpacketSocket::SendQueueFullError)
                    fail("threads: sendPacket: %s", qPrintable(m_socket->errorString()));
                return; // packetsWritten() calls again
            }
            ++m_next;
        }
    }
private:
    QSeqpacketSocket *m_socket;
    QSeqpacketFileDescriptor m_fd;
    int m_count;
    int m_next = 0;
};

// Packets received in the worker threads, on their way to the main thread. A plain mutex and a
// timer in the main thread rather than a queued signal: Qt (not built with ThreadSanitizer)
// hands queued arguments over under its own futex-based lock, which ThreadSanitizer cannot see,
// so every packet would be a false report.
struct Inbox
{
    std::mutex mutex;
    std::vector<std::pair<int, QSeqpacketPacket>> packets;
};

// Every packet in the inbox holds a descriptor. A receiver waits while the main thread is this far
// behind: otherwise the process could reach RLIMIT_NOFILE (20,000 on some machines) and the kernel
// would drop descriptors (correctly reported as areFileDescriptorsTruncated(), but a failure here).
constexpr size_t MaxInboxPackets = 2000;

// Receives in its own thread and hands every packet to the main thread.
class ThreadReceiver : public QObject
{
    Q_OBJECT
public:
    ThreadReceiver(QSeqpacketSocket *socket, int pair, Inbox *inbox) : m_socket(socket), m_pair(pair), m_inbox(inbox)
    {
        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] {
            while (m_socket->hasPendingPackets()) {
                while (inboxSize() >= MaxInboxPackets)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                QSeqpacketPacket packet = m_socket->receivePacket();
                std::lock_guard<std::mutex> locker(m_inbox->mutex);
                m_inbox->packets.emplace_back(m_pair, std::move(packet));
            }
        });
    }
private:
    size_t inboxSize() const
    {
        std::lock_guard<std::mutex> locker(m_inbox->mutex);
        return m_inbox->packets.size();
    }

    QSeqpacketSocket *m_socket;
    int m_pair;
    Inbox *m_inbox;
};

// Two std::threads without an event loop, one socket each, ping-pong with the waitFor calls.
quint64 pingPong(int rounds)
{
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
        return 0;
    std::atomic<quint64> done{0};
    const QSeqpacketFileDescriptor shared = QSeqpacketFileDescriptor::adopt(makeMemfd("soak-ping", "ping"));
    auto player = [&](int fd, bool starts) {
        QSeqpacketSocket socket; // created in this thread, which has no event dispatcher
        if (!socket.setSocketDescriptor(fd)) {
            fail("threads: ping-pong setSocketDescriptor: %s", qPrintable(socket.errorString()));
            ::close(fd);
            return;
        }
        if (starts && !socket.sendPacket(QByteArrayView("0"), { shared }))
            fail("threads: ping-pong: first send: %s", qPrintable(socket.errorString()));
        for (int i = 0; i < rounds; ++i) {
            if (!socket.waitForPacket(30000)) {
                fail("threads: ping-pong round %d: %s", i, qPrintable(socket.errorString()));
                return;
            }
            const QSeqpacketPacket packet = socket.receivePacket();
            if (packet.fileDescriptors().size() != 1) {
                fail("threads: ping-pong round %d: %d descriptors", i, int(packet.fileDescriptors().size()));
                return;
            }
            if (!(starts && i == rounds - 1)) {
                // Send the received descriptor back, so that both threads hold and close copies.
                if (!socket.sendPacket(packet.data(), packet.fileDescriptors()))
                    fail("threads: ping-pong send: %s", qPrintable(socket.errorString()));
            }
            done.fetch_add(1);
        }
        socket.waitForPacketsWritten(30000);
    };
    std::thread a(player, sv[0], true);
    std::thread b(player, sv[1], false);
    a.join();
    b.join();
    return done.load();
}

ThreadStats runThreads(int pairs, int packetsPerPair)
{
    ThreadStats stats;
    stats.fdsBefore = openFdCount();
    QElapsedTimer timer;
    timer.start();
    {
        const QSeqpacketFileDescriptor shared = QSeqpacketFileDescriptor::adopt(makeMemfd("soak-threads", "shared"));
        std::vector<std::unique_ptr<QThread>> threads;
        std::vector<quint64> next(size_t(pairs), 0);
        int finished = 0;
        QEventLoop loop;
        Inbox inbox;
        QTimer collector;
        QObject::connect(&collector, &QTimer::timeout, &loop, [&] {
            std::vector<std::pair<int, QSeqpacketPacket>> packets;
            {
                std::lock_guard<std::mutex> locker(inbox.mutex);
                packets.swap(inbox.packets);
            }
            for (const auto &[p, packet] : packets) {
                quint64 seq = ~quint64(0);
                const QByteArray data = packet.data();
                if (data.size() == 64)
                    std::memcpy(&seq, data.constData(), 8);
                if (seq != next[size_t(p)] || packet.fileDescriptors().size() != 1)
                    fail("threads: pair %d: packet %llu (expected %llu) with %d descriptors%s", p, seq,
                         next[size_t(p)], int(packet.fileDescriptors().size()),
                         packet.areFileDescriptorsTruncated() ? " (some did not fit)" : "");
                next[size_t(p)]++;
                stats.packets++;
                if (next[size_t(p)] == quint64(packetsPerPair) && ++finished == pairs)
                    loop.quit();
            }
        });
        collector.start(1);
        for (int p = 0; p < pairs; ++p) {
            auto [a, b] = QSeqpacketSocket::createPair();
            auto *sendThread = new QThread;
            auto *receiveThread = new QThread;
            threads.emplace_back(sendThread);
            threads.emplace_back(receiveThread);
            auto *sender = new ThreadSender(a, shared, packetsPerPair);
            auto *receiver = new ThreadReceiver(b, p, &inbox);
            a->setParent(sender);
            b->setParent(receiver);
            sender->moveToThread(sendThread);
            receiver->moveToThread(receiveThread);
            QObject::connect(sendThread, &QThread::finished, sender, &QObject::deleteLater);
            QObject::connect(receiveThread, &QThread::finished, receiver, &QObject::deleteLater);
            QObject::connect(sendThread, &QThread::started, sender, &ThreadSender::sendSome);
            receiveThread->start();
            sendThread->start();
            stats.pairs++;
        }
        QTimer watchdog;
        watchdog.setSingleShot(true);
        QObject::connect(&watchdog, &QTimer::timeout, &loop, [&] {
            fail("threads: timed out with %d of %d pairs done", finished, pairs);
            loop.quit();
        });
        watchdog.start(300000);
        loop.exec();
        for (auto &thread : threads) {
            thread->quit();
            thread->wait();
        }
        threads.clear();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCoreApplication::processEvents(); // packets still travelling to the main thread
        stats.pingPongs = pingPong(qMax(100, packetsPerPair / 4));
    }
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCoreApplication::processEvents();
    stats.fdsAfter = openFdCount();
    stats.seconds = double(timer.elapsed()) / 1000.0;
    if (stats.fdsAfter != stats.fdsBefore)
        fail("threads: %d descriptors open before, %d after: %s", stats.fdsBefore, stats.fdsAfter,
             openFdList().constData());
    return stats;
}

// ---- 4. channel ---------------------------------------------------------------------------------

constexpr int ChannelWindow = 64;
constexpr int LargeEvery = 50;
constexpr int LargeBody = 300 * 1024;

QByteArray channelBody(quint64 seq)
{
    // A large body is a fixed pattern with the sequence number in front: cheap to make and check.
    static const QByteArray large = [] {
        QByteArray pattern(LargeBody, Qt::Uninitialized);
        for (int i = 0; i < LargeBody; ++i)
            pattern[i] = char(i * 13 + (i >> 9));
        return pattern;
    }();
    if (seq % LargeEvery == 7) {
        QByteArray body = large;
        std::memcpy(body.data(), &seq, 8);
        return body;
    }
    const int size = int(mix(seq) % 2000);
    QByteArray body(size, Qt::Uninitialized);
    fillPayload(body.data(), seq, size);
    return body;
}

QByteArray digest(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha1);
}

QByteArray memfdContent(const QSeqpacketFileDescriptor &fd)
{
    char buffer[64];
    const ssize_t n = ::pread(fd.descriptor(), buffer, sizeof buffer, 0);
    return n > 0 ? QByteArray(buffer, int(n)) : QByteArray();
}

// The child: answers "check" requests until "done", checking each body and descriptor.
int channelPeerChild(int fd)
{
    int argc = 1;
    char name[] = "qseqpacket-soak";
    char *argv[] = { name, nullptr };
    QCoreApplication app(argc, argv);
    QSeqpacketSocket socket;
    if (!socket.setSocketDescriptor(fd)) {
        std::fprintf(stderr, "soak channel child: setSocketDescriptor: %s\n", qPrintable(socket.errorString()));
        return 2;
    }
    QSeqpacketChannel channel(&socket);
    quint64 answered = 0;
    int failures = 0;
    QObject::connect(&channel, &QSeqpacketChannel::requestReceived, &app, [&](const QSeqpacketRequest &request) {
        const QCborMap body = request.message().body().toMap();
        const quint64 seq = quint64(body.value(QStringLiteral("seq")).toInteger());
        const QByteArray data = body.value(QStringLiteral("data")).toByteArray();
        const QList<QSeqpacketFileDescriptor> fds = request.message().fileDescriptors();
        const bool ok = request.name() == QLatin1String("check") && data == channelBody(seq)
                && body.value(QStringLiteral("digest")).toByteArray() == digest(data) && fds.size() == 1
                && memfdContent(fds.at(0)) == "request " + QByteArray::number(seq);
        if (!ok && failures++ < 5)
            std::fprintf(stderr, "soak channel child: request %llu damaged\n", seq);
        // Before the reply: the parent stops reading at the last reply, and a progress message
        // sent after it could still be on its way then.
        if (++answered % 1000 == 0)
            channel.send(QStringLiteral("progress"), QSeqpacketMessage(qint64(answered)));
        const QByteArray back = channelBody(seq + 1000000000ULL);
        const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(
                makeMemfd("soak-reply", "reply " + QByteArray::number(seq)));
        request.reply(QSeqpacketMessage(QCborMap{{QStringLiteral("seq"), qint64(seq)},
                                                 {QStringLiteral("ok"), ok},
                                                 {QStringLiteral("data"), back}}, {memfd}));
    });
    QObject::connect(&channel, &QSeqpacketChannel::messageReceived, &app,
                     [&](const QString &name) { if (name == QLatin1String("done")) app.quit(); });
    QObject::connect(&channel, &QSeqpacketChannel::protocolError, &app, [&](const QString &why) {
        if (failures++ < 5)
            std::fprintf(stderr, "soak channel child: protocol error: %s\n", qPrintable(why));
    });
    QObject::connect(&socket, &QSeqpacketSocket::disconnected, &app, &QCoreApplication::quit);
    app.exec();
    return failures ? 2 : 0;
}

struct ChannelStats
{
    quint64 requests = 0;
    quint64 replies = 0;
    quint64 descriptors = 0;
    quint64 spilled = 0;
    quint64 progressMessages = 0;
    int fdsBefore = 0;
    int fdsAfter = 0;
    long rssBefore = 0;
    long rssAfter = 0;
    double seconds = 0;
};

ChannelStats runChannel(quint64 count)
{
    ChannelStats stats;
    stats.fdsBefore = openFdCount();
    stats.rssBefore = residentKiB();
    QElapsedTimer timer;
    timer.start();
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
        fail("channel: socketpair: %s", std::strerror(errno));
        return stats;
    }
    const pid_t pid = spawnSelf({ "--channel-peer", "200" }, { { sv[1], 200 } });
    ::close(sv[1]);
    if (pid < 0) {
        ::close(sv[0]);
        return stats;
    }
    {
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(sv[0])) {
            fail("channel: setSocketDescriptor: %s", qPrintable(socket.errorString()));
            ::close(sv[0]);
        }
        QSeqpacketChannel channel(&socket);
        QEventLoop loop;
        int failures = 0;
        quint64 nextSeq = 0;
        std::function<void()> sendNext = [&] {
            while (nextSeq < count && quint64(channel.pendingRequests()) < quint64(ChannelWindow)) {
                const quint64 seq = nextSeq++;
                const QByteArray data = channelBody(seq);
                stats.spilled += data.size() >= LargeBody ? 1 : 0;
                const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(
                        makeMemfd("soak-request", "request " + QByteArray::number(seq)));
                const QSeqpacketMessage message(QCborMap{{QStringLiteral("seq"), qint64(seq)},
                                                         {QStringLiteral("data"), data},
                                                         {QStringLiteral("digest"), digest(data)}}, {memfd});
                ++stats.requests;
                stats.descriptors += 1;
                channel.request(QStringLiteral("check"), message, 60000).then(&loop, [&, seq](const QSeqpacketReply &reply) {
                    const QCborMap body = reply.message().body().toMap();
                    const QList<QSeqpacketFileDescriptor> fds = reply.message().fileDescriptors();
                    const bool ok = !reply.isError() && body.value(QStringLiteral("seq")).toInteger() == qint64(seq)
                            && body.value(QStringLiteral("ok")).toBool()
                            && body.value(QStringLiteral("data")).toByteArray() == channelBody(seq + 1000000000ULL)
                            && fds.size() == 1 && memfdContent(fds.at(0)) == "reply " + QByteArray::number(seq);
                    if (!ok && failures++ < 5)
                        fail("channel: reply to %llu wrong: %s %s", seq, qPrintable(reply.errorName()),
                             qPrintable(reply.message().body().toDiagnosticNotation().left(80)));
                    ++stats.replies;
                    stats.descriptors += quint64(fds.size());
                    if (stats.replies == count)
                        loop.quit();
                    else
                        sendNext();
                });
            }
        };
        QObject::connect(&channel, &QSeqpacketChannel::messageReceived, &loop,
                         [&](const QString &name) { stats.progressMessages += name == QLatin1String("progress"); });
        QObject::connect(&channel, &QSeqpacketChannel::protocolError, &loop, [&](const QString &why) {
            if (failures++ < 5)
                fail("channel: protocol error: %s", qPrintable(why));
        });
        QObject::connect(&socket, &QSeqpacketSocket::disconnected, &loop, [&] {
            if (stats.replies < count)
                fail("channel: the child went after %llu of %llu replies", stats.replies, count);
            loop.quit();
        });
        if (count == 0)
            QTimer::singleShot(0, &loop, &QEventLoop::quit);
        sendNext();
        loop.exec();
        channel.send(QStringLiteral("done"));
        socket.waitForPacketsWritten(10000);
        if (channel.pendingRequests() != 0)
            fail("channel: %d requests still wait", channel.pendingRequests());
        socket.disconnectFromServer();
    }
    const int status = waitChild(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("channel: the child failed (status %d)", status);
    if (stats.progressMessages != count / 1000)
        fail("channel: %llu progress messages, expected %llu", stats.progressMessages, count / 1000);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    stats.seconds = double(timer.elapsed()) / 1000.0;
    stats.fdsAfter = openFdCount();
    stats.rssAfter = residentKiB();
    if (stats.fdsAfter != stats.fdsBefore)
        fail("channel: %d descriptors open before, %d after: %s", stats.fdsBefore, stats.fdsAfter,
             openFdList().constData());
    return stats;
}

void usage()
{
    std::fprintf(stderr,
                 "usage: qseqpacket-soak [--short] [--packets N] [--kills N] [--threads N] [--seed S]\n"
                 "                       [--requests N] [--only packets|kills|threads|channel]\n"
                 "  full mode: 1000000 packets, 100 kills, 4 thread pairs of 20000 packets, 100000 requests\n"
                 "  --short:   50000 packets, 100 kills, 4 thread pairs of 2000 packets, 10000 requests\n");
}

} // namespace

int main(int argc, char **argv)
{
    // The child roles come first, before anything else is set up.
    if (argc >= 4 && std::strcmp(argv[1], "--packet-sender") == 0)
        return packetSenderChild(std::atoi(argv[2]), std::strtoull(argv[3], nullptr, 10));
    if (argc >= 3 && std::strcmp(argv[1], "--channel-peer") == 0)
        return channelPeerChild(std::atoi(argv[2]));
    if (argc >= 5 && std::strcmp(argv[1], "--kill-peer") == 0)
        return killPeerChild(std::atoi(argv[2]), std::atoi(argv[3]), argc >= 6 ? QByteArray(argv[5]) : QByteArray(),
                             std::strtoull(argv[4], nullptr, 10));

    quint64 packets = 1000000;
    int kills = 100;
    int threadPairs = 4;
    int threadPackets = 20000;
    quint64 requests = 100000;
    quint64 seed = quint64(::time(nullptr));
    QByteArray only;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        const bool hasValue = i + 1 < argc;
        if (arg == "--short") {
            packets = 50000;
            threadPackets = 2000;
            requests = 10000;
        } else if (arg == "--packets" && hasValue) {
            packets = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--kills" && hasValue) {
            kills = std::atoi(argv[++i]);
        } else if (arg == "--threads" && hasValue) {
            threadPairs = std::atoi(argv[++i]);
        } else if (arg == "--thread-packets" && hasValue) {
            threadPackets = std::atoi(argv[++i]);
        } else if (arg == "--requests" && hasValue) {
            requests = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--seed" && hasValue) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--only" && hasValue) {
            only = argv[++i];
        } else {
            usage();
            return 2;
        }
    }
    std::signal(SIGPIPE, SIG_DFL); // the library must never raise it: let it kill us if it does
    raiseDescriptorLimit();
    QCoreApplication app(argc, argv);
    std::printf("soak: seed %llu (rerun with --seed %llu)\n", seed, seed);
    std::fflush(stdout);

    if (only.isEmpty() || only == "packets") {
        const PacketStats s = runPackets(packets);
        std::printf("soak: packets: %llu packets, %llu bytes, %llu"
                    " descriptors received across processes; %llu acknowledgements with their descriptors "
                    "sent back; %.1f s (%.0f packets/s)\n",
                    s.packets, s.bytes, s.descriptors, s.acks, s.seconds, s.seconds > 0 ? double(s.packets) / s.seconds : 0.0);
        std::printf("soak: packets: descriptors open before %d, after %d, at most %d at the checkpoints; "
                    "resident memory %ld KiB before, %ld KiB after\n",
                    s.fdsBefore, s.fdsAfter, s.fdsMax, s.rssBefore, s.rssAfter);
        std::fflush(stdout);
    }
    if (only.isEmpty() || only == "kills") {
        const KillStats s = runKills(kills, seed);
        std::printf("soak: kills: %d of %d runs survived (peer killed with SIGKILL; %d through a server, %d pairs; "
                    "%d with reading stalled until the kill); %llu packets and %llu"
                    " descriptors received, every accepted packet in order (%d runs exact, %d killed inside sendmsg "
                    "with its packet delivered); %d resets reported; %llu packets sent to the peers; %.1f s\n",
                    s.survived, s.runs, s.serverRuns, s.runs - s.serverRuns, s.stalledRuns, s.packets, s.descriptors,
                    s.exact, s.inFlight, s.resets, s.sentToPeer, s.seconds);
        std::printf("soak: kills: descriptors open before %d, after %d, at most %d between runs\n", s.fdsBefore,
                    s.fdsAfter, s.fdsMax);
        std::fflush(stdout);
    }
    if (only.isEmpty() || only == "threads") {
        const ThreadStats s = runThreads(threadPairs, threadPackets);
        std::printf("soak: threads: %d socket pairs across threads, %llu packets with a shared descriptor; "
                    "%llu ping-pong packets between threads without an event loop; descriptors open before %d, "
                    "after %d; %.1f s\n",
                    s.pairs, s.packets, s.pingPongs, s.fdsBefore, s.fdsAfter, s.seconds);
        std::fflush(stdout);
    }
    if (only.isEmpty() || only == "channel") {
        const ChannelStats s = runChannel(requests);
        std::printf("soak: channel: %llu requests answered across processes, %llu with a spilled body each way "
                    "(sealed memfds), %llu descriptors passed, %llu one-way messages; %.1f s (%.0f requests/s)\n",
                    s.replies, s.spilled, s.descriptors, s.progressMessages, s.seconds,
                    s.seconds > 0 ? double(s.replies) / s.seconds : 0.0);
        std::printf("soak: channel: descriptors open before %d, after %d; resident memory %ld KiB before, %ld KiB after\n",
                    s.fdsBefore, s.fdsAfter, s.rssBefore, s.rssAfter);
        std::fflush(stdout);
    }
    std::printf("soak: %s\n", g_failures.load() ? "FAILED" : "passed");
    return g_failures.load() ? 1 : 0;
}

#include "main.moc"
