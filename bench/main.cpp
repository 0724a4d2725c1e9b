// SPDX-License-Identifier: MIT
// qseqpacket-bench: measures QSeqpacketSocket and QSeqpacketServer against the raw system calls
// and against QLocalSocket with length framing, and QSeqpacketChannel against the socket's own
// packets, QtDBus, Qt Remote Objects, QLocalSocket + QDataStream and a raw memfd transfer, in one
// run, and prints a table with the ratios.
// See docs/benchmarks.md.
#include "channel.h"
#include "common.h"
#include "results.h"
#include "scenarios.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qfile.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <signal.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

using namespace bench;

namespace {

struct Options
{
    bool shortMode = false;
    int reps = 5;
    bool warmup = true;
    std::set<std::string> only;
    std::string csv;
    std::string json;
    std::string caseFilter; // --case: only the cases whose key contains it (for profiling)
    int clients = 1000;
    double scale = 1.0; // multiplies every count
    bool pin = false;   // driver on CPU 0, peers on CPU 1
    bool pinTogether = false; // driver and peers on CPU 0
    bool inProcess = false; // the channel group's far sides in this thread (for valgrind)
};

// How many packets (round trips, echoes) each measurement takes.
struct Counts
{
    long receive, send, roundTrip, fd, echoes;
    long sweepBytes, sweepMin, sweepMax;
    int idleMs;
    long channelRoundTrip, channelMessages, bigMessages; // the channel group
};

void usage()
{
    std::printf(
        "usage: qseqpacket-bench [--short] [--reps N] [--only LIST] [--csv FILE] [--json FILE]\n"
        "                        [--clients N] [--scale X] [--no-warmup]\n"
        "  --short       CI mode: small counts, one repetition, no warm-up (a few seconds)\n"
        "  --reps N      repetitions of each case (default 5); the table shows the median\n"
        "  --only LIST   comma-separated groups: receive,send,rtt,fd,sweep,scale,channel (default all)\n"
        "  --csv FILE    every row (median, min, max, samples) as CSV; --json FILE the same as JSON\n"
        "  --clients N   connected clients in the server scale group (default 1000)\n"
        "  --scale X     multiply every packet count by X\n"
        "  --no-warmup   skip the discarded warm-up repetition of the full mode\n"
        "  --pin         pin this process to CPU 0 and the peer processes to CPU 1\n"
        "  --pin-together  pin this process and the peers to CPU 0: no cross-CPU wake-ups, whose\n"
        "                latency on a VM can swamp a round trip (steadier CPU-cost comparisons)\n"
        "  --case TEXT   only the cases whose key (see --csv) contains TEXT, e.g. for a profiler\n"
        "  --in-process  the channel group's far sides in this thread, not in peer processes (for\n"
        "                valgrind, which cannot follow the peers); no QtDBus, no Qt Remote Objects\n"
        "The same binary runs its peer processes as: qseqpacket-bench --peer MODE ARGS...\n");
}

std::string readFirstLine(const char *path, const char *prefix = nullptr)
{
    QFile file(QString::fromLatin1(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    // readAll(): files under /proc report a size of 0, so atEnd() would be true at once.
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray &raw : lines) {
        const QByteArray line = raw.trimmed();
        if (!prefix)
            return line.toStdString();
        if (line.startsWith(prefix)) {
            const qsizetype colon = line.indexOf(':');
            return line.mid(colon + 1).trimmed().toStdString();
        }
    }
    return {};
}

std::string loadAverage()
{
    double load[3] = {};
    if (::getloadavg(load, 3) != 3)
        return "?";
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.2f %.2f %.2f", load[0], load[1], load[2]);
    return buffer;
}

// Lifts the soft limit on descriptors to the hard one (the peers inherit it). Returns the limit.
long raiseDescriptorLimit()
{
    rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == -1)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return long(limit.rlim_cur);
}

std::string sizeLabel(long size)
{
    if (size >= 1024 && size % 1024 == 0)
        return std::to_string(size / 1024) + " KiB";
    return std::to_string(size) + " B";
}

class Bench
{
public:
    Bench(const Options &options, const Counts &counts) : o(options), c(counts) {}

    bool wants(const std::string &group) const { return o.only.empty() || o.only.count(group); }
    bool selected(const std::string &key) const { return o.caseFilter.empty() || key.find(o.caseFilter) != std::string::npos; }

    // Runs one measurement where --case selects it; NaN (not recorded) otherwise.
    template <typename F>
    double run(const std::string &key, F measure)
    {
        return selected(key) ? measure() : std::nan("");
    }
    template <typename F>
    ScaleResult runScale(const std::string &key, F measure)
    {
        if (selected(key))
            return measure();
        const double none = std::nan("");
        return { none, none, none, none, none, none, none };
    }

