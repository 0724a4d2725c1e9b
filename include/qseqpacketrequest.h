// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETREQUEST_H
#define QSEQPACKETREQUEST_H

#include "qseqpacketglobal.h"
#include "qseqpacketmessage.h"

#include <QtCore/qmetatype.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

class QDebug;
class QSeqpacketRequestPrivate;

/*!
 * \brief A request the peer made, to be answered once: QSeqpacketChannel::requestReceived().
 *
 * A request is shared: its copies are the same request, answered once for all of them. Answer it
 * at once in the slot, or keep a copy and answer later from the event loop (after a database
 * query, a user's confirmation, a child process). When the last copy goes unanswered, the channel
 * answers for it with the error `qseqpacket.NoReply`, so that the peer never waits in vain.
 * reply() and replyError() may be called from any thread; they are const, as answering changes the
 * request all copies share, not this copy (a lambda that keeps a copy need not be mutable).
 *
 * \code
 * connect(channel, &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
 *     if (request.name() == QLatin1String("add")) {
 *         const QCborArray terms = request.message().body().toArray();
 *         request.reply(QSeqpacketMessage(terms.at(0).toInteger() + terms.at(1).toInteger()));
 *     } else if (request.name() == QLatin1String("slow")) {
 *         QTimer::singleShot(1000, [request] { request.reply(QSeqpacketMessage(QStringLiteral("done"))); });
 *     } else {
 *         request.replyError(QStringLiteral("example.NoSuchMethod"), QSeqpacketMessage(request.name()));
 *     }
 * });
 * \endcode
 */
class QSEQPACKET_EXPORT QSeqpacketRequest
{
public:
    /*! Constructs an invalid request, one that cannot be answered. */
    QSeqpacketRequest();
    /*! Constructs another copy of the request \a other; they share the answer. */
    QSeqpacketRequest(const QSeqpacketRequest &other);
    /*! Move-constructs a request from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketRequest(QSeqpacketRequest &&other) noexcept;
    /*! Makes this a copy of the request \a other. */
    QSeqpacketRequest &operator=(const QSeqpacketRequest &other);
    /*! Move-assigns \a other to this request. */
    QSeqpacketRequest &operator=(QSeqpacketRequest &&other) noexcept;
    /*! Destroys this copy; the last copy of an unanswered request answers `qseqpacket.NoReply`. */
    ~QSeqpacketRequest();

    /*! True for a request the peer made; false for a default-constructed one. */
    bool isValid() const;
    /*! The request's name. */
    QString name() const;
    /*! What came with the request: body and descriptors. */
    QSeqpacketMessage message() const;
    /*! The id the peer gave the request; the reply carries it back. */
    quint64 id() const;

    /*!
     * Answers with \a message. Returns false where the request was answered already, is invalid,
     * or its channel is gone; true once the answer is on its way (from another thread than the
     * channel's, it is sent from the channel's event loop).
     */
    bool reply(const QSeqpacketMessage &message = QSeqpacketMessage()) const;
    /*!
     * Answers with the error \a errorName (an application's own name, such as
     * "example.NotFound"; the library's names start with "qseqpacket.") and \a details.
     * Returns false where it cannot, as reply() does, or where \a errorName is empty.
     */
    bool replyError(const QString &errorName, const QSeqpacketMessage &details = QSeqpacketMessage()) const;
    /*! True once reply() or replyError() answered the request (or the channel answered for it). */
    bool isAnswered() const;

    /*! Swaps this request with \a other; never fails. */
    void swap(QSeqpacketRequest &other) noexcept { d.swap(other.d); }

private:
    friend class QSeqpacketRequestPrivate;
    QExplicitlySharedDataPointer<QSeqpacketRequestPrivate> d;
};

/*!
 * \relates QSeqpacketRequest
 * Writes \a request to \a debug: its id, name, message and whether it was answered.
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketRequest &request);

Q_DECLARE_SHARED(QSeqpacketRequest)
Q_DECLARE_METATYPE(QSeqpacketRequest)

#endif // QSEQPACKETREQUEST_H
