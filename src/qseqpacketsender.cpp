// SPDX-License-Identifier: MIT
#include "qseqpacketsender_p.h"
#include "qseqpacketsystem_p.h"

#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

namespace {

constexpr int BatchSize = 64;
constexpr int SendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;

size_t controlSpaceFor(const QList<QSeqpacketFileDescriptor> &fds)
{
    return fds.isEmpty() ? 0 : CMSG_SPACE(sizeof(int) * size_t(fds.size()));
}

// Writes an SCM_RIGHTS message for \a fds into \a buffer (controlSpaceFor(fds) bytes) and points
// \a header at it.
void attachDescriptors(msghdr *header, char *buffer, const QList<QSeqpacketFileDescriptor> &fds)
{
    if (fds.isEmpty())
        return;
    const size_t space = controlSpaceFor(fds);
    std::memset(buffer, 0, space);
    header->msg_control = buffer;
    header->msg_controllen = space;
    cmsghdr *c = CMSG_FIRSTHDR(header);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * size_t(fds.size()));
    unsigned char *data = CMSG_DATA(c);
    for (qsizetype i = 0; i < fds.size(); ++i) {
        const int fd = fds.at(i).descriptor();
        std::memcpy(data + size_t(i) * sizeof(int), &fd, sizeof(int));
    }
}

} // namespace

int QSeqpacketSender::sendNow(int fd, const iovec *parts, int partCount, const QList<QSeqpacketFileDescriptor> &fds)
{
    msghdr header;
    std::memset(&header, 0, sizeof(header));
    header.msg_iov = const_cast<iovec *>(parts);
    header.msg_iovlen = size_t(partCount);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * QSeqpacketSystem::MaxDescriptorsPerPacket)];
    attachDescriptors(&header, control, fds);
    const ssize_t sent = QSeqpacketSystem::sendMessage(fd, &header, SendFlags);
    return sent == -1 ? errno : 0;
}

void QSeqpacketSender::enqueue(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds)
{
    m_queue.push_back({ data, fds });
    m_bytes += data.size();
}

QSeqpacketSender::FlushResult QSeqpacketSender::flush(int fd)
{
    FlushResult result;
    mmsghdr headers[BatchSize];
    iovec vectors[BatchSize];
    while (!m_queue.isEmpty()) {
        const int count = int(qMin<qsizetype>(BatchSize, m_queue.size()));
        size_t controlBytes = 0;
        for (int i = 0; i < count; ++i)
            controlBytes += controlSpaceFor(m_queue[i].fds);
        if (m_control.size() < controlBytes)
            m_control.resize(controlBytes);
        size_t controlOffset = 0;
        for (int i = 0; i < count; ++i) {
            Outgoing &packet = m_queue[i];
            // constData(): data() would detach a buffer the application still shares.
            vectors[i] = { const_cast<char *>(packet.data.constData()), size_t(packet.data.size()) };
            msghdr &header = headers[i].msg_hdr;
            std::memset(&header, 0, sizeof(header));
            header.msg_iov = &vectors[i];
            header.msg_iovlen = 1;
            attachDescriptors(&header, m_control.data() + controlOffset, packet.fds);
            controlOffset += controlSpaceFor(packet.fds);
        }
        const int sent = QSeqpacketSystem::sendMessages(fd, headers, unsigned(count), SendFlags);
        if (sent == -1) {
            if (errno == EAGAIN)
                break;
            result.error = errno;
            // Errors that belong to the packet itself: it can never be sent, the rest still can.
            if (errno == EMSGSIZE || errno == ETOOMANYREFS || errno == EBADF || errno == EINVAL) {
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
    m_bytes -= m_queue.constFirst().data.size();
    m_queue.removeFirst();
}

void QSeqpacketSender::clear()
{
    m_queue.clear();
    m_bytes = 0;
}
