// SPDX-License-Identifier: MIT
#ifndef SEQPACKETREQUEST_QML_H
#define SEQPACKETREQUEST_QML_H

#include "seqpacketqmlglobal.h"

#include <QSeqpacketRequest>

#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqmlengine.h>

class SeqpacketChannel;

/*!
 * \qmltype SeqpacketRequest
 * \brief A request of the peer, as SeqpacketChannel's requestHandler receives it.
 *
 * name, id, body (the JavaScript form of the request's CBOR body) and descriptors (descriptor
 * maps as SeqpacketSocket's packets have them). Answer it once: by returning the reply's body
 * from the handler, or with reply(body) or replyError(errorName, body), at once or later (keep
 * the object). A request that is dropped unanswered is answered `qseqpacket.NoReply` once the
 * garbage collector takes this object, or when its channel goes.
 *
 * The descriptors that came with the request stay open until it is answered.
 */
class SEQPACKETQML_EXPORT SeqpacketRequest : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("SeqpacketChannel.requestHandler receives them")

    Q_PROPERTY(QString name READ name CONSTANT)
    //! The id the peer gave the request (a number: exact up to 2^53).
    Q_PROPERTY(double id READ id CONSTANT)
    Q_PROPERTY(QVariant body READ body CONSTANT)
    Q_PROPERTY(QVariantList descriptors READ descriptors CONSTANT)
    Q_PROPERTY(bool answered READ isAnswered NOTIFY answeredChanged)

public:
    /*!
     * Wraps \a request of \a channel; \a previewSize is how many first bytes of each received
     * regular file or memfd its descriptor map shows.
     */
    SeqpacketRequest(const QSeqpacketRequest &request, int previewSize, SeqpacketChannel *channel);
    ~SeqpacketRequest() override;

    QString name() const { return m_name; }
    double id() const { return m_id; }
    QVariant body() const { return m_body; }
    QVariantList descriptors() const { return m_descriptors; }
    bool isAnswered() const { return m_answered; }

    /*!
     * Answers with \a body (any value that has a CBOR form, see SeqpacketChannel.send()).
     * Returns false where the request was answered already, the body has no CBOR form, the
     * channel is gone or the reply could not be sent; the channel's socket's error says why.
     */
    Q_INVOKABLE bool reply(const QJSValue &body = QJSValue());
    /*!
     * Answers with the error \a errorName (the application's own, such as "example.NotFound")
     * and \a body as its details. Returns false where it cannot, as reply() does.
     */
    Q_INVOKABLE bool replyError(const QString &errorName, const QJSValue &body = QJSValue());

Q_SIGNALS:
    void answeredChanged();

private:
    bool answer(const QString &errorName, const QJSValue &body);

    QSeqpacketRequest m_request; // released once answered: its descriptors close then
    QPointer<SeqpacketChannel> m_channel;
    QString m_name;
    double m_id = 0;
    QVariant m_body;
    QVariantList m_descriptors;
    bool m_answered = false;
};

#endif // SEQPACKETREQUEST_QML_H
