// SPDX-License-Identifier: MIT
#include <QSeqpacketFileDescriptor>

#include <QtCore/QDebug>
#include <QtCore/QList>
#include <QtCore/QVariant>
#include <QtTest/QtTest>

#include "testutil.h"

using TestUtil::isFdOpen;

class tst_QSeqpacketFileDescriptor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void defaultConstructed();
    void adoptNegative();
    void adoptClosesOnDestruction();
    void copiesShareOwnership();
    void assignmentReleasesPrevious();
    void selfAssignment();
    void moveKeepsDescriptorOpen();
    void listOfCopies();
    void releaseInvalidatesAllCopies();
    void closeInvalidatesAllCopies();
    void duplicate();
    void duplicateOfInvalid();
    void variantKeepsDescriptorAlive();
    void queuedInvocationKeepsDescriptorAlive();
    void swap();
    void debugOutput();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_QSeqpacketFileDescriptor::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_QSeqpacketFileDescriptor::cleanup()
{
    const auto now = TestUtil::openFds();
    QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
}

void tst_QSeqpacketFileDescriptor::defaultConstructed()
{
    QSeqpacketFileDescriptor fd;
    QVERIFY(!fd.isValid());
    QCOMPARE(fd.descriptor(), -1);
    QVERIFY(!fd.duplicate().isValid());
    QCOMPARE(fd.release(), -1);
    fd.close(); // harmless
    QVERIFY(!fd.isValid());
}

void tst_QSeqpacketFileDescriptor::adoptNegative()
{
    QVERIFY(!QSeqpacketFileDescriptor::adopt(-1).isValid());
    QCOMPARE(QSeqpacketFileDescriptor::adopt(-1).descriptor(), -1);
    QVERIFY(!QSeqpacketFileDescriptor::adopt(-42).isValid());
}

void tst_QSeqpacketFileDescriptor::adoptClosesOnDestruction()
{
    const int raw = TestUtil::makeMemfd("content");
    QVERIFY(raw >= 0);
    {
        const QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(raw);
        QVERIFY(fd.isValid());
        QCOMPARE(fd.descriptor(), raw);
        QVERIFY(isFdOpen(raw));
        QCOMPARE(TestUtil::preadAll(fd.descriptor()), QByteArray("content"));
    }
    QVERIFY2(!isFdOpen(raw), "the last copy must close the descriptor");
}

void tst_QSeqpacketFileDescriptor::copiesShareOwnership()
{
    const int raw = TestUtil::makeMemfd("shared");
    QVERIFY(raw >= 0);
    const int countWithOne = TestUtil::openFdCount();

    auto a = std::make_unique<QSeqpacketFileDescriptor>(QSeqpacketFileDescriptor::adopt(raw));
    auto b = std::make_unique<QSeqpacketFileDescriptor>(*a);
    auto c = std::make_unique<QSeqpacketFileDescriptor>();
    *c = *b;

    // Copies share the one descriptor: no dup happened.
    QCOMPARE(b->descriptor(), raw);
    QCOMPARE(c->descriptor(), raw);
    QVERIFY(*a == *b);
    QVERIFY(*b == *c);
    QCOMPARE(TestUtil::openFdCount(), countWithOne);

    a.reset();
    QVERIFY(isFdOpen(raw));
    QVERIFY(b->isValid());
    b.reset();
    QVERIFY(isFdOpen(raw));
    QVERIFY(c->isValid());
    QCOMPARE(TestUtil::preadAll(c->descriptor()), QByteArray("shared"));
    c.reset();
    QVERIFY(!isFdOpen(raw));
    QCOMPARE(TestUtil::openFdCount(), countWithOne - 1);
}

void tst_QSeqpacketFileDescriptor::assignmentReleasesPrevious()
{
    const int first = TestUtil::makeMemfd("first");
    QVERIFY(first >= 0);
    QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(first);
    const int second = TestUtil::makeMemfd("second");
    QVERIFY(second >= 0);
    fd = QSeqpacketFileDescriptor::adopt(second);
    QVERIFY2(!isFdOpen(first), "overwriting the last owner must close the old descriptor");
    QCOMPARE(fd.descriptor(), second);
    QVERIFY(isFdOpen(second));
    fd = QSeqpacketFileDescriptor();
    QVERIFY(!isFdOpen(second));
    QVERIFY(!fd.isValid());
}

