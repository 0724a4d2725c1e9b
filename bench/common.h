// SPDX-License-Identifier: MIT
// Helpers shared by the benchmark driver and its peer processes: timing, socket pairs, raw
// sendmmsg/recvmmsg batches, and the peer processes (the same binary run as `--peer MODE ...`).
#ifndef QSEQPACKET_BENCH_COMMON_H
#define QSEQPACKET_BENCH_COMMON_H

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Prints "qseqpacket-bench: <message>" (with errno's text where errnoValue != 0) and exits 2.
[[noreturn]] void fail(const std::string &message, int errnoValue = 0);

// The descriptors a peer process finds its sockets on.
constexpr int PeerDataFd = 3;
constexpr int PeerControlFd = 4;

// The largest packet the benchmark sends (the size sweep's top), and a receive slot that holds it.
constexpr size_t MaxPacket = 64 * 1024;
constexpr size_t SlotSize = MaxPacket + 64;
constexpr int Batch = 64;

// Blocking, close-on-exec socket pairs.
void seqpacketPair(int fds[2]);
void streamPair(int fds[2]);
// Receive and send timeouts, so that a blocking baseline cannot hang on a dead peer.
void setSocketTimeouts(int fd, int seconds);
void setNonBlocking(int fd, bool on);

// The least a socket class keeping BEHAVIOUR.md asks of the kernel per packet, for the round
// trip's contract floor: SO_TIMESTAMP on (prepareContractReceive()), and a non-blocking recvmsg()
// with room for the timestamp and descriptors (close-on-exec), which tells an empty packet (it
// has a timestamp) from end-of-file (nothing). Returns the packet's size, -2 at end-of-file, -1
// with errno; descriptors that came are closed.
void prepareContractReceive(int fd);
ssize_t contractReceive(int fd, char *buffer, size_t size);

// Control messages between the driver and a peer go over a SOCK_SEQPACKET pair: one packet each,
// its first byte says what it is ('R' ready, 'G' go, 'D' done, 'C' connected, 'E' echo, 'T' time,
// 'Q' quit); the rest is text.
void sendControl(int fd, char type, const std::string &text = {});
// Blocks for the next control message; fails on a timeout, end-of-file or another type than
// \a expected (0: any). Returns the type; \a text gets the rest.
char readControl(int fd, char expected, std::string *text = nullptr, int timeoutMs = 120000);

// A peer process: this binary run as `qseqpacket-bench --peer ARGS...` with \a dataFd as
// descriptor 3 and the child's end of a new control pair as descriptor 4.
struct Peer
{
    pid_t pid = -1;
    int control = -1;
};
// Starts the peer and waits until it says it is ready; \a readyText gets what it said with it
// (e.g. the address it listens on). \a dataFd -1: the peer has no descriptor 3.
Peer spawnPeer(const std::vector<std::string> &args, int dataFd, std::string *readyText = nullptr);
void peerGo(Peer &peer);
// Pins this process to \a driverCpu and the peers started from now on to \a peerCpu.
void pinProcesses(int driverCpu, int peerCpu);
// Closes the control socket and waits for the peer to exit (killing it after \a timeoutMs).
void reapPeer(Peer &peer, int timeoutMs = 30000);

// A batch of receive slots for recvmmsg(), each SlotSize bytes.
struct RecvBatch
{
    RecvBatch();
    ~RecvBatch();
    // recvmmsg() of at most \a max packets; blocks for the first (MSG_WAITFORONE) unless \a flags
    // has MSG_DONTWAIT. Returns the count, 0 at end-of-file, -1 with errno.
    int receive(int fd, int max, int flags = 0);
    char *memory = nullptr;
    mmsghdr headers[Batch];
    iovec vectors[Batch];
};

// sendmmsg() of \a count copies of \a data in batches of 64; blocking.
void sendmmsgAll(int fd, const char *data, size_t size, long count);

// Heap in use (mallinfo2: arena in use plus mmapped chunks).
long long heapInUse();

int peerMain(int argc, char **argv);

} // namespace bench

#endif
