// SPDX-License-Identifier: MIT
#include "qseqpacketeventhub_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketnotifier_p.h"
#include "qseqpacketsystem_p.h"
#include "qseqpacketwatch_p.h"

#include <QtCore/qabstracteventdispatcher.h>

#include <algorithm>
#include <atomic>
#include <pthread.h>
#include <utility>
#include <sys/epoll.h>

using namespace QSeqpacketSystem;

namespace {

// Counts fork()s on the child's side: a hub made before the last one belongs to the parent.
std::atomic<unsigned> forkGeneration { 0 };

void countForkInChild()
{
    forkGeneration.fetch_add(1, std::memory_order_relaxed);
}

thread_local QSeqpacketEventHub *threadHub = nullptr;
// Whether the last attempt of this thread to make an epoll set failed (warn once per run of them).
thread_local bool eventSetFailing = false;

enum class HubPolicy { Never, Always, FromSocketsForHub };

HubPolicy hubPolicy()
{
    bool set = false;
    const int value = qEnvironmentVariableIntValue("QSEQPACKET_EVENT_HUB", &set);
    if (!set)
        return HubPolicy::FromSocketsForHub;
    return value == 0 ? HubPolicy::Never : HubPolicy::Always;
}

// The most events one dispatch takes; more wait for the next pass of the event loop.
constexpr int EventsPerDispatch = 64;

} // namespace

bool QSeqpacketEventHub::wanted(int watchesInThread)
{
    static const HubPolicy policy = hubPolicy();
    switch (policy) {
    case HubPolicy::Never:
        return false;
    case HubPolicy::Always:
        return true;
    case HubPolicy::FromSocketsForHub:
        break;
    }
    return watchesInThread >= SocketsForHub;
}

QSeqpacketEventHub *QSeqpacketEventHub::acquire()
{
    QSeqpacketEventHub *hub = threadHub;
    if (hub && !hub->isCurrent()) {
        // Inherited through fork(): its watches leave it as they change, and the last one
        // deletes it without touching the parent's set.
        threadHub = hub = nullptr;
    }
    if (!hub) {
        if (!QAbstractEventDispatcher::instance())
            return nullptr;
        static const int atforkRegistered = pthread_atfork(nullptr, nullptr, countForkInChild);
        if (atforkRegistered != 0)
            return nullptr; // a child could not tell the parent's set from its own
        int errorNumber = 0;
        const int set = createEventSet(&errorNumber);
        if (set == -1) {
            // Each socket that would join tries again; the first failure of a run says why.
            const QString reason = describe(QStringLiteral("epoll_create1"), errorNumber);
            if (!std::exchange(eventSetFailing, true))
                qCWarning(lcSeqpacket, "%s; watching each socket with a notifier of its own", qPrintable(reason));
            else
                qCDebug(lcSeqpacket, "%s", qPrintable(reason));
            return nullptr;
        }
        eventSetFailing = false;
        hub = new QSeqpacketEventHub(set, forkGeneration.load(std::memory_order_relaxed));
        threadHub = hub;
    }
    ++hub->users;
    return hub;
}

QSeqpacketEventHub::QSeqpacketEventHub(int set, unsigned generation)
    : set(set), generation(generation)
{
    notifier = new QSeqpacketNotifier(QSocketNotifier::Read, [this] { dispatch(); }, nullptr);
    notifier->setSocket(set);
    notifier->setEnabled(true);
}

QSeqpacketEventHub::~QSeqpacketEventHub()
{
    if (threadHub == this)
        threadHub = nullptr;
    notifier->setEnabled(false);
    delete notifier;
    closeDescriptor(set);
}

void QSeqpacketEventHub::release()
{
    if (--users > 0 || dispatching > 0)
        return; // a dispatch in progress deletes it when it ends
    delete this;
}

bool QSeqpacketEventHub::isCurrent() const
{
    return generation == forkGeneration.load(std::memory_order_relaxed);
}

quint64 QSeqpacketEventHub::add(QSeqpacketWatch *watch, int fd, quint32 events, int *error)
{
    quint32 serial = nextSerial++;
    if (serial == 0) // wrapped: 0 is "no registration" to the watch
        serial = nextSerial++;
    const quint64 registration = (quint64(serial) << 32) | quint32(fd);
    if (!controlEventSet(set, EPOLL_CTL_ADD, fd, events, registration, error))
        return 0;
    if (size_t(fd) >= registrations.size())
        registrations.resize(std::max(size_t(fd) + 1, registrations.size() * 2));
    registrations[size_t(fd)] = Registration { registration, watch };
    return registration;
}

bool QSeqpacketEventHub::modify(quint64 registration, int fd, quint32 events, int *error)
{
    return controlEventSet(set, EPOLL_CTL_MOD, fd, events, registration, error);
}

void QSeqpacketEventHub::remove(quint64 registration, int fd)
{
    if (size_t(fd) >= registrations.size() || registrations[size_t(fd)].id != registration)
        return; // that descriptor was closed and has been registered anew since
    registrations[size_t(fd)] = Registration();
    if (!isCurrent())
        return;
    int errorNumber = 0;
    if (!controlEventSet(set, EPOLL_CTL_DEL, fd, 0, 0, &errorNumber))
        qCDebug(lcSeqpacket) << "epoll_ctl(EPOLL_CTL_DEL) of descriptor" << fd << "failed:" << errorNumber;
}

QSeqpacketWatch *QSeqpacketEventHub::watchOf(quint64 registration) const
{
    const size_t fd = quint32(registration);
    return fd < registrations.size() && registrations[fd].id == registration ? registrations[fd].watch : nullptr;
}

void QSeqpacketEventHub::dispatch()
{
    if (!isCurrent()) {
        // The parent's set, seen from a child: its events are the parent's.
        notifier->setEnabled(false);
        return;
    }
    epoll_event events[EventsPerDispatch];
    int errorNumber = 0;
    const int ready = readyEvents(set, events, EventsPerDispatch, &errorNumber);
    if (ready == -1) {
        qCWarning(lcSeqpacket, "%s", qPrintable(describe(QStringLiteral("epoll_wait"), errorNumber)));
        return;
    }
    ++dispatching;
    for (int i = 0; i < ready; ++i) {
        const quint64 registration = events[i].data.u64;
        const quint32 happened = events[i].events;
        // Each handler may delete any watch, this one included: look it up again each time.
        QSeqpacketWatch *watch = watchOf(registration);
        if (watch && watch->wantsRead() && (happened & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            watch->readyRead();
        watch = watchOf(registration);
        // A hang-up with only writing asked for goes to the writer, who learns of it from send.
        if (watch && watch->wantsWrite() && (happened & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
            watch->readyWrite();
    }
    if (--dispatching == 0 && users == 0)
        delete this;
}
