// SPDX-License-Identifier: MIT
#include "qseqpacketreceiver_p.h"
#include "qseqpacketchunk_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketpacket_p.h"
#include "qseqpacketsmallcopy_p.h"
#include "qseqpacketsystem_p.h"

#include <atomic>
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
constexpr size_t SlotStagger = 64; // a cache line
// A packet at least this large is worth a system call of its own: once one has come, the next ones
// are read one at a time straight into a QByteArray of the last one's size (with a batch slot
// behind it for a larger one), which saves the copy out of the slot and the cache it evicts.
// (Sweep, QSeqpacket at both ends, interleaved: 16 KiB 0.57-0.76 x raw this way, 0.47-0.59 x
// through the batch; at 4 KiB no difference showed through the noise, so 4 KiB stays batched.)
constexpr size_t LargePacket = 8192;
// While packets are large, one read takes at most this much off the kernel before the reader has
// had its turn: the bytes are still in the cache when the application looks at them, and the
// buffers they take come back to the pool below (measured at 64 KiB: 64 KiB and 128 KiB per read
// 0.7-0.9 x raw, 256 KiB 0.95-0.99 x, 1 MiB and unlimited 0.7 x, where the pool runs dry).
constexpr qint64 LargeReadBytes = 256 * 1024;
// The largest buffer the pool below keeps.
constexpr size_t PoolBufferLimit = 256 * 1024;
// One packet per read from this many lone reads on (see readFromKernel()); a whole batch every
// ProbeInterval-th read. The count starts over (at a probe) before it could overflow.
constexpr int LoneStreak = 2;
constexpr int ProbeInterval = 8;
constexpr int LoneReadsWrap = ProbeInterval * 1024 * 1024;

// The buffers of the last large packets a thread received, each still referenced here: once the
// application has dropped a packet (the reference here is the only one left), its buffer takes
// the next packet of about its size. A buffer per packet from malloc() instead would come from
// the heap top that free() has just given back to the kernel (glibc trims a top beyond 128 KiB),
// with every page faulted in and zeroed again: that was half the time of a 64 KiB stream.
struct LargeBufferPool
{
    static constexpr int Size = 6; // LargeReadBytes of 64 KiB packets, and one more
    QByteArray buffers[Size];
    int next = 0;

    // The index of a buffer nobody else holds that fits \a size (and not wastefully), else of a
    // new one that replaces the oldest entry.
    int take(qsizetype size)
    {
        for (int i = 0; i < Size; ++i) {
            const QByteArray &b = buffers[i];
            if (b.isDetached() && b.capacity() >= size && b.capacity() <= 2 * size) {
                // The last other holder may have been a thread that read the bytes before it let
                // go (its release of the reference); the kernel writes them next.
                std::atomic_thread_fence(std::memory_order_acquire);
                return i;
            }
        }
        const int i = next;
        next = (next + 1) % Size;
        buffers[i] = QByteArray(size, Qt::Uninitialized);
        return i;
    }
    void release()
    {
        for (QByteArray &b : buffers)
            b = QByteArray();
    }
};

// The largest packet a peer can send without privileges: its SO_SNDBUF less the kernel's 32
// bytes, where SO_SNDBUF is at most twice net.core.wmem_max.
size_t largestUnprivilegedPacket()
{
    static const size_t largest = 2 * size_t(QSeqpacketSystem::maxSendBufferRequest());
    return largest;
}

} // namespace

// Per-thread batch buffers, shared by every socket of the thread so that an idle socket holds
// none. The slotMemory are reserved address space: only the pages that packets touch take memory.
struct QSeqpacketBatchBuffers
{
    QSeqpacketBatchBuffers()
    {
        const size_t page = QSeqpacketSystem::pageSize();
        slotSize = (largestUnprivilegedPacket() + page - 1) / page * page;
        // Each slot starts one cache line further into its page than the one before: slots a
        // whole number of pages apart would all begin in the same cache set, and the small
        // packets of a batch would push each other out of the L1 cache before they are read.
        slotStride = slotSize + SlotStagger;
        void *memory = QSeqpacketSystem::reserveMemory(reservedBytes());
        if (!memory) {
            qCWarning(lcSeqpacketSocket, "%s", qPrintable(QSeqpacketSystem::describe(
                                                    QStringLiteral("receive: mmap of the batch buffers"), errno)));
            slotSize = 0;
        } else {
            slotMemory = static_cast<char *>(memory);
        }
        // The headers point at their slot and control space once and for all: a read only resets
        // what the kernel wrote back (msg_controllen), not 64 headers.
        std::memset(headers, 0, sizeof(headers));
        for (int i = 0; i < BatchSize; ++i) {
            vectors[i] = { slot(i), slotSize };
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            headers[i].msg_hdr.msg_control = control[i];
        }
    }
    ~QSeqpacketBatchBuffers()
    {
        QSeqpacketSystem::releaseMemory(slotMemory, reservedBytes());
    }
    Q_DISABLE_COPY_MOVE(QSeqpacketBatchBuffers)

