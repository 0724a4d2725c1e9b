// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETFILEDESCRIPTOR_H
#define QSEQPACKETFILEDESCRIPTOR_H

#include "qseqpacketglobal.h"

#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>

class QDebug;
class QSeqpacketFileDescriptorPrivate;

/*!
 * \brief An owned file descriptor.
 *
 * Copies share ownership: the descriptor is closed exactly once, when the last copy goes, so a
 * QSeqpacketFileDescriptor can sit in a QList and travel through queued signals. release() hands
 * the descriptor to the caller and invalidates every copy.
 *
 * \code
 * // `socket` and `peer` are the two ends of a connection (say, QSeqpacketSocket::createPair()).
 * // Send an open file with a packet; the receiver gets its own descriptor for the same file.
 * const auto file = QSeqpacketFileDescriptor::adopt(::open("/etc/hostname", O_RDONLY | O_CLOEXEC));
 * if (file.isValid())
 *     socket->sendPacket("here is a file", { file });
 * // `file` stays ours: a queued packet holds a copy of its own until the kernel has it.
 *
 * // The receiving side. A received descriptor is closed with the packet's last copy,
 * // unless it is released: here QFile takes it over and closes it.
 * const QSeqpacketPacket packet = peer->receivePacket();
 * if (!packet.fileDescriptors().isEmpty()) {
 *     QSeqpacketFileDescriptor fd = packet.fileDescriptors().first();
 *     QFile received;
 *     if (received.open(fd.release(), QIODevice::ReadOnly, QFileDevice::AutoCloseHandle))
 *         qDebug() << received.readAll();
 * }
 * \endcode
 *
 * \sa QSeqpacketSocket::sendPacket(), QSeqpacketPacket::fileDescriptors()
 */
class QSEQPACKET_EXPORT QSeqpacketFileDescriptor
{
public:
    /*! Constructs an invalid descriptor. */
    QSeqpacketFileDescriptor();
    /*! Constructs a copy of \a other that shares the ownership of its descriptor. */
    QSeqpacketFileDescriptor(const QSeqpacketFileDescriptor &other);
    /*! Takes over \a other's share of the ownership; \a other becomes invalid. */
    QSeqpacketFileDescriptor(QSeqpacketFileDescriptor &&other) noexcept;
    /*!
     * Makes this a copy of \a other that shares the ownership of its descriptor; the descriptor
     * this object held is closed if this was its last copy.
     */
    QSeqpacketFileDescriptor &operator=(const QSeqpacketFileDescriptor &other);
    /*!
     * Takes over \a other's share of the ownership; the descriptor this object held is closed if
     * this was its last copy.
     */
    QSeqpacketFileDescriptor &operator=(QSeqpacketFileDescriptor &&other) noexcept;
    /*! Closes the descriptor if this is the last copy that owns it. */
    ~QSeqpacketFileDescriptor();

    /*!
     * Takes ownership of \a fd: it is closed when the last copy goes. A negative \a fd gives an
     * invalid object.
     */
    static QSeqpacketFileDescriptor adopt(int fd);

    /*! True while a descriptor is owned. */
    bool isValid() const;
    /*! The descriptor, still owned by this object and its copies; -1 when invalid. */
    int descriptor() const;
    /*! Hands the descriptor to the caller, who must close it; every copy becomes invalid. */
    int release();
    /*!
     * An independent close-on-exec copy (F_DUPFD_CLOEXEC) with an ownership of its own; invalid
     * where this one is, or where the system refuses (out of descriptors).
     */
    QSeqpacketFileDescriptor duplicate() const;
    /*! Closes the descriptor now; every copy becomes invalid. */
    void close();

    /*! True when both refer to the same owned descriptor (copies of each other). */
    bool operator==(const QSeqpacketFileDescriptor &other) const { return d == other.d; }
    /*! True unless both refer to the same owned descriptor; see operator==(). */
    bool operator!=(const QSeqpacketFileDescriptor &other) const { return d != other.d; }

    /*! Swaps this descriptor with \a other; never fails. */
    void swap(QSeqpacketFileDescriptor &other) noexcept { d.swap(other.d); }

private:
    QExplicitlySharedDataPointer<QSeqpacketFileDescriptorPrivate> d;
};

/*!
 * \relates QSeqpacketFileDescriptor
 * Writes \a fd to \a debug, for example QSeqpacketFileDescriptor(7) or
 * QSeqpacketFileDescriptor(invalid).
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketFileDescriptor &fd);

Q_DECLARE_SHARED(QSeqpacketFileDescriptor)
Q_DECLARE_METATYPE(QSeqpacketFileDescriptor)

#endif // QSEQPACKETFILEDESCRIPTOR_H
