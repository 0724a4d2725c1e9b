// SPDX-License-Identifier: MIT
#include <QSeqpacketAddress>

#include <QtCore/QDebug>
#include <QtCore/QSet>
#include <QtCore/QVariant>
#include <QtTest/QtTest>

#include "testutil.h"

class tst_QSeqpacketAddress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fourByteAndInvalidUtf8();
    void init();
    void cleanup();

    void defaultConstructed();
    void fromPath();
    void fromNativePath();
    void fromAbstractName();
    void fromString_data();
    void fromString();
    void toString_data();
    void toString();
    void roundTrip_data();
    void roundTrip();
    void limits();
    void pathLength_data();
    void pathLength();
    void abstractNameLength_data();
    void abstractNameLength();
    void nulInPath_data();
    void nulInPath();
    void equalityAndHash();
    void copyMoveSwap();
    void variant();
    void debugOutput();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

using Kind = QSeqpacketAddress::Kind;

void tst_QSeqpacketAddress::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_QSeqpacketAddress::cleanup()
{
    const auto now = TestUtil::openFds();
    QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
}

void tst_QSeqpacketAddress::defaultConstructed()
{
    const QSeqpacketAddress address;
    QCOMPARE(address.kind(), QSeqpacketAddress::Unnamed);
    QVERIFY(address.isValid());
    QVERIFY(address.errorString().isEmpty());
    QVERIFY(address.path().isEmpty());
    QVERIFY(address.nativePath().isEmpty());
    QVERIFY(address.abstractName().isEmpty());
    QCOMPARE(address.toString(), QString());
    QCOMPARE(QSeqpacketAddress::fromString(QString()), address);
    QCOMPARE(QSeqpacketAddress::fromString(QStringLiteral("")).kind(), QSeqpacketAddress::Unnamed);
}

void tst_QSeqpacketAddress::fromPath()
{
    const QSeqpacketAddress address = QSeqpacketAddress::fromPath(QStringLiteral("/run/user/1000/app.sock"));
    QVERIFY(address.isValid());
    QVERIFY(address.errorString().isEmpty());
    QCOMPARE(address.kind(), QSeqpacketAddress::Path);
    QCOMPARE(address.path(), QStringLiteral("/run/user/1000/app.sock"));
    QCOMPARE(address.nativePath(), QByteArray("/run/user/1000/app.sock"));
    QVERIFY(address.abstractName().isEmpty());
    QCOMPARE(address.toString(), QStringLiteral("/run/user/1000/app.sock"));

    // Non-ASCII paths are encoded with QFile::encodeName().
    const QString unicode = QStringLiteral("/tmp/s\u00e9quence-\u00fc.sock");
    const QSeqpacketAddress u = QSeqpacketAddress::fromPath(unicode);
    QVERIFY(u.isValid());
    QCOMPARE(u.path(), unicode);
    QCOMPARE(u.nativePath(), QFile::encodeName(unicode));

    // A relative path is a path.
    const QSeqpacketAddress relative = QSeqpacketAddress::fromPath(QStringLiteral("relative/dir/s"));
    QVERIFY(relative.isValid());
    QCOMPARE(relative.kind(), QSeqpacketAddress::Path);
    QCOMPARE(relative.path(), QStringLiteral("relative/dir/s"));
}

void tst_QSeqpacketAddress::fromNativePath()
{
    const QByteArray bytes("/tmp/\xff\xfe-not-utf8");
    const QSeqpacketAddress address = QSeqpacketAddress::fromNativePath(bytes);
    QVERIFY2(address.isValid(), qPrintable(address.errorString()));
    QCOMPARE(address.kind(), QSeqpacketAddress::Path);
    QCOMPARE(address.nativePath(), bytes);
    QCOMPARE(QSeqpacketAddress::fromNativePath("/tmp/x"), QSeqpacketAddress::fromPath(QStringLiteral("/tmp/x")));
}

