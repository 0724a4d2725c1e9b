// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETBLOCKQUEUE_P_H
#define QSEQPACKETBLOCKQUEUE_P_H

#include <QtCore/qglobal.h>

#include <new>
#include <utility>

// The send queue's storage: entries in fixed blocks of BlockEntries, first in, first out.
//
// Not a QList: a program that sends faster than its peer reads queues hundreds of thousands of
// packets in one go, and a QList grows by reallocating, which copies every waiting entry and
// touches fresh pages for each larger copy (in the bench's send loop, which queues up to
// 500,000 packets, ~3 % of the sender's time went to reallocateAndGrow() and those page faults).
// Entries are written once and never move; a drained block is freed, except the last, which an
// empty queue keeps (as a QList keeps its capacity), so a socket that queues now and then
// allocates nothing after its first block. Like an empty QList it allocates nothing until the
// first entry.
template <typename T, int BlockEntries>
class QSeqpacketBlockQueue
{
public:
    QSeqpacketBlockQueue() = default;
    ~QSeqpacketBlockQueue() { clear(); }
    Q_DISABLE_COPY_MOVE(QSeqpacketBlockQueue)

    bool isEmpty() const { return m_count == 0; }
    qsizetype size() const { return m_count; }

    T &first() { return *m_head->entry(m_headIndex); }

    // The entry \a i places behind the first, through the blocks in between (callers look at
    // the first few).
    T &at(qsizetype i)
    {
        Block *block = m_head;
        qsizetype index = m_headIndex + i;
        while (index >= BlockEntries) {
            block = block->next;
            index -= BlockEntries;
        }
        return *block->entry(int(index));
    }

    void append(T &&value)
    {
        if (!m_tail || m_tailIndex == BlockEntries) {
            auto *block = new Block;
            if (m_tail)
                m_tail->next = block;
            else
                m_head = block;
            m_tail = block;
            m_tailIndex = 0;
        }
        new (m_tail->entry(m_tailIndex)) T(std::move(value));
        ++m_tailIndex;
        ++m_count;
    }

    void removeFirst()
    {
        m_head->entry(m_headIndex)->~T();
        ++m_headIndex;
        --m_count;
        if (m_count == 0) {
            // One block left, now empty: it stays, written from its start again.
            m_headIndex = m_tailIndex = 0;
            return;
        }
        if (m_headIndex == BlockEntries) {
            delete std::exchange(m_head, m_head->next);
            m_headIndex = 0;
        }
    }

    // Destroys the entries and gives back every block.
    void clear()
    {
        while (m_count > 0)
            removeFirst();
        delete m_head;
        m_head = m_tail = nullptr;
        m_headIndex = m_tailIndex = 0;
    }

private:
    struct Block
    {
        Block *next = nullptr;
        alignas(T) unsigned char storage[BlockEntries * sizeof(T)];

        T *entry(int i) { return reinterpret_cast<T *>(storage) + i; }
    };

    Block *m_head = nullptr;
    Block *m_tail = nullptr;
    int m_headIndex = 0; // the first entry's place in m_head
    int m_tailIndex = 0; // the next free place in m_tail
    qsizetype m_count = 0;
};

#endif
