// SPDX-License-Identifier: MIT
#include <QSeqpacketPacket>

#include <QtCore/QDebug>
#include <QtCore/QThread>
#include <QtCore/QVariant>
#include <QtTest/QtTest>

#include <malloc.h>

#include "testutil.h"

class tst_QSeqpacketPacket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void defaultConstructed();
    void nullVersusEmptyData();
    void withData();
    void withDescriptorsOnly();
    void setters();
    void copiesShareDescriptors();
    void setFileDescriptorsReleasesOld();
    void copyMoveSwap();
    void variant();
    void debugOutput();
    void packetsOfEndedThreadsLeaveNoMemory();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_QSeqpacketPacket::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_QSeqpacketPacket::cleanup()
{
    const auto now = TestUtil::openFds();
    QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
}

void tst_QSeqpacketPacket::defaultConstructed()
{
    const QSeqpacketPacket packet;
    QVERIFY(!packet.isValid());
    QVERIFY(packet.data().isEmpty());
    QVERIFY(packet.fileDescriptors().isEmpty());
    QVERIFY(!packet.isTruncated());
    QVERIFY(!packet.areFileDescriptorsTruncated());
    QVERIFY(!packet.credentials().isValid());
    QCOMPARE(packet.receivedAt(), qint64(0));
}

void tst_QSeqpacketPacket::nullVersusEmptyData()
{
    // A null QByteArray is "no data"; an empty, non-null one is a zero-length packet.
    QVERIFY(!QSeqpacketPacket(QByteArray()).isValid());
    const QSeqpacketPacket empty{QByteArray("")};
    QVERIFY(empty.isValid());
    QVERIFY(empty.data().isEmpty());
    QCOMPARE(empty.originalSize(), qint64(0));
    QVERIFY(!empty.isTruncated());
}

void tst_QSeqpacketPacket::withData()
{
    const QByteArray payload("hello packet");
    const QSeqpacketPacket packet(payload);
    QVERIFY(packet.isValid());
    QCOMPARE(packet.data(), payload);
    QCOMPARE(packet.originalSize(), qint64(payload.size()));
    QVERIFY(!packet.isTruncated());
    QVERIFY(!packet.areFileDescriptorsTruncated());
    QVERIFY(packet.fileDescriptors().isEmpty());
    QVERIFY(!packet.credentials().isValid());
    QCOMPARE(packet.receivedAt(), qint64(0)); // made by the application

    QByteArray binary(1000, '\0');
    for (int i = 0; i < binary.size(); ++i)
        binary[i] = char(i * 7);
    QCOMPARE(QSeqpacketPacket(binary).data(), binary);
}

void tst_QSeqpacketPacket::withDescriptorsOnly()
{
    const int raw = TestUtil::makeMemfd("x");
    QVERIFY(raw >= 0);
    const QSeqpacketPacket packet(QByteArray(), {QSeqpacketFileDescriptor::adopt(raw)});
    QVERIFY2(packet.isValid(), "a packet with descriptors is valid even without data");
    QCOMPARE(packet.fileDescriptors().size(), 1);
    QCOMPARE(packet.fileDescriptors().constFirst().descriptor(), raw);
}

void tst_QSeqpacketPacket::setters()
{
    QSeqpacketPacket packet;
    QVERIFY(!packet.isValid());
    packet.setData("abc");
    QVERIFY(packet.isValid());
    QCOMPARE(packet.data(), QByteArray("abc"));

    const int raw = TestUtil::makeMemfd("set");
    QVERIFY(raw >= 0);
    packet.setFileDescriptors({QSeqpacketFileDescriptor::adopt(raw)});
    QCOMPARE(packet.fileDescriptors().size(), 1);
    QCOMPARE(TestUtil::preadAll(packet.fileDescriptors().constFirst().descriptor()), QByteArray("set"));
    packet.setFileDescriptors({});
    QVERIFY2(!TestUtil::isFdOpen(raw), "dropping the packet's only copy must close the descriptor");
    QVERIFY(packet.fileDescriptors().isEmpty());
}

void tst_QSeqpacketPacket::copiesShareDescriptors()
{
    const int raw = TestUtil::makeMemfd("copies");
    QVERIFY(raw >= 0);
    auto original = std::make_unique<QSeqpacketPacket>(QByteArray("p"),
                                                       QList<QSeqpacketFileDescriptor>{QSeqpacketFileDescriptor::adopt(raw)});
    const int count = TestUtil::openFdCount();
    auto copy = std::make_unique<QSeqpacketPacket>(*original);
    QCOMPARE(TestUtil::openFdCount(), count); // no duplicate made by copying
    QCOMPARE(copy->fileDescriptors().constFirst().descriptor(), raw);
    original.reset();
    QVERIFY(TestUtil::isFdOpen(raw));
    QCOMPARE(TestUtil::preadAll(copy->fileDescriptors().constFirst().descriptor()), QByteArray("copies"));
    copy.reset();
    QVERIFY(!TestUtil::isFdOpen(raw));
}

