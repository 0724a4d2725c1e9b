// SPDX-License-Identifier: MIT
#ifndef SEQPACKETHEX_H
#define SEQPACKETHEX_H

// The hex grammar of SeqpacketSocket.sendHex(). Exported so that the Inspector's send box
// accepts exactly what the module sends, from the one parser.

#include "seqpacketqmlglobal.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

namespace SeqpacketHex {

/*!
 * Parses hex text: pairs of hex digits, with optional whitespace, ':', '-', ',' separators and
 * "0x" prefixes. Returns false and says why in \a error (where not null) on anything else or an
 * odd digit count; \a out (where not null) gets the bytes.
 */
SEQPACKETQML_EXPORT bool parse(const QString &text, QByteArray *out, QString *error = nullptr);

} // namespace SeqpacketHex

#endif // SEQPACKETHEX_H