void tst_QSeqpacketAddress::fromAbstractName()
{
    const QSeqpacketAddress address = QSeqpacketAddress::fromAbstractName("my-service");
    QVERIFY(address.isValid());
    QVERIFY(address.errorString().isEmpty());
    QCOMPARE(address.kind(), QSeqpacketAddress::Abstract);
    QCOMPARE(address.abstractName(), QByteArray("my-service"));
    QVERIFY(address.path().isEmpty());
    QVERIFY(address.nativePath().isEmpty());
    QCOMPARE(address.toString(), QStringLiteral("@my-service"));

    // Abstract names are bytes: NUL and anything else may appear.
    const QByteArray withNul("a\0b", 3);
    const QSeqpacketAddress nul = QSeqpacketAddress::fromAbstractName(withNul);
    QVERIFY2(nul.isValid(), qPrintable(nul.errorString()));
    QCOMPARE(nul.abstractName(), withNul);
    QCOMPARE(nul.abstractName().size(), 3);
}

void tst_QSeqpacketAddress::fromString_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<QByteArray>("bytes"); // nativePath() or abstractName()

    QTest::addRow("empty") << QString() << QSeqpacketAddress::Unnamed << QByteArray();
    QTest::addRow("abstract") << QStringLiteral("@x") << QSeqpacketAddress::Abstract << QByteArray("x");
    QTest::addRow("abstract-with-space") << QStringLiteral("@with space") << QSeqpacketAddress::Abstract
                                         << QByteArray("with space");
    QTest::addRow("abstract-with-at") << QStringLiteral("@@x") << QSeqpacketAddress::Abstract << QByteArray("@x");
    QTest::addRow("absolute-path") << QStringLiteral("/tmp/sock") << QSeqpacketAddress::Path << QByteArray("/tmp/sock");
    QTest::addRow("relative-path") << QStringLiteral("dir/sock") << QSeqpacketAddress::Path << QByteArray("dir/sock");
    QTest::addRow("dot-at-is-path") << QStringLiteral("./@x") << QSeqpacketAddress::Path << QByteArray("@x");
    QTest::addRow("path-with-at-inside") << QStringLiteral("/tmp/@x") << QSeqpacketAddress::Path << QByteArray("/tmp/@x");
    QTest::addRow("escaped-nul-abstract") << QStringLiteral("@a\\x00b") << QSeqpacketAddress::Abstract
                                          << QByteArray("a\0b", 3);
    QTest::addRow("escaped-byte-abstract") << QStringLiteral("@\\xff\\x01") << QSeqpacketAddress::Abstract
                                           << QByteArray("\xff\x01");
    QTest::addRow("escaped-byte-path") << QStringLiteral("/tmp/\\x01z") << QSeqpacketAddress::Path
                                       << QByteArray("/tmp/\x01z");
    QTest::addRow("escaped-backslash-path") << QStringLiteral("/tmp/a\\\\b") << QSeqpacketAddress::Path
                                            << QByteArray("/tmp/a\\b");
    QTest::addRow("escaped-backslash-abstract") << QStringLiteral("@a\\\\x41") << QSeqpacketAddress::Abstract
                                                << QByteArray("a\\x41");
}

void tst_QSeqpacketAddress::fromString()
{
    QFETCH(QString, input);
    QFETCH(Kind, kind);
    QFETCH(QByteArray, bytes);

    const QSeqpacketAddress address = QSeqpacketAddress::fromString(input);
    QVERIFY2(address.isValid(), qPrintable(address.errorString()));
    QVERIFY(address.errorString().isEmpty());
    QCOMPARE(address.kind(), kind);
    switch (kind) {
    case QSeqpacketAddress::Unnamed:
        QVERIFY(address.nativePath().isEmpty());
        QVERIFY(address.abstractName().isEmpty());
        break;
    case QSeqpacketAddress::Path:
        QCOMPARE(address.nativePath(), bytes);
        QVERIFY(address.abstractName().isEmpty());
        break;
    case QSeqpacketAddress::Abstract:
        QCOMPARE(address.abstractName(), bytes);
        QVERIFY(address.nativePath().isEmpty());
        break;
    }
    // Whatever was parsed prints back to something that parses to the same address.
    QCOMPARE(QSeqpacketAddress::fromString(address.toString()), address);
}

