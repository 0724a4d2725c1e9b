// SPDX-License-Identifier: MIT
#include <QSeqpacketCredentials>

#include <QtCore/QDebug>
#include <QtCore/QVariant>
#include <QtTest/QtTest>

#include <grp.h>
#include <unistd.h>

#include "testutil.h"

class tst_QSeqpacketCredentials : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void defaultConstructed();
    void constructed();
    void currentProcess();
    void equality();
    void copyMoveSwap();
    void variant();
    void debugOutput();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_QSeqpacketCredentials::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_QSeqpacketCredentials::cleanup()
{
    const auto now = TestUtil::openFds();
    QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
}

void tst_QSeqpacketCredentials::defaultConstructed()
{
    const QSeqpacketCredentials c;
    QVERIFY(!c.isValid());
    QCOMPARE(c.userId(), uint(-1));
    QCOMPARE(c.groupId(), uint(-1));
    QVERIFY(c.supplementaryGroups().isEmpty());
}

void tst_QSeqpacketCredentials::constructed()
{
    const QSeqpacketCredentials c(1234, 1000, 100, {4, 24, 27});
    QVERIFY(c.isValid());
    QCOMPARE(c.processId(), qint64(1234));
    QCOMPARE(c.userId(), 1000u);
    QCOMPARE(c.groupId(), 100u);
    QCOMPARE(c.supplementaryGroups(), (QList<uint>{4, 24, 27}));

    // Root's ids are 0 and still valid.
    const QSeqpacketCredentials root(1, 0, 0);
    QVERIFY(root.isValid());
    QCOMPARE(root.userId(), 0u);
    QCOMPARE(root.groupId(), 0u);
    QVERIFY(root.supplementaryGroups().isEmpty());
}

void tst_QSeqpacketCredentials::currentProcess()
{
    const QSeqpacketCredentials c = QSeqpacketCredentials::currentProcess();
    QVERIFY(c.isValid());
    QCOMPARE(c.processId(), qint64(::getpid()));
    QCOMPARE(c.userId(), uint(::geteuid()));
    QCOMPARE(c.groupId(), uint(::getegid()));
}

void tst_QSeqpacketCredentials::equality()
{
    const QSeqpacketCredentials a(10, 20, 30);
    const QSeqpacketCredentials b(10, 20, 30);
    QVERIFY(a == b);
    QVERIFY(!(a != b));
    QVERIFY(a != QSeqpacketCredentials(11, 20, 30));
    QVERIFY(a != QSeqpacketCredentials(10, 21, 30));
    QVERIFY(a != QSeqpacketCredentials(10, 20, 31));
    QVERIFY(a != QSeqpacketCredentials());
    QVERIFY(QSeqpacketCredentials() == QSeqpacketCredentials());
}

void tst_QSeqpacketCredentials::copyMoveSwap()
{
    QSeqpacketCredentials a(1, 2, 3, {5});
    QSeqpacketCredentials b;
    QSeqpacketCredentials copy(a);
    QCOMPARE(copy, a);
    QSeqpacketCredentials moved(std::move(copy));
    QCOMPARE(moved, a);
    b = moved;
    QCOMPARE(b, a);
    QSeqpacketCredentials other;
    other.swap(b);
    QCOMPARE(other, a);
    QVERIFY(!b.isValid());
}

void tst_QSeqpacketCredentials::variant()
{
    const QSeqpacketCredentials c(7, 8, 9);
    const QVariant v = QVariant::fromValue(c);
    QCOMPARE(v.value<QSeqpacketCredentials>(), c);
}

void tst_QSeqpacketCredentials::debugOutput()
{
    QString out;
    QDebug(&out) << QSeqpacketCredentials(4242, 1001, 1002);
    QVERIFY2(out.contains(QStringLiteral("4242")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("1001")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("1002")), qPrintable(out));
    QString invalid;
    QDebug(&invalid) << QSeqpacketCredentials();
    QVERIFY(!invalid.trimmed().isEmpty());
}

QTEST_GUILESS_MAIN(tst_QSeqpacketCredentials)
#include "tst_qseqpacketcredentials.moc"
