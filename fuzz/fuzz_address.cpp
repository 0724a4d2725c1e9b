// SPDX-License-Identifier: MIT
// libFuzzer target: QSeqpacketAddress parsing and its textual form.
//
// The input picks a constructor (fromString of UTF-8 or of raw UTF-16, fromNativePath,
// fromAbstractName, fromPath) and gives it the rest of the bytes. Checked, besides the
// sanitizers' own checks:
//   - fromString() against a reference decoder written from the documented format ("@" prefix,
//     "./@" prefix, "\\" and "\xNN" escapes, any other backslash is itself);
//   - the validity rules (empty, NUL inside or over-long path; over-long abstract name) and that
//     errorString() is empty exactly for a valid address;
//   - toString() round-trips: fromString(a.toString()) == a, and the text is stable;
//   - operator== and qHash agree; QDebug output works;
//   - toString() shows no character that is not printable (documented: bytes that are not
//     printable are escaped): no control, format (bidi, zero-width, byte order mark) or line
//     separator characters, which a peer could use to hide or reorder text in a log.
//
// This target found that a name whose text began with a UTF-8 byte order mark lost it in
// toString() (QString::fromUtf8() skips a leading BOM), and the bidi and zero-width characters
// that went through unescaped; both fixed in 0dc8180 (tests/auto/security).
#include <QSeqpacketAddress>

#include <QtCore/QDebug>
#include <QtCore/QString>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void failed(const char *what, const QSeqpacketAddress &address, const QString &text = QString())
{
    QString out;
    QDebug(&out) << address;
    std::fprintf(stderr, "fuzz_address: %s\n  address: %s\n  text: %s\n  toString: %s\n", what,
                 qPrintable(out), qPrintable(text), qPrintable(address.toString()));
    std::abort();
}

bool isHex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The documented escapes: "\\" is a backslash, "\xNN" a byte, any other backslash is itself.
QByteArray referenceUnescape(const QByteArray &text)
{
    QByteArray out;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\\') {
            out += '\\';
            ++i;
        } else if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' && isHex(text[i + 2])
                   && isHex(text[i + 3])) {
            out += char(text.mid(i + 2, 2).toInt(nullptr, 16));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool expectedValid(QSeqpacketAddress::Kind kind, const QByteArray &name)
{
    switch (kind) {
    case QSeqpacketAddress::Unnamed:
        return true;
    case QSeqpacketAddress::Path:
        return !name.isEmpty() && !name.contains('\0') && name.size() <= QSeqpacketAddress::maxPathLength();
    case QSeqpacketAddress::Abstract:
        return name.size() <= QSeqpacketAddress::maxAbstractNameLength();
    }
    return false;
}

QByteArray nameOf(const QSeqpacketAddress &a)
{
    return a.kind() == QSeqpacketAddress::Path ? a.nativePath() : a.abstractName();
}

bool isDisplaySafe(char32_t c)
{
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
        return false; // C0 and C1 controls
    if ((c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
        || c == 0xfeff)
        return false; // zero-width, line/paragraph separators, bidi controls
    return true;
}

void checkAddress(const QSeqpacketAddress &a)
{
    const QByteArray name = nameOf(a);
    if (a.isValid() != expectedValid(a.kind(), name))
        failed("isValid() disagrees with the documented rules", a);
    if (a.isValid() != a.errorString().isEmpty())
        failed("errorString() is empty for an invalid address, or set for a valid one", a);
    if (a.kind() == QSeqpacketAddress::Unnamed && !name.isEmpty())
        failed("an unnamed address with a name", a);
    if (!(a == a) || a != QSeqpacketAddress(a))
        failed("operator== is not reflexive", a);

    const QString text = a.toString();
    for (char32_t c : text.toUcs4()) {
        if (c < 0x20 || c == 0x7f)
            failed("toString() holds an ASCII control character", a, text);
        if (!isDisplaySafe(c))
            failed("toString() holds a code point that is not printable", a, text);
    }
    const QSeqpacketAddress back = QSeqpacketAddress::fromString(text);
    // An invalid empty path writes as "", which reads back as unnamed: only valid ones must
    // round-trip (and those that are invalid for their content, not for being empty).
    if (a.isValid() || !name.isEmpty()) {
        if (back != a)
            failed("fromString(toString()) is not the address", a, text);
        if (qHash(back) != qHash(a) || qHash(back, 42) != qHash(a, 42))
            failed("equal addresses hash differently", a, text);
        if (back.toString() != text)
            failed("toString() is not stable", a, text);
    }
    if (a.kind() == QSeqpacketAddress::Path) {
        // Through the QString API where the bytes are UTF-8 (QFile::encodeName on Linux).
        if (QString::fromUtf8(name).toUtf8() == name && !name.contains('\0')) {
            const QSeqpacketAddress viaPath = QSeqpacketAddress::fromPath(a.path());
            if (viaPath != a)
                failed("fromPath(path()) is not the address", a, a.path());
        }
    }
    QString debug;
    QDebug(&debug) << a;
    if (debug.isEmpty())
        failed("QDebug printed nothing", a);
}

void checkFromString(const QString &text)
{
    const QSeqpacketAddress a = QSeqpacketAddress::fromString(text);
    const QByteArray utf8 = text.toUtf8();
    QSeqpacketAddress::Kind kind;
    QByteArray name;
    if (text.isEmpty()) {
        kind = QSeqpacketAddress::Unnamed;
    } else if (utf8.startsWith('@')) {
        kind = QSeqpacketAddress::Abstract;
        name = referenceUnescape(utf8.mid(1));
    } else if (utf8.startsWith("./@")) {
        kind = QSeqpacketAddress::Path;
        name = referenceUnescape(utf8.mid(2));
    } else {
        kind = QSeqpacketAddress::Path;
        name = referenceUnescape(utf8);
    }
    if (a.kind() != kind || nameOf(a) != name)
        failed("fromString() disagrees with the documented format", a, text);
    checkAddress(a);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider provider(data, size);
    const int mode = provider.ConsumeIntegralInRange(0, 4);
    const std::string rest = provider.ConsumeRemainingBytesAsString();
    const QByteArray bytes(rest.data(), qsizetype(rest.size()));
    switch (mode) {
    case 0:
        checkFromString(QString::fromUtf8(bytes));
        break;
    case 1: // any UTF-16, lone surrogates included
        checkFromString(QString(reinterpret_cast<const QChar *>(bytes.constData()), bytes.size() / 2));
        break;
    case 2:
        checkAddress(QSeqpacketAddress::fromNativePath(bytes));
        break;
    case 3:
        checkAddress(QSeqpacketAddress::fromAbstractName(bytes));
        break;
    case 4:
        checkAddress(QSeqpacketAddress::fromPath(QString::fromUtf8(bytes)));
        break;
    }
    return 0;
}
