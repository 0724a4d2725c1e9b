// SPDX-License-Identifier: MIT
#ifndef SEQPACKETENDPOINT_H
#define SEQPACKETENDPOINT_H

#include "seqpacketqmlglobal.h"

#include <QSeqpacketSocket>

#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtQml/qqmlengine.h>

/*!
 * What SeqpacketSocket and SeqpacketServer share: the address they connect to or listen on, the
 * last error, and how they read and describe the packets they deliver. Not made on its own.
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

    Q_PROPERTY(int receiveLimit READ receiveLimit WRITE setReceiveLimit NOTIFY receiveLimitChanged)
    Q_PROPERTY(int decodeLimit READ decodeLimit WRITE setDecodeLimit NOTIFY decodeLimitChanged)
    Q_PROPERTY(int descriptorPreviewSize READ descriptorPreviewSize WRITE setDescriptorPreviewSize
               NOTIFY descriptorPreviewSizeChanged)

public:
    QString address() const { return m_address; }
    void setAddress(const QString &address);

    int error() const { return m_error; }
    QString errorString() const { return m_errorString; }

    /*! Read at most this many bytes of each packet (-1: whole packets). */
    int receiveLimit() const { return m_receiveLimit; }
    void setReceiveLimit(int bytes);
    /*! The text and hex of a packet cover at most this many bytes (-1: all). */
    int decodeLimit() const { return m_decodeLimit; }
    void setDecodeLimit(int bytes);
    /*! How many first bytes of a received regular file or memfd to read (0 to 1 MiB). */
    int descriptorPreviewSize() const { return m_descriptorPreviewSize; }
    void setDescriptorPreviewSize(int bytes);

Q_SIGNALS:
    void addressChanged();
    void errorChanged();
    void receiveLimitChanged();
    void decodeLimitChanged();
    void descriptorPreviewSizeChanged();
    /*! Something failed; error and errorString say what. */
    void errorOccurred(int error, const QString &errorString);

protected:
    explicit SeqpacketEndpoint(QObject *parent = nullptr);

    /*! Sets error and errorString; emits errorOccurred() unless \a error is NoError. */
    void setError(int error, const QString &message);
    /*! Back to NoError, before a new attempt. */
    void clearError();

private:
    QString m_address;
    int m_error = QSeqpacketSocket::NoError;
    QString m_errorString;
    int m_receiveLimit = -1;
    int m_decodeLimit = -1;
    int m_descriptorPreviewSize = 64;
};

#endif // SEQPACKETENDPOINT_H
