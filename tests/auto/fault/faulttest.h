// SPDX-License-Identifier: MIT
// What the fault-injection tests (tests/auto/fault) share: the injector (testsupport/faultinject)
// reset around every test, descriptor accounting, waits that run the event loop, raw peers whose
// calls the injector leaves alone (only libQSeqpacket's calls fail), and the record of the
// (system call, errno) pairs injected, printed and written to <name>.pairs at the end.
#ifndef QSEQPACKET_FAULTTEST_H
#define QSEQPACKET_FAULTTEST_H

#include <QSeqpacketSocket>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QMetaEnum>
#include <QtCore/QObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include <functional>
#include <memory>

#include "faultinject.h"
#include "testutil.h"

#ifndef QSEQPACKET_FAULT_PAIRS_DIR
#  error "QSEQPACKET_FAULT_PAIRS_DIR must name the directory for the injected pairs"
#endif

namespace FaultTest {

using FaultInject::Call;
using TestUtil::UniqueFd;

constexpr int Timeout = 30000; // generous: the machine is shared

inline const char *errorName(QSeqpacketSocket::SocketError error)
{
    return QMetaEnum::fromType<QSeqpacketSocket::SocketError>().valueToKey(error);
}

/*!
 * Runs the event loop until \a done or \a timeoutMs; returns done(). Between rounds it sleeps
 * (QTest::qWaitFor()), so that the test itself does not spin where CPU time is measured.
 */
inline bool waitUntil(const std::function<bool()> &done, int timeoutMs = Timeout)
{
    return QTest::qWaitFor(done, timeoutMs);
}

/*! Runs the event loop for \a ms milliseconds, sleeping between rounds (QTest::qWait()). */
inline void runEventLoop(int ms)
{
    QTest::qWait(ms);
}

/*!
 * Whether the raw connection \a fd ended: end-of-file, or a reset (the other end closed without
 * reading what this end sent), within \a timeoutMs.
 */
inline bool connectionEnded(int fd, int timeoutMs = Timeout)
{
    TestUtil::RawPacket packet = TestUtil::rawReceive(fd, timeoutMs);
    packet.closeFds();
    return packet.eof || packet.error == ECONNRESET;
}

/*!
 * A QSeqpacketSocket on one end of a raw socketpair; the test holds the other end (peer), whose
 * calls are the test's own and never fail.
 */
struct RawPeered
{
    RawPeered()
    {
        UniqueFd mine;
        if (!TestUtil::rawSocketPair(&mine, &peer))
            return;
        socket = std::make_unique<QSeqpacketSocket>();
        if (socket->setSocketDescriptor(mine.get()))
            mine.release();
    }
    bool isValid() const { return socket && socket->state() == QSeqpacketSocket::ConnectedState && peer.isValid(); }

    std::unique_ptr<QSeqpacketSocket> socket;
    UniqueFd peer;
};

/*!
 * Receives packets on the raw \a fd until \a count arrived or none comes for \a quietMs; each must
 * be TestUtil::sequencedPayload(first + i, ...) in order. Returns what went wrong, empty when all
 * \a count came in order, none twice and nothing after them.
 */
inline QByteArray expectSequence(int fd, int first, int count, int quietMs = 200)
{
    for (int i = 0; i < count; ++i) {
        TestUtil::RawPacket packet = TestUtil::rawReceive(fd, Timeout);
        packet.closeFds();
        if (!packet.ok)
            return "packet " + QByteArray::number(first + i) + " did not arrive";
        const int sequence = TestUtil::sequenceOf(packet.data);
        if (sequence != first + i)
            return "expected packet " + QByteArray::number(first + i) + ", got " + QByteArray::number(sequence);
    }
    TestUtil::RawPacket extra = TestUtil::rawReceive(fd, quietMs);
    extra.closeFds();
    if (extra.ok)
        return "an extra packet arrived: " + QByteArray::number(TestUtil::sequenceOf(extra.data));
    return {};
}

/*!
 * Takes every packet \a socket has now and checks that they continue the sequence at *\a next.
 * Returns what went wrong, empty otherwise.
 */
inline QByteArray takeSequence(QSeqpacketSocket *socket, int *next)
{
    while (socket->hasPendingPackets()) {
        const int sequence = TestUtil::sequenceOf(socket->receivePacket().data());
        if (sequence != *next)
            return "expected packet " + QByteArray::number(*next) + ", got " + QByteArray::number(sequence);
        ++*next;
    }
    return {};
}

/*!
 * The base of the fault tests: init() and cleanup() reset the injector and check that no
 * descriptor is left open; cleanupTestCase() reports the (call, errno) pairs injected.
 */
class TestCase : public QObject
{
protected:
    void initFaultTestCase()
    {
        QVERIFY2(FaultInject::libraryFound(), "libQSeqpacket's code is not in this process");
        // Warm up what lives for the process (the main thread's receive buffers, Qt's caches),
        // so that descriptor accounting sees only what a test leaves.
        auto [a, b] = QSeqpacketSocket::createPair();
        a->sendPacket("warm up");
        b->waitForPacket(Timeout);
        b->receivePacket();
        delete a;
        delete b;
    }

    void startTest()
    {
        FaultInject::reset();
        m_fdsAtStart = TestUtil::openFds();
    }

    void endTest()
    {
        FaultInject::reset();
        // Sockets deleted with deleteLater() go now.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        const auto now = TestUtil::openFds();
        QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
    }

    /*! Prints the pairs this executable injected and writes them to <name>.pairs. */
    void reportPairs(const char *name)
    {
        const std::vector<std::string> pairs = FaultInject::injectedPairs();
        QStringList list;
        for (const std::string &pair : pairs)
            list << QString::fromStdString(pair);
        qInfo("%s: %d distinct (system call, errno or short count) pairs injected: %s", name, int(pairs.size()),
              qPrintable(list.join(QStringLiteral(", "))));
        const QString path = QDir(QStringLiteral(QSEQPACKET_FAULT_PAIRS_DIR)).filePath(QLatin1String(name) + QStringLiteral(".pairs"));
        QVERIFY2(FaultInject::writeInjectedPairs(path.toStdString()), qPrintable(path));
    }

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

} // namespace FaultTest

#endif // QSEQPACKET_FAULTTEST_H
