// SPDX-License-Identifier: MIT
#pragma once

// Not public API: the hex grammar of SeqpacketSocket.sendHex(), shared with the Inspector so that
// what its send box accepts is exactly what the module sends.

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

namespace SeqpacketHex {

/*!
 * Parses hex text: pairs of hex digits, with optional whitespace, ':', '-', ',' separators and
 * "0x" prefixes. Returns false and says why in \a error (where not null) on anything else or an
 * odd digit count; \a out (where not null) gets the bytes.
 */
bool parse(const QString &text, QByteArray *out, QString *error = nullptr);

} // namespace SeqpacketHex