void tst_QSeqpacketAddress::toString_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");
    QTest::addColumn<QString>("expected");

    QTest::addRow("unnamed") << QSeqpacketAddress() << QString();
    QTest::addRow("abstract") << QSeqpacketAddress::fromAbstractName("x") << QStringLiteral("@x");
    QTest::addRow("path") << QSeqpacketAddress::fromPath(QStringLiteral("/tmp/s")) << QStringLiteral("/tmp/s");
    QTest::addRow("path-starting-with-at") << QSeqpacketAddress::fromPath(QStringLiteral("@x")) << QStringLiteral("./@x");
    QTest::addRow("parsed-dot-at") << QSeqpacketAddress::fromString(QStringLiteral("./@x")) << QStringLiteral("./@x");
    QTest::addRow("abstract-backslash") << QSeqpacketAddress::fromAbstractName("a\\b") << QStringLiteral("@a\\\\b");
    QTest::addRow("path-backslash") << QSeqpacketAddress::fromPath(QStringLiteral("/tmp/a\\b"))
                                    << QStringLiteral("/tmp/a\\\\b");
    QTest::addRow("abstract-nul") << QSeqpacketAddress::fromAbstractName(QByteArray("a\0b", 3))
                                  << QStringLiteral("@a\\x00b");
    QTest::addRow("abstract-control") << QSeqpacketAddress::fromAbstractName("\x01") << QStringLiteral("@\\x01");
    QTest::addRow("path-newline") << QSeqpacketAddress::fromNativePath("/tmp/a\nb") << QStringLiteral("/tmp/a\\x0ab");
    QTest::addRow("path-del") << QSeqpacketAddress::fromNativePath("/tmp/\x7f") << QStringLiteral("/tmp/\\x7f");
    QTest::addRow("abstract-high-byte") << QSeqpacketAddress::fromAbstractName("\xff") << QStringLiteral("@\\xff");
}

void tst_QSeqpacketAddress::toString()
{
    QFETCH(QSeqpacketAddress, address);
    QFETCH(QString, expected);
    QVERIFY2(address.isValid(), qPrintable(address.errorString()));
    // Hex digits may be written in either case.
    QVERIFY2(address.toString().compare(expected, Qt::CaseInsensitive) == 0,
             qPrintable(QStringLiteral("toString() gave \"%1\", expected \"%2\"").arg(address.toString(), expected)));
    QCOMPARE(QSeqpacketAddress::fromString(address.toString()), address);
}

void tst_QSeqpacketAddress::roundTrip_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");

    QByteArray low, high, all;
    for (int i = 0; i < 107; ++i) {
        low.append(char(i));
        high.append(char(0x80 + i));
    }
    QTest::addRow("abstract-low-bytes") << QSeqpacketAddress::fromAbstractName(low);
    QTest::addRow("abstract-high-bytes") << QSeqpacketAddress::fromAbstractName(high);
    QTest::addRow("abstract-escape-lookalike") << QSeqpacketAddress::fromAbstractName("\\x41\\\\");
    QTest::addRow("abstract-at") << QSeqpacketAddress::fromAbstractName("@");
    QTest::addRow("path-escape-lookalike") << QSeqpacketAddress::fromPath(QStringLiteral("/tmp/\\x41"));
    QTest::addRow("path-unicode") << QSeqpacketAddress::fromPath(QStringLiteral("/tmp/\u00e9\u4e2d\u6587"));
    QTest::addRow("path-not-utf8") << QSeqpacketAddress::fromNativePath("/tmp/\xff\xfe\x80");
    QTest::addRow("path-control") << QSeqpacketAddress::fromNativePath("/tmp/\x01\x02\t\r\n\x1b");
    QTest::addRow("path-at") << QSeqpacketAddress::fromPath(QStringLiteral("@"));
    QTest::addRow("path-at-name") << QSeqpacketAddress::fromPath(QStringLiteral("@name"));
    QTest::addRow("path-dot-at") << QSeqpacketAddress::fromPath(QStringLiteral("./@x"));
    QTest::addRow("path-spaces") << QSeqpacketAddress::fromPath(QStringLiteral("/tmp/with space "));
    QTest::addRow("unnamed") << QSeqpacketAddress();
}

