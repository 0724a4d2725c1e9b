// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETBODY_P_H
#define QSEQPACKETBODY_P_H

#include <QtCore/qbytearray.h>
#include <QtCore/qcborvalue.h>
#include <QtCore/qstring.h>

// The body of a frame or message: a QCborValue, or, where the body is a byte string, its bytes
// alone. A QCborValue holds a byte string in storage that grows to a power of two (32 MiB for
// 16 MiB of bytes, fresh pages each time) and gives it out only as a copy; as a QByteArray the
// bytes are received into a buffer of their own size and shared with the application.
class QSeqpacketBody
{
public:
    QSeqpacketBody() = default;
    explicit QSeqpacketBody(const QCborValue &value) : m_value(value) {}

    static QSeqpacketBody fromBytes(const QByteArray &bytes)
    {
        QSeqpacketBody body;
        body.m_bytes = bytes;
        body.m_isBytes = true;
        return body;
    }

    bool isBytes() const { return m_isBytes; }
    bool isUndefined() const { return !m_isBytes && m_value.isUndefined(); }
    const QByteArray &bytes() const { return m_bytes; } // where isBytes()
    const QCborValue &cborValue() const { return m_value; } // where !isBytes()

    // The body as a QCborValue; a byte string is copied into one.
    QCborValue toCborValue() const { return m_isBytes ? QCborValue(m_bytes) : m_value; }
    // The bytes of a byte-string body (shared where they came as bytes); null for any other body.
    QByteArray toBytes() const
    {
        if (m_isBytes)
            return m_bytes;
        return m_value.isByteArray() ? m_value.toByteArray() : QByteArray();
    }

    // The body in CBOR diagnostic notation, cut to \a length characters and "..." where longer
    // (a byte string's made from its first bytes only, not from a copy of all of them).
    QString diagnosticPreview(qsizetype length) const
    {
        QString text = (m_isBytes ? QCborValue(m_bytes.left(length)) : m_value).toDiagnosticNotation(QCborValue::Compact);
        if (text.size() > length)
            text = text.left(length) + QStringLiteral("...");
        return text;
    }

private:
    QCborValue m_value;
    QByteArray m_bytes;
    bool m_isBytes = false;
};

#endif