    // Runs \a body for the warm-up (discarded, full mode) and each repetition; \a body gets
    // whether to record.
    template <typename F>
    void repeat(const char *group, F body)
    {
        const int total = o.reps + (o.warmup ? 1 : 0);
        for (int i = 0; i < total; ++i) {
            const bool record = !o.warmup || i > 0;
            std::fprintf(stderr, "  %s: %s %d/%d\n", group, record ? "rep" : "warm-up", record ? i + (o.warmup ? 0 : 1) : 0, o.reps);
            body(record);
        }
    }

    void receive()
    {
        const std::string s = "1. Receive path: 64 B packets; a peer process saturates the socket with sendmmsg (for QLocalSocket: framed writes of 64 frames)";
        const std::string base = "receive/raw-recvmmsg";
        const long n = c.receive;
        repeat("receive", [&](bool record) {
            const double rawMmsg = run(base, [&] { return oneWay(Receiver::RawRecvmmsg, Sender::RawSendmmsg, 64, n); });
            const double rawRecv = run("receive/raw-recv", [&] { return oneWay(Receiver::RawRecv, Sender::RawSendmmsg, 64, n); });
            const double qtPacket = run("receive/qseqpacket-packet", [&] { return oneWay(Receiver::QtPacket, Sender::RawSendmmsg, 64, n); });
            const double qtBuffer = run("receive/qseqpacket-buffer", [&] { return oneWay(Receiver::QtBuffer, Sender::RawSendmmsg, 64, n); });
            const double qlocal = run("receive/qlocalsocket", [&] { return oneWay(Receiver::QLocal, Sender::RawSendmmsg, 64, n); });
            const double qlocalEach = run("receive/qlocalsocket-each", [&] { return oneWay(Receiver::QLocal, Sender::RawSendEach, 64, n); });
            if (!record)
                return;
            r.row(s, base, "raw recvmmsg loop", "pkt/s", true, base).add(rawMmsg);
            r.row(s, "receive/raw-recv", "raw recv loop", "pkt/s", true, base).add(rawRecv);
            r.row(s, "receive/qseqpacket-packet", "QSeqpacketSocket receivePacket()", "pkt/s", true, base).add(qtPacket);
            r.row(s, "receive/qseqpacket-buffer", "QSeqpacketSocket receivePacket(char *buffer)", "pkt/s", true, base).add(qtBuffer);
            r.row(s, "receive/qlocalsocket", "QLocalSocket + 4-byte length frames", "pkt/s", true, base).add(qlocal);
            r.row(s, "receive/qlocalsocket-each", "QLocalSocket + frames (peer: a write() each)", "pkt/s", true, base).add(qlocalEach);
        });
        r.addCheck({ "receive >= 0.85 x raw recvmmsg: receivePacket()", "receive/qseqpacket-packet", base, Check::RatioAtLeast, 0.85 });
        r.addCheck({ "receive >= 0.85 x raw recvmmsg: receivePacket(char*)", "receive/qseqpacket-buffer", base, Check::RatioAtLeast, 0.85 });

        // Large packets (issue 13): a buffer of its own per packet is what receivePacket() gives,
        // so the raw loop that allocates one per packet is the second baseline.
        const long size = 65536;
        const std::string sl = "1. Receive path: 64 KiB packets; a peer process saturates the socket with sendmmsg";
        const std::string baseL = "receive64k/raw-recvmmsg";
        const long nl = std::max(c.sweepMin, std::min(c.sweepMax, c.sweepBytes / size));
        repeat("receive64k", [&](bool record) {
            const double rawMmsg = run(baseL, [&] { return oneWay(Receiver::RawRecvmmsg, Sender::RawSendmmsg, size, nl); });
            const double rawFresh = run("receive64k/raw-recv-fresh", [&] { return oneWay(Receiver::RawRecvFresh, Sender::RawSendmmsg, size, nl); });
            const double qtPacket = run("receive64k/qseqpacket-packet", [&] { return oneWay(Receiver::QtPacket, Sender::RawSendmmsg, size, nl); });
            const double qtBuffer = run("receive64k/qseqpacket-buffer", [&] { return oneWay(Receiver::QtBuffer, Sender::RawSendmmsg, size, nl); });
            if (!record)
                return;
            r.row(sl, baseL, "raw recvmmsg loop (64 slots, reused)", "pkt/s", true, baseL, size).add(rawMmsg);
            r.row(sl, "receive64k/raw-recv-fresh", "raw recv loop, a new QByteArray per packet", "pkt/s", true, baseL, size).add(rawFresh);
            r.row(sl, "receive64k/qseqpacket-packet", "QSeqpacketSocket receivePacket()", "pkt/s", true, baseL, size).add(qtPacket);
            r.row(sl, "receive64k/qseqpacket-buffer", "QSeqpacketSocket receivePacket(char *buffer)", "pkt/s", true, baseL, size).add(qtBuffer);
        });
        r.addCheck({ "receive 64 KiB >= 0.8 x raw recvmmsg: receivePacket()", "receive64k/qseqpacket-packet", baseL, Check::RatioAtLeast, 0.8 });
        r.addCheck({ "(no target) receive 64 KiB: receivePacket() vs a raw recv into a new buffer", "receive64k/qseqpacket-packet",
                     "receive64k/raw-recv-fresh", Check::Report, 0 });
    }

