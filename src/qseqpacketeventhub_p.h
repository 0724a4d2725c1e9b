// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETEVENTHUB_P_H
#define QSEQPACKETEVENTHUB_P_H

#include <QtCore/qglobal.h>

#include <vector>

class QSeqpacketNotifier;
class QSeqpacketWatch;

// One epoll set per thread, watched by one QSocketNotifier, for every socket of that thread.
//
// With a QSocketNotifier per socket, Qt's glib event dispatcher keeps every descriptor in its own
// list: registering one walks the list (g_source_add_poll() keeps it sorted by priority), and
// every pass of the event loop hands all of them to poll(). A server with a thousand connections
// then pays for all of them on each wake-up, and for each new connection a walk of the list.
// Here the dispatcher sees one descriptor per thread, and the kernel tells which sockets are ready.
// The hub lives while a watch of its thread uses it.
class QSeqpacketEventHub
{
public:
    // Whether a socket that starts watching now, in a thread with \a watchesInThread sockets
    // watched already, should join the hub. The hub costs an epoll_wait() per wake-up, which a
    // thread with a few sockets does not win back (a packet round trip was 10 % slower with it);
    // from SocketsForHub sockets on, Qt's per-descriptor costs are larger. QSEQPACKET_EVENT_HUB=0
    // never uses it, =1 always does (the tests run both ways).
    static bool wanted(int watchesInThread);
    static constexpr int SocketsForHub = 32;

    // The hub of the calling thread, made on first use, with one more user; nullptr where the
    // thread has no event dispatcher or the system refuses an epoll set (the watches then use a
    // notifier each).
    static QSeqpacketEventHub *acquire();
    // One user less; the last one deletes the hub (once it is no longer dispatching).
    void release();

    // Whether this hub still serves this process: after fork() the child shares the parent's
    // epoll set, so the child's copy must not touch it (it would change the parent's interest).
    bool isCurrent() const;

    // Registers \a watch for \a fd with epoll \a events; returns its registration, 0 with *error set.
    quint64 add(QSeqpacketWatch *watch, int fd, quint32 events, int *error);
    bool modify(quint64 registration, int fd, quint32 events, int *error);
    // Before \a fd is closed, or when the watch goes.
    void remove(quint64 registration, int fd);

private:
    QSeqpacketEventHub(int set, unsigned generation);
    ~QSeqpacketEventHub();
    void dispatch();

    int set;
    unsigned generation; // of fork(): see isCurrent()
    QSeqpacketNotifier *notifier = nullptr;
    // A registration is its descriptor (low 32 bits) and a serial number (high 32 bits): events
    // and remove() calls of an earlier registration of the same descriptor number (closed and
    // reused since) do not match the newer one. Kept by descriptor, in a table indexed by it:
    // descriptors are small numbers, the lowest free one each time, so the table is about as
    // long as the process has descriptors, and a lookup is an index, not a hash (with thousands
    // of sockets a QHash lookup was a cache miss, 7 % of accepting connections).
    struct Registration
    {
        quint64 id = 0; // 0: none
        QSeqpacketWatch *watch = nullptr;
    };
    std::vector<Registration> registrations;
    quint32 nextSerial = 1;
    QSeqpacketWatch *watchOf(quint64 registration) const;
    int users = 0;
    int dispatching = 0; // depth: a handler may run a nested event loop
};

#endif // QSEQPACKETEVENTHUB_P_H
