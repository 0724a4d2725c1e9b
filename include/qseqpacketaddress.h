// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETADDRESS_H
#define QSEQPACKETADDRESS_H

#include "qseqpacketglobal.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobjectdefs.h>
#include <QtCore/qshareddata.h>
#include <QtCore/qstring.h>

class QDebug;
class QSeqpacketAddressPrivate;

/*!
 * \brief An AF_UNIX socket address: a filesystem path, a Linux abstract name, or unnamed.
 *
 * The textual form used by fromString() and toString() writes an abstract name with a leading
 * '@' and a path as itself; a path that itself begins with '@' is written "./@...". Bytes that
 * are not printable are escaped as \c \\xNN and a backslash as \c \\\\, so every address
 * round-trips through its string form.
 *
 * An address that cannot exist (empty or over-long path, NUL inside a path, over-long abstract
 * name) is invalid; errorString() says why, and any socket operation given it fails with
 * QSeqpacketSocket::InvalidAddressError.
 *
 * \code
 * const auto service = QSeqpacketAddress::fromString(QStringLiteral("@my-service"));
 * Q_ASSERT(service.kind() == QSeqpacketAddress::Abstract);
 * Q_ASSERT(service.abstractName() == "my-service");
 *
 * const auto file = QSeqpacketAddress::fromPath(QStringLiteral("/run/my-service.sock"));
 * Q_ASSERT(file.kind() == QSeqpacketAddress::Path);
 * Q_ASSERT(QSeqpacketAddress::fromString(file.toString()) == file);
 *
 * const auto tooLong = QSeqpacketAddress::fromPath(QString(200, u'x'));
 * if (!tooLong.isValid())
 *     qWarning() << tooLong.errorString();   // says that the path is too long
 * \endcode
 *
 * \sa QSeqpacketSocket::connectToServer(), QSeqpacketServer::listen()
 */
class QSEQPACKET_EXPORT QSeqpacketAddress
{
    Q_GADGET
public:
    /*! What an address names. */
    enum Kind {
        Unnamed,  //!< no name: an unbound socket, or "let the kernel pick" when binding
        Path,     //!< a socket file in the filesystem
        Abstract  //!< a name in the Linux abstract namespace (no file)
    };
    Q_ENUM(Kind)

    /*! Constructs an unnamed address. */
    QSeqpacketAddress();
    /*! Constructs a copy of \a other. */
    QSeqpacketAddress(const QSeqpacketAddress &other);
    /*! Move-constructs an address from \a other, which may then only be assigned to or destroyed. */
    QSeqpacketAddress(QSeqpacketAddress &&other) noexcept;
    /*! Assigns \a other to this address. */
    QSeqpacketAddress &operator=(const QSeqpacketAddress &other);
    /*! Move-assigns \a other to this address. */
    QSeqpacketAddress &operator=(QSeqpacketAddress &&other) noexcept;
    /*! Destroys the address. */
    ~QSeqpacketAddress();

    /*! An address for the socket file at \a path (encoded with QFile::encodeName()). */
    static QSeqpacketAddress fromPath(const QString &path);
    /*! An address for the socket file whose name is exactly the bytes \a path. */
    static QSeqpacketAddress fromNativePath(const QByteArray &path);
    /*! An address in the abstract namespace; \a name is the bytes after the leading NUL. */
    static QSeqpacketAddress fromAbstractName(const QByteArray &name);
    /*!
     * Parses \a address: "@name" is abstract, "" is unnamed, anything else is a path
     * ("./@x" is the path "@x"). Escapes written by toString() are decoded.
     */
    static QSeqpacketAddress fromString(const QString &address);

    /*! True unless the address cannot exist; see errorString(). */
    bool isValid() const;
    /*! Why the address is invalid; empty for a valid one. */
    QString errorString() const;

    /*! Whether the address is a path, an abstract name, or unnamed. */
    Kind kind() const;
    /*! The socket file's path (decoded with QFile::decodeName()); empty unless kind() is Path. */
    QString path() const;
    /*! The path's bytes as the kernel sees them; empty unless kind() is Path. */
    QByteArray nativePath() const;
    /*! The abstract name without its leading NUL; empty unless kind() is Abstract. */
    QByteArray abstractName() const;
    /*! The textual form; fromString(toString()) == *this. */
    QString toString() const;

    /*! The longest path, in bytes, that fits a sockaddr_un (107 on Linux). */
    static int maxPathLength();
    /*! The longest abstract name, in bytes, that fits a sockaddr_un (107 on Linux). */
    static int maxAbstractNameLength();

    /*! True when both are of the same kind with the same name (for a path: the same bytes). */
    bool operator==(const QSeqpacketAddress &other) const;
    /*! True unless the addresses are equal; see operator==(). */
    bool operator!=(const QSeqpacketAddress &other) const { return !(*this == other); }

    /*! Swaps this address with \a other; never fails. */
    void swap(QSeqpacketAddress &other) noexcept { d.swap(other.d); }

private:
    friend class QSeqpacketAddressPrivate;
    QSharedDataPointer<QSeqpacketAddressPrivate> d;
};

/*!
 * \relates QSeqpacketAddress
 * The hash of \a address, with \a seed, so that addresses can be keys of a QHash or QSet.
 */
QSEQPACKET_EXPORT size_t qHash(const QSeqpacketAddress &address, size_t seed = 0) noexcept;
/*!
 * \relates QSeqpacketAddress
 * Writes \a address to \a debug, for example QSeqpacketAddress(abstract "@my-service"), and why
 * it is invalid where it is.
 */
QSEQPACKET_EXPORT QDebug operator<<(QDebug debug, const QSeqpacketAddress &address);

Q_DECLARE_SHARED(QSeqpacketAddress)
Q_DECLARE_METATYPE(QSeqpacketAddress)

#endif // QSEQPACKETADDRESS_H