    void send()
    {
        const std::string s = "2. Send path: 64 B packets; a raw peer drains with recvmmsg (timed until it has them all)";
        const std::string base = "send/raw-send";
        const long n = c.send;
        long queuedLoop = 0, queuedPump = 0, queuedLoopTotal = 0, queuedPumpTotal = 0, total = 0;
        repeat("send", [&](bool record) {
            const double rawSend = run(base, [&] { return sendPath(SendMode::RawSend, 64, n); });
            const double rawMmsg = run("send/raw-sendmmsg", [&] { return sendPath(SendMode::RawSendmmsg, 64, n); });
            const double qtLoop = run("send/qseqpacket-loop", [&] { return sendPath(SendMode::QtLoop, 64, n, &queuedLoop); });
            const double qtPump = run("send/qseqpacket-pump", [&] { return sendPath(SendMode::QtPump, 64, n, &queuedPump); });
            if (!record)
                return;
            queuedLoopTotal += queuedLoop;
            queuedPumpTotal += queuedPump;
            total += n;
            r.row(s, base, "raw send loop", "pkt/s", true, base).add(rawSend);
            r.row(s, "send/raw-sendmmsg", "raw sendmmsg loop (64 a call)", "pkt/s", true, base).add(rawMmsg);
            r.row(s, "send/qseqpacket-loop", "QSeqpacketSocket sendPacket() loop", "pkt/s", true, base).add(qtLoop);
            r.row(s, "send/qseqpacket-pump", "sendPacket() while bytesToWrite() < 64 KiB", "pkt/s", true, base).add(qtPump);
        });
        auto note = [&](const char *key, long queued) {
            if (Row *row = const_cast<Row *>(r.find(key))) {
                char buffer[64];
                std::snprintf(buffer, sizeof(buffer), "(%.1f%% went through the queue)", total ? 100.0 * double(queued) / double(total) : 0.0);
                row->note = buffer;
            }
        };
        note("send/qseqpacket-loop", queuedLoopTotal);
        note("send/qseqpacket-pump", queuedPumpTotal);
        r.addCheck({ "send >= 0.9 x raw send: sendPacket() loop", "send/qseqpacket-loop", base, Check::RatioAtLeast, 0.9 });
        r.addCheck({ "send >= 0.9 x raw send: sendPacket() with a watermark", "send/qseqpacket-pump", base, Check::RatioAtLeast, 0.9 });
    }

    void rtt()
    {
        for (const long size : { 64L, 4096L }) {
            const std::string s = "3. Round trip " + sizeLabel(size) + " (a peer process echoes)";
            const std::string tag = "rtt" + std::to_string(size);
            const std::string base = tag + "/raw-blocking";
            const long n = c.roundTrip;
            repeat(tag.c_str(), [&](bool record) {
                const double raw = run(base, [&] { return roundTrip(RoundTrip::RawBlocking, size_t(size), n); });
                const double poll = run(tag + "/raw-poll", [&] { return roundTrip(RoundTrip::RawPoll, size_t(size), n); });
                const double notifier = run(tag + "/notifier", [&] { return roundTrip(RoundTrip::Notifier, size_t(size), n); });
                const double contract = run(tag + "/contract-notifier", [&] { return roundTrip(RoundTrip::ContractNotifier, size_t(size), n); });
                const double qt = run(tag + "/qseqpacket", [&] { return roundTrip(RoundTrip::Qt, size_t(size), n); });
                const double qlocal = run(tag + "/qlocalsocket", [&] { return roundTrip(RoundTrip::QLocal, size_t(size), n); });
                if (!record)
                    return;
                r.row(s, base, "raw blocking ping-pong", "us", false, base, size).add(raw);
                r.row(s, tag + "/raw-poll", "raw poll() + non-blocking recv/send (both ends)", "us", false, base, size).add(poll);
                r.row(s, tag + "/notifier", "bare QSocketNotifier + recv/send (event loops)", "us", false, base, size).add(notifier);
                r.row(s, tag + "/contract-notifier", "QSocketNotifier + the contract's recvmsg (timestamp, fds) + send", "us", false, base, size).add(contract);
                r.row(s, tag + "/qseqpacket", "QSeqpacketSocket (event loops at both ends)", "us", false, base, size).add(qt);
                r.row(s, tag + "/qlocalsocket", "QLocalSocket + framing (event loops)", "us", false, base, size).add(qlocal);
            });
            r.addCheck({ "round trip " + sizeLabel(size) + " <= 1.15 x raw blocking", tag + "/qseqpacket", base, Check::RatioAtMost, 1.15 });
            r.addCheck({ "round trip " + sizeLabel(size) + " faster than QLocalSocket", tag + "/qseqpacket", tag + "/qlocalsocket", Check::LessThan, 0 });
            r.addCheck({ "round trip " + sizeLabel(size) + " <= 1.05 x bare QSocketNotifier", tag + "/qseqpacket", tag + "/notifier", Check::RatioAtMost, 1.05 });
            r.addCheck({ "(no target) round trip " + sizeLabel(size) + ": the contract's calls over the bare floor", tag + "/contract-notifier", tag + "/notifier", Check::Report, 0 });
            r.addCheck({ "(no target) round trip " + sizeLabel(size) + ": QSeqpacket over the contract floor", tag + "/qseqpacket", tag + "/contract-notifier", Check::Report, 0 });
        }
    }

