// SPDX-License-Identifier: MIT
// Qt-side helpers of the driver's scenarios (scenarios.cpp, channel.cpp): event loops with a
// watchdog, adopting a socket pair's end, waiting for a peer's control message in an event loop.
#ifndef QSEQPACKET_BENCH_QTSUPPORT_H
#define QSEQPACKET_BENCH_QTSUPPORT_H

#include "common.h"

#include <QtCore/qeventloop.h>
#include <QtCore/qsocketnotifier.h>

#include <string>

class QSeqpacketSocket;
class QLocalSocket;

namespace bench {

constexpr int WatchdogMs = 120000;

// Runs \a loop until something quits it; fails after the watchdog's time.
void runLoop(QEventLoop &loop, const char *what);

// setSocketDescriptor(), failing the run where it does not take.
void adopt(QSeqpacketSocket &socket, int fd);
void adopt(QLocalSocket &socket, int fd);

// Quits \a loop when the peer's control socket says \a type.
struct ControlWatch
{
    ControlWatch(Peer &peer, QEventLoop &loop, char type, std::string *text = nullptr);
    QSocketNotifier notifier;
};

} // namespace bench

#endif