    char *slot(int i) { return slotMemory + size_t(i) * slotStride; }
    size_t reservedBytes() const { return slotStride * BatchSize; }
    // The part of slot \a i past its first \a keep bytes, in whole pages, for discardPages().
    void discardTail(int i, size_t keep)
    {
        const size_t page = QSeqpacketSystem::pageSize();
        const quintptr from = (quintptr(slot(i)) + keep + page - 1) / page * page;
        const quintptr to = (quintptr(slot(i)) + slotSize) / page * page;
        if (to > from)
            QSeqpacketSystem::discardPages(reinterpret_cast<void *>(from), size_t(to - from));
    }

    char *slotMemory = nullptr;
    size_t slotSize = 0;   // the most one packet can hold
    size_t slotStride = 0; // from one slot to the next
    mmsghdr headers[BatchSize];
    iovec vectors[BatchSize];
    alignas(cmsghdr) char control[BatchSize][MaxControlSpace];
    LargeBufferPool pool;
    size_t preparedSpace = 0; // the msg_controllen of every header but the first filled ones
    int filled = 0;           // headers the last read filled
};

namespace {

QSeqpacketBatchBuffers &batchBuffers()
{
    // On the heap, not in the TLS block: a library loaded with dlopen() (a QML plugin) has
    // little static TLS to spare.
    thread_local std::unique_ptr<QSeqpacketBatchBuffers> buffers;
    if (!buffers)
        buffers = std::make_unique<QSeqpacketBatchBuffers>();
    return *buffers;
}

// Small packets of a batch are copied into shared chunks (QSeqpacketChunk); a packet kept holds at
// most ChunkBytes. Chunks stay below 1 KiB with their header: glibc answers a request of 1 KiB or
// more by merging every small freed block first (malloc_consolidate), which with 4 KiB chunks
// merged the 64 packets freed since the last batch and split them again for the next one (receive
// 64 B: 1191 -> 1027 instructions a packet with this size).
constexpr size_t SmallPacket = 256;
constexpr size_t ChunkBytes = 960;

struct ControlData
{
    QList<QSeqpacketFileDescriptor> fds;
    QSeqpacketCredentials credentials;
    QSeqpacketFileDescriptor processFd;
    qint64 receivedAt = 0;
    bool any = false;
};

// A received packet's private, marked truncated where its data is shorter than \a sentSize, the
// length the kernel reported. Here rather than in QSeqpacketPacketPrivate::newReceived(), whose
// six arguments are all passed in registers: a seventh cost every packet ~8 instructions.
QSeqpacketPacketPrivate *newPacket(QByteArray &&data, qint64 sentSize, ControlData *control, bool fdsTruncated)
{
    QSeqpacketPacketPrivate *packet = QSeqpacketPacketPrivate::newReceived(
            std::move(data), std::move(control->fds), fdsTruncated, control->credentials, control->processFd,
            control->receivedAt);
    if (packet->data.size() < sentSize) {
        packet->truncated = true;
        packet->originalSize = sentSize;
    }
    return packet;
}

ControlData parseControl(msghdr *header)
{
    ControlData result;
    // Most packets bring their timestamp alone: read it without walking the list (CMSG_NXTHDR
    // is a call into the C library).
    if (header->msg_controllen == TimestampSpace) {
        const cmsghdr *c = CMSG_FIRSTHDR(header);
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP && c->cmsg_len == CMSG_LEN(sizeof(timeval))) {
            timeval stamp;
            std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
            result.receivedAt = qint64(stamp.tv_sec) * 1000 + stamp.tv_usec / 1000;
            result.any = true;
            return result;
        }
    }
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
    qint64 takenBytes = 0;
    QSeqpacketBatchBuffers &buffers = batchBuffers();
    const bool batched = buffers.slotMemory != nullptr; // else each packet is read on its own
    while ((queueLimit < 0 || count() < queueLimit) && (byteLimit < 0 || m_bytes < byteLimit)) {
        // No FIONREAD first: for SOCK_SEQPACKET it walks the whole queue, and a batch slot holds
        // any packet an unprivileged sender can make anyway.
        const bool large = m_largeHint > 0 && batched;
        if (large && byteLimit >= 0 && takenBytes >= LargeReadBytes)
            break; // not drained: the notifier stays on and the next round reads on
        int room = queueLimit < 0 ? BatchSize : int(qMin<qsizetype>(BatchSize, queueLimit - count()));
        // Request/response traffic finds one packet per read and answers it before the next,
        // and a batch read then costs the kernel a second attempt that fails with EAGAIN (about
        // 230 ns here, a sixth of a send and receive). After two such reads, one packet is asked
        // for and the kernel taken to be drained (the notifier is level-triggered: what is left
        // wakes the event loop again); every eighth read asks for a whole batch, so that a burst
        // is noticed within 8 rounds. A socket that only receives always reads in batches.
        const bool lone = !large && m_sentSinceRead && m_loneReads >= LoneStreak
                && m_loneReads % ProbeInterval != 0;
        if (large || lone || !batched)
            room = 1;
        const qint64 bytesBefore = m_bytes;
        const ReadResult batch = !batched ? readSingle(fd)
                : large ? readLarge(buffers, fd)
                : lone ? readLone(buffers, fd) : readBatch(buffers, fd, room);
        takenBytes += m_bytes - bytesBefore;
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
        if (batch.endOfInput || batch.error || batch.packets < room || lone) {
            total.drained = !batch.endOfInput && !batch.error;
            break;
        }
    }
    if (total.packets == 1)
        m_loneReads = m_loneReads < LoneReadsWrap ? m_loneReads + 1 : ProbeInterval;
    else if (total.packets > 1)
        m_loneReads = 0;
    if (total.packets > 0)
        m_sentSinceRead = false;
    return total;
}

QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readBatch(QSeqpacketBatchBuffers &buffers, int fd, int maxPackets)
{
    // The kernel writes msg_controllen back only into the headers it filled: those of the last
    // read are reset, not all 64 (each header is a cache line of its own).
    const size_t controlSpace = controlBudget();
    const int reset = buffers.preparedSpace == controlSpace ? buffers.filled : BatchSize;
    for (int i = 0; i < reset; ++i)
        buffers.headers[i].msg_hdr.msg_controllen = controlSpace;
    buffers.preparedSpace = controlSpace;
    buffers.filled = 0;

    ReadResult result;
    const int received = QSeqpacketSystem::receiveMessages(fd, buffers.headers, unsigned(maxPackets),
                                                           MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (received == -1) {
        if (errno != EAGAIN)
            result.error = errno;
        result.call = "recvmmsg";
        return result;
    }
    buffers.filled = received;

    // Small packets share one allocation per batch (at most ChunkBytes each): one malloc() and
    // free() for the batch instead of one per packet.
    QSeqpacketChunk chunk;
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
        QByteArray data;
        if (stored > 0 && stored <= SmallPacket) {
            if (!chunk.fits(qsizetype(stored))) {
                size_t wanted = 0;
                for (int j = i; j < received && wanted < ChunkBytes; ++j) {
                    const size_t l = buffers.headers[j].msg_len;
                    if (l > 0 && l <= SmallPacket)
                        wanted += l + 1;
                }
                chunk.start(qsizetype(qMin(qMax(wanted, stored + 1), ChunkBytes)));
            }
            qseqpacketCopySmall(chunk.next(), buffers.slot(i), stored);
            data = chunk.takeWhileLocal(qsizetype(stored)); // the batch's packets are in m_queue until it returns
        } else {
            data = QByteArray(buffers.slot(i), qsizetype(stored));
        }
        // Only a privileged sender (SO_SNDBUFFORCE) can outgrow a slot; the packet says what was lost.
        QSeqpacketPacketPrivate *packet = newPacket(std::move(data), qint64(length), &control, fdsTruncated);
        if (stored > SlotResidentBytes)
            buffers.discardTail(i, SlotResidentBytes);
        m_largeHint = stored >= LargePacket ? qsizetype(stored) : 0;
        enqueue(packet, qint64(stored));
        ++result.packets;
    }
    return result;
}

