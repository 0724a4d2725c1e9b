// SPDX-License-Identifier: MIT
#include "qseqpacketpacketpool_p.h"

#include <cstdlib>
#include <cstring>
#include <new>

// Under the sanitizers every block goes back to the heap, where they see each use after free.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define QSEQPACKET_PACKET_POOL_OFF 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define QSEQPACKET_PACKET_POOL_OFF 1
#  endif
#endif

namespace {

#ifndef QSEQPACKET_PACKET_POOL_OFF
// The same under valgrind's memcheck, which preloads its library into the process (callgrind,
// which counts instructions, sees the pool as it runs).
bool underValgrind()
{
    static const bool found = [] {
        const char *preload = std::getenv("LD_PRELOAD");
        return preload && std::strstr(preload, "vgpreload_memcheck");
    }();
    return found;
}
#endif

struct FreeBlock
{
    FreeBlock *next;
};

// Trivial, so that reaching it costs no initialisation check; PoolCleanup empties it.
struct Pool
{
    FreeBlock *head = nullptr;
    std::size_t blockSize = 0; // of the blocks kept; one size only (the private's)
    int kept = 0;
    bool cleanupArmed = false;
    bool closed = false; // the thread is ending: blocks go back to the heap at once
};

thread_local Pool pool;

void emptyPool() noexcept
{
    while (FreeBlock *block = pool.head) {
        pool.head = block->next;
        ::operator delete(block);
    }
    pool.kept = 0;
}

// Made in a thread the first time it keeps a block: its destructor, at the thread's end, frees
// the pool and lets later releases (other thread_local objects going) bypass it.
struct PoolCleanup
{
    ~PoolCleanup()
    {
        pool.closed = true;
        emptyPool();
    }
};

void armCleanup()
{
    thread_local PoolCleanup cleanup;
    (void)cleanup;
    pool.cleanupArmed = true;
}

} // namespace

void *QSeqpacketPacketPool::allocate(std::size_t size)
{
    Pool *p = &pool;
    if (FreeBlock *block = p->head; block && size == p->blockSize) {
        p->head = block->next;
        --p->kept;
        return block;
    }
    return ::operator new(size);
}

void QSeqpacketPacketPool::release(void *block, std::size_t size) noexcept
{
    Pool *p = &pool;
    if (p->kept == 0) {
        // The first block since the pool was empty: the rare cases are looked at here only.
#ifdef QSEQPACKET_PACKET_POOL_OFF
        const bool off = true;
#else
        const bool off = underValgrind();
#endif
        if (off || p->closed || size < sizeof(FreeBlock)) {
            ::operator delete(block);
            return;
        }
        if (!p->cleanupArmed)
            armCleanup();
        p->blockSize = size;
    } else if (p->kept >= MaxKept || size != p->blockSize) {
        ::operator delete(block);
        return;
    }
    auto *free = static_cast<FreeBlock *>(block);
    free->next = p->head;
    p->head = free;
    ++p->kept;
}
