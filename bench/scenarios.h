// SPDX-License-Identifier: MIT
// One measurement each: sets up the sockets and a peer process, times the case, cleans up.
#ifndef QSEQPACKET_BENCH_SCENARIOS_H
#define QSEQPACKET_BENCH_SCENARIOS_H

#include <cstddef>
#include <string>

namespace bench {

// One way: a peer process sends, this process receives and is timed. Packets (messages) per second.
enum class Receiver {
    RawRecvmmsg,     // blocking recvmmsg loop, 64 slots
    RawRecv,         // blocking recv loop
    RawRecvFresh,    // blocking recv loop, each packet into a newly allocated QByteArray of its size
    QtPacket,        // QSeqpacketSocket in an event loop, receivePacket()
    QtBuffer,        // QSeqpacketSocket in an event loop, receivePacket(char *, ...)
    QLocal,          // QLocalSocket in an event loop parsing 4-byte length-prefixed frames
    ContractNotifier // the contract floor: a QSocketNotifier, SO_TIMESTAMP on, non-blocking recvmmsg
                     // with room for each packet's timestamp and 253 descriptors, until EAGAIN
};
enum class Sender {
    RawSendmmsg,     // peer: sendmmsg batches of 64 (stream-send for QLocal: 64 frames to a write())
    RawSendEach,     // peer (QLocal only): one frame to a write()
    QtSend,          // peer: QSeqpacketSocket::sendPacket(), at most 256 KiB queued
    QLocalSend,      // peer: QLocalSocket::write() of frames, at most 256 KiB buffered
    ContractSendEach // peer: the contract floor: a non-blocking send() per packet, as sendPacket()
                     // must hand each to the kernel at once; a QSocketNotifier when it is full
};
double oneWay(Receiver receiver, Sender sender, size_t size, long count);

// Send path: this process sends and is timed until a raw recvmmsg peer has taken them all.
enum class SendMode {
    RawSend,         // blocking send() loop
    RawSendmmsg,     // blocking sendmmsg() batches of 64
    QtLoop,          // sendPacket() in a plain loop (the queue takes what the kernel cannot), then the event loop
    QtPump           // sendPacket() while bytesToWrite() < 64 KiB, more on packetsWritten()
};
// \a queuedPackets gets how many packets went through the send queue (the Qt modes).
double sendPath(SendMode mode, size_t size, long count, long *queuedPackets = nullptr);

// Round trips with an echoing peer. Microseconds per round trip.
enum class RoundTrip {
    RawBlocking,     // blocking send/recv here, blocking recv/send echo there
    RawPoll,         // non-blocking send, poll(), recv at both ends: the floor of any event-driven socket
    Notifier,        // a bare QSocketNotifier with non-blocking recv/send in its slot, at both ends
    ContractNotifier, // the same with the receive BEHAVIOUR.md needs (contractReceive()): the floor
                      // of any socket class keeping the contract
    Qt,              // QSeqpacketSocket in event loops at both ends
    QLocal           // QLocalSocket with framing in event loops at both ends
};
double roundTrip(RoundTrip kind, size_t size, long count);

// Descriptor passing, one descriptor with each 8-byte packet. Packets per second.
enum class FdMode {
    RawRecvmsg,      // peer sendmsg(), here a blocking recvmsg() loop closing each descriptor
    QtReceive,       // peer sendmsg(), here QSeqpacketSocket::receivePacket() (the packet closes it)
    RawSendmsg,      // here a blocking sendmsg() loop, peer recvmsg() closing each
    QtSend           // here sendPacket(data, fds) in a loop, peer recvmsg() closing each
};
double fdPassing(FdMode mode, long count);

// Server scale.
struct ScaleResult
{
    double acceptRate = 0;   // accepted connections per second
    double heapPerConnection = 0;
    double fdsPerConnection = 0;
    double idleCpuMsEmpty = 0; // CPU time (ms) of one idle second with no connection
    double idleCpuMs = 0;      // ... with every client connected and idle
    double idleWakeups = 0;    // voluntary context switches in that second
    double echoRate = 0;       // echoes per second
};
ScaleResult serverScaleQt(int clients, int active, long echoes, int idleMs);
ScaleResult serverScaleRaw(int clients, int active, long echoes, int idleMs);

// The same server in Qt's event loop without the library: what any design on the event loop can
// reach. PerDescriptor registers a QSocketNotifier per connection (as QSeqpacketSocket does, and
// as the glib dispatcher then polls every one on each wake-up); OneEpoll puts the connections in
// an epoll set and registers one notifier for it.
// PerDescriptor and OneEpoll receive with a bare recv(); OneEpollContract is OneEpoll with what
// BEHAVIOUR.md asks of the kernel (SO_TIMESTAMP on each accepted socket, contractReceive()).
// PerDescriptor: a QSocketNotifier per connection. OneEpoll: one notifier on an epoll set.
// OneEpollContract: the same, each connection set up and read as BEHAVIOUR.md requires.
// OneEpollContractObject: the same, and a QObject per connection (a child of the server's object)
// with one connection of its signal to a lambda: what an API that hands out a QObject per
// connection, and an application that connects to it, cost at the least.
enum class QtFloor { PerDescriptor, OneEpoll, OneEpollContract, OneEpollContractObject };
ScaleResult serverScaleFloor(QtFloor design, int clients, int active, long echoes);

} // namespace bench

#endif
