// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETREPLY_H
#define QSEQPACKETREPLY_H

#include "qseqpacketglobal.h"
#include "qseqpacketmessage.h"

#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

class QDebug;
class QSeqpacketReplyPrivate;

/*!
 * \brief The answer to a QSeqpacketChannel::request(): a message, or an error with a name.
 *
 * An error reply carries the name the peer gave (an application's own, or one of the library's
 * below) and, in message(), whatever details it sent. Errors that happen here, without any
 * packet, have names of the library too:
 *
 * | error name | meaning |
 * | --- | --- |
 * | `qseqpacket.Timeout` | no reply came within the request's timeout |
 * | `qseqpacket.Disconnected` | the connection ended (or was not there) before the reply came |
 * | `qseqpacket.TooLarge` | the request could not be sent: too large, or too many descriptors |
 * | `qseqpacket.Canceled` | the request was canceled through its future (QFuture::cancel()): that future finishes canceled, without a result, so its onCanceled() handlers run and its then() continuations do not; the name is for APIs without futures (the QML module's callbacks) |
 * | `qseqpacket.NoReply` | from the peer: its side dropped the request without answering it |
 * | `qseqpacket.UnknownRequest` | from the peer: nothing on its side handles requests |
 * | `qseqpacket.TooManyRequests` | from the peer: it holds too many unanswered requests of ours |
 *
 * \code
 * channel->request(QStringLiteral("open"), QSeqpacketMessage(QStringLiteral("/etc/hostname")))
 *         .then(this, [](const QSeqpacketReply &reply) {
 *             if (reply.isError()) {
 *                 qWarning() << "open failed:" << reply.errorName() << reply.message().body();
 *                 return;
 *             }
 *             const QList<QSeqpacketFileDescriptor> fds = reply.message().fileDescriptors();
 *             qDebug() << "got" << fds.size() << "descriptors";
 *         });
 * \endcode
 */
class QSEQPACKET_EXPORT QSeqpacketReply
{
public:
    /*! Constructs a reply with an empty message, not an error. */
    QSeqpacketReply();
    /*! Constructs a reply that carries \a message. */
    explicit QSeqpacketReply(const QSeqpacketMessage &message);
    /*! Constructs an error reply named \a errorName with \a details. */
    QSeqpacketReply(const QString &errorName, const QSeqpacketMessage &details);
    /*! Constructs a copy of \a other. */
    QSeqpacketReply(const QSeqpacketReply &other);
    /*! Move-constructs a reply from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketReply(QSeqpacketReply &&other) noexcept;
    /*! Assigns \a other to this reply. */
    QSeqpacketReply &operator=(const QSeqpacketReply &other);
    /*! Move-assigns \a other to this reply. */
    QSeqpacketReply &operator=(QSeqpacketReply &&other) noexcept;
    /*! Destroys the reply. */
    ~QSeqpacketReply();

    /*! True for an error reply, from the peer or made here (see the table above). */
    bool isError() const;
    /*! The error's name; empty unless isError(). */
    QString errorName() const;
    /*! The reply's message: the answer, or an error's details. */
    QSeqpacketMessage message() const;

    /*! Swaps this reply with \a other; never fails. */
    void swap(QSeqpacketReply &other) noexcept { d.swap(other.d); }

private:
    QSharedDataPointer<QSeqpacketReplyPrivate> d;
};

/*!
 * \relates QSeqpacketReply
 * Writes \a reply to \a debug: the error's name where it is one, and the message.
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketReply &reply);

Q_DECLARE_SHARED(QSeqpacketReply)
Q_DECLARE_METATYPE(QSeqpacketReply)

#endif // QSEQPACKETREPLY_H