void tst_QSeqpacketFileDescriptor::selfAssignment()
{
    const int raw = TestUtil::makeMemfd("self");
    QVERIFY(raw >= 0);
    {
        QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(raw);
        QSeqpacketFileDescriptor &alias = fd;
        fd = alias;
        QVERIFY(fd.isValid());
        QVERIFY(isFdOpen(raw));
        QCOMPARE(fd.descriptor(), raw);
    }
    QVERIFY(!isFdOpen(raw));
}

void tst_QSeqpacketFileDescriptor::moveKeepsDescriptorOpen()
{
    const int raw = TestUtil::makeMemfd("move");
    QVERIFY(raw >= 0);
    {
        QSeqpacketFileDescriptor source = QSeqpacketFileDescriptor::adopt(raw);
        QSeqpacketFileDescriptor target(std::move(source));
        QVERIFY(isFdOpen(raw));
        QCOMPARE(target.descriptor(), raw);
        QSeqpacketFileDescriptor assigned;
        assigned = std::move(target);
        QVERIFY(isFdOpen(raw));
        QCOMPARE(assigned.descriptor(), raw);
    }
    QVERIFY(!isFdOpen(raw));
}

void tst_QSeqpacketFileDescriptor::listOfCopies()
{
    const int raw = TestUtil::makeMemfd("list");
    QVERIFY(raw >= 0);
    {
        QList<QSeqpacketFileDescriptor> list;
        {
            const QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(raw);
            for (int i = 0; i < 10; ++i)
                list.append(fd);
        }
        QVERIFY(isFdOpen(raw));
        QList<QSeqpacketFileDescriptor> copy = list;
        list.clear();
        QVERIFY(isFdOpen(raw));
        copy.removeLast();
        QVERIFY(isFdOpen(raw));
        for (const QSeqpacketFileDescriptor &fd : std::as_const(copy))
            QCOMPARE(fd.descriptor(), raw);
    }
    QVERIFY(!isFdOpen(raw));
}

void tst_QSeqpacketFileDescriptor::releaseInvalidatesAllCopies()
{
    const int raw = TestUtil::makeMemfd("release");
    QVERIFY(raw >= 0);
    int released = -1;
    {
        QSeqpacketFileDescriptor a = QSeqpacketFileDescriptor::adopt(raw);
        const QSeqpacketFileDescriptor b = a;
        released = a.release();
        QCOMPARE(released, raw);
        QVERIFY(!a.isValid());
        QVERIFY(!b.isValid());
        QCOMPARE(a.descriptor(), -1);
        QCOMPARE(b.descriptor(), -1);
        QCOMPARE(a.release(), -1);
    }
    QVERIFY2(isFdOpen(released), "a released descriptor belongs to the caller and must stay open");
    QCOMPARE(TestUtil::preadAll(released), QByteArray("release"));
    ::close(released);
}

void tst_QSeqpacketFileDescriptor::closeInvalidatesAllCopies()
{
    const int raw = TestUtil::makeMemfd("close");
    QVERIFY(raw >= 0);
    QSeqpacketFileDescriptor a = QSeqpacketFileDescriptor::adopt(raw);
    QSeqpacketFileDescriptor b = a;
    b.close();
    QVERIFY(!isFdOpen(raw));
    QVERIFY(!a.isValid());
    QVERIFY(!b.isValid());
    QCOMPARE(a.descriptor(), -1);

    // The number may be reused now; the stale copies must not close the new owner's descriptor.
    const int reused = TestUtil::makeMemfd("other");
    QVERIFY(reused >= 0);
    a = QSeqpacketFileDescriptor();
    b = QSeqpacketFileDescriptor();
    QVERIFY2(isFdOpen(reused), "a closed QSeqpacketFileDescriptor closed a descriptor it no longer owns");
    ::close(reused);
}