void tst_QSeqpacketAddress::roundTrip()
{
    QFETCH(QSeqpacketAddress, address);
    QVERIFY2(address.isValid(), qPrintable(address.errorString()));
    const QString text = address.toString();
    // Escaped: no control characters and no NUL survive in the text form.
    for (QChar c : text)
        QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f, qPrintable(QStringLiteral("unescaped U+%1 in \"%2\"")
                                                                        .arg(c.unicode(), 4, 16, QLatin1Char('0'))
                                                                        .arg(text)));
    const QSeqpacketAddress parsed = QSeqpacketAddress::fromString(text);
    QVERIFY2(parsed.isValid(), qPrintable(parsed.errorString()));
    QCOMPARE(parsed.kind(), address.kind());
    QCOMPARE(parsed.nativePath(), address.nativePath());
    QCOMPARE(parsed.abstractName(), address.abstractName());
    QCOMPARE(parsed, address);
    QCOMPARE(parsed.toString(), text);
}

void tst_QSeqpacketAddress::limits()
{
    QCOMPARE(QSeqpacketAddress::maxPathLength(), 107);
    QCOMPARE(QSeqpacketAddress::maxAbstractNameLength(), 107);
}

void tst_QSeqpacketAddress::pathLength_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");
    QTest::addColumn<bool>("valid");

    QTest::addRow("path-107") << QSeqpacketAddress::fromPath(QString(107, QLatin1Char('a'))) << true;
    QTest::addRow("path-108") << QSeqpacketAddress::fromPath(QString(108, QLatin1Char('a'))) << false;
    QTest::addRow("path-500") << QSeqpacketAddress::fromPath(QString(500, QLatin1Char('a'))) << false;
    QTest::addRow("native-107") << QSeqpacketAddress::fromNativePath(QByteArray(107, 'a')) << true;
    QTest::addRow("native-108") << QSeqpacketAddress::fromNativePath(QByteArray(108, 'a')) << false;
    QTest::addRow("string-107") << QSeqpacketAddress::fromString(QString(107, QLatin1Char('a'))) << true;
    QTest::addRow("string-108") << QSeqpacketAddress::fromString(QString(108, QLatin1Char('a'))) << false;
    // The limit is in bytes: U+00E9 takes two bytes in UTF-8.
    QTest::addRow("utf8-107-bytes") << QSeqpacketAddress::fromPath(QString(53, QChar(0xe9)) + QLatin1Char('a')) << true;
    QTest::addRow("utf8-108-bytes") << QSeqpacketAddress::fromPath(QString(54, QChar(0xe9))) << false;
    QTest::addRow("empty-path") << QSeqpacketAddress::fromPath(QString()) << false;
    QTest::addRow("empty-native-path") << QSeqpacketAddress::fromNativePath(QByteArray()) << false;
}

void tst_QSeqpacketAddress::pathLength()
{
    QFETCH(QSeqpacketAddress, address);
    QFETCH(bool, valid);
    QCOMPARE(address.isValid(), valid);
    if (valid) {
        QCOMPARE(address.kind(), QSeqpacketAddress::Path);
        QVERIFY(address.errorString().isEmpty());
        QCOMPARE(QSeqpacketAddress::fromString(address.toString()), address);
    } else {
        QVERIFY2(!address.errorString().isEmpty(), "an invalid address must say why");
    }
}

void tst_QSeqpacketAddress::abstractNameLength_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");
    QTest::addColumn<bool>("valid");

    QTest::addRow("abstract-107") << QSeqpacketAddress::fromAbstractName(QByteArray(107, 'n')) << true;
    QTest::addRow("abstract-108") << QSeqpacketAddress::fromAbstractName(QByteArray(108, 'n')) << false;
    QTest::addRow("abstract-1000") << QSeqpacketAddress::fromAbstractName(QByteArray(1000, 'n')) << false;
    QTest::addRow("string-abstract-107") << QSeqpacketAddress::fromString(QLatin1Char('@') + QString(107, QLatin1Char('n')))
                                         << true;
    QTest::addRow("string-abstract-108") << QSeqpacketAddress::fromString(QLatin1Char('@') + QString(108, QLatin1Char('n')))
                                         << false;
    // Escapes count as the byte they stand for.
    QString escaped = QStringLiteral("@");
    for (int i = 0; i < 107; ++i)
        escaped += QStringLiteral("\\x00");
    QTest::addRow("string-abstract-107-escaped-nuls") << QSeqpacketAddress::fromString(escaped) << true;
}