// Inlined into both callers: as a call it cost a request/response round trip ~30 instructions.
Q_ALWAYS_INLINE QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readOne(QSeqpacketBatchBuffers &buffers, int fd, QByteArray &buffer,
                                                           qsizetype expected, qsizetype *storedSize)
{
    // recvmsg() into the buffer and on into the first batch slot, which takes a packet larger
    // than expected.
    iovec vectors[2] = { { buffer.data(), size_t(expected) }, { buffers.slot(0), buffers.slotSize } };
    alignas(cmsghdr) char control[MaxControlSpace];
    msghdr header;
    std::memset(&header, 0, sizeof(header));
    header.msg_iov = expected > 0 ? vectors : vectors + 1;
    header.msg_iovlen = expected > 0 ? 2 : 1;
    header.msg_control = control;
    header.msg_controllen = controlBudget();
    ReadResult result;
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
    const size_t stored = qMin(size_t(length), size_t(expected) + buffers.slotSize);
    QByteArray data;
    if (stored > size_t(expected)) {
        // Larger than the last one (or no buffer): the rest is in the slot.
        data = QByteArray(qsizetype(stored), Qt::Uninitialized);
        if (expected > 0)
            qseqpacketCopy(data.data(), buffer.constData(), size_t(expected));
        qseqpacketCopy(data.data() + expected, buffers.slot(0), stored - size_t(expected));
        if (stored - size_t(expected) > SlotResidentBytes)
            buffers.discardTail(0, SlotResidentBytes);
    } else if (stored < size_t(expected) / 2) {
        // Much smaller: a buffer of its own size, so that a queued small packet does not hold a
        // large one.
        data = QByteArray(qsizetype(stored), Qt::Uninitialized);
        qseqpacketCopy(data.data(), buffer.constData(), stored);
    } else {
        buffer.truncate(qsizetype(stored));
        data = buffer; // shared with the caller's buffer (a pool's) until the application drops it
    }
    m_largeHint = stored >= LargePacket ? qsizetype(stored) : 0;
    if (storedSize)
        *storedSize = qsizetype(stored);
    const bool fdsTruncated = enforceDescriptorLimit(&parsed.fds) || (header.msg_flags & MSG_CTRUNC);
    // Only a privileged sender (SO_SNDBUFFORCE) can outgrow the buffer and the slot.
    QSeqpacketPacketPrivate *packet = newPacket(std::move(data), qint64(length), &parsed, fdsTruncated);
    enqueue(packet, qint64(stored));
    result.packets = 1;
    return result;
}

QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readLarge(QSeqpacketBatchBuffers &buffers, int fd)
{
    // Into a buffer of the previous packet's size from the thread's pool, where the application
    // has dropped one it had (no allocation, no page faults, and its lines likely still in the
    // cache): no copy for a stream of packets of one size.
    LargeBufferPool &pool = buffers.pool;
    const qsizetype expected = m_largeHint;
    QByteArray &buffer = pool.buffers[pool.take(expected)];
    buffer.resize(expected); // not shared: in place
    const ReadResult result = readOne(buffers, fd, buffer, expected, nullptr);
    if (!buffer.isDetached() && size_t(expected) > PoolBufferLimit)
        buffer = QByteArray(); // the packet took it, too large to keep: it holds the only reference
    if (result.packets > 0 && m_largeHint == 0)
        pool.release(); // the thread keeps no large buffer once packets are small
    return result;
}

QSeqpacketReceiver::ReadResult QSeqpacketReceiver::readLone(QSeqpacketBatchBuffers &buffers, int fd)
{
    // One packet of request/response traffic: recvmsg(), which costs the kernel less than
    // recvmmsg() of one (qseqpacket-syscall-costs), and where the last one was more than a small
    // packet, into a new buffer of its size, which saves the copy out of the slot.
    const qsizetype expected = m_loneHint > qsizetype(SmallPacket) ? m_loneHint : 0;
    QByteArray buffer;
    if (expected > 0)
        buffer = QByteArray(expected, Qt::Uninitialized);
    return readOne(buffers, fd, buffer, expected, &m_loneHint);
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
    // Shorter than peeked where another reader of the same connection (a duplicate) took the
    // peeked packet meanwhile.
    QSeqpacketPacketPrivate *packet = newPacket(std::move(data), qint64(length), &parsed, fdsTruncated);
    enqueue(packet, stored);
    result.packets = 1;
    return result;
}

void QSeqpacketReceiver::enqueue(QSeqpacketPacketPrivate *packet, qint64 bytes)
{
    m_bytes += bytes;
    m_queue.append(packet);
}

QSeqpacketPacket QSeqpacketReceiver::peekHead() const
{
    return QSeqpacketPacketPrivate::share(m_queue.first());
}

QSeqpacketPacket QSeqpacketReceiver::takeHead()
{
    QSeqpacketPacketPrivate *packet = m_queue.takeFirst();
    m_bytes -= packet->data.size();
    return QSeqpacketPacketPrivate::adopt(packet);
}

void QSeqpacketReceiver::clear()
{
    while (!m_queue.isEmpty())
        QSeqpacketPacketPrivate::release(m_queue.takeFirst());
    m_queue.clear();
    m_bytes = 0;
}