void tst_QSeqpacketFileDescriptor::duplicate()
{
    // The original is deliberately not close-on-exec: the duplicate must be anyway.
    const int raw = TestUtil::makeMemfd("duplicate", false);
    QVERIFY(raw >= 0);
    QVERIFY(!TestUtil::hasCloexec(raw));
    QSeqpacketFileDescriptor original = QSeqpacketFileDescriptor::adopt(raw);
    const int before = TestUtil::openFdCount();

    QSeqpacketFileDescriptor dup = original.duplicate();
    QVERIFY(dup.isValid());
    QVERIFY(dup.descriptor() != raw);
    QVERIFY(dup != original);
    QVERIFY(TestUtil::hasCloexec(dup.descriptor()));
    QCOMPARE(TestUtil::fileIdentity(dup.descriptor()), TestUtil::fileIdentity(raw));
    QCOMPARE(TestUtil::openFdCount(), before + 1);

    // Independent ownership: closing the original leaves the duplicate working.
    original = QSeqpacketFileDescriptor();
    QVERIFY(!isFdOpen(raw));
    QVERIFY(dup.isValid());
    QCOMPARE(TestUtil::preadAll(dup.descriptor()), QByteArray("duplicate"));
    const int dupFd = dup.descriptor();
    dup = QSeqpacketFileDescriptor();
    QVERIFY(!isFdOpen(dupFd));
}

void tst_QSeqpacketFileDescriptor::duplicateOfInvalid()
{
    const int before = TestUtil::openFdCount();
    const QSeqpacketFileDescriptor invalid;
    const QSeqpacketFileDescriptor dup = invalid.duplicate();
    QVERIFY(!dup.isValid());
    QCOMPARE(dup.descriptor(), -1);
    QCOMPARE(TestUtil::openFdCount(), before);
}

void tst_QSeqpacketFileDescriptor::variantKeepsDescriptorAlive()
{
    const int raw = TestUtil::makeMemfd("variant");
    QVERIFY(raw >= 0);
    QVariant v;
    {
        const QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(raw);
        v = QVariant::fromValue(fd);
    }
    QVERIFY(isFdOpen(raw));
    QCOMPARE(v.metaType(), QMetaType::fromType<QSeqpacketFileDescriptor>());
    QCOMPARE(v.value<QSeqpacketFileDescriptor>().descriptor(), raw);
    v = QVariant();
    QVERIFY(!isFdOpen(raw));
}

void tst_QSeqpacketFileDescriptor::queuedInvocationKeepsDescriptorAlive()
{
    const int raw = TestUtil::makeMemfd("queued");
    QVERIFY(raw >= 0);
    QByteArray seen;
    int seenFd = -2;
    {
        const QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(raw);
        QMetaObject::invokeMethod(
            this,
            [fd, &seen, &seenFd] {
                seenFd = fd.descriptor();
                seen = TestUtil::preadAll(fd.descriptor());
            },
            Qt::QueuedConnection);
    }
    QVERIFY(isFdOpen(raw)); // the queued copy owns it now
    QTRY_COMPARE_WITH_TIMEOUT(seenFd, raw, 10000);
    QCOMPARE(seen, QByteArray("queued"));
    QTRY_VERIFY_WITH_TIMEOUT(!isFdOpen(raw), 10000); // the functor (last copy) is gone
}

void tst_QSeqpacketFileDescriptor::swap()
{
    const int one = TestUtil::makeMemfd("one");
    const int two = TestUtil::makeMemfd("two");
    QVERIFY(one >= 0 && two >= 0);
    {
        QSeqpacketFileDescriptor a = QSeqpacketFileDescriptor::adopt(one);
        QSeqpacketFileDescriptor b = QSeqpacketFileDescriptor::adopt(two);
        a.swap(b);
        QCOMPARE(a.descriptor(), two);
        QCOMPARE(b.descriptor(), one);
        std::swap(a, b);
        QCOMPARE(a.descriptor(), one);
        QCOMPARE(b.descriptor(), two);
    }
    QVERIFY(!isFdOpen(one));
    QVERIFY(!isFdOpen(two));
}

void tst_QSeqpacketFileDescriptor::debugOutput()
{
    const int raw = TestUtil::makeMemfd("debug");
    QVERIFY(raw >= 0);
    const QSeqpacketFileDescriptor fd = QSeqpacketFileDescriptor::adopt(raw);
    QString valid;
    QDebug(&valid) << fd;
    QVERIFY2(valid.contains(QString::number(raw)), qPrintable(valid));
    QString invalid;
    QDebug(&invalid) << QSeqpacketFileDescriptor();
    QVERIFY(!invalid.trimmed().isEmpty());
}

QTEST_GUILESS_MAIN(tst_QSeqpacketFileDescriptor)
#include "tst_qseqpacketfiledescriptor.moc"
