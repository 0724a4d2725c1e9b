// SPDX-License-Identifier: MIT
#include "qseqpacketwatch_p.h"
#include "qseqpacketeventhub_p.h"
#include "qseqpacketsocket.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketnotifier_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qcoreevent.h>
#include <QtCore/qmetaobject.h>

#include <sys/epoll.h>
#include <utility>

namespace {
// The watches of this thread, which decide whether a new one joins the thread's hub.
thread_local int watchesInThread = 0;
} // namespace

QSeqpacketWatch::QSeqpacketWatch(QSeqpacketSocketPrivate *socket)
    : socket(socket)
{
    countInThread(true);
}

QObject *QSeqpacketWatch::owner() const
{
    return socket->q_ptr;
}

void QSeqpacketWatch::readyRead()
{
    socket->readAndDispatch(QSeqpacketSocketPrivate::ReadLimit::QueueLimits);
}

void QSeqpacketWatch::readyWrite()
{
    socket->flushQueue();
}

QSeqpacketWatch::~QSeqpacketWatch()
{
    leaveHub();
    countInThread(false);
    delete readNotifier; // children of the owner, which outlives the watch
    delete writeNotifier;
}

void QSeqpacketWatch::countInThread(bool counted)
{
    if (counted == countedInThread)
        return;
    countedInThread = counted;
    watchesInThread += counted ? 1 : -1;
}

void QSeqpacketWatch::watch(int newFd, bool read, bool write)
{
    if (newFd < 0)
        read = write = false;
    if (newFd == fd && read == wantRead && write == wantWrite)
        return;
    fd = newFd;
    wantRead = read;
    wantWrite = write;
    apply();
}

void QSeqpacketWatch::threadChanged()
{
    // The count and the hub belong to the thread being left: go now, and decide anew in the new
    // thread (notifiers move by themselves, as QSocketNotifier does). The owner is the context:
    // the call is dropped with it, and the watch lives as long as its owner.
    countInThread(false);
    if (mode == Mode::Hub) {
        leaveHub();
        mode = Mode::Undecided;
    }
    moves.fetch_add(1, std::memory_order_release);
    QMetaObject::invokeMethod(owner(), [this] {
        moves.load(std::memory_order_acquire);
        countInThread(true);
        apply();
    }, Qt::QueuedConnection);
}

// Here rather than in qseqpacketsocket.cpp: it reads QEvent::type(), and this file is built
// without UBSan's vptr check (see src/CMakeLists.txt).
bool QSeqpacketSocket::event(QEvent *event)
{
    if (event->type() == QEvent::ThreadChange) {
        Q_D(QSeqpacketSocket);
        if (d->watch)
            d->watch->threadChanged();
    }
    return QObject::event(event);
}

void QSeqpacketWatch::apply()
{
    if (fd < 0 && mode == Mode::Hub) {
        // Without a descriptor nothing keeps the thread's hub (and its epoll descriptor) open;
        // the next descriptor decides anew.
        leaveHub();
        mode = Mode::Undecided;
        return;
    }
    if (mode == Mode::Undecided) {
        if (fd < 0 || (!wantRead && !wantWrite))
            return; // nothing to watch yet
        mode = QSeqpacketEventHub::wanted(watchesInThread - (countedInThread ? 1 : 0)) ? Mode::Hub : Mode::Notifiers;
    }
    if (mode == Mode::Hub && applyWithHub())
        return;
    mode = Mode::Notifiers;
    applyWithNotifiers();
}

bool QSeqpacketWatch::applyWithHub()
{
    if (hub && !hub->isCurrent())
        leaveHub(); // inherited through fork(): the set is the parent's
    const quint32 events = (wantRead ? quint32(EPOLLIN) : 0u) | (wantWrite ? quint32(EPOLLOUT) : 0u);
    if (registration && (events == 0 || registeredFd != fd)) {
        // Out of the set, not just quiet: epoll reports a hang-up even for no events.
        hub->remove(registration, registeredFd);
        registration = 0;
        registeredFd = -1;
        registeredEvents = 0;
    }
    if (events == 0)
        return true;
    if (!hub) {
        hub = QSeqpacketEventHub::acquire();
        if (!hub)
            return false;
    }
    int errorNumber = 0;
    if (!registration) {
        registration = hub->add(this, fd, events, &errorNumber);
        if (registration) {
            registeredFd = fd;
            registeredEvents = events;
            return true;
        }
    } else if (events == registeredEvents || hub->modify(registration, fd, events, &errorNumber)) {
        registeredEvents = events;
        return true;
    }
    // The set refused this descriptor (out of epoll watches, for one): a notifier does it.
    qCWarning(lcSeqpacket, "%s; watching descriptor %d with notifiers instead",
              qPrintable(QSeqpacketSystem::describe(QStringLiteral("epoll_ctl"), errorNumber)), fd);
    leaveHub();
    return false;
}

void QSeqpacketWatch::applyWithNotifiers()
{
    // Made when first needed: most connections never fill the kernel's buffer, and an idle
    // connection should cost as little as possible.
    if (wantRead && !readNotifier)
        readNotifier = new QSeqpacketNotifier(QSocketNotifier::Read, [this] { readyRead(); }, owner());
    if (wantWrite && !writeNotifier)
        writeNotifier = new QSeqpacketNotifier(QSocketNotifier::Write, [this] { readyWrite(); }, owner());
    for (QSeqpacketNotifier *notifier : { readNotifier, writeNotifier }) {
        if (!notifier)
            continue;
        // A notifier must be off before its descriptor changes (and before that one is closed).
        if (notifier->socket() != fd) {
            notifier->setEnabled(false);
            notifier->setSocket(fd);
        }
        if (fd >= 0)
            notifier->setEnabled(notifier == readNotifier ? wantRead : wantWrite);
    }
}

void QSeqpacketWatch::leaveHub()
{
    if (!hub)
        return;
    if (registration)
        hub->remove(registration, registeredFd);
    registration = 0;
    registeredFd = -1;
    registeredEvents = 0;
    QSeqpacketEventHub *leaving = std::exchange(hub, nullptr);
    leaving->release();
}