    void fd()
    {
        const std::string s = "4. Descriptor passing: 8 B packets with one descriptor each (the receiver closes it)";
        const long n = c.fd;
        repeat("fd", [&](bool record) {
            const double rawRecv = run("fd/raw-recvmsg", [&] { return fdPassing(FdMode::RawRecvmsg, n); });
            const double qtRecv = run("fd/qseqpacket-receive", [&] { return fdPassing(FdMode::QtReceive, n); });
            const double rawSend = run("fd/raw-sendmsg", [&] { return fdPassing(FdMode::RawSendmsg, n); });
            const double qtSend = run("fd/qseqpacket-send", [&] { return fdPassing(FdMode::QtSend, n); });
            if (!record)
                return;
            r.row(s, "fd/raw-recvmsg", "receive: raw recvmsg loop (peer sendmsg)", "pkt/s", true, "fd/raw-recvmsg").add(rawRecv);
            r.row(s, "fd/qseqpacket-receive", "receive: QSeqpacketSocket receivePacket()", "pkt/s", true, "fd/raw-recvmsg").add(qtRecv);
            r.row(s, "fd/raw-sendmsg", "send: raw sendmsg loop (peer recvmsg)", "pkt/s", true, "fd/raw-sendmsg").add(rawSend);
            r.row(s, "fd/qseqpacket-send", "send: QSeqpacketSocket sendPacket(data; fds)", "pkt/s", true, "fd/raw-sendmsg").add(qtSend);
        });
        r.addCheck({ "descriptor passing >= 0.8 x raw: receive", "fd/qseqpacket-receive", "fd/raw-recvmsg", Check::RatioAtLeast, 0.8 });
        r.addCheck({ "descriptor passing >= 0.8 x raw: send", "fd/qseqpacket-send", "fd/raw-sendmsg", Check::RatioAtLeast, 0.8 });
    }

    void sweep()
    {
        const std::string s = "5. Packet size sweep: one way; the same technique at both ends";
        for (const long size : { 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L }) {
            const long n = std::max(c.sweepMin, std::min(c.sweepMax, c.sweepBytes / size));
            const std::string tag = "sweep/" + std::to_string(size);
            repeat(tag.c_str(), [&](bool record) {
                const double raw = run(tag + "/raw", [&] { return oneWay(Receiver::RawRecvmmsg, Sender::RawSendmmsg, size_t(size), n); });
                const double qt = run(tag + "/qseqpacket", [&] { return oneWay(Receiver::QtPacket, Sender::QtSend, size_t(size), n); });
                const double qlocal = run(tag + "/qlocalsocket", [&] { return oneWay(Receiver::QLocal, Sender::QLocalSend, size_t(size), n); });
                const double contract = run(tag + "/contract", [&] { return oneWay(Receiver::ContractNotifier, Sender::ContractSendEach, size_t(size), n); });
                // Each end alone against the contract floor's other end: which side sets the rate.
                const double receiving = run(tag + "/qseqpacket-receiver", [&] { return oneWay(Receiver::QtPacket, Sender::ContractSendEach, size_t(size), n); });
                const double sending = run(tag + "/qseqpacket-sender", [&] { return oneWay(Receiver::ContractNotifier, Sender::QtSend, size_t(size), n); });
                if (!record)
                    return;
                const std::string l = sizeLabel(size);
                r.row(s, tag + "/raw", l + ": raw sendmmsg -> recvmmsg", "pkt/s", true, tag + "/raw", size).add(raw);
                r.row(s, tag + "/qseqpacket", l + ": QSeqpacketSocket -> QSeqpacketSocket", "pkt/s", true, tag + "/raw", size).add(qt);
                r.row(s, tag + "/qlocalsocket", l + ": QLocalSocket -> QLocalSocket (framed)", "pkt/s", true, tag + "/raw", size).add(qlocal);
                r.row(s, tag + "/contract", l + ": send() each -> notifier, contract recvmmsg (contract floor)", "pkt/s", true, tag + "/raw", size).add(contract);
                r.row(s, tag + "/qseqpacket-receiver", l + ": send() each -> QSeqpacketSocket (its receiving alone)", "pkt/s", true, tag + "/raw", size).add(receiving);
                r.row(s, tag + "/qseqpacket-sender", l + ": QSeqpacketSocket -> contract receiver (its sending alone)", "pkt/s", true, tag + "/raw", size).add(sending);
            });
            r.addCheck({ "sweep " + sizeLabel(size) + ": QSeqpacket -> QSeqpacket >= 0.8 x raw", tag + "/qseqpacket", tag + "/raw", Check::RatioAtLeast, 0.8 });
        }
    }

