// SPDX-License-Identifier: MIT
#include "seqpackethex.h"

namespace SeqpacketHex {

bool parse(const QString &text, QByteArray *out, QString *error)
{
    QByteArray bytes;
    bytes.reserve(text.size() / 2);
    int high = -1;
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = text.at(i);
        if (c.isSpace() || c == QLatin1Char(':') || c == QLatin1Char('-') || c == QLatin1Char(',')) {
            if (high >= 0) {
                if (error)
                    *error = QStringLiteral("invalid hex: a lone digit before position %1").arg(i);
                return false;
            }
            continue;
        }
        if (high < 0 && c == QLatin1Char('0') && i + 1 < n
            && (text.at(i + 1) == QLatin1Char('x') || text.at(i + 1) == QLatin1Char('X'))) {
            ++i;
            continue;
        }
        int v = -1;
        const ushort u = c.unicode();
        if (u >= '0' && u <= '9')
            v = u - '0';
        else if (u >= 'a' && u <= 'f')
            v = u - 'a' + 10;
        else if (u >= 'A' && u <= 'F')
            v = u - 'A' + 10;
        if (v < 0) {
            if (error)
                *error = QStringLiteral("invalid hex: '%1' at position %2 is not a hex digit").arg(c).arg(i);
            return false;
        }
        if (high < 0) {
            high = v;
        } else {
            bytes.append(char((high << 4) | v));
            high = -1;
        }
    }
    if (high >= 0) {
        if (error)
            *error = QStringLiteral("invalid hex: an odd number of digits");
        return false;
    }
    if (out)
        *out = bytes;
    return true;
}

} // namespace SeqpacketHex
