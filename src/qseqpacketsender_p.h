// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSENDER_P_H
#define QSEQPACKETSENDER_P_H

#include "qseqpacketblockqueue_p.h"
#include "qseqpacketchunk_p.h"
#include "qseqpacketfiledescriptor.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>

#include <sys/socket.h>
#include <memory>
#include <vector>

struct iovec;

// The send side of a socket: writes a packet at once where the kernel takes it, and otherwise
// keeps it, whole and in order, until the socket is writable, when the queue is written in
// batches (sendmmsg).
class QSeqpacketSender
{
public:
    struct FlushResult
    {
        qint64 written = 0;      // packets the kernel took
        int error = 0;           // errno that stopped the flush (never EAGAIN)
        bool packetDropped = false; // the error was the head packet's own; it was dropped
        // What the dropped packet was, for the error message.
        qint64 droppedSize = 0;
        bool droppedHadDescriptors = false;
        bool droppedHadCredentials = false;
    };

    // One packet, with SCM_CREDENTIALS where \a credentials is not null; 0 on success, else errno
    // (EAGAIN where the kernel is full). sendNowCall() names the system call it makes: send()
    // for one piece without descriptors or credentials, sendmsg() for anything else.
    static int sendNow(int fd, const iovec *parts, int partCount, const QList<QSeqpacketFileDescriptor> &fds,
                       const ucred *credentials);
    static bool sendsPlain(int partCount, const QList<QSeqpacketFileDescriptor> &fds, const ucred *credentials)
    {
        return partCount <= 1 && fds.isEmpty() && !credentials;
    }
    static const char *sendNowCall(int partCount, const QList<QSeqpacketFileDescriptor> &fds, const ucred *credentials)
    {
        return sendsPlain(partCount, fds, credentials) ? "send" : "sendmsg";
    }

    void enqueue(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds, const ucred *credentials);
    // A copy of the \a partCount pieces (\a size bytes in all) to keep in the queue. Small
    // packets share chunks: one allocation for many queued packets instead of one each.
    QByteArray copyForQueue(const iovec *parts, int partCount, qint64 size);
    // Writes queued packets until the kernel is full, the queue is empty, or an error.
    FlushResult flush(int fd);

    bool isEmpty() const { return m_queue.isEmpty(); }
    qint64 packets() const { return m_queue.size(); }
    qint64 bytes() const { return m_bytes; }
    void clear();

private:
    struct Outgoing
    {
        QByteArray data;
        QList<QSeqpacketFileDescriptor> fds;
        ucred credentials;            // sent with SCM_CREDENTIALS where hasCredentials
        bool hasCredentials = false;

        const ucred *credentialsToSend() const { return hasCredentials ? &credentials : nullptr; }
    };
    void dropHead();

    // What only a socket that queues needs: made when it first does (most connections never fill
    // the kernel's buffer, and an idle connection should cost as little as possible).
    struct QueueBuffers
    {
        std::vector<char> control; // control messages of one batch, kept for the next
        QSeqpacketChunk chunk;     // where small queued packets are copied
    };
    QueueBuffers &buffers()
    {
        if (!m_buffers)
            m_buffers = std::make_unique<QueueBuffers>();
        return *m_buffers;
    }

    QSeqpacketBlockQueue<Outgoing, 128> m_queue; // allocates nothing while empty
    qint64 m_bytes = 0;
    std::unique_ptr<QueueBuffers> m_buffers;
};

#endif