    void scale()
    {
        const int n = o.clients;
        const std::string s = "6. Server scale: " + std::to_string(n) + " clients connected from a peer process; 64 of them active for the echo";
        repeat("scale", [&](bool record) {
            const ScaleResult qt = runScale("scale/qseqpacket", [&] { return serverScaleQt(n, 64, c.echoes, c.idleMs); });
            const ScaleResult raw = runScale("scale/raw", [&] { return serverScaleRaw(n, 64, c.echoes, c.idleMs); });
            const ScaleResult qt64 = runScale("scale/qseqpacket-echo64", [&] { return serverScaleQt(64, 64, c.echoes, 0); });
            const ScaleResult raw64 = runScale("scale/raw-echo64", [&] { return serverScaleRaw(64, 64, c.echoes, 0); });
            const ScaleResult perFd = runScale("scale/floor-notifiers", [&] { return serverScaleFloor(QtFloor::PerDescriptor, n, 64, c.echoes); });
            const ScaleResult oneEpoll = runScale("scale/floor-epoll", [&] { return serverScaleFloor(QtFloor::OneEpoll, n, 64, c.echoes); });
            const ScaleResult contract = runScale("scale/contract-epoll", [&] { return serverScaleFloor(QtFloor::OneEpollContract, n, 64, c.echoes); });
            const ScaleResult withObjects = runScale("scale/contract-object", [&] { return serverScaleFloor(QtFloor::OneEpollContractObject, n, 64, 0); });
            if (!record)
                return;
            r.row(s, "scale/raw-accept", "accept rate: raw accept4() loop", "accepts/s", true, "scale/raw-accept").add(raw.acceptRate);
            r.row(s, "scale/qseqpacket-accept", "accept rate: QSeqpacketServer", "accepts/s", true, "scale/raw-accept").add(qt.acceptRate);
            r.row(s, "scale/floor-notifiers-accept", "accept rate: Qt loop, a QSocketNotifier per connection", "accepts/s", true, "scale/raw-accept").add(perFd.acceptRate);
            r.row(s, "scale/floor-epoll-accept", "accept rate: Qt loop, one notifier on an epoll set", "accepts/s", true, "scale/raw-accept").add(oneEpoll.acceptRate);
            r.row(s, "scale/contract-epoll-accept", "accept rate: the same, SO_TIMESTAMP on (contract floor)", "accepts/s", true, "scale/raw-accept").add(contract.acceptRate);
            r.row(s, "scale/contract-object-accept", "accept rate: the same, a QObject per connection, one connect()", "accepts/s", true, "scale/raw-accept").add(withObjects.acceptRate);
            r.row(s, "scale/qseqpacket-heap", "heap per connection: QSeqpacketServer", "B/conn", false).add(qt.heapPerConnection);
            r.row(s, "scale/raw-fds", "descriptors per connection: raw", "fd/conn", false).add(raw.fdsPerConnection);
            r.row(s, "scale/qseqpacket-fds", "descriptors per connection: QSeqpacketServer", "fd/conn", false).add(qt.fdsPerConnection);
            r.row(s, "scale/qt-idle-empty", "idle 1 s CPU: Qt event loop with no connection", "ms", false).add(qt.idleCpuMsEmpty);
            r.row(s, "scale/qseqpacket-idle", "idle 1 s CPU: QSeqpacketServer with all connected", "ms", false).add(qt.idleCpuMs);
            r.row(s, "scale/qseqpacket-idle-wakeups", "idle 1 s wakeups: QSeqpacketServer", "switches", false).add(qt.idleWakeups);
            r.row(s, "scale/raw-idle", "idle 1 s CPU: raw epoll with all connected", "ms", false).add(raw.idleCpuMs);
            r.row(s, "scale/raw-echo", "echo (64 active of all): raw epoll server", "echo/s", true, "scale/raw-echo").add(raw.echoRate);
            r.row(s, "scale/qseqpacket-echo", "echo (64 active of all): QSeqpacketServer", "echo/s", true, "scale/raw-echo").add(qt.echoRate);
            r.row(s, "scale/floor-notifiers-echo", "echo (64 active of all): Qt loop, a QSocketNotifier per connection", "echo/s", true, "scale/raw-echo").add(perFd.echoRate);
            r.row(s, "scale/floor-epoll-echo", "echo (64 active of all): Qt loop, one notifier on an epoll set", "echo/s", true, "scale/raw-echo").add(oneEpoll.echoRate);
            r.row(s, "scale/contract-epoll-echo", "echo (64 active of all): the same, contract's recvmsg (contract floor)", "echo/s", true, "scale/raw-echo").add(contract.echoRate);
            r.row(s, "scale/raw-echo64", "echo (64 clients only): raw epoll server", "echo/s", true, "scale/raw-echo64").add(raw64.echoRate);
            r.row(s, "scale/qseqpacket-echo64", "echo (64 clients only): QSeqpacketServer", "echo/s", true, "scale/raw-echo64").add(qt64.echoRate);
        });
        r.addCheck({ "accept rate >= 0.85 x raw accept4()", "scale/qseqpacket-accept", "scale/raw-accept", Check::RatioAtLeast, 0.85 });
        r.addCheck({ "echo, 64 active of all >= 0.9 x raw epoll", "scale/qseqpacket-echo", "scale/raw-echo", Check::RatioAtLeast, 0.9 });
        r.addCheck({ "<= 4 KiB of heap per idle connection", "scale/qseqpacket-heap", "", Check::ValueAtMost, 4096 });
        r.addCheck({ "idle sockets use no CPU (<= 5 ms CPU in 1 s)", "scale/qseqpacket-idle", "", Check::ValueAtMost, 5 });
    }

