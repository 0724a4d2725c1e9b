// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETWATCH_P_H
#define QSEQPACKETWATCH_P_H

#include <QtCore/qglobal.h>

#include <atomic>

class QObject;
class QSeqpacketEventHub;
class QSeqpacketNotifier;
class QSeqpacketSocketPrivate;

// What a socket wants to hear of its descriptor: readable, writable, or neither.
//
// It registers with the thread's QSeqpacketEventHub (one epoll set per thread); where the thread
// has none, it uses a QSocketNotifier for each direction instead, made a child of the owner (the
// socket) so that they move to another thread with it. What it hears goes straight to the socket
// (a read, or writing out its queue), which may delete the socket, and with it the watch.
//
// Not a QObject of its own: a QObject per connection was a fifth of the library's work for each
// accepted connection. The owner tells it of a move to another thread (threadChanged()).
class QSeqpacketWatch final
{
public:

    explicit QSeqpacketWatch(QSeqpacketSocketPrivate *socket);
    ~QSeqpacketWatch();
    Q_DISABLE_COPY_MOVE(QSeqpacketWatch)

    // Watches \a fd (negative: nothing) for reading and writing as asked, from now on. A
    // descriptor must be given up here (another one or -1) before it is closed.
    void watch(int fd, bool read, bool write);

    int descriptor() const { return fd; }
    bool wantsRead() const { return wantRead; }
    bool wantsWrite() const { return wantWrite; }

    // From the hub: what epoll reported.
    void readyRead();
    void readyWrite();

    // The owner is moving to another thread (its QEvent::ThreadChange, sent in the old thread).
    void threadChanged();

private:
    void apply();
    bool applyWithHub();
    void applyWithNotifiers();
    void leaveHub();
    void countInThread(bool counted);

    QObject *owner() const; // the socket: the notifiers' parent, the context of queued calls
    QSeqpacketSocketPrivate *socket;
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
