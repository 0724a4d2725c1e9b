// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETDELETIONGUARD_P_H
#define QSEQPACKETDELETIONGUARD_P_H

#include <QtCore/qglobal.h>

// Tells code that emitted a signal whether a slot destroyed the object meanwhile, as a QPointer
// would, but for free: a QPointer allocates the object's shared reference count the first time
// one is made (one allocation per accepted connection) and costs two atomic operations each
// time. The guards of one object form a stack in the object (its top in \a top), as they live
// on the call stack; the owner's destructor calls ownerDestroyed() on that top.
class QSeqpacketDeletionGuard
{
public:
    // The owner keeps the address of a guard on the stack: the guard's destructor takes it back.
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_GCC("-Wdangling-pointer")
    explicit QSeqpacketDeletionGuard(QSeqpacketDeletionGuard *&top) : m_top(&top), m_below(top)
    {
        top = this;
    }
    QT_WARNING_POP
    ~QSeqpacketDeletionGuard()
    {
        if (!m_destroyed)
            *m_top = m_below;
    }
    Q_DISABLE_COPY_MOVE(QSeqpacketDeletionGuard)

    // Whether the owner still exists.
    explicit operator bool() const { return !m_destroyed; }

    // Marks every guard on the stack that starts at \a top: their owner is going.
    static void ownerDestroyed(QSeqpacketDeletionGuard *top)
    {
        for (; top; top = top->m_below)
            top->m_destroyed = true;
    }

private:
    QSeqpacketDeletionGuard **m_top;
    QSeqpacketDeletionGuard *m_below;
    bool m_destroyed = false;
};

#endif // QSEQPACKETDELETIONGUARD_P_H
