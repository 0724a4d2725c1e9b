// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETNOTIFIER_P_H
#define QSEQPACKETNOTIFIER_P_H

#include <QtCore/qsocketnotifier.h>

#include <functional>

// A QSocketNotifier that calls its owner directly when the descriptor is ready.
//
// A socket's or server's notifier has one receiver, its owner. QSocketNotifier::event() emits
// two signals per activation (activated() with a QSocketDescriptor and the int overload kept for
// Qt 5), guarded by a QPointer, and a connection costs an allocation per notifier; on a packet
// round trip that is a measurable share of the library's work, and at accept time one more
// allocation per connection. Everything else (enabling, moving to another thread, the event
// dispatcher's registration) is QSocketNotifier's own.
class QSeqpacketNotifier final : public QSocketNotifier
{
public:
    using Handler = std::function<void()>;

    QSeqpacketNotifier(Type type, Handler handler, QObject *parent);

protected:
    bool event(QEvent *event) override;

private:
    Handler handler;
};

#endif // QSEQPACKETNOTIFIER_P_H
