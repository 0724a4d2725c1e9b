// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETPACKETQUEUE_P_H
#define QSEQPACKETPACKETQUEUE_P_H

#include <QtCore/qglobal.h>

#include <cstdlib>

class QSeqpacketPacketPrivate;

// The receive queue's storage: a ring of packet privates, first in, first out.
//
// Not a QList: taking from the front and appending at the back walks a QList's data to the end
// of its block, where the next append moves what is left to the front with memmove() (once every
// few packets in request/response traffic, and glibc's memmove() is a costly call on the machines
// measured, see qseqpacketsmallcopy_p.h). A ring never moves its entries except to grow. Like an
// empty QList it allocates nothing until the first packet (an idle connection costs no heap).
class QSeqpacketPacketQueue
{
public:
    QSeqpacketPacketQueue() = default;
    ~QSeqpacketPacketQueue() { std::free(m_entries); }
    Q_DISABLE_COPY_MOVE(QSeqpacketPacketQueue)

    bool isEmpty() const { return m_count == 0; }
    qsizetype size() const { return m_count; }
    QSeqpacketPacketPrivate *first() const { return m_entries[m_head]; }
    QSeqpacketPacketPrivate *at(qsizetype i) const { return m_entries[(m_head + i) & (m_capacity - 1)]; }

    void append(QSeqpacketPacketPrivate *packet)
    {
        if (m_count == m_capacity)
            grow();
        m_entries[(m_head + m_count) & (m_capacity - 1)] = packet;
        ++m_count;
    }
    QSeqpacketPacketPrivate *takeFirst()
    {
        QSeqpacketPacketPrivate *packet = m_entries[m_head];
        m_head = (m_head + 1) & (m_capacity - 1);
        --m_count;
        return packet;
    }
    // Forgets the entries (their owner has dealt with them); keeps the storage.
    void clear() { m_head = m_count = 0; }

private:
    void grow()
    {
        // Powers of two from 16: an index wraps with a mask.
        const qsizetype capacity = m_capacity ? m_capacity * 2 : 16;
        auto *entries = static_cast<QSeqpacketPacketPrivate **>(std::malloc(size_t(capacity) * sizeof(QSeqpacketPacketPrivate *)));
        if (!entries)
            qBadAlloc(); // as a QList does on failing to grow
        for (qsizetype i = 0; i < m_count; ++i)
            entries[i] = at(i);
        std::free(m_entries);
        m_entries = entries;
        m_capacity = capacity;
        m_head = 0;
    }

    QSeqpacketPacketPrivate **m_entries = nullptr;
    qsizetype m_capacity = 0;
    qsizetype m_head = 0;
    qsizetype m_count = 0;
};

#endif // QSEQPACKETPACKETQUEUE_P_H
