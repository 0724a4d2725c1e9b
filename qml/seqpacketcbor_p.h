// SPDX-License-Identifier: MIT
// Helpers of the QSeqpacket QML module: message bodies between JavaScript values and CBOR, for
// SeqpacketChannel.
#ifndef SEQPACKETCBOR_P_H
#define SEQPACKETCBOR_P_H

#include <QtCore/qcborvalue.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>

namespace SeqpacketCbor {

/*!
 * The CBOR form of the JavaScript value \a value, into \a out: null and undefined (at the top: no
 * body) as null, booleans, numbers (whole ones up to 2^53 as integers, the others as floats, so
 * that a peer in another language reads 5 as an integer), strings, arrays, plain objects as maps
 * with text keys, ArrayBuffer, typed arrays and DataView as byte strings, Date as a date-time
 * (tag 0), url as a URL (tag 32). Returns false and says why in \a error for what has no CBOR
 * form (a function, a QObject, a regular expression) or nests deeper than
 * QSeqpacketFrame::MaxNesting levels (a cycle, most likely).
 */
bool fromJS(const QJSValue &value, QCborValue *out, QString *error);

/*!
 * The QML form of the CBOR value \a value: integers and floats as numbers, text as strings,
 * byte strings as ArrayBuffer, arrays as lists, maps as objects (keys that are not text as their
 * text: 1 as "1"), null as null, undefined as undefined, date-times as Date, URLs as url; other
 * tags as the value they tag.
 */
QVariant toVariant(const QCborValue &value);

} // namespace SeqpacketCbor

#endif // SEQPACKETCBOR_P_H
