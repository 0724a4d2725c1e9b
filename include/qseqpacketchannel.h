// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETCHANNEL_H
#define QSEQPACKETCHANNEL_H

#include "qseqpacketglobal.h"
#include "qseqpacketmessage.h"
#include "qseqpacketreply.h"
#include "qseqpacketrequest.h"

#include <QtCore/qfuture.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

class QSeqpacketSocket;
class QSeqpacketChannelPrivate;

/*!
 * \brief Typed messages and requests with replies over one QSeqpacketSocket.
 *
 * A channel turns a connected seqpacket socket into a message channel: one-way messages with a
 * name, requests whose replies come back as a QFuture, descriptors with any of them, and bodies
 * of any size (a frame that does not fit a packet travels in a sealed memfd). Both sides may send
 * messages and requests at any time. The wire format (docs/protocol.md) is CBOR, so a program in
 * any language can be the other side.
 *
 * The channel reads every packet of its socket from the moment it is made; the socket stays the
 * caller's (connect, close and delete it as before). Moved to another thread, it goes together
 * with its socket.
 *
 * Limits that a peer cannot push past: a message larger than maxMessageSize() is dropped
 * (protocolError()) before anything of it is read; at most maxUnansweredRequests() requests of the
 * peer wait for an answer at once (more are answered `qseqpacket.TooManyRequests` at once); CBOR
 * nested deeper than QSeqpacketFrame::MaxNesting is refused. A bad frame costs the peer that frame
 * only: it is dropped with its descriptors, protocolError() says why, and the channel goes on.
 *
 * \code
 * // The client: ask, and use the answer when it comes.
 * auto *channel = new QSeqpacketChannel(socket, this);
 * channel->request(QStringLiteral("add"), QSeqpacketMessage(QCborArray{2, 3}))
 *         .then(this, [](const QSeqpacketReply &reply) {
 *             qDebug() << "2 + 3 =" << reply.message().body().toInteger();
 *         });
 * channel->send(QStringLiteral("log"), QSeqpacketMessage(QStringLiteral("hello")));
 *
 * // The server: answer requests, read messages.
 * auto *peer = new QSeqpacketChannel(server->nextPendingConnection(), this);
 * connect(peer, &QSeqpacketChannel::requestReceived, this, [](QSeqpacketRequest request) {
 *     const QCborArray terms = request.message().body().toArray();
 *     request.reply(QSeqpacketMessage(terms.at(0).toInteger() + terms.at(1).toInteger()));
 * });
 * connect(peer, &QSeqpacketChannel::messageReceived, this,
 *         [](const QString &name, const QSeqpacketMessage &message) { qDebug() << name << message.body(); });
 * \endcode
 *
 * \sa QSeqpacketMessage, QSeqpacketRequest, QSeqpacketReply, QSeqpacketFrame
 */
class QSEQPACKET_EXPORT QSeqpacketChannel : public QObject
{
    Q_OBJECT
public:
    /*!
     * Makes a channel on \a socket (connected, or to be connected), a child of \a parent. From
     * now on the channel reads every packet of \a socket; \a socket stays the caller's and must
     * outlive the channel or be deleted with it.
     */
    explicit QSeqpacketChannel(QSeqpacketSocket *socket, QObject *parent = nullptr);
    /*!
     * Destroys the channel. Requests still waiting for a reply finish with
     * `qseqpacket.Disconnected`; requests of the peer still unanswered are answered
     * `qseqpacket.NoReply` where the connection is still there.
     */
    ~QSeqpacketChannel() override;

    /*! The socket the channel reads and writes. */
    QSeqpacketSocket *socket() const;

    /*!
     * Sends the one-way message \a name with \a message. Returns false, with errorString() set,
     * where it cannot be sent: the socket is not connected, the message has too many descriptors,
     * or the socket refused it (its error() says why).
     */
    bool send(const QString &name, const QSeqpacketMessage &message = QSeqpacketMessage());
    /*!
     * Sends the request \a name with \a message and returns the future of its reply, which
     * finishes exactly once: with the peer's reply or error reply, or here with
     * `qseqpacket.Timeout` after \a timeoutMsecs milliseconds (-1: no time limit),
     * `qseqpacket.Disconnected` when the connection ends first, `qseqpacket.TooLarge` where it
     * cannot be sent, or canceled through QFuture::cancel() (the future says isCanceled() at
     * once and finishes within about 40 ms, in the channel's thread; the reply, should one still
     * come, is dropped with its descriptors). Replies may come in any order.
     */
    QFuture<QSeqpacketReply> request(const QString &name, const QSeqpacketMessage &message = QSeqpacketMessage(),
                                     int timeoutMsecs = 30000);
    /*! How many of our requests wait for a reply. */
    int pendingRequests() const;
    /*! How many of the peer's requests wait for our answer. */
    int unansweredRequests() const;

    /*!
     * The largest message the channel accepts, its encoding in bytes, spilled ones included
     * (default QSeqpacketFrame::DefaultMaxMessageSize, 64 MiB). A larger one is dropped before
     * anything of it is read. A negative \a bytes is refused (errorString() and a warning say so;
     * the limit stays).
     */
    void setMaxMessageSize(qint64 bytes);
    /*! The largest message the channel accepts; see setMaxMessageSize(). */
    qint64 maxMessageSize() const;
    /*!
     * Frames whose encoding is larger than \a bytes travel in a sealed memfd, and so does any
     * frame one packet cannot carry (the socket's QSeqpacketSocket::maxPacketSize()), whatever
     * \a bytes says. The default, -1 (any negative value), spills only those.
     */
    void setSpillThreshold(qint64 bytes);
    /*! The spill threshold; -1 (the default) for "what one packet cannot carry". */
    qint64 spillThreshold() const;
    /*!
     * How many of the peer's requests may wait for an answer at once (default 1024); beyond it
     * a request is answered `qseqpacket.TooManyRequests` without reaching requestReceived(). A
     * negative \a count is refused (errorString() and a warning say so; the limit stays).
     */
    void setMaxUnansweredRequests(int count);
    /*! How many of the peer's requests may wait for an answer; see setMaxUnansweredRequests(). */
    int maxUnansweredRequests() const;

    /*! Why the last send() (or a request that could not be sent) failed. */
    QString errorString() const;

Q_SIGNALS:
    /*! The peer sent the one-way message \a name with \a message. */
    void messageReceived(const QString &name, const QSeqpacketMessage &message);
    /*!
     * The peer sent \a request. Answer it now or keep it and answer later; where nothing is
     * connected to this signal, the channel answers `qseqpacket.UnknownRequest` itself.
     */
    void requestReceived(const QSeqpacketRequest &request);
    /*!
     * The peer sent something that is not a frame of the protocol, or one that makes no sense
     * (a reply to a request that does not wait, a message too large); \a description says what.
     * The packet was dropped with its descriptors; the channel goes on.
     */
    void protocolError(const QString &description);

private:
    Q_DECLARE_PRIVATE(QSeqpacketChannel)
    Q_DISABLE_COPY(QSeqpacketChannel)
    QScopedPointer<QSeqpacketChannelPrivate> d_ptr;
    friend class QSeqpacketRequestPrivate;
};

#endif // QSEQPACKETCHANNEL_H
