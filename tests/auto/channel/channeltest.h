// SPDX-License-Identifier: MIT
// Helpers shared by the QSeqpacketChannel tests (tst_channel in one process, tst_channel_protocol
// against protocolpeer.py): messages as received, memfds to send and their content read back,
// waiting on the event loop for a condition or a reply, and the descriptor accounting.
#ifndef QSEQPACKET_CHANNELTEST_H
#define QSEQPACKET_CHANNELTEST_H

#include <QSeqpacketFileDescriptor>
#include <QSeqpacketMessage>
#include <QSeqpacketReply>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QFuture>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <functional>

#include "testutil.h"

namespace ChannelTest {

constexpr int Timeout = 30000;

/*! A message as messageReceived() gave it. */
struct ReceivedMessage
{
    QString name;
    QSeqpacketMessage message;
};

/*! A memfd holding \a content, to send. */
inline QSeqpacketFileDescriptor memfdWith(const QByteArray &content)
{
    return QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd(content));
}

/*! What a received descriptor's file holds. */
inline QByteArray contentOf(const QSeqpacketFileDescriptor &fd)
{
    return TestUtil::preadAll(fd.descriptor());
}

/*!
 * Runs the event loop until \a done() or the timeout; false on the timeout. It sleeps between
 * events (a tick wakes it to look again): a busy loop would slow a peer process on a small machine.
 */
inline bool waitUntil(const std::function<bool()> &done, int timeoutMs = Timeout)
{
    QDeadlineTimer deadline(timeoutMs);
    QTimer tick;
    tick.start(5);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

/*! Waits until \a future has finished; false on the timeout. */
inline bool waitFor(const QFuture<QSeqpacketReply> &future, int timeoutMs = Timeout)
{
    return waitUntil([&future] { return future.isFinished(); }, timeoutMs);
}

} // namespace ChannelTest

/*!
 * Verifies that the process has the descriptors of the snapshot \a before (TestUtil::openFds()),
 * after the deferred deletes and with a moment for what closes late: every test's cleanup(), and
 * the tests that prove a dropped frame's descriptors closed.
 */
#define CHANNELTEST_FDS_UNCHANGED(before)                                                            \
    do {                                                                                             \
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);                         \
        QTRY_VERIFY2_WITH_TIMEOUT(TestUtil::openFds() == (before),                                   \
                                  TestUtil::describeFdDifference((before), TestUtil::openFds()).constData(), \
                                  10000);                                                            \
    } while (false)

#endif // QSEQPACKET_CHANNELTEST_H
