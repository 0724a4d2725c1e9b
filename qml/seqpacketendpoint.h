// SPDX-License-Identifier: MIT
#ifndef SEQPACKETENDPOINT_H
#define SEQPACKETENDPOINT_H

#include "seqpacketqmlglobal.h"
#include "seqpacketreceiveoptions.h"

#include <QSeqpacketSocket>

#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtQml/qqmlengine.h>

/*!
 * What SeqpacketSocket and SeqpacketServer share: the address they connect to or listen on, the
 * last error, and how they read and describe the packets they deliver (receiveOptions, with its
 * properties forwarded here). Not made on its own.
 */
class SEQPACKETQML_EXPORT SeqpacketEndpoint : public QObject
{
    Q_OBJECT
    QML_ANONYMOUS

    Q_PROPERTY(QString address READ address WRITE setAddress NOTIFY addressChanged)
    //! A QSeqpacketSocket::SocketError (SeqpacketSocket.ConnectionRefusedError, ...), or
    //! SeqpacketSocket.InvalidDataError.
    Q_PROPERTY(int error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

    Q_PROPERTY(SeqpacketReceiveOptions *receiveOptions READ receiveOptions CONSTANT)
    Q_PROPERTY(int receiveLimit READ receiveLimit WRITE setReceiveLimit NOTIFY receiveLimitChanged)
    Q_PROPERTY(int decodeLimit READ decodeLimit WRITE setDecodeLimit NOTIFY decodeLimitChanged)
    Q_PROPERTY(int descriptorPreviewSize READ descriptorPreviewSize WRITE setDescriptorPreviewSize
               NOTIFY descriptorPreviewSizeChanged)

public:
    QString address() const { return m_address; }
    void setAddress(const QString &address);

    int error() const { return m_error; }
    QString errorString() const { return m_errorString; }

    /*! Shared by a server and its peers; never null. */
    SeqpacketReceiveOptions *receiveOptions() const { return m_receiveOptions; }
    // The receive options' properties, as the endpoint's own (see SeqpacketReceiveOptions).
    int receiveLimit() const { return m_receiveOptions->receiveLimit(); }
    void setReceiveLimit(int bytes) { m_receiveOptions->setReceiveLimit(bytes); }
    int decodeLimit() const { return m_receiveOptions->decodeLimit(); }
    void setDecodeLimit(int bytes) { m_receiveOptions->setDecodeLimit(bytes); }
    int descriptorPreviewSize() const { return m_receiveOptions->descriptorPreviewSize(); }
    void setDescriptorPreviewSize(int bytes) { m_receiveOptions->setDescriptorPreviewSize(bytes); }

Q_SIGNALS:
    void addressChanged();
    void errorChanged();
    void receiveLimitChanged();
    void decodeLimitChanged();
    void descriptorPreviewSizeChanged();
    /*! Something failed; error and errorString say what. */
    void errorOccurred(int error, const QString &errorString);

protected:
    /*!
     * Uses \a receiveOptions (a server's, for its peers), which must outlive this endpoint; makes
     * its own where that is null.
     */
    SeqpacketEndpoint(SeqpacketReceiveOptions *receiveOptions, QObject *parent);

    /*! Sets error and errorString; emits errorOccurred() unless \a error is NoError. */
    void setError(int error, const QString &message);
    /*! Back to NoError, before a new attempt. */
    void clearError();

private:
    QString m_address;
    int m_error = QSeqpacketSocket::NoError;
    QString m_errorString;
    SeqpacketReceiveOptions *m_receiveOptions = nullptr;
};

#endif // SEQPACKETENDPOINT_H