    void channel()
    {
        {
            const std::string s = "7. Message channel: request/reply round trip, small body (" + std::to_string(smallFrameSize())
                    + " B request frame; a peer process answers)";
            const std::string base = "channel/rtt-packet";
            const long n = c.channelRoundTrip;
            repeat("channel-rtt", [&](bool record) {
                const double packet = run(base, [&] { return channelRoundTrip(ChannelRoundTrip::Packet, n); });
                const double channel = run("channel/rtt-channel", [&] { return channelRoundTrip(ChannelRoundTrip::Channel, n); });
                const double dbus = run("channel/rtt-dbus", [&] { return channelRoundTrip(ChannelRoundTrip::DBus, n); });
                const double ro = run("channel/rtt-remoteobjects", [&] { return channelRoundTrip(ChannelRoundTrip::RemoteObjects, n); });
                if (!record)
                    return;
                r.row(s, base, "QSeqpacketSocket packets of that size (echo)", "us", false, base).add(packet);
                r.row(s, "channel/rtt-channel", "QSeqpacketChannel request() -> reply", "us", false, base).add(channel);
                r.row(s, "channel/rtt-dbus", "QtDBus peer-to-peer, asyncCall() Echo(a{sv})", "us", false, base).add(dbus);
                r.row(s, "channel/rtt-remoteobjects", "Qt Remote Objects (local:), echo() slot", "us", false, base).add(ro);
            });
            if (!haveDBus())
                std::fprintf(stderr, "qseqpacket-bench: built without Qt6DBus: no QtDBus case\n");
            if (!haveRemoteObjects())
                std::fprintf(stderr, "qseqpacket-bench: built without Qt6RemoteObjects: no Qt Remote Objects case "
                                     "(Debian: qt6-remoteobjects-dev)\n");
            r.addCheck({ "channel request/reply <= 1.3 x the packet round trip", "channel/rtt-channel", base, Check::RatioAtMost, 1.3 });
            r.addCheck({ "channel request/reply >= 3 x faster than QtDBus p2p", "channel/rtt-channel", "channel/rtt-dbus", Check::TimesFasterAtLeast, 3 });
            r.addCheck({ "(no target) Qt Remote Objects time / channel time", "channel/rtt-remoteobjects", "channel/rtt-channel", Check::Report, 0 });
        }
        {
            const std::string s = "7. Message channel: one-way messages, small body (this process sends, a peer process counts)";
            const std::string base = "channel/stream-qlocal-datastream";
            const long n = c.channelMessages;
            repeat("channel-messages", [&](bool record) {
                const double qlocal = run(base, [&] { return channelStream(ChannelStream::QLocalDataStream, n); });
                const double channel = run("channel/stream-channel", [&] { return channelStream(ChannelStream::Channel, n); });
                const double packet = run("channel/stream-packet", [&] { return channelStream(ChannelStream::Packet, n); });
                if (!record)
                    return;
                r.row(s, base, "QLocalSocket + QDataStream (QString, QVariantMap)", "msg/s", true, base).add(qlocal);
                r.row(s, "channel/stream-channel", "QSeqpacketChannel send() -> messageReceived()", "msg/s", true, base).add(channel);
                r.row(s, "channel/stream-packet", "QSeqpacketSocket packets of the frame's size", "msg/s", true, base).add(packet);
            });
            r.addCheck({ "(no target) one-way: channel vs QLocalSocket+QDataStream", "channel/stream-channel", base, Check::Report, 0 });
        }
        {
            const long size = 16L << 20;
            const std::string s = "7. Message channel: 16 MiB messages, one at a time (the peer reads every byte, then acknowledges)";
            const std::string base = "channel/big-raw-memfd";
            const long n = c.bigMessages;
            repeat("channel-16MiB", [&](bool record) {
                const double raw = run(base, [&] { return bigMessage(BigMessage::RawMemfd, size, n); });
                const double channel = run("channel/big-channel", [&] { return bigMessage(BigMessage::Channel, size, n); });
                const double channelBytes = run("channel/big-channel-bytes", [&] { return bigMessage(BigMessage::ChannelBytes, size, n); });
                const double channelFd = run("channel/big-channel-fd", [&] { return bigMessage(BigMessage::ChannelFd, size, n); });
                if (!record)
                    return;
                r.row(s, base, "raw memfd: create, write, seal, send; mmap, read", "MiB/s", true, base, size).add(raw);
                r.row(s, "channel/big-channel", "QSeqpacketChannel send(), body a byte string", "MiB/s", true, base, size).add(channel);
                r.row(s, "channel/big-channel-bytes", "send(), setBodyBytes(); peer reads bodyBytes()", "MiB/s", true, base, size).add(channelBytes);
                r.row(s, "channel/big-channel-fd", "send(), the bytes in the caller's memfd (fd)", "MiB/s", true, base, size).add(channelFd);
            });
            r.addCheck({ "16 MiB message >= 0.8 x the raw memfd path", "channel/big-channel-bytes", base, Check::RatioAtLeast, 0.8 });
            r.addCheck({ "(no target) 16 MiB as a QCborValue body vs raw", "channel/big-channel", base, Check::Report, 0 });
            r.addCheck({ "(no target) 16 MiB in the caller's memfd vs raw", "channel/big-channel-fd", base, Check::Report, 0 });
        }
    }

