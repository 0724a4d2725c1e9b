// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETFRAME_P_H
#define QSEQPACKETFRAME_P_H

#include "qseqpacketframe.h"
#include "qseqpacketbody_p.h"

#include <QtCore/qcborstreamwriter.h>
#include <QtCore/qiodevice.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qvarlengtharray.h>

class QSeqpacketFramePrivate : public QSharedData
{
public:
    QSeqpacketFrame::Type type = QSeqpacketFrame::MessageFrame;
    quint64 id = 0;
    QString name;
    QSeqpacketBody body;
    QList<QSeqpacketFileDescriptor> fds;
    QString errorString;
    qint64 spilledSize = -1;
    bool valid = false;

    // Encodes [type, id, name, body] (an undefined body as null) into \a out.
    static QByteArray encode(QSeqpacketFrame::Type type, quint64 id, const QString &name, const QSeqpacketBody &body);
    static const QSeqpacketBody &bodyOf(const QSeqpacketFrame &frame) { return frame.d->body; }
};

// Where a frame's encoding goes: memory up to the spill threshold, past it a memfd, into which the
// rest is written as it is encoded (the bytes of a large byte string straight from the
// QCborValue's storage, without a copy of the whole frame in memory first).
class QSeqpacketFrameSink final : public QIODevice
{
public:
    QSeqpacketFrameSink();
    ~QSeqpacketFrameSink() override;

    void begin(qint64 spillThreshold);
    // Appends \a size bytes, as writeData() does, without QIODevice::write()'s checks.
    void append(const char *data, qint64 size);
    // Ends a frame: flushes what waits for the memfd and seals it. False with errorNumber set
    // where the memfd could not be made, written or sealed (it is closed then).
    bool finish();
    // The frame (one that did not spill), as a QByteArray of its own.
    QByteArray take();
    // The memfd of a spilled frame (-1: none); the caller takes it.
    int takeMemfd();

    bool isSequential() const override { return true; }

    QVarLengthArray<char, 256> bytes; // the frame; where spilled, what waits to be written into the memfd
    qint64 total = 0;       // the frame's size so far
    int errorNumber = 0;
    const char *failedCall = ""; // the call errorNumber comes from, for the message

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 size) override
    {
        append(data, size);
        return size;
    }

private:
    void spill(const char *data, qint64 size);
    qint64 threshold = 0;
    int memfd = -1;
};

// Encodes frames: the envelope's heads by hand, the body with a QCborStreamWriter kept from frame
// to frame (no QBuffer, no writer made for every frame). Not reentrant; one per channel.
class QSeqpacketFrameEncoder
{
public:
    QSeqpacketFrameEncoder() : writer(&sink) {}

    // The packet that carries the frame [type, id, name, body]: its encoding, or where that is
    // longer than \a spillThreshold bytes, a spill packet with the encoding in a sealed memfd
    // (written as it is encoded). Returns an invalid packet and says why in \a error where it
    // cannot be made (too many descriptors, no memfd).
    QSeqpacketPacket toPacket(QSeqpacketFrame::Type type, quint64 id, const QString &name, const QSeqpacketBody &body,
                              const QList<QSeqpacketFileDescriptor> &fds, qint64 spillThreshold, QString *error);
    QByteArray encode(QSeqpacketFrame::Type type, quint64 id, const QString &name, const QSeqpacketBody &body);

private:
    void write(QSeqpacketFrame::Type type, quint64 id, const QString &name, const QSeqpacketBody &body);
    QSeqpacketFrameSink sink;
    QCborStreamWriter writer;
};

#endif
