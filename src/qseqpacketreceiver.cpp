// SPDX-License-Identifier: MIT
#include "qseqpacketreceiver_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketpacket_p.h"
#include "qseqpacketsystem_p.h"

#include <cstring>
#include <memory>
#include <sys/socket.h>
#include <sys/time.h>

namespace {

constexpr int BatchSize = 64;
constexpr size_t TimestampSpace = CMSG_SPACE(sizeof(timeval));
constexpr size_t CredentialsSpace = CMSG_SPACE(sizeof(ucred));
constexpr size_t ProcessDescriptorSpace = CMSG_SPACE(sizeof(int));
constexpr size_t MaxControlSpace = TimestampSpace + CredentialsSpace + ProcessDescriptorSpace
        + CMSG_SPACE(sizeof(int) * QSeqpacketSystem::MaxDescriptorsPerPacket);
// Pages of a slot beyond this are handed back to the kernel after a large packet, so that one
// large packet does not pin its memory for the life of the thread.
constexpr size_t SlotResidentBytes = 64 * 1024;

// The largest packet a peer can send without privileges: its SO_SNDBUF less the kernel's 32
// bytes, where SO_SNDBUF is at most twice net.core.wmem_max.
size_t largestUnprivilegedPacket()
{
    static const size_t largest = 2 * size_t(QSeqpacketSystem::maxSendBufferRequest());
    return largest;
}

// Per-thread batch buffers, shared by every socket of the thread so that an idle socket holds
// none. The slotMemory are reserved address space: only the pages that packets touch take memory.
struct BatchBuffers
{
    BatchBuffers()
    {
        const size_t page = QSeqpacketSystem::pageSize();
        slotSize = (largestUnprivilegedPacket() + page - 1) / page * page;
        void *memory = QSeqpacketSystem::reserveMemory(slotSize * BatchSize);
        if (!memory) {
            qCWarning(lcSeqpacketSocket, "%s", qPrintable(QSeqpacketSystem::describe(
                                                    QStringLiteral("receive: mmap of the batch buffers"), errno)));
            slotSize = 0;
        } else {
            slotMemory = static_cast<char *>(memory);
        }
    }
    ~BatchBuffers()
    {
        QSeqpacketSystem::releaseMemory(slotMemory, slotSize * BatchSize);
    }
    Q_DISABLE_COPY_MOVE(BatchBuffers)

    char *slot(int i) { return slotMemory + size_t(i) * slotSize; }