    Results r;

private:
    const Options &o;
    const Counts &c;
};

} // namespace

int main(int argc, char **argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "--peer") == 0)
        return peerMain(argc, argv);

    ::signal(SIGPIPE, SIG_IGN);
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(1);
            }
            return argv[++i];
        };
        if (a == "--short") {
            o.shortMode = true;
        } else if (a == "--full") {
            o.shortMode = false;
        } else if (a == "--reps") {
            o.reps = std::max(1, std::atoi(value().c_str()));
        } else if (a == "--only") {
            std::stringstream list(value());
            std::string item;
            while (std::getline(list, item, ','))
                o.only.insert(item);
        } else if (a == "--csv") {
            o.csv = value();
        } else if (a == "--json") {
            o.json = value();
        } else if (a == "--clients") {
            o.clients = std::max(1, std::atoi(value().c_str()));
        } else if (a == "--scale") {
            o.scale = std::atof(value().c_str());
        } else if (a == "--case") {
            o.caseFilter = value();
        } else if (a == "--pin") {
            o.pin = true;
        } else if (a == "--pin-together") {
            o.pinTogether = true;
        } else if (a == "--in-process") {
            o.inProcess = true;
        } else if (a == "--no-warmup") {
            o.warmup = false;
        } else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else {
            usage();
            return 1;
        }
    }
    bool repsGiven = false;
    for (int i = 1; i < argc; ++i)
        repsGiven = repsGiven || std::strcmp(argv[i], "--reps") == 0;
    if (o.shortMode) {
        if (!repsGiven)
            o.reps = 1;
        o.warmup = false;
    }
    for (const std::string &g : o.only) {
        static const std::set<std::string> groups = { "receive", "send", "rtt", "fd", "sweep", "scale", "channel" };
        if (!groups.count(g)) {
            std::fprintf(stderr, "qseqpacket-bench: unknown group %s\n", g.c_str());
            return 1;
        }
    }

    auto scaled = [&](long n) { return std::max(1L, long(double(n) * o.scale)); };
    Counts c;
    if (o.shortMode)
        c = { scaled(20000), scaled(20000), scaled(2000), scaled(5000), scaled(10000), scaled(4 << 20), scaled(1000), scaled(20000), 1000,
              scaled(1000), scaled(5000), scaled(3) };
    else
        c = { scaled(500000), scaled(500000), scaled(20000), scaled(200000), scaled(200000), scaled(512 << 20), scaled(20000), scaled(300000), 1000,
              scaled(20000), scaled(200000), scaled(32) };

    const long fdLimit = raiseDescriptorLimit();
    if (fdLimit > 0 && fdLimit < 2L * o.clients + 200) {
        const int fit = int((fdLimit - 200) / 2);
        std::fprintf(stderr, "qseqpacket-bench: RLIMIT_NOFILE is %ld; %d clients instead of %d\n", fdLimit, fit, o.clients);
        o.clients = std::max(1, fit);
    }

    if (o.pin && o.pinTogether)
        fail("--pin and --pin-together exclude each other");
    if (o.pin)
        pinProcesses(0, 1);
    if (o.pinTogether)
        pinProcesses(0, 0);
    setChannelInProcess(o.inProcess);
    QCoreApplication app(argc, argv);
    std::map<std::string, std::string> info;
    info["mode"] = o.shortMode ? "short" : "full";
    info["repetitions"] = std::to_string(o.reps) + (o.warmup ? " (+1 warm-up, discarded)" : "");
    info["date"] = QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString();
    info["cpu"] = readFirstLine("/proc/cpuinfo", "model name");
    info["cpus online"] = std::to_string(::sysconf(_SC_NPROCESSORS_ONLN));
    utsname u;
    if (::uname(&u) == 0)
        info["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
    info["qt"] = qVersion();
    info["event dispatcher"] = QAbstractEventDispatcher::instance()
            ? QAbstractEventDispatcher::instance()->metaObject()->className() : "?";
    info["load average at start"] = loadAverage();
    info["RLIMIT_NOFILE"] = std::to_string(fdLimit);
    info["pinned"] = o.pin ? "driver on CPU 0, peers on CPU 1" : o.pinTogether ? "driver and peers on CPU 0" : "no";
    info["channel far sides"] = o.inProcess ? "in this process (--in-process)" : "peer processes";
    info["net.core.wmem_default"] = readFirstLine("/proc/sys/net/core/wmem_default");
    info["net.core.wmem_max"] = readFirstLine("/proc/sys/net/core/wmem_max");

    std::fprintf(stderr, "qseqpacket-bench: %s mode, %d repetition(s)%s, load average %s\n",
                 info["mode"].c_str(), o.reps, o.warmup ? " + 1 warm-up" : "", info["load average at start"].c_str());
    const Clock::time_point start = Clock::now();
    Bench b(o, c);
    if (b.wants("receive"))
        b.receive();
    if (b.wants("send"))
        b.send();
    if (b.wants("rtt"))
        b.rtt();
    if (b.wants("fd"))
        b.fd();
    if (b.wants("sweep"))
        b.sweep();
    if (b.wants("scale"))
        b.scale();
    if (b.wants("channel"))
        b.channel();
    info["load average at end"] = loadAverage();
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f", secondsSince(start));
    info["run time (s)"] = seconds;

    std::printf("qseqpacket-bench (%s mode, %d repetition(s), median shown)\n", info["mode"].c_str(), o.reps);
    std::printf("machine: %s, %s CPUs online, %s, Qt %s (%s)\n", info["cpu"].c_str(), info["cpus online"].c_str(),
                info["kernel"].c_str(), info["qt"].c_str(), info["event dispatcher"].c_str());
    std::printf("load average: %s at start, %s at end; run time %s s\n", info["load average at start"].c_str(),
                info["load average at end"].c_str(), seconds);
    if (o.inProcess)
        std::printf("--in-process: the channel group's far sides ran in this process, not in peer processes\n");
    std::printf("\n");
    b.r.printTable(stdout);
    b.r.printChecks(stdout);
    std::fflush(stdout);

    int status = 0;
    if (!o.csv.empty() && !b.r.writeCsv(o.csv)) {
        std::fprintf(stderr, "qseqpacket-bench: cannot write %s\n", o.csv.c_str());
        status = 1;
    }
    if (!o.json.empty() && !b.r.writeJson(o.json, info)) {
        std::fprintf(stderr, "qseqpacket-bench: cannot write %s\n", o.json.c_str());
        status = 1;
    }
    return status;
}
