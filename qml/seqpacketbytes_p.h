// SPDX-License-Identifier: MIT
// Helpers of the QSeqpacket QML module: bytes from QML values, and the hex and text forms of
// packet payloads.
#ifndef SEQPACKETBYTES_P_H
#define SEQPACKETBYTES_P_H

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

namespace SeqpacketBytes {

/*! Lower-case hex of \a data, no separators. */
QString toHex(QByteArrayView data);
/*! True when \a data is valid UTF-8 without control characters other than tab, CR and LF. */
bool looksLikeText(QByteArrayView data);
/*!
 * Bytes from a QML value: an ArrayBuffer (QByteArray), a string (UTF-8), a list of numbers
 * 0..255, a typed array or DataView, or undefined/null (no bytes). Returns false for anything else.
 */
bool fromVariant(const QVariant &value, QByteArray *out);

} // namespace SeqpacketBytes

#endif // SEQPACKETBYTES_P_H
