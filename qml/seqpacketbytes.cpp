// SPDX-License-Identifier: MIT
#include "seqpacketbytes_p.h"

#include <QtCore/qstringconverter.h>
#include <QtQml/qjsvalue.h>

namespace SeqpacketBytes {

QString toHex(QByteArrayView data)
{
    static const char digits[] = "0123456789abcdef";
    QString out(data.size() * 2, Qt::Uninitialized);
    QChar *p = out.data();
    for (char c : data) {
        const uchar b = uchar(c);
        *p++ = QLatin1Char(digits[b >> 4]);
        *p++ = QLatin1Char(digits[b & 0xf]);
    }
    return out;
}

bool looksLikeText(QByteArrayView data)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(data);
    if (decoder.hasError())
        return false;
    for (const QChar c : text) {
        const ushort u = c.unicode();
        if (u == '\t' || u == '\n' || u == '\r')
            continue;
        if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0))
            return false;
    }
    return true;
}

bool fromVariant(const QVariant &value, QByteArray *out)
{
    if (!value.isValid() || value.isNull()) {
        *out = QByteArray("");
        return true;
    }
    switch (value.metaType().id()) {
    case QMetaType::QByteArray:
        *out = value.toByteArray();
        if (out->isNull())
            *out = QByteArray("");
        return true;
    case QMetaType::QString:
        *out = value.toString().toUtf8();
        return true;
    case QMetaType::QVariantList: {
        QByteArray bytes;
        const QVariantList list = value.toList();
        bytes.reserve(list.size());
        for (const QVariant &v : list) {
            bool ok = false;
            const int b = v.toInt(&ok);
            if (!ok || b < 0 || b > 255)
                return false;
            bytes.append(char(b));
        }
        *out = bytes;
        return true;
    }
    default:
        break;
    }
    if (value.metaType() == QMetaType::fromType<QJSValue>()) {
        const QJSValue js = value.value<QJSValue>();
        if (js.isUndefined() || js.isNull()) {
            *out = QByteArray("");
            return true;
        }
        if (js.isString()) {
            *out = js.toString().toUtf8();
            return true;
        }
        if (js.isArray()) {
            QByteArray bytes;
            const int length = js.property(QStringLiteral("length")).toInt();
            bytes.reserve(length);
            for (int i = 0; i < length; ++i) {
                const QJSValue v = js.property(quint32(i));
                if (!v.isNumber())
                    return false;
                const double d = v.toNumber();
                if (d < 0 || d > 255 || d != double(int(d)))
                    return false;
                bytes.append(char(int(d)));
            }
            *out = bytes;
            return true;
        }
        // A typed array or DataView: the bytes of its view of the underlying ArrayBuffer.
        const QJSValue buffer = js.property(QStringLiteral("buffer"));
        if (buffer.isObject() && js.hasProperty(QStringLiteral("byteLength"))) {
            const QVariant whole = buffer.toVariant();
            if (whole.metaType().id() != QMetaType::QByteArray)
                return false;
            const qsizetype offset = qsizetype(js.property(QStringLiteral("byteOffset")).toNumber());
            const qsizetype length = qsizetype(js.property(QStringLiteral("byteLength")).toNumber());
            const QByteArray all = whole.toByteArray();
            if (offset < 0 || length < 0 || offset + length > all.size())
                return false;
            *out = all.mid(offset, length);
            if (out->isNull())
                *out = QByteArray("");
            return true;
        }
        const QVariant plain = js.toVariant();
        if (plain.metaType().id() == QMetaType::QByteArray)
            return fromVariant(plain, out);
        return false;
    }
    return false;
}

} // namespace SeqpacketBytes
