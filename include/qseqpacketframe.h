// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETFRAME_H
#define QSEQPACKETFRAME_H

#include "qseqpacketglobal.h"
#include "qseqpacketfiledescriptor.h"
#include "qseqpacketpacket.h"

#include <QtCore/qcborvalue.h>
#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobjectdefs.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

class QDebug;
class QSeqpacketFramePrivate;

/*!
 * \brief One frame of the QSeqpacket message protocol, decoded from a packet or to be encoded.
 *
 * QSeqpacketChannel speaks this protocol (docs/protocol.md); this class is for tools that look at
 * its traffic without taking part in it, and for tests and proxies that make frames by hand. A
 * packet's payload is one CBOR array `[type, id, name, body]`; its descriptors belong to the frame.
 * A frame that does not fit a packet travels in a sealed memfd, as `[4, size, "", null]` with the
 * memfd as the first descriptor: fromPacket() follows it (checking its seals and size before it
 * reads anything) and returns the frame inside.
 *
 * \code
 * // Which requests go by on a connection we watch:
 * const QSeqpacketFrame frame = QSeqpacketFrame::fromPacket(socket->receivePacket());
 * if (!frame.isValid())
 *     qWarning() << "not a frame:" << frame.errorString();
 * else if (frame.type() == QSeqpacketFrame::RequestFrame)
 *     qDebug() << "request" << frame.id() << frame.name() << frame.body().toDiagnosticNotation();
 *
 * // A frame made by hand:
 * const QByteArray bytes = QSeqpacketFrame(QSeqpacketFrame::MessageFrame, 0, QStringLiteral("ping"),
 *                                          QCborValue(nullptr)).encode();
 * \endcode
 */
class QSEQPACKET_EXPORT QSeqpacketFrame
{
    Q_GADGET
public:
    /*! The frame types of the protocol, the first item of the array. */
    enum Type {
        MessageFrame = 0,    //!< a one-way message; id 0
        RequestFrame = 1,    //!< a request; the reply carries its id back
        ReplyFrame = 2,      //!< the answer to the request with the same id; name ""
        ErrorReplyFrame = 3, //!< an error answer; the name is the error's
        SpilledFrame = 4     //!< `[4, size, "", null]`: the real frame is in a sealed memfd
    };
    Q_ENUM(Type)

    /*! The largest message QSeqpacketChannel accepts by default (64 MiB), spilled ones included. */
    static constexpr qint64 DefaultMaxMessageSize = 64 * 1024 * 1024;
    /*! How deep CBOR containers (and tags) may nest in a body; deeper ones make the frame invalid. */
    static constexpr int MaxNesting = 128;
    /*!
     * How many CBOR items a body may have (4,194,304), containers and tags included; more make the
     * frame invalid. Decoded, each item takes 16 bytes however short its encoding, so this bounds
     * what a body can cost (64 MiB, plus its strings); a large array of numbers belongs in a byte string.
     */
    static constexpr qint64 MaxItems = 4 * 1024 * 1024;

    /*! Constructs an invalid frame. */
    QSeqpacketFrame();
    /*! Constructs a frame of \a type with \a id, \a name, \a body and the descriptors \a fds. */
    QSeqpacketFrame(Type type, quint64 id, const QString &name, const QCborValue &body,
                    const QList<QSeqpacketFileDescriptor> &fds = {});
    /*! Constructs a copy of \a other. */
    QSeqpacketFrame(const QSeqpacketFrame &other);
    /*! Move-constructs a frame from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketFrame(QSeqpacketFrame &&other) noexcept;
    /*! Assigns \a other to this frame. */
    QSeqpacketFrame &operator=(const QSeqpacketFrame &other);
    /*! Move-assigns \a other to this frame. */
    QSeqpacketFrame &operator=(QSeqpacketFrame &&other) noexcept;
    /*! Destroys the frame; its descriptors are closed if this was their last copy. */
    ~QSeqpacketFrame();

    /*!
     * Decodes \a packet. A spilled frame is read from its memfd, which must carry the seals
     * F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_WRITE and be exactly as large as the
     * packet says, and no larger than \a maxSize (checked before anything is mapped or read).
     * Returns an invalid frame, whose errorString() says why, for anything that is not a frame
     * as the protocol defines it: a truncated packet, one whose descriptors were cut, a payload
     * that is not exactly one array of four items of the right types, an unknown type, a spill
     * that is not a sealed memfd of the right size, a spill inside a spill, a body nested deeper
     * than MaxNesting.
     */
    static QSeqpacketFrame fromPacket(const QSeqpacketPacket &packet, qint64 maxSize = DefaultMaxMessageSize);

    /*! The frame as the protocol's CBOR bytes, `[type, id, name, body]` (never spilled). */
    QByteArray encode() const;

    /*! True for a frame decoded without fault, or made with a type. */
    bool isValid() const;
    /*! Why fromPacket() found no frame; empty for a valid one. */
    QString errorString() const;
    /*! The frame's type; for a spilled packet, the type of the frame inside. */
    Type type() const;
    /*! The frame's id: 0 for a message, the request's id for a request and its replies. */
    quint64 id() const;
    /*! The message's or request's name, or an error reply's error name; empty for a reply. */
    QString name() const;
    /*! The body; null where the sender had none. */
    QCborValue body() const;
    /*! The frame's own descriptors, in order (a spill's memfd is not among them). */
    QList<QSeqpacketFileDescriptor> fileDescriptors() const;
    /*! True where the frame came in a sealed memfd. */
    bool isSpilled() const;
    /*! The size of a spilled frame's encoding, as its memfd holds it; -1 for one that was not. */
    qint64 spilledSize() const;

    /*! Swaps this frame with \a other; never fails. */
    void swap(QSeqpacketFrame &other) noexcept { d.swap(other.d); }

private:
    friend class QSeqpacketFramePrivate;
    QSharedDataPointer<QSeqpacketFramePrivate> d;
};

/*!
 * \relates QSeqpacketFrame
 * Writes \a frame to \a debug: type, id, name and the body in CBOR diagnostic notation
 * (shortened), or why it is invalid.
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketFrame &frame);

Q_DECLARE_SHARED(QSeqpacketFrame)
Q_DECLARE_METATYPE(QSeqpacketFrame)

#endif // QSEQPACKETFRAME_H
