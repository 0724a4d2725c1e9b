// SPDX-License-Identifier: MIT
#include "qtsupport.h"

#include <QSeqpacketSocket>

#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalsocket.h>

namespace bench {

void runLoop(QEventLoop &loop, const char *what)
{
    QTimer watchdog;
    watchdog.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(&watchdog, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    watchdog.start(WatchdogMs);
    loop.exec();
    if (timedOut)
        fail(std::string(what) + ": timed out");
}

void adopt(QSeqpacketSocket &socket, int fd)
{
    if (!socket.setSocketDescriptor(fd))
        fail("setSocketDescriptor: " + socket.errorString().toStdString());
}

void adopt(QLocalSocket &socket, int fd)
{
    if (!socket.setSocketDescriptor(fd))
        fail("QLocalSocket::setSocketDescriptor: " + socket.errorString().toStdString());
}

ControlWatch::ControlWatch(Peer &peer, QEventLoop &loop, char type, std::string *text)
    : notifier(peer.control, QSocketNotifier::Read)
{
    QObject::connect(&notifier, &QSocketNotifier::activated, &loop, [&peer, &loop, type, text, this] {
        notifier.setEnabled(false);
        readControl(peer.control, type, text);
        loop.quit();
    });
}

} // namespace bench
