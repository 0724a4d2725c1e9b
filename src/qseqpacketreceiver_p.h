// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETRECEIVER_P_H
#define QSEQPACKETRECEIVER_P_H

#include "qseqpacketpacket.h"
#include "qseqpacketpacketqueue_p.h"

#include <QtCore/qlist.h>

struct QSeqpacketBatchBuffers;

// The receive side of a socket: takes packets off the kernel in batches (recvmmsg) into a bounded
// queue that the socket's receive calls read from.
//
// A SOCK_SEQPACKET socket returns 0 bytes both for a zero-length packet and for end-of-file. To
// tell them apart the socket has SO_TIMESTAMP on: the kernel attaches a timestamp to every real
// packet, even an empty one, and nothing to end-of-file.
//
// Batches never cut a packet an unprivileged peer can send: each slot of the batch buffer is
// larger than that (twice net.core.wmem_max; reserved address space, only touched pages cost
// memory). A larger one, from a sender with CAP_NET_ADMIN (SO_SNDBUFFORCE), is reported truncated.
// Where the batch buffer cannot be had, each packet is read on its own into a buffer of its size.
class QSeqpacketPacketPrivate;

class QSeqpacketReceiver
{
public:
    QSeqpacketReceiver() = default;
    ~QSeqpacketReceiver() { clear(); }
    Q_DISABLE_COPY_MOVE(QSeqpacketReceiver)

    struct ReadResult
    {
        int packets = 0;          // packets added to the queue
        bool endOfInput = false;  // the peer will send nothing more
        int error = 0;            // errno of a failed read, 0 where none
        const char *call = "";    // the call that failed: "recvmmsg", "recvmsg" or "recv(MSG_PEEK)"
        bool drained = false;     // the kernel had no more when the read stopped
        bool reset = false;       // the peer closed with packets it had not read (ECONNRESET)
    };

    // Turns on what the receiver relies on (SO_TIMESTAMP); returns errno on failure, 0 on success.
    static int prepareDescriptor(int fd);

    // Reads what the kernel has, without blocking, until the queue holds \a queueLimit packets
    // or \a byteLimit bytes (no limit where negative), or nothing is left.
    ReadResult readFromKernel(int fd, int queueLimit, qint64 byteLimit);

    // The socket sent a packet: between two reads, that is what request/response traffic does.
    void noteSent() { m_sentSinceRead = true; }

    bool isEmpty() const { return m_queue.isEmpty(); }
    qsizetype count() const { return m_queue.size(); }
    qint64 bytes() const { return m_bytes; }
    // The first packet, still queued: shared with the queue, or its private to read from.
    QSeqpacketPacket peekHead() const;
    const QSeqpacketPacketPrivate *head() const { return m_queue.first(); }
    QSeqpacketPacket takeHead();
    void clear();

    void setDescriptorLimit(int count) { m_descriptorLimit = count; }
    int descriptorLimit() const { return m_descriptorLimit; }
    // SO_PASSCRED is on: every packet comes with credentials, which take control space.
    void setCredentialsExpected(bool expected) { m_credentialsExpected = expected; }
    bool credentialsExpected() const { return m_credentialsExpected; }
    // SO_PASSPIDFD is on: every packet comes with a pidfd of its sender, which takes control space.
    void setProcessDescriptorExpected(bool expected) { m_processDescriptorExpected = expected; }
    bool processDescriptorExpected() const { return m_processDescriptorExpected; }

private:
    // The readers; those with the thread's batch buffers get them from readFromKernel(), which
    // looks them up once per call (a thread-local lookup costs a call into the dynamic linker).
    ReadResult readBatch(QSeqpacketBatchBuffers &buffers, int fd, int maxPackets);
    ReadResult readSingle(int fd);
    ReadResult readLarge(QSeqpacketBatchBuffers &buffers, int fd);
    ReadResult readLone(QSeqpacketBatchBuffers &buffers, int fd);
    // What readLarge() and readLone() share: one packet with recvmsg() into \a buffer (\a expected
    // bytes; none where 0) and on into the first batch slot, queued; \a buffer shares its bytes
    // with the packet where they fit it. Sets m_largeHint, and *\a storedSize where not null.
    ReadResult readOne(QSeqpacketBatchBuffers &buffers, int fd, QByteArray &buffer, qsizetype expected,
                       qsizetype *storedSize);
    size_t controlBudget() const;
    bool enforceDescriptorLimit(QList<QSeqpacketFileDescriptor> *fds) const;

    void enqueue(QSeqpacketPacketPrivate *packet, qint64 bytes);

    // Privates, not packets: each entry is the queue's reference, handed to the packet that
    // takes it (no packet moved or destroyed on the way in and out).
    QSeqpacketPacketQueue m_queue;
    qint64 m_bytes = 0;
    // The size of the last packet where it was large (readLarge() then reads the next one into a
    // buffer of that size), else 0.
    qsizetype m_largeHint = 0;
    // The size of the last packet readLone() took (it reads the next one into a buffer of that
    // size where that is more than a small packet).
    qsizetype m_loneHint = 0;
    // Reads in a row that took exactly one packet, and whether the socket has sent since the
    // last read that took any: request/response traffic. See readFromKernel().
    int m_loneReads = 0;
    bool m_sentSinceRead = false;
    int m_descriptorLimit = 253;
    bool m_credentialsExpected = false;
    bool m_processDescriptorExpected = false;
};

#endif
