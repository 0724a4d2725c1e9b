// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETMESSAGE_H
#define QSEQPACKETMESSAGE_H

#include "qseqpacketglobal.h"
#include "qseqpacketcredentials.h"
#include "qseqpacketfiledescriptor.h"

#include <QtCore/qcborvalue.h>
#include <QtCore/qlist.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>

class QDebug;
class QSeqpacketMessagePrivate;

/*!
 * \brief What a QSeqpacketChannel carries: a body of any CBOR value, and file descriptors.
 *
 * A message is the content of a one-way message, of a request and of a reply. Its body is a
 * QCborValue (maps, arrays, strings, numbers, byte arrays of any size); its descriptors travel
 * with it (SCM_RIGHTS) and, as in QSeqpacketPacket, are closed when the last copy of the message
 * that received them goes.
 *
 * \code
 * QSeqpacketMessage message(QCborMap{{QStringLiteral("path"), QStringLiteral("/var/log/app.log")},
 *                                    {QStringLiteral("lines"), 100}});
 * channel->send(QStringLiteral("tail"), message);
 *
 * // A descriptor with it: the receiver gets its own descriptor for the same open file.
 * const auto log = QSeqpacketFileDescriptor::adopt(::open("/var/log/app.log", O_RDONLY | O_CLOEXEC));
 * channel->send(QStringLiteral("here-is-the-log"), QSeqpacketMessage(QCborValue(), {log}));
 * \endcode
 *
 * \sa QSeqpacketChannel, QSeqpacketRequest, QSeqpacketReply
 */
class QSEQPACKET_EXPORT QSeqpacketMessage
{
public:
    /*!
     * Constructs a message with \a body and the descriptors \a fds (at most 253 in all with one
     * message; 252 where it travels in a memfd). An undefined body, the default, goes out as null.
     */
    QSeqpacketMessage(const QCborValue &body = {}, const QList<QSeqpacketFileDescriptor> &fds = {});
    /*! Constructs a copy of \a other; the copies share the descriptors. */
    QSeqpacketMessage(const QSeqpacketMessage &other);
    /*! Move-constructs a message from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketMessage(QSeqpacketMessage &&other) noexcept;
    /*! Assigns \a other to this message; the copies share the descriptors. */
    QSeqpacketMessage &operator=(const QSeqpacketMessage &other);
    /*! Move-assigns \a other to this message. */
    QSeqpacketMessage &operator=(QSeqpacketMessage &&other) noexcept;
    /*! Destroys the message; its descriptors are closed if this was their last copy. */
    ~QSeqpacketMessage();

    /*! The body; a received message whose sender had none has a null body. */
    QCborValue body() const;
    /*! Sets the body to \a body. */
    void setBody(const QCborValue &body);
    /*!
     * The bytes of a body that is a byte string (QCborValue::ByteArray); an empty QByteArray for
     * any other body. A received byte string comes as bytes of its own, shared by every call
     * without a copy, where body() makes a QCborValue of them (a copy) each time: the way to
     * read a large payload.
     */
    QByteArray bodyBytes() const;
    /*!
     * Sets the body to a byte string of \a bytes: on the wire the same as
     * setBody(QCborValue(bytes)), without copying the bytes into a QCborValue (the message shares
     * \a bytes; a large one is written from them straight into the memfd it travels in).
     */
    void setBodyBytes(const QByteArray &bytes);
    /*! The descriptors that go, or came, with the message, in order. */
    QList<QSeqpacketFileDescriptor> fileDescriptors() const;
    /*! Sets the descriptors that go with the message to \a fds. */
    void setFileDescriptors(const QList<QSeqpacketFileDescriptor> &fds);
    /*!
     * The sender's credentials for the packet that brought this message, where its socket
     * receives them (QSeqpacketSocket::setPerPacketCredentials()); invalid otherwise.
     */
    QSeqpacketCredentials credentials() const;
    /*!
     * A pidfd of the process that sent the packet that brought this message, where its socket
     * receives them (QSeqpacketSocket::setPerPacketProcessFileDescriptor()); invalid otherwise.
     */
    QSeqpacketFileDescriptor processFileDescriptor() const;

    /*! Swaps this message with \a other; never fails. */
    void swap(QSeqpacketMessage &other) noexcept { d.swap(other.d); }

private:
    friend class QSeqpacketMessagePrivate;
    QSharedDataPointer<QSeqpacketMessagePrivate> d;
};

/*!
 * \relates QSeqpacketMessage
 * Writes \a message to \a debug: its body in CBOR diagnostic notation (shortened) and how many
 * descriptors it has.
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketMessage &message);

Q_DECLARE_SHARED(QSeqpacketMessage)
Q_DECLARE_METATYPE(QSeqpacketMessage)

#endif // QSEQPACKETMESSAGE_H