void tst_QSeqpacketAddress::abstractNameLength()
{
    QFETCH(QSeqpacketAddress, address);
    QFETCH(bool, valid);
    QCOMPARE(address.isValid(), valid);
    if (valid) {
        QCOMPARE(address.kind(), QSeqpacketAddress::Abstract);
        QCOMPARE(address.abstractName().size(), 107);
        QVERIFY(address.errorString().isEmpty());
        QCOMPARE(QSeqpacketAddress::fromString(address.toString()), address);
    } else {
        QVERIFY2(!address.errorString().isEmpty(), "an invalid address must say why");
    }
}

void tst_QSeqpacketAddress::nulInPath_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");

    QTest::addRow("native") << QSeqpacketAddress::fromNativePath(QByteArray("/tmp/a\0b", 8));
    QTest::addRow("native-trailing") << QSeqpacketAddress::fromNativePath(QByteArray("/tmp/a\0", 7));
    QTest::addRow("qstring") << QSeqpacketAddress::fromPath(QStringLiteral("/tmp/a") + QChar(0) + QStringLiteral("b"));
    QTest::addRow("escaped") << QSeqpacketAddress::fromString(QStringLiteral("/tmp/a\\x00b"));
}

void tst_QSeqpacketAddress::nulInPath()
{
    QFETCH(QSeqpacketAddress, address);
    QVERIFY(!address.isValid());
    QVERIFY2(!address.errorString().isEmpty(), "an invalid address must say why");
}

void tst_QSeqpacketAddress::equalityAndHash()
{
    const QSeqpacketAddress abstractX = QSeqpacketAddress::fromAbstractName("x");
    const QSeqpacketAddress parsedX = QSeqpacketAddress::fromString(QStringLiteral("@x"));
    const QSeqpacketAddress pathX = QSeqpacketAddress::fromPath(QStringLiteral("x"));
    const QSeqpacketAddress nativeX = QSeqpacketAddress::fromNativePath("x");
    const QSeqpacketAddress abstractXNul = QSeqpacketAddress::fromAbstractName(QByteArray("x\0", 2));
    const QSeqpacketAddress pathAtX = QSeqpacketAddress::fromString(QStringLiteral("./@x"));

    QVERIFY(abstractX == parsedX);
    QVERIFY(!(abstractX != parsedX));
    QCOMPARE(qHash(abstractX), qHash(parsedX));
    QCOMPARE(qHash(abstractX, 42), qHash(parsedX, 42));
    QVERIFY(pathX == nativeX);
    QCOMPARE(qHash(pathX), qHash(nativeX));

    QVERIFY(abstractX != pathX);         // same bytes, different kind
    QVERIFY(abstractX != abstractXNul);  // abstract names are length-sensitive
    QVERIFY(pathAtX != abstractX);       // "./@x" is a path
    QVERIFY(QSeqpacketAddress() == QSeqpacketAddress::fromString(QString()));
    QVERIFY(QSeqpacketAddress() != abstractX);
    QCOMPARE(qHash(QSeqpacketAddress()), qHash(QSeqpacketAddress::fromString(QString())));

    QSet<QSeqpacketAddress> set;
    set << abstractX << parsedX << pathX << nativeX << abstractXNul << pathAtX << QSeqpacketAddress()
        << QSeqpacketAddress();
    QCOMPARE(set.size(), 5);
    QVERIFY(set.contains(QSeqpacketAddress::fromString(QStringLiteral("@x"))));
    QVERIFY(set.contains(QSeqpacketAddress::fromPath(QStringLiteral("@x"))));
}

