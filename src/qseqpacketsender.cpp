// SPDX-License-Identifier: MIT
#include "qseqpacketsender_p.h"
#include "qseqpacketsmallcopy_p.h"
#include "qseqpacketsystem_p.h"

#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

namespace {

constexpr int BatchSize = 64;
constexpr int SendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;
// Queued packets up to ChunkPacket bytes are copied into shared chunks. A chunk lives until its
// last packet is written, and the sender lets go of it when the queue is empty, so a queue of
// small packets holds at most one chunk more than its bytes need, and an idle socket none.
constexpr qint64 ChunkPacket = 4096;
constexpr qsizetype MinChunkBytes = 4096;
constexpr qsizetype MaxChunkBytes = 64 * 1024;

size_t controlSpaceFor(const QList<QSeqpacketFileDescriptor> &fds, const ucred *credentials)
{
    return (fds.isEmpty() ? 0 : CMSG_SPACE(sizeof(int) * size_t(fds.size())))
            + (credentials ? CMSG_SPACE(sizeof(ucred)) : 0);
}

// Writes the SCM_RIGHTS message for \a fds and the SCM_CREDENTIALS message for \a credentials
// (where not null) into \a buffer (controlSpaceFor() bytes) and points \a header at it.
void attachControl(msghdr *header, char *buffer, const QList<QSeqpacketFileDescriptor> &fds,
                   const ucred *credentials)
{
    const size_t space = controlSpaceFor(fds, credentials);
    if (space == 0)
        return;
    std::memset(buffer, 0, space);
    header->msg_control = buffer;
    header->msg_controllen = space;
    cmsghdr *c = CMSG_FIRSTHDR(header);
    if (!fds.isEmpty()) {
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * size_t(fds.size()));
        unsigned char *data = CMSG_DATA(c);
        for (qsizetype i = 0; i < fds.size(); ++i) {
            const int fd = fds.at(i).descriptor();
            std::memcpy(data + size_t(i) * sizeof(int), &fd, sizeof(int));
        }
        c = CMSG_NXTHDR(header, c);
    }
    if (credentials) {
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(ucred));
        std::memcpy(CMSG_DATA(c), credentials, sizeof(ucred));
    }
}

// Copies the pieces to \a at; returns where they end.
char *appendParts(char *at, const iovec *parts, int partCount)
{
    for (int i = 0; i < partCount; ++i) {
        if (parts[i].iov_len == 0)
            continue; // its base may be null
        qseqpacketCopy(at, static_cast<const char *>(parts[i].iov_base), parts[i].iov_len);
        at += parts[i].iov_len;
    }
    return at;
}

} // namespace

int QSeqpacketSender::sendNow(int fd, const iovec *parts, int partCount, const QList<QSeqpacketFileDescriptor> &fds,
                              const ucred *credentials)
{
    if (sendsPlain(partCount, fds, credentials)) {
        const ssize_t sent = partCount == 1 ? QSeqpacketSystem::sendBuffer(fd, parts[0].iov_base, parts[0].iov_len, SendFlags)
                                            : QSeqpacketSystem::sendBuffer(fd, nullptr, 0, SendFlags);
        return sent == -1 ? errno : 0;
    }
    msghdr header;
    std::memset(&header, 0, sizeof(header));
    header.msg_iov = const_cast<iovec *>(parts);
    header.msg_iovlen = size_t(partCount);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * QSeqpacketSystem::MaxDescriptorsPerPacket)
                                  + CMSG_SPACE(sizeof(ucred))];
    attachControl(&header, control, fds, credentials);
    const ssize_t sent = QSeqpacketSystem::sendMessage(fd, &header, SendFlags);
    return sent == -1 ? errno : 0;
}

void QSeqpacketSender::enqueue(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds,
                               const ucred *credentials)
{
    Outgoing packet = { data, fds, ucred(), credentials != nullptr };
    if (credentials)
        packet.credentials = *credentials;
    m_queue.append(std::move(packet));
    m_bytes += data.size();
}

QByteArray QSeqpacketSender::copyForQueue(const iovec *parts, int partCount, qint64 size)
{
    if (size == 0)
        return QByteArray(); // sendParts() gives an empty packet its buffer
    if (size > ChunkPacket) {
        QByteArray data(qsizetype(size), Qt::Uninitialized);
        appendParts(data.data(), parts, partCount);
        return data;
    }
    // A new chunk is as large as twice what waits, between MinChunkBytes and MaxChunkBytes: a
    // socket that queues a packet now and then does not take 64 KiB for it.
    QSeqpacketChunk &chunk = buffers().chunk;
    if (!chunk.fits(qsizetype(size)))
        chunk.start(qBound<qsizetype>(MinChunkBytes, 2 * (m_bytes + size + 1), MaxChunkBytes));
    appendParts(chunk.next(), parts, partCount);
    return chunk.take(qsizetype(size));
}

QSeqpacketSender::FlushResult QSeqpacketSender::flush(int fd)
{
    FlushResult result;
    mmsghdr headers[BatchSize];
    iovec vectors[BatchSize];
    while (!m_queue.isEmpty()) {
        const int count = int(qMin<qsizetype>(BatchSize, m_queue.size()));
        size_t controlBytes = 0;
        for (int i = 0; i < count; ++i) {
            const Outgoing &packet = m_queue.at(i);
            controlBytes += controlSpaceFor(packet.fds, packet.credentialsToSend());
        }
        std::vector<char> &control = buffers().control;
        if (control.size() < controlBytes)
            control.resize(controlBytes);
        size_t controlOffset = 0;
        for (int i = 0; i < count; ++i) {
            Outgoing &packet = m_queue.at(i);
            // constData(): data() would detach a buffer the application still shares.
            vectors[i] = { const_cast<char *>(packet.data.constData()), size_t(packet.data.size()) };
            msghdr &header = headers[i].msg_hdr;
            std::memset(&header, 0, sizeof(header));
            header.msg_iov = &vectors[i];
            header.msg_iovlen = 1;
            attachControl(&header, control.data() + controlOffset, packet.fds, packet.credentialsToSend());
            controlOffset += controlSpaceFor(packet.fds, packet.credentialsToSend());
        }
        const int sent = QSeqpacketSystem::sendMessages(fd, headers, unsigned(count), SendFlags);
        if (sent == -1) {
            if (errno == EAGAIN)
                break;
            result.error = errno;
            // Errors that belong to the packet itself: it can never be sent, the rest still can.
            // EPERM: the peer refuses descriptors (SO_PASSRIGHTS) or the kernel the credentials.
            if (errno == EMSGSIZE || errno == ETOOMANYREFS || errno == EBADF || errno == EINVAL || errno == EPERM
                || errno == ESRCH) {
                const Outgoing &head = m_queue.first();
                result.droppedSize = head.data.size();
                result.droppedHadDescriptors = !head.fds.isEmpty();
                result.droppedHadCredentials = head.hasCredentials;
                dropHead();
                result.packetDropped = true;
            }
            break;
        }
        for (int i = 0; i < sent; ++i)
            dropHead();
        result.written += sent;
        // A short batch: the next packet met EAGAIN or an error; the next call tells which.
    }
    return result;
}

void QSeqpacketSender::dropHead()
{
    m_bytes -= m_queue.first().data.size();
    m_queue.removeFirst();
    if (m_queue.isEmpty() && m_buffers)
        m_buffers->chunk.release();
}

void QSeqpacketSender::clear()
{
    m_queue.clear();
    m_bytes = 0;
    if (m_buffers)
        m_buffers->chunk.release();
}
