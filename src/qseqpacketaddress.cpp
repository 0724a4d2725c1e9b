// SPDX-License-Identifier: MIT
#include "qseqpacketaddress.h"
#include "qseqpacketaddress_p.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdebug.h>
#include <QtCore/qfile.h>
#include <QtCore/qhashfunctions.h>

#include <sys/un.h>

namespace {

constexpr int SunPathSize = int(sizeof(sockaddr_un::sun_path));

// Length of the valid UTF-8 sequence starting at data[i], 0 when there is none; *decoded is
// the code point it encodes.
int utf8SequenceLength(const QByteArray &data, qsizetype i, char32_t *decoded)
{
    const auto byte = [&](qsizetype k) { return uchar(data.at(k)); };
    const uchar lead = byte(i);
    int length = 0;
    uint minimum = 0;
    uint code = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2; minimum = 0x80; code = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3; minimum = 0x800; code = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4; minimum = 0x10000; code = lead & 0x07;
    } else {
        return 0;
    }
    if (i + length > data.size())
        return 0;
    for (int k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (byte(i + k) & 0x3f);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return 0;
    *decoded = code;
    return length;
}

// Length of the UTF-8 sequence at data[i] where it encodes a printable character, 0 otherwise.
// Control, format (bidi overrides, zero-width characters, byte order marks) and line or
// paragraph separators are not printable: a peer picks its own name, and it must not be able to
// hide or reorder text in a log.
int printableUtf8Length(const QByteArray &data, qsizetype i)
{
    char32_t code = 0;
    const int length = utf8SequenceLength(data, i, &code);
    if (!length)
        return 0;
    const QChar::Category category = QChar::category(code);
    if (!QChar::isPrint(code) || category == QChar::Separator_Line || category == QChar::Separator_Paragraph)
        return 0;
    return length;
}

// Printable ASCII and printable UTF-8 stay as they are; every other byte, and the backslash that
// introduces escapes, is escaped so that unescape(escape(x)) == x for any bytes.
QString escape(const QByteArray &bytes)
{
    QByteArray out;
    out.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size();) {
        const uchar c = uchar(bytes.at(i));
        if (c == '\\') {
            out += "\\\\";
            ++i;
        } else if (c >= 0x20 && c < 0x7f) {
            out += char(c);
            ++i;
        } else if (const int length = c >= 0x80 ? printableUtf8Length(bytes, i) : 0) {
            out += bytes.mid(i, length);
            i += length;
        } else {
            out += "\\x";
            out += QByteArray::number(c, 16).rightJustified(2, '0');
            ++i;
        }
    }
    return QString::fromUtf8(out);
}

bool isAsciiHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

QByteArray unescape(const QByteArray &text)
{
    QByteArray out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (c == '\\' && i + 1 < text.size()) {
            if (text.at(i + 1) == '\\') {
                out += '\\';
                ++i;
                continue;
            }
            if (text.at(i + 1) == 'x' && i + 3 < text.size()
                && isAsciiHexDigit(text.at(i + 2)) && isAsciiHexDigit(text.at(i + 3))) {
                out += char(text.mid(i + 2, 2).toInt(nullptr, 16));
                i += 3;
                continue;
            }
        }
        out += c; // a backslash that starts no escape is itself
    }
    return out;
}

} // namespace

QSeqpacketAddress QSeqpacketAddressPrivate::make(QSeqpacketAddress::Kind kind, const QByteArray &name)
{
    QSeqpacketAddress address;
    address.d->kind = kind;
    address.d->name = name;
    if (kind == QSeqpacketAddress::Path) {
        if (name.isEmpty())
            address.d->errorString = QCoreApplication::translate("QSeqpacketAddress", "Invalid address: the path is empty");
        else if (name.contains('\0'))
            address.d->errorString = QCoreApplication::translate("QSeqpacketAddress", "Invalid address: the path contains a NUL byte");
        else if (name.size() > QSeqpacketAddress::maxPathLength())
            address.d->errorString = QCoreApplication::translate("QSeqpacketAddress", "Invalid address: the path is %1 bytes long, more than the %2 a socket address holds")
                                             .arg(name.size()).arg(QSeqpacketAddress::maxPathLength());
    } else if (kind == QSeqpacketAddress::Abstract) {
        if (name.size() > QSeqpacketAddress::maxAbstractNameLength())
            address.d->errorString = QCoreApplication::translate("QSeqpacketAddress", "Invalid address: the abstract name is %1 bytes long, more than the %2 a socket address holds")
                                             .arg(name.size()).arg(QSeqpacketAddress::maxAbstractNameLength());
    }
    return address;
}

