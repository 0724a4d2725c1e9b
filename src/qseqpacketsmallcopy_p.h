// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSMALLCOPY_P_H
#define QSEQPACKETSMALLCOPY_P_H

#include <cstdint>
#include <cstring>

// Copies a small packet's bytes (at most a few hundred) with plain 8-byte moves.
//
// Why not memcpy(): glibc picks its memcpy() by the CPU, and on a Xeon with AVX-512 that is
// __memmove_avx512_unaligned_erms, whose every call cost about 100 ns on the machines this library
// is measured on (a Firecracker VM): receiving 16-byte packets ran at 1.06 M a second with it and
// at 1.16-1.22 M with this loop or with GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL
// (docs/benchmarks.md, ninth session). For a packet of a few words these moves are as fast anyway.
//
// The loop must stay a loop: GCC would turn it back into a memcpy() call (loop distribution).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
inline void qseqpacketCopySmall(char *to, const char *from, std::size_t size) noexcept
{
    if (size >= 8) {
        // Whole words, then the last word again, overlapping what was copied (no byte loop).
        const std::size_t last = size - 8;
        std::uint64_t word;
        for (std::size_t i = 0; i < last; i += 8) {
            std::memcpy(&word, from + i, 8);
            std::memcpy(to + i, &word, 8);
        }
        std::memcpy(&word, from + last, 8);
        std::memcpy(to + last, &word, 8);
    } else if (size >= 4) {
        std::uint32_t head, tail;
        std::memcpy(&head, from, 4);
        std::memcpy(&tail, from + size - 4, 4);
        std::memcpy(to, &head, 4);
        std::memcpy(to + size - 4, &tail, 4);
    } else {
        for (std::size_t i = 0; i < size; ++i)
            to[i] = from[i];
    }
}

// Up to this size qseqpacketCopy() copies with the loop above, beyond it with memcpy() (whose
// fixed cost is then small against the copy).
constexpr std::size_t QSeqpacketSmallCopyLimit = 256;

inline void qseqpacketCopy(char *to, const char *from, std::size_t size) noexcept
{
    if (size <= QSeqpacketSmallCopyLimit)
        qseqpacketCopySmall(to, from, size);
    else
        std::memcpy(to, from, size);
}

#endif // QSEQPACKETSMALLCOPY_P_H
