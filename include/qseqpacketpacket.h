// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETPACKET_H
#define QSEQPACKETPACKET_H

#include "qseqpacketglobal.h"
#include "qseqpacketcredentials.h"
#include "qseqpacketfiledescriptor.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>

class QDebug;
class QSeqpacketPacketPrivate;

/*!
 * \brief One packet: its bytes, the file descriptors that came with it, and what the kernel said.
 *
 * A packet made by the application is valid when it has data (a non-null QByteArray, which may
 * be empty) or descriptors. A received packet is always valid, even when it is empty; an invalid
 * packet is what QSeqpacketSocket::receivePacket() returns when nothing was received.
 *
 * \code
 * auto [a, b] = QSeqpacketSocket::createPair(this);
 * const auto file = QSeqpacketFileDescriptor::adopt(::open("/etc/hostname", O_RDONLY | O_CLOEXEC));
 * a->sendPacket(QSeqpacketPacket(QByteArray(10000, 'x'), { file }));
 *
 * b->waitForPacket(1000);
 * const QSeqpacketPacket packet = b->receivePacket(4096);   // at most 4 KiB of it
 * Q_ASSERT(packet.isValid());
 * Q_ASSERT(packet.isTruncated());                          // the rest is gone
 * Q_ASSERT(packet.data().size() == 4096 && packet.originalSize() == 10000);
 * Q_ASSERT(packet.fileDescriptors().size() == 1);          // a new descriptor, same file
 * qDebug() << packet;   // 4096 bytes of 10000, truncated, 1 descriptors, the first bytes
 * \endcode
 *
 * \sa QSeqpacketSocket::receivePacket(), QSeqpacketSocket::sendPacket()
 */
class QSEQPACKET_EXPORT QSeqpacketPacket
{
public:
    /*!
     * Constructs a packet to send: \a data with \a fds (which it shares with the caller). Without
     * arguments the packet is invalid; QByteArray("") makes a valid, empty one.
     */
    explicit QSeqpacketPacket(const QByteArray &data = {}, const QList<QSeqpacketFileDescriptor> &fds = {});
    /*! Constructs a copy of \a other; the copies share the descriptors. */
    QSeqpacketPacket(const QSeqpacketPacket &other);
    /*! Move-constructs a packet from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketPacket(QSeqpacketPacket &&other) noexcept;
    /*! Assigns \a other to this packet; the copies share the descriptors. */
    QSeqpacketPacket &operator=(const QSeqpacketPacket &other);
    /*! Move-assigns \a other to this packet. */
    QSeqpacketPacket &operator=(QSeqpacketPacket &&other) noexcept;
    /*! Destroys the packet; its descriptors are closed if this was their last copy. */
    ~QSeqpacketPacket();

    /*! False where nothing was received. */
    bool isValid() const;
    /*! The payload; for a truncated packet, the part that was kept. */
    QByteArray data() const;
    /*! Sets the payload to \a data. */
    void setData(const QByteArray &data);
    /*! The descriptors that came with the packet; they are closed when the last copy goes. */
    QList<QSeqpacketFileDescriptor> fileDescriptors() const;
    /*! Sets the descriptors that go with the packet to \a fds (at most 253 for one packet). */
    void setFileDescriptors(const QList<QSeqpacketFileDescriptor> &fds);
    /*! True when the payload was cut to the receive buffer's size; the rest is gone. */
    bool isTruncated() const;
    /*! The packet's real size on the wire; larger than data().size() when truncated. */
    qint64 originalSize() const;
    /*! True when some descriptors did not fit and were closed by the kernel. */
    bool areFileDescriptorsTruncated() const;
    /*!
     * The sender's credentials for this packet, where per-packet credentials are on
     * (QSeqpacketSocket::setPerPacketCredentials()); for a packet to send, those set with
     * setCredentials().
     */
    QSeqpacketCredentials credentials() const;
    /*!
     * Sends \a credentials with this packet (SCM_CREDENTIALS), where the receiver has per-packet
     * credentials on; without this call a packet carries none of its own, and a receiver with
     * per-packet credentials on gets the sender's real ones from the kernel. An unprivileged process
     * may send only its own process id and one of its own user and group ids
     * (QSeqpacketCredentials::currentProcess()); the kernel refuses anything else and
     * QSeqpacketSocket::sendPacket() then fails with QSeqpacketSocket::SocketAccessError, nothing
     * sent. Supplementary groups do not travel. An invalid \a credentials sends none again.
     */
    void setCredentials(const QSeqpacketCredentials &credentials);
    /*!
     * A pidfd of the process that sent this packet (SCM_PIDFD), where
     * QSeqpacketSocket::setPerPacketProcessFileDescriptor() is on; invalid otherwise, or where
     * the kernel could not make one (the sender had exited). Unlike a process id it cannot come
     * to mean another process: see pidfd_open(2).
     */
    QSeqpacketFileDescriptor processFileDescriptor() const;
    /*! When the packet was taken off the socket, in milliseconds since the epoch; 0 for a packet made by the application. */
    qint64 receivedAt() const;

    /*! Swaps this packet with \a other; never fails. */
    void swap(QSeqpacketPacket &other) noexcept { d.swap(other.d); }

private:
    friend class QSeqpacketPacketPrivate;
    explicit QSeqpacketPacket(QSeqpacketPacketPrivate *dd); // adopts dd, its count already 1
    QSharedDataPointer<QSeqpacketPacketPrivate> d;
};

/*!
 * \relates QSeqpacketPacket
 * Writes \a packet to \a debug: its size, truncation, descriptors, sender and the first bytes,
 * for example QSeqpacketPacket(5 bytes, from pid 1234, "hello").
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketPacket &packet);

Q_DECLARE_SHARED(QSeqpacketPacket)
Q_DECLARE_METATYPE(QSeqpacketPacket)

#endif // QSEQPACKETPACKET_H
