// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETWATCH_P_H
#define QSEQPACKETWATCH_P_H

#include <QtCore/qobject.h>

#include <atomic>
#include <functional>

class QSeqpacketEventHub;
class QSeqpacketNotifier;

// What a socket wants to hear of its descriptor: readable, writable, or neither. A child of the
// socket, it moves to another thread with it, as a QSocketNotifier would.
//
// It registers with the thread's QSeqpacketEventHub (one epoll set per thread); where the thread
// has none, it uses a QSocketNotifier for each direction instead. The handlers may delete the
// socket, and with it the watch.
class QSeqpacketWatch final : public QObject
{
public:
    using Handler = std::function<void()>;

    QSeqpacketWatch(Handler onReadable, Handler onWritable, QObject *parent);
    ~QSeqpacketWatch() override;

    // Watches \a fd (negative: nothing) for reading and writing as asked, from now on. A
    // descriptor must be given up here (another one or -1) before it is closed.
    void watch(int fd, bool read, bool write);

    int descriptor() const { return fd; }
    bool wantsRead() const { return wantRead; }
    bool wantsWrite() const { return wantWrite; }

    // From the hub: what epoll reported.
    void readyRead() { onReadable(); }
    void readyWrite() { onWritable(); }

protected:
    bool event(QEvent *event) override;

private:
    void apply();
    bool applyWithHub();
    void applyWithNotifiers();
    void leaveHub();
    void countInThread(bool counted);

    Handler onReadable;
    Handler onWritable;
    int fd = -1;
    bool wantRead = false;
    bool wantWrite = false;

    // How it watches, chosen when it first has something to watch (in each thread it lives in).
    enum class Mode { Undecided, Hub, Notifiers };
    Mode mode = Mode::Undecided;
    bool countedInThread = false; // in the thread's count of watches, see QSeqpacketEventHub::wanted()
    // Hands the watch over to the thread it moves to. Qt's event queue already orders what the
    // old thread wrote before the new one reads it, but its mutex is invisible to
    // ThreadSanitizer; this release/acquire pair says the same where TSan can see it.
    std::atomic<unsigned> moves { 0 };

    // Registered with the hub: where, for what.
    QSeqpacketEventHub *hub = nullptr;
    quint64 registration = 0;
    int registeredFd = -1;
    quint32 registeredEvents = 0;

    QSeqpacketNotifier *readNotifier = nullptr;
    QSeqpacketNotifier *writeNotifier = nullptr;
};

#endif // QSEQPACKETWATCH_P_H