void tst_QSeqpacketPacket::setFileDescriptorsReleasesOld()
{
    const int first = TestUtil::makeMemfd("first");
    const int second = TestUtil::makeMemfd("second");
    QVERIFY(first >= 0 && second >= 0);
    QSeqpacketPacket packet(QByteArray("x"), {QSeqpacketFileDescriptor::adopt(first)});
    packet.setFileDescriptors({QSeqpacketFileDescriptor::adopt(second)});
    QVERIFY(!TestUtil::isFdOpen(first));
    QVERIFY(TestUtil::isFdOpen(second));
    packet = QSeqpacketPacket();
    QVERIFY(!TestUtil::isFdOpen(second));
}

void tst_QSeqpacketPacket::copyMoveSwap()
{
    QSeqpacketPacket a(QByteArray("a"));
    QSeqpacketPacket b(QByteArray("b"));
    QSeqpacketPacket copy = a;
    QCOMPARE(copy.data(), QByteArray("a"));
    copy.setData("changed");
    QCOMPARE(a.data(), QByteArray("a")); // detached on write
    QSeqpacketPacket moved(std::move(copy));
    QCOMPARE(moved.data(), QByteArray("changed"));
    a.swap(b);
    QCOMPARE(a.data(), QByteArray("b"));
    QCOMPARE(b.data(), QByteArray("a"));
    b = std::move(moved);
    QCOMPARE(b.data(), QByteArray("changed"));
}

void tst_QSeqpacketPacket::variant()
{
    const int raw = TestUtil::makeMemfd("variant");
    QVERIFY(raw >= 0);
    QVariant v = QVariant::fromValue(
        QSeqpacketPacket(QByteArray("v"), {QSeqpacketFileDescriptor::adopt(raw)}));
    QVERIFY(TestUtil::isFdOpen(raw));
    const QSeqpacketPacket back = v.value<QSeqpacketPacket>();
    QCOMPARE(back.data(), QByteArray("v"));
    QCOMPARE(back.fileDescriptors().constFirst().descriptor(), raw);
}

void tst_QSeqpacketPacket::debugOutput()
{
    QString out;
    QDebug(&out) << QSeqpacketPacket(QByteArray("debug-payload"));
    QVERIFY(!out.trimmed().isEmpty());
    QString invalid;
    QDebug(&invalid) << QSeqpacketPacket();
    QVERIFY(!invalid.trimmed().isEmpty());
    QVERIFY(invalid != out);
}

namespace {

long long heapInUse()
{
    const struct mallinfo2 info = ::mallinfo2();
    return (long long)(info.uordblks + info.hblkhd);
}

// A thread that makes packets and drops them, some of them made in the thread that started it.
void packetsInAThread(QList<QSeqpacketPacket> fromOutside)
{
    std::unique_ptr<QThread> thread(QThread::create([outside = std::move(fromOutside)]() mutable {
        QList<QSeqpacketPacket> own;
        for (int i = 0; i < 300; ++i)
            own << QSeqpacketPacket(QByteArray(16, char('a' + i % 26)));
        own.clear();
        outside.clear(); // made in another thread, let go here
    }));
    thread->start();
    thread->wait();
}

} // namespace

void tst_QSeqpacketPacket::packetsOfEndedThreadsLeaveNoMemory()
{
    // Packet privates are kept per thread for reuse (QSeqpacketPacketPool); a thread's keep is
    // freed when it ends, blocks it frees that another thread made included. Forty threads that
    // each kept a few hundred would hold more than a megabyte.
    const auto made = [] {
        QList<QSeqpacketPacket> list;
        for (int i = 0; i < 300; ++i)
            list << QSeqpacketPacket(QByteArray(16, 'x'));
        return list;
    };
    packetsInAThread(made()); // the first thread's one-time costs before the count
    const long long before = heapInUse();
    for (int i = 0; i < 40; ++i)
        packetsInAThread(made());
    const long long grown = heapInUse() - before;
    QVERIFY2(grown < 256 * 1024, qPrintable(QStringLiteral("%1 bytes more after 40 threads").arg(grown)));
}

QTEST_GUILESS_MAIN(tst_QSeqpacketPacket)
#include "tst_qseqpacketpacket.moc"
