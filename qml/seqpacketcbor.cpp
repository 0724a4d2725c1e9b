// SPDX-License-Identifier: MIT
#include "seqpacketcbor_p.h"
#include "seqpacketbytes_p.h"

#include <QSeqpacketFrame>

#include <QtCore/qcborarray.h>
#include <QtCore/qcbormap.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qurl.h>
#include <QtQml/qjsvalueiterator.h>

#include <cmath>

namespace SeqpacketCbor {

namespace {

// Whole numbers a double holds exactly, as JavaScript's Number.MAX_SAFE_INTEGER.
constexpr double MaxSafeInteger = 9007199254740991.0;

bool convert(const QJSValue &value, int depth, QCborValue *out, QString *error)
{
    if (depth > QSeqpacketFrame::MaxNesting) {
        *error = QStringLiteral("the body nests deeper than %1 levels (does it refer to itself?)")
                         .arg(QSeqpacketFrame::MaxNesting);
        return false;
    }
    if (value.isUndefined()) {
        *out = QCborValue();
        return true;
    }
    if (value.isNull()) {
        *out = QCborValue(nullptr);
        return true;
    }
    if (value.isBool()) {
        *out = QCborValue(value.toBool());
        return true;
    }
    if (value.isNumber()) {
        const double d = value.toNumber();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= MaxSafeInteger && !(d == 0 && std::signbit(d)))
            *out = QCborValue(qint64(d));
        else
            *out = QCborValue(d);
        return true;
    }
    if (value.isString()) {
        *out = QCborValue(value.toString());
        return true;
    }
    if (value.isDate()) {
        *out = QCborValue(value.toDateTime());
        return true;
    }
    if (value.isUrl()) {
        *out = QCborValue(value.toVariant().toUrl());
        return true;
    }
    if (value.isCallable() || value.isQObject() || value.isQMetaObject() || value.isRegExp()) {
        *error = value.isCallable() ? QStringLiteral("a function has no CBOR form")
                : value.isRegExp() ? QStringLiteral("a regular expression has no CBOR form")
                                   : QStringLiteral("an object of C++ (%1) has no CBOR form").arg(value.toString());
        return false;
    }
    if (value.isVariant()) {
        const QVariant variant = value.toVariant();
        QByteArray bytes;
        if (variant.metaType().id() == QMetaType::QByteArray && SeqpacketBytes::fromVariant(variant, &bytes)) {
            *out = QCborValue(bytes);
            return true;
        }
        *out = QCborValue::fromVariant(variant);
        return true;
    }
    if (value.isArray()) {
        QCborArray array;
        const quint32 length = value.property(QStringLiteral("length")).toUInt();
        for (quint32 i = 0; i < length; ++i) {
            QCborValue item;
            if (!convert(value.property(i), depth + 1, &item, error))
                return false;
            array.append(item);
        }
        *out = array;
        return true;
    }
    if (value.isObject()) {
        // ArrayBuffer, a typed array or a DataView: bytes (an ordinary object that happens to
        // have a byteLength is not bytes to SeqpacketBytes, and becomes a map below).
        if (value.hasProperty(QStringLiteral("byteLength"))) {
            QByteArray bytes;
            if (SeqpacketBytes::fromVariant(QVariant::fromValue(value), &bytes)) {
                *out = QCborValue(bytes);
                return true;
            }
        }
        QCborMap map;
        QJSValueIterator it(value);
        while (it.hasNext()) {
            it.next();
            QCborValue item;
            if (!convert(it.value(), depth + 1, &item, error))
                return false;
            map.insert(it.name(), item);
        }
        *out = map;
        return true;
    }
    *error = QStringLiteral("%1 has no CBOR form").arg(value.toString());
    return false;
}

} // namespace

bool fromJS(const QJSValue &value, QCborValue *out, QString *error)
{
    // No body (undefined) travels as null, as QSeqpacketMessage sends it.
    if (value.isUndefined()) {
        *out = QCborValue(nullptr);
        return true;
    }
    return convert(value, 0, out, error);
}

QVariant toVariant(const QCborValue &value)
{
    switch (value.type()) {
    case QCborValue::Integer:
        return value.toInteger();
    case QCborValue::Double:
        return value.toDouble();
    case QCborValue::String:
        return value.toString();
    case QCborValue::ByteArray:
        return value.toByteArray();
    case QCborValue::False:
    case QCborValue::True:
        return value.toBool();
    case QCborValue::Null:
        return QVariant::fromValue(nullptr);
    case QCborValue::Undefined:
    case QCborValue::Invalid:
        return QVariant();
    case QCborValue::Array: {
        const QCborArray array = value.toArray();
        QVariantList list;
        list.reserve(array.size());
        for (const QCborValue &item : array)
            list.append(toVariant(item));
        return list;
    }
    case QCborValue::Map: {
        const QCborMap map = value.toMap();
        QVariantMap object;
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            const QCborValue key = it.key();
            const QString name = key.isString() ? key.toString()
                    : key.isInteger() ? QString::number(key.toInteger())
                                      : key.toDiagnosticNotation(QCborValue::Compact);
            object.insert(name, toVariant(it.value()));
        }
        return object;
    }
    case QCborValue::DateTime:
    case QCborValue::Url:
    case QCborValue::RegularExpression:
    case QCborValue::Uuid:
        return value.toVariant();
    case QCborValue::Tag:
        return toVariant(value.taggedValue());
    default:
        if (value.isSimpleType())
            return int(value.toSimpleType());
        return value.toVariant();
    }
}

} // namespace SeqpacketCbor
