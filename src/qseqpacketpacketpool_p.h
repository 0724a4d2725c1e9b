// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETPACKETPOOL_P_H
#define QSEQPACKETPACKETPOOL_P_H

#include <QtCore/qglobal.h>

#include <cstddef>

// Memory for packet privates, kept per thread for reuse. A socket makes one private per packet
// it receives, in batches of up to 64, and the application lets them go soon after; glibc's
// per-thread cache holds seven blocks of a size, so most of a batch went through its slower
// paths (about 200 instructions of a small packet's 900 were malloc() and free()). A block
// freed in another thread joins that thread's pool; each thread frees its pool when it ends.
class QSeqpacketPacketPool
{
public:
    static void *allocate(std::size_t size);
    static void release(void *block, std::size_t size) noexcept;

    // The most blocks a thread keeps: a receive queue's worth of packet privates.
    static constexpr int MaxKept = 256;
};

#endif // QSEQPACKETPACKETPOOL_P_H
