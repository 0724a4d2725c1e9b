// SPDX-License-Identifier: MIT
#ifndef SEQPACKETCHANNEL_QML_H
#define SEQPACKETCHANNEL_QML_H

#include "seqpacketqmlglobal.h"
#include "seqpacketsocket.h"

#include <QSeqpacketChannel>
#include <QSeqpacketFrame>

#include <QtCore/qfuturewatcher.h>
#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmlengine.h>

/*!
 * \qmltype SeqpacketChannel
 * \brief Typed messages and requests with replies over a SeqpacketSocket (QSeqpacketChannel).
 *
 * Set socket to a connection (a client SeqpacketSocket, or a peer a SeqpacketServer announced).
 * From then on the channel reads every packet of that socket: the socket no longer emits
 * packetReceived or descriptorReceived, nor counts what it receives, until the channel lets go
 * (socket set to another, or the channel destroyed). One channel per socket.
 *
 * Bodies are JavaScript values with a CBOR form (numbers, strings, booleans, null, arrays,
 * objects, ArrayBuffer as bytes, Date); they arrive in the same form. Requests are answered by
 * requestHandler, a function(request) that returns the reply's body or keeps the SeqpacketRequest
 * and answers later; without one, the peer gets `qseqpacket.UnknownRequest`.
 *
 * What fails to go (a body without a CBOR form, a closed connection, too many descriptors) makes
 * send() return false and sets the socket's error and errorString (errorOccurred()).
 */
class SEQPACKETQML_EXPORT SeqpacketChannel : public QObject
{
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(SeqpacketSocket *socket READ socket WRITE setSocket NOTIFY socketChanged)
    Q_PROPERTY(QJSValue requestHandler READ requestHandler WRITE setRequestHandler NOTIFY requestHandlerChanged)
    Q_PROPERTY(int pendingRequests READ pendingRequests NOTIFY pendingRequestsChanged)
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY requestTimeoutChanged)
    Q_PROPERTY(qint64 maxMessageSize READ maxMessageSize WRITE setMaxMessageSize NOTIFY maxMessageSizeChanged)
    Q_PROPERTY(qint64 spillThreshold READ spillThreshold WRITE setSpillThreshold NOTIFY spillThresholdChanged)
    Q_PROPERTY(int maxUnansweredRequests READ maxUnansweredRequests WRITE setMaxUnansweredRequests
               NOTIFY maxUnansweredRequestsChanged)

public:
    explicit SeqpacketChannel(QObject *parent = nullptr);
    ~SeqpacketChannel() override;

    SeqpacketSocket *socket() const { return m_socket; }
    void setSocket(SeqpacketSocket *socket);
    /*! A function(request) that answers the peer's requests; undefined for none. */
    QJSValue requestHandler() const { return m_requestHandler; }
    void setRequestHandler(const QJSValue &handler);
    /*! How many of our requests wait for their callback. */
    int pendingRequests() const { return int(m_pending.size()); }
    /*! The timeout of request() without one of its own, in ms (default 30000; -1: none). */
    int requestTimeout() const { return m_requestTimeout; }
    void setRequestTimeout(int msecs);
    /*! The largest message accepted, spilled ones included (default 64 MiB). */
    qint64 maxMessageSize() const { return m_maxMessageSize; }
    void setMaxMessageSize(qint64 bytes);
    /*! Frames larger than this travel in a sealed memfd (-1, the default: what a packet cannot carry). */
    qint64 spillThreshold() const { return m_spillThreshold; }
    void setSpillThreshold(qint64 bytes);
    /*! How many of the peer's requests may wait for an answer at once (default 1024). */
    int maxUnansweredRequests() const { return m_maxUnansweredRequests; }
    void setMaxUnansweredRequests(int count);

    /*! The library's channel on the socket, null without a socket (for C++ users). */
    QSeqpacketChannel *channel() const { return m_channel; }

    /*!
     * Sends the one-way message \a name with \a body. Returns false where it cannot go; the
     * socket's error says why.
     */
    Q_INVOKABLE bool send(const QString &name, const QJSValue &body = QJSValue());
    /*!
     * Sends the request \a name with \a body; \a callback gets the reply, once and always later
     * (never within this call): {error, errorName, body, descriptors}. errorName is the peer's
     * for an error reply, or `qseqpacket.Timeout` (after requestTimeout ms),
     * `qseqpacket.Disconnected`, `qseqpacket.TooLarge` (it could not be sent),
     * `qseqpacket.Canceled` (cancelRequest()). Returns a number for cancelRequest().
     * request(name, callback) sends no body.
     */
    Q_INVOKABLE int request(const QString &name, const QJSValue &body = QJSValue(),
                            const QJSValue &callback = QJSValue());
    /*! As request(), with a timeout of \a timeoutMsecs ms (-1: none) instead of requestTimeout. */
    Q_INVOKABLE int request(const QString &name, const QJSValue &body, const QJSValue &callback, int timeoutMsecs);
    /*!
     * Cancels the request \a handle (request()'s number): its callback gets `qseqpacket.Canceled`,
     * a reply that still comes is dropped. False where it does not wait.
     */
    Q_INVOKABLE bool cancelRequest(int handle);
    /*! Cancels every request that waits. */
    Q_INVOKABLE void cancelRequests();

Q_SIGNALS:
    void socketChanged();
    void requestHandlerChanged();
    void pendingRequestsChanged();
    void requestTimeoutChanged();
    void maxMessageSizeChanged();
    void spillThresholdChanged();
    void maxUnansweredRequestsChanged();

    /*! The peer sent the message \a name; \a descriptors are open while the handlers run. */
    void messageReceived(const QString &name, const QVariant &body, const QVariantList &descriptors);
    /*! The peer sent something that is not a frame of the protocol; it was dropped. */
    void protocolError(const QString &description);

private:
    friend class SeqpacketRequest;

    void attach();
    void detach();
    void connectRequestHandler();
    void onMessageReceived(const QString &name, const QSeqpacketMessage &message);
    void onRequestReceived(const QSeqpacketRequest &request);
    void onReplyFinished(int handle);
    bool bodyFor(const char *operation, const QJSValue &body, QCborValue *out);
    void reportError(int error, const QString &message);
    int descriptorPreviewSize() const;

    QPointer<SeqpacketSocket> m_socket;
    QSeqpacketChannel *m_channel = nullptr;
    QJSValue m_requestHandler;
    QJSValue m_promiseGlue; // answers a request when the promise its handler returned settles
    bool m_handlerConnected = false;
    struct Pending
    {
        QFutureWatcher<QSeqpacketReply> *watcher = nullptr;
        QJSValue callback;
    };
    QHash<int, Pending> m_pending;
    int m_nextHandle = 1;
    int m_requestTimeout = 30000;
    qint64 m_maxMessageSize = QSeqpacketFrame::DefaultMaxMessageSize;
    qint64 m_spillThreshold = -1;
    int m_maxUnansweredRequests = 1024;
};

#endif // SEQPACKETCHANNEL_QML_H
