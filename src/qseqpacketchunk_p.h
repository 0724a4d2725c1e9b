// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETCHUNK_P_H
#define QSEQPACKETCHUNK_P_H

#include <QtCore/qbytearray.h>

// One buffer that many small QByteArrays share, so that small packets cost one allocation per
// chunk instead of one each: each slice points into the chunk and holds a reference to it
// (NUL-terminated like any QByteArray; writing to one detaches it as usual). Bytes are only
// ever written past the slices handed out already, so the sharing is safe. Used by the
// receiver for the small packets of a batch and by the sender for small queued packets.
class QSeqpacketChunk
{
public:
    // Whether \a length more bytes (and their terminator) fit.
    bool fits(qsizetype length) const { return base && used + length + 1 <= size; }
    // A new chunk of \a bytes; the slices of the old one keep it alive as long as they need it.
    void start(qsizetype bytes)
    {
        chunk = QByteArray(bytes, Qt::Uninitialized);
        base = chunk.data(); // before any slice shares it
        used = 0;
        size = bytes;
    }
    // Lets go of the chunk (its slices keep it).
    void release()
    {
        chunk = QByteArray();
        base = nullptr;
        used = size = 0;
    }
    // Where the next slice's bytes are to be written (fits() said there is room).
    char *next() const { return base + used; }
    // The \a length bytes written at next(), as a QByteArray sharing the chunk.
    QByteArray take(qsizetype length)
    {
        QByteArray::DataPointer &shared = chunk.data_ptr();
        shared.d_ptr()->ref();
        return slice(length);
    }
    // The same, for a caller whose slices all stay in this thread until it lets go of the chunk
    // (a batch being read): the count rises without an atomic operation, as no other thread can
    // hold a reference that it could drop meanwhile.
    QByteArray takeWhileLocal(qsizetype length)
    {
        QByteArray::DataPointer &shared = chunk.data_ptr();
        shared.d_ptr()->ref_.storeRelaxed(shared.d_ptr()->ref_.loadRelaxed() + 1);
        return slice(length);
    }

private:
    QByteArray slice(qsizetype length)
    {
        char *const at = base + used;
        at[length] = '\0';
        used += length + 1;
        return QByteArray(QByteArray::DataPointer(chunk.data_ptr().d_ptr(), at, length));
    }

    QByteArray chunk;
    char *base = nullptr;
    qsizetype used = 0;
    qsizetype size = 0;
};

#endif // QSEQPACKETCHUNK_P_H