    char *slotMemory = nullptr;
    size_t slotSize = 0;
    mmsghdr headers[BatchSize];
    iovec vectors[BatchSize];
    alignas(cmsghdr) char control[BatchSize][MaxControlSpace];
};

BatchBuffers &batchBuffers()
{
    // On the heap, not in the TLS block: a library loaded with dlopen() (a QML plugin) has
    // little static TLS to spare.
    thread_local std::unique_ptr<BatchBuffers> buffers;
    if (!buffers)
        buffers = std::make_unique<BatchBuffers>();
    return *buffers;
}

struct ControlData
{
    QList<QSeqpacketFileDescriptor> fds;
    QSeqpacketCredentials credentials;
    QSeqpacketFileDescriptor processFd;
    qint64 receivedAt = 0;
    bool any = false;
};

ControlData parseControl(msghdr *header)
{
    ControlData result;
    for (cmsghdr *c = CMSG_FIRSTHDR(header); c; c = CMSG_NXTHDR(header, c)) {
        result.any = true;
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        const size_t payload = c->cmsg_len - CMSG_LEN(0);
        if (c->cmsg_type == SCM_RIGHTS) {
            const int count = int(payload / sizeof(int));
            const unsigned char *data = CMSG_DATA(c);
            for (int i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
                result.fds.append(QSeqpacketFileDescriptor::adopt(fd));
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS && payload >= sizeof(ucred)) {
            ucred credentials;
            std::memcpy(&credentials, CMSG_DATA(c), sizeof(credentials));
            result.credentials = QSeqpacketCredentials(credentials.pid, credentials.uid, credentials.gid);
        } else if (c->cmsg_type == QSeqpacketSystem::ScmPidfd && payload >= sizeof(int)) {
            int pidfd;
            std::memcpy(&pidfd, CMSG_DATA(c), sizeof(pidfd));
            // Where the kernel could not make a pidfd (the sender is gone) it sends the error.
            if (pidfd >= 0)
                result.processFd = QSeqpacketFileDescriptor::adopt(pidfd);
        } else if (c->cmsg_type == SCM_TIMESTAMP && payload >= sizeof(timeval)) {
            timeval stamp;
            std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
            result.receivedAt = qint64(stamp.tv_sec) * 1000 + stamp.tv_usec / 1000;
        }
    }
    return result;
}

} // namespace

int QSeqpacketReceiver::prepareDescriptor(int fd)
{
    int error = 0;
    QSeqpacketSystem::setIntOption(fd, SOL_SOCKET, SO_TIMESTAMP, 1, &error);
    return error;
}

bool QSeqpacketReceiver::enforceDescriptorLimit(QList<QSeqpacketFileDescriptor> *fds) const
{
    // The control budget normally stops the kernel at the limit; a packet queued before
    // credentials were turned on has room for a few more. Those are closed here.
    if (fds->size() <= m_descriptorLimit)
        return false;
    fds->resize(m_descriptorLimit);
    return true;
}

size_t QSeqpacketReceiver::controlBudget() const
{
    // The kernel fits as many descriptors as the space left after the timestamp (and the
    // credentials, where they come) holds: exactly the limit, so the rest are closed by the
    // kernel and the packet is flagged, rather than installed here first.
    return TimestampSpace + (m_credentialsExpected ? CredentialsSpace : 0)
            + (m_processDescriptorExpected ? ProcessDescriptorSpace : 0)
            + CMSG_LEN(sizeof(int) * size_t(m_descriptorLimit));
}

QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readFromKernel(int fd, int queueLimit, qint64 byteLimit)
{
    ReadResult total;
    while ((queueLimit < 0 || count() < queueLimit) && (byteLimit < 0 || m_bytes < byteLimit)) {
        // No FIONREAD first: for SOCK_SEQPACKET it walks the whole queue, and a batch slot holds
        // any packet an unprivileged sender can make anyway.
        const int room = queueLimit < 0 ? BatchSize : int(qMin<qsizetype>(BatchSize, queueLimit - count()));
        const ReadResult batch = batchBuffers().slotMemory ? readBatch(fd, room) : readSingle(fd);
        total.packets += batch.packets;
        total.endOfInput = batch.endOfInput;
        if (batch.error == ECONNRESET && !total.reset) {
            // recvmmsg() reports the peer's reset before the packets it sent; those still come.
            total.reset = true;
            continue;
        }
        total.error = batch.error;
        total.call = batch.call;
        // A short batch means the kernel had no more; asking again would only return EAGAIN.
        if (batch.endOfInput || batch.error || batch.packets < room) {
            total.drained = !batch.endOfInput && !batch.error;
            break;
        }
    }
    return total;
}

QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readBatch(int fd, int maxPackets)
{
    BatchBuffers &buffers = batchBuffers();
    const size_t controlSpace = controlBudget();
    for (int i = 0; i < maxPackets; ++i) {
        buffers.vectors[i] = { buffers.slot(i), buffers.slotSize };
        msghdr &header = buffers.headers[i].msg_hdr;
        std::memset(&header, 0, sizeof(header));
        header.msg_iov = &buffers.vectors[i];
        header.msg_iovlen = 1;
        header.msg_control = buffers.control[i];
        header.msg_controllen = controlSpace;
        buffers.headers[i].msg_len = 0;
    }

    ReadResult result;
    const int received = QSeqpacketSystem::receiveMessages(fd, buffers.headers, unsigned(maxPackets),
                                                           MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (received == -1) {
        if (errno != EAGAIN)
            result.error = errno;
        result.call = "recvmmsg";
        return result;
    }

    for (int i = 0; i < received; ++i) {
        msghdr &header = buffers.headers[i].msg_hdr;
        const size_t length = buffers.headers[i].msg_len;
        ControlData control = parseControl(&header);
        if (length == 0 && !control.any) {
            // No timestamp: this is end-of-file, and so is every entry after it.
            result.endOfInput = true;
            break;
        }
        const size_t stored = qMin(length, buffers.slotSize);
        const bool fdsTruncated = enforceDescriptorLimit(&control.fds) || (header.msg_flags & MSG_CTRUNC);
        QSeqpacketPacket packet = QSeqpacketPacketPrivate::makeReceived(
                QByteArray(buffers.slot(i), qsizetype(stored)), control.fds,
                fdsTruncated, control.credentials, control.processFd, control.receivedAt);
        if (stored < length) {
            // Only a privileged sender (SO_SNDBUFFORCE) can outgrow a slot; say what was lost.
            QSeqpacketPacketPrivate *pd = QSeqpacketPacketPrivate::get(packet);
            pd->truncated = true;
            pd->originalSize = qint64(length);
        }
        if (stored > SlotResidentBytes)
            QSeqpacketSystem::discardPages(buffers.slot(i) + SlotResidentBytes, buffers.slotSize - SlotResidentBytes);
        m_bytes += qint64(stored);
        m_queue.push_back(std::move(packet));
        ++result.packets;
    }
    return result;
}

QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readSingle(int fd)
{
    ReadResult result;
    const ssize_t size = QSeqpacketSystem::nextPacketSize(fd);
    if (size == -1) {
        if (errno != EAGAIN)
            result.error = errno;
        result.call = "recv(MSG_PEEK)";
        return result;
    }
    QByteArray data(qsizetype(size), Qt::Uninitialized);
    iovec vector = { data.data(), size_t(size) };
    alignas(cmsghdr) char control[MaxControlSpace];
    msghdr header;
    std::memset(&header, 0, sizeof(header));
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = controlBudget();
    const ssize_t length = QSeqpacketSystem::receiveMessage(fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (length == -1) {
        if (errno != EAGAIN)
            result.error = errno;
        result.call = "recvmsg";
        return result;
    }
    ControlData parsed = parseControl(&header);
    if (length == 0 && !parsed.any) {
        result.endOfInput = true;
        return result;
    }
    const qsizetype stored = qMin<qsizetype>(qsizetype(length), data.size());
    data.truncate(stored);
    const bool fdsTruncated = enforceDescriptorLimit(&parsed.fds) || (header.msg_flags & MSG_CTRUNC);
    QSeqpacketPacket packet = QSeqpacketPacketPrivate::makeReceived(
            data, parsed.fds, fdsTruncated, parsed.credentials, parsed.processFd, parsed.receivedAt);
    if (stored < length) {
        // Another reader of the same connection (a duplicate) took the peeked packet meanwhile.
        QSeqpacketPacketPrivate *pd = QSeqpacketPacketPrivate::get(packet);
        pd->truncated = true;
        pd->originalSize = qint64(length);
    }
    m_bytes += stored;
    m_queue.push_back(std::move(packet));
    result.packets = 1;
    return result;
}

QSeqpacketPacket QSeqpacketReceiver::takeHead()
{
    QSeqpacketPacket packet = m_queue.takeFirst();
    m_bytes -= packet.data().size();
    return packet;
}

void QSeqpacketReceiver::clear()
{
    m_queue.clear();
    m_bytes = 0;
}