namespace {

// Every unnamed address made by the default constructor shares one private: each socket holds
// one until it connects, and an allocation for it would cost every accepted connection one.
QSharedDataPointer<QSeqpacketAddressPrivate> unnamedAddress()
{
    static const QSharedDataPointer<QSeqpacketAddressPrivate> shared(new QSeqpacketAddressPrivate);
    return shared;
}

} // namespace

QSeqpacketAddress::QSeqpacketAddress()
    : d(unnamedAddress())
{
}

QSeqpacketAddress::QSeqpacketAddress(const QSeqpacketAddress &other) = default;
QSeqpacketAddress::QSeqpacketAddress(QSeqpacketAddress &&other) noexcept = default;
QSeqpacketAddress &QSeqpacketAddress::operator=(const QSeqpacketAddress &other) = default;
QSeqpacketAddress &QSeqpacketAddress::operator=(QSeqpacketAddress &&other) noexcept = default;
QSeqpacketAddress::~QSeqpacketAddress() = default;

QSeqpacketAddress QSeqpacketAddress::fromPath(const QString &path)
{
    return QSeqpacketAddressPrivate::make(Path, QFile::encodeName(path));
}

QSeqpacketAddress QSeqpacketAddress::fromNativePath(const QByteArray &path)
{
    return QSeqpacketAddressPrivate::make(Path, path);
}

QSeqpacketAddress QSeqpacketAddress::fromAbstractName(const QByteArray &name)
{
    return QSeqpacketAddressPrivate::make(Abstract, name);
}

QSeqpacketAddress QSeqpacketAddress::fromString(const QString &address)
{
    if (address.isEmpty())
        return QSeqpacketAddress();
    // The prefixes are read before escapes are decoded, so that an escaped '@' is just a byte.
    const QByteArray text = address.toUtf8();
    if (text.startsWith('@'))
        return fromAbstractName(unescape(text.mid(1)));
    if (text.startsWith("./@"))
        return fromNativePath(unescape(text.mid(2)));
    return fromNativePath(unescape(text));
}

bool QSeqpacketAddress::isValid() const
{
    return d->errorString.isEmpty();
}

QString QSeqpacketAddress::errorString() const
{
    return d->errorString;
}

QSeqpacketAddress::Kind QSeqpacketAddress::kind() const
{
    return d->kind;
}

QString QSeqpacketAddress::path() const
{
    return d->kind == Path ? QFile::decodeName(d->name) : QString();
}

QByteArray QSeqpacketAddress::nativePath() const
{
    return d->kind == Path ? d->name : QByteArray();
}

QByteArray QSeqpacketAddress::abstractName() const
{
    return d->kind == Abstract ? d->name : QByteArray();
}

QString QSeqpacketAddress::toString() const
{
    switch (d->kind) {
    case Unnamed:
        return QString();
    case Abstract:
        return QLatin1Char('@') + escape(d->name);
    case Path:
        if (d->name.startsWith('@'))
            return QStringLiteral("./") + escape(d->name);
        if (d->name.startsWith("./@")) // written so that fromString() does not strip the "./"
            return QStringLiteral("./\\x40") + escape(d->name.mid(3));
        return escape(d->name);
    }
    return QString();
}

int QSeqpacketAddress::maxPathLength()
{
    return SunPathSize - 1; // room for the terminating NUL
}

int QSeqpacketAddress::maxAbstractNameLength()
{
    return SunPathSize - 1; // the leading NUL takes one byte
}

bool QSeqpacketAddress::operator==(const QSeqpacketAddress &other) const
{
    return d->kind == other.d->kind && d->name == other.d->name;
}

size_t qHash(const QSeqpacketAddress &address, size_t seed) noexcept
{
    return qHashMulti(seed, int(address.kind()),
                      address.kind() == QSeqpacketAddress::Path ? address.nativePath() : address.abstractName());
}

QDebug operator<<(QDebug debug, const QSeqpacketAddress &address)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketAddress(";
    switch (address.kind()) {
    case QSeqpacketAddress::Unnamed:
        debug << "unnamed";
        break;
    case QSeqpacketAddress::Path:
        debug << "path " << address.toString();
        break;
    case QSeqpacketAddress::Abstract:
        debug << "abstract " << address.toString();
        break;
    }
    if (!address.isValid())
        debug << ", invalid: " << address.errorString();
    debug << ')';
    return debug;
}
