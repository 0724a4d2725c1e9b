// SPDX-License-Identifier: MIT
#include "qseqpacketnotifier_p.h"

#include <QtCore/qcoreevent.h>

#include <utility>

QSeqpacketNotifier::QSeqpacketNotifier(Type type, Handler handler, QObject *parent)
    : QSocketNotifier(type, parent), handler(std::move(handler))
{
}

bool QSeqpacketNotifier::event(QEvent *event)
{
    switch (event->type()) {
    case QEvent::SockAct:
    case QEvent::SockClose:
        // The handler may delete this notifier (with its owner): nothing of it is used after.
        handler();
        return true;
    default:
        // ThreadChange and the rest: QSocketNotifier re-registers in the new thread.
        return QSocketNotifier::event(event);
    }
}