void tst_QSeqpacketAddress::copyMoveSwap()
{
    QSeqpacketAddress a = QSeqpacketAddress::fromAbstractName("a");
    QSeqpacketAddress b = QSeqpacketAddress::fromPath(QStringLiteral("/tmp/b"));
    QSeqpacketAddress copy(a);
    QCOMPARE(copy, a);
    copy = b;
    QCOMPARE(copy, b);
    QCOMPARE(a.abstractName(), QByteArray("a")); // the source is untouched by copying

    QSeqpacketAddress moved(std::move(copy));
    QCOMPARE(moved, b);
    QSeqpacketAddress assigned;
    assigned = std::move(moved);
    QCOMPARE(assigned, b);

    a.swap(assigned);
    QCOMPARE(a, b);
    QCOMPARE(assigned.abstractName(), QByteArray("a"));
    QCOMPARE(assigned.kind(), QSeqpacketAddress::Abstract);

    // An invalid address keeps its reason through copies.
    const QSeqpacketAddress invalid = QSeqpacketAddress::fromPath(QString(300, QLatin1Char('p')));
    const QSeqpacketAddress invalidCopy = invalid;
    QVERIFY(!invalidCopy.isValid());
    QCOMPARE(invalidCopy.errorString(), invalid.errorString());
}

void tst_QSeqpacketAddress::variant()
{
    const QSeqpacketAddress address = QSeqpacketAddress::fromAbstractName("variant");
    const QVariant v = QVariant::fromValue(address);
    QVERIFY(v.isValid());
    QCOMPARE(v.metaType(), QMetaType::fromType<QSeqpacketAddress>());
    QCOMPARE(v.value<QSeqpacketAddress>(), address);
}

void tst_QSeqpacketAddress::debugOutput()
{
    auto debugString = [](const auto &value) {
        QString out;
        QDebug(&out) << value;
        return out;
    };

    const QString abstract = debugString(QSeqpacketAddress::fromAbstractName("dbg-name"));
    QVERIFY2(abstract.contains(QStringLiteral("dbg-name")), qPrintable(abstract));
    const QString path = debugString(QSeqpacketAddress::fromPath(QStringLiteral("/tmp/dbg.sock")));
    QVERIFY2(path.contains(QStringLiteral("/tmp/dbg.sock")), qPrintable(path));
    const QString unnamed = debugString(QSeqpacketAddress());
    QVERIFY(!unnamed.trimmed().isEmpty());
    const QString invalid = debugString(QSeqpacketAddress::fromPath(QString(300, QLatin1Char('p'))));
    QVERIFY(!invalid.trimmed().isEmpty());
    const QString kind = debugString(QSeqpacketAddress::Abstract);
    QVERIFY2(kind.contains(QStringLiteral("Abstract")), qPrintable(kind));
    QVERIFY(debugString(QSeqpacketAddress::Path).contains(QStringLiteral("Path")));
    QVERIFY(debugString(QSeqpacketAddress::Unnamed).contains(QStringLiteral("Unnamed")));
}

void tst_QSeqpacketAddress::fourByteAndInvalidUtf8()
{
    // A printable character of four UTF-8 bytes stays as it is; a surrogate (ED A0 80) and an
    // overlong encoding (F0 80 80 80) are not UTF-8 and are escaped byte by byte; each reads back.
    const QByteArray emoji("\xf0\x9f\x98\x80", 4);
    const QSeqpacketAddress smiling = QSeqpacketAddress::fromAbstractName("a" + emoji);
    QCOMPARE(smiling.toString(), QStringLiteral("@a") + QString::fromUtf8(emoji));
    QCOMPARE(QSeqpacketAddress::fromString(smiling.toString()), smiling);
    const QSeqpacketAddress surrogate = QSeqpacketAddress::fromAbstractName(QByteArray("\xed\xa0\x80", 3));
    QCOMPARE(surrogate.toString(), QStringLiteral("@\\xed\\xa0\\x80"));
    QCOMPARE(QSeqpacketAddress::fromString(surrogate.toString()), surrogate);
    const QSeqpacketAddress overlong = QSeqpacketAddress::fromAbstractName(QByteArray("\xf0\x80\x80\x80", 4));
    QCOMPARE(overlong.toString(), QStringLiteral("@\\xf0\\x80\\x80\\x80"));
    QCOMPARE(QSeqpacketAddress::fromString(overlong.toString()), overlong);
}

QTEST_GUILESS_MAIN(tst_QSeqpacketAddress)
#include "tst_qseqpacketaddress.moc"
