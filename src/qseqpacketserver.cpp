// SPDX-License-Identifier: MIT
#include "qseqpacketserver.h"
#include "qseqpacketserver_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketnotifier_p.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <sys/socket.h>
#include <sys/stat.h>

using namespace QSeqpacketSystem;

namespace {

constexpr int FirstActivatedDescriptor = 3; // SD_LISTEN_FDS_START
constexpr int FirstAcceptRetryInterval = 50;
constexpr int MaxAcceptRetryInterval = 1000;
// Connections one notifier activation accepts at most before the event loop gets its turn.
constexpr int MaxAcceptsPerActivation = 1024;

mode_t modeFor(QSeqpacketServer::SocketOptions options)
{
    mode_t mode = 0;
    if (options & QSeqpacketServer::UserAccessOption)
        mode |= S_IRWXU;
    if (options & QSeqpacketServer::GroupAccessOption)
        mode |= S_IRWXG;
    if (options & QSeqpacketServer::OtherAccessOption)
        mode |= S_IRWXO;
    return mode;
}

} // namespace

// ---------------------------------------------------------------------------------------------

void QSeqpacketServerPrivate::setError(QSeqpacketSocket::SocketError newError, const QString &message)
{
    error = newError;
    errorString = message;
    qCDebug(lcSeqpacketServer) << message;
}

void QSeqpacketServerPrivate::setError(const QString &operation, int errnoValue)
{
    setError(errorFromErrno(errnoValue), describe(operation, errnoValue));
}

void QSeqpacketServerPrivate::setErrorAndEmit(QSeqpacketSocket::SocketError newError, const QString &message)
{
    Q_Q(QSeqpacketServer);
    setError(newError, message);
    emit q->acceptError(newError);
}

void QSeqpacketServerPrivate::setErrorAndEmit(const QString &operation, int errnoValue)
{
    setErrorAndEmit(errorFromErrno(errnoValue), describe(operation, errnoValue));
}

void QSeqpacketServerPrivate::refuseSetting(const QString &why)
{
    setError(QSeqpacketSocket::OperationError, why);
    qCWarning(lcSeqpacketServer, "%s", qPrintable(why));
}

bool QSeqpacketServerPrivate::createSocketFile(int newFd, const QSeqpacketAddress &requested)
{
    const mode_t mode = modeFor(options);
    int errorNumber = 0;
    // The file takes its mode from the socket's inode, less the umask: set it before bind() so
    // that the file never has more than asked, not even for an instant.
    if (options != QSeqpacketServer::NoOptions && !setDescriptorMode(newFd, mode, &errorNumber)) {
        setError(tr("listen: fchmod"), errorNumber);
        return false;
    }
    if (!bindTo(newFd, requested, &errorNumber)) {
        if (errorNumber == EADDRINUSE && requested.kind() == QSeqpacketAddress::Path) {
            // Not probed here: a probe would show a live server a connection from nobody.
            setError(QSeqpacketSocket::AddressInUseError,
                     tr("listen: %1 already exists: another server listens there, or a server that "
                                          "is gone left its socket file (QSeqpacketServer::removeServer() removes a "
                                          "stale one)").arg(requested.toString()));
        } else if (errorNumber == EADDRINUSE) {
            setError(QSeqpacketSocket::AddressInUseError,
                     tr("listen: another socket is bound to %1").arg(requested.toString()));
        } else {
            setError(tr("listen: bind(%1)").arg(requested.toString()), errorNumber);
        }
        return false;
    }
    if (requested.kind() != QSeqpacketAddress::Path)
        return true;

    // Look at what bind() made through a descriptor that does not follow symbolic links: the
    // directory may be writable by others, who could have put something else at the path since.
    const QByteArray path = requested.nativePath();
    FileIdentity made;
    const int pathFd = openPathWithoutFollowing(path, &made, &errorNumber);
    if (pathFd == -1 || !made.isSocket()) {
        closeDescriptor(pathFd);
        setError(QSeqpacketSocket::SocketAccessError,
                 pathFd == -1 ? describe(tr("listen: open(%1)").arg(requested.toString()), errorNumber)
                              : tr("listen: %1 was replaced by something other than the socket "
                                                     "just after bind()").arg(requested.toString()));
        return false;
    }
    ownsFile = true;
    file = made;
    // The umask can only have taken bits away; give back those asked for. Adding is safe: the
    // file had fewer until now.
    if (options != QSeqpacketServer::NoOptions && (made.mode & 07777) != mode
        && !setModeThrough(pathFd, mode, &errorNumber)) {
        closeDescriptor(pathFd);
        int ignored = 0;
        removeIfSameFile(path, file, &ignored);
        ownsFile = false;
        setError(tr("listen: chmod(%1)").arg(requested.toString()), errorNumber);
        return false;
    }
    closeDescriptor(pathFd);
    return true;
}

void QSeqpacketServerPrivate::startListening(int newFd, const QSeqpacketAddress &listenedOn)
{
    Q_Q(QSeqpacketServer);
    fd = newFd;
    // An unnamed listen gets its abstract name from the kernel; a path is kept as asked.
    address = listenedOn.kind() == QSeqpacketAddress::Path ? listenedOn : localAddressOf(fd);
    error = QSeqpacketSocket::NoError;
    errorString.clear();
    // Asked once here rather than for every accepted connection (a kernel without SO_PASSPIDFD
    // says ENOPROTOOPT: off).
    int ignored = 0;
    acceptedOptions.passCredentials = intOption(fd, SOL_SOCKET, SO_PASSCRED, &ignored) > 0;
    acceptedOptions.passProcessFd = intOption(fd, SOL_SOCKET, SoPassPidfd, &ignored) > 0;
    acceptPaused = false;
    retryInterval = 0;
    if (!notifier && QAbstractEventDispatcher::instance(q->thread()) && QThread::currentThread() == q->thread()) {
        notifier = new QSeqpacketNotifier(QSocketNotifier::Read, [this] { acceptConnections(); }, q);
        notifier->setEnabled(false);
    }
    if (notifier) {
        notifier->setEnabled(false);
        notifier->setSocket(fd);
    }
    updateNotifier();
    qCDebug(lcSeqpacketServer) << "listening on" << address;
}

void QSeqpacketServerPrivate::updateNotifier()
{
    if (!notifier)
        return;
    notifier->setEnabled(fd >= 0 && !acceptPaused && pending.size() < maxPending);
}

void QSeqpacketServerPrivate::acceptConnections()
{
    Q_Q(QSeqpacketServer);
    QPointer<QSeqpacketServer> guard(q);
    // In rounds: accept until the backlog is empty or the pending list is full, then announce.
    // Where the slots took the connections and more wait, the next round goes on at once rather
    // than after another pass of the event loop (a burst of clients is accepted at the rate of
    // accept4(), not of the event loop); bounded so that other events still get their turn.
    int acceptedNow = 0;
    for (;;) {
        bool added = false;
        bool backlogEmpty = false;
        bool failed = false;
        while (fd >= 0 && pending.size() < maxPending) {
            int errorNumber = 0;
            const int accepted = acceptConnection(fd, &errorNumber);
            if (accepted == -1) {
                if (errorNumber == EAGAIN) {
                    backlogEmpty = true;
                    break;
                }
                if (errorNumber == ECONNABORTED || errorNumber == EPROTO)
                    continue; // that client gave up; others may wait
                // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), or refused (a
                // security module's EPERM): the clients stay in the backlog and the socket stays
                // readable, so retrying at once would spin. Try again later instead.
                qCWarning(lcSeqpacketServer, "%s; retrying later", qPrintable(describe(QStringLiteral("accept"), errorNumber)));
                scheduleAcceptRetry();
                setErrorAndEmit(tr("accept"), errorNumber);
                if (!guard)
                    return;
                failed = true;
                break;
            }
            retryInterval = 0;
            ++acceptedNow;
            bool serverGone = false;
            const bool admitted = admit(accepted, &serverGone);
            if (serverGone)
                return; // a filter deleted the server, which closed the connection
            if (!admitted) {
                closeDescriptor(accepted);
                continue;
            }
            const qsizetype before = pending.size();
            q->incomingConnection(accepted);
            if (!guard)
                return;
            acceptingUser.reset();
            added = added || pending.size() > before;
        }
        // The notifier is brought up to date after the announcement, not before it: slots that
        // take what is pending (most do) leave it as it was, where switching it off and on again
        // around each round cost the event loop a wake-up and a rebuilt poll set every time. A
        // slot that runs an event loop with the list still full finds the notifier on; that
        // nested call accepts nothing and switches it off.
        if (added) {
            emit q->newConnection();
            if (!guard)
                return;
        }
        updateNotifier();
        if (!added || backlogEmpty || failed || fd < 0 || acceptPaused || pending.size() >= maxPending
            || acceptedNow >= MaxAcceptsPerActivation) {
            return;
        }
    }
}

bool QSeqpacketServerPrivate::admit(int accepted, bool *serverGone)
{
    Q_Q(QSeqpacketServer);
    acceptingUser.reset();
    if (!credentialsFilter && !connectionFilter && maxConnectionsPerUser <= 0)
        return true;
    int errorNumber = 0;
    const QSeqpacketCredentials credentials =
            peerCredentialsOf(accepted, &errorNumber, credentialsFilter ? PeerGroups::Include : PeerGroups::Skip);
    if (!credentials.isValid()) {
        qCWarning(lcSeqpacketServer, "%s; connection rejected",
                  qPrintable(describe(QStringLiteral("accept: getsockopt(SO_PEERCRED)"), errorNumber)));
        return false;
    }
    if (maxConnectionsPerUser > 0 && connectionsPerUser.value(credentials.userId()) >= maxConnectionsPerUser) {
        qCDebug(lcSeqpacketServer) << "user" << credentials.userId() << "has" << maxConnectionsPerUser
                                   << "connections already; rejected pid" << credentials.processId();
        return false;
    }
    QPointer<QSeqpacketServer> guard(q);
    bool admitted = true;
    // The filters run from copies: a filter that deletes the server, or sets another filter,
    // destroys the stored one while it runs, and with it the closure it is executing.
    try {
        if (credentialsFilter) {
            const auto filter = credentialsFilter;
            admitted = filter(credentials);
        } else if (connectionFilter) {
            // The filter sees a connection of its own, on the accepted descriptor; it goes back
            // to incomingConnection() as a descriptor, so that a subclass gets it as always.
            QSeqpacketSocket connection;
            if (!QSeqpacketSocketPrivate::get(&connection)->adoptConnected(accepted, QStringLiteral("accept"),
                                                                           &acceptedOptions)) {
                qCWarning(lcSeqpacketServer, "%s; connection rejected", qPrintable(connection.errorString()));
                admitted = false;
            } else {
                // The descriptor stays the caller's, also when the filter throws.
                const auto release = qScopeGuard([&connection] { connection.releaseSocketDescriptor(); });
                const auto filter = connectionFilter;
                admitted = filter(std::as_const(connection));
            }
        }
    } catch (...) {
        qCWarning(lcSeqpacketServer, "the peer filter threw an exception; connection of pid %lld rejected",
                  credentials.processId());
        admitted = false;
    }
    if (!guard) {
        closeDescriptor(accepted);
        *serverGone = true;
        return false;
    }
    if (!admitted) {
        qCDebug(lcSeqpacketServer) << "peer filter rejected pid" << credentials.processId();
        return false;
    }
    if (maxConnectionsPerUser > 0)
        acceptingUser = credentials.userId();
    return true;
}

void QSeqpacketServerPrivate::countConnection(QSeqpacketSocket *socket, uint uid)
{
    Q_Q(QSeqpacketServer);
    if (countedConnections.contains(socket))
        return;
    countedConnections.insert(socket, uid);
    ++connectionsPerUser[uid];
    // Whichever comes first ends the count; the other finds nothing to do.
    QObject::connect(socket, &QSeqpacketSocket::disconnected, q, [this, socket] { connectionEnded(socket); });
    QObject::connect(socket, &QObject::destroyed, q, [this](QObject *object) { connectionEnded(object); });
}

void QSeqpacketServerPrivate::connectionEnded(QObject *socket)
{
    const auto found = countedConnections.constFind(socket);
    if (found == countedConnections.constEnd())
        return;
    const uint uid = found.value();
    countedConnections.erase(found);
    if (--connectionsPerUser[uid] <= 0)
        connectionsPerUser.remove(uid);
}

void QSeqpacketServerPrivate::scheduleAcceptRetry()
{
    Q_Q(QSeqpacketServer);
    acceptPaused = true;
    updateNotifier();
    retryInterval = retryInterval == 0 ? FirstAcceptRetryInterval : qMin(retryInterval * 2, MaxAcceptRetryInterval);
    if (!QAbstractEventDispatcher::instance(q->thread()))
        return; // no event loop: waitForNewConnection() waits out the interval itself
    if (!retryTimer) {
        retryTimer = new QTimer(q);
        retryTimer->setSingleShot(true);
        QObject::connect(retryTimer, &QTimer::timeout, q, [this] {
            acceptPaused = false;
            updateNotifier();
            acceptConnections();
        });
    }
    retryTimer->start(retryInterval);
}

// ---------------------------------------------------------------------------------------------

QSeqpacketServer::QSeqpacketServer(QObject *parent)
    : QObject(parent), d_ptr(new QSeqpacketServerPrivate(this))
{
}

QSeqpacketServer::~QSeqpacketServer()
{
    close();
}

bool QSeqpacketServer::listen(const QString &address)
{
    return listen(QSeqpacketAddress::fromString(address));
}

bool QSeqpacketServer::listen(const QSeqpacketAddress &address)
{
    Q_D(QSeqpacketServer);
    if (isListening()) {
        d->setError(QSeqpacketSocket::OperationError, tr("listen: the server already listens on %1")
                                                              .arg(d->address.toString()));
        return false;
    }
    if (!address.isValid()) {
        d->setError(QSeqpacketSocket::InvalidAddressError, tr("listen: %1").arg(address.errorString()));
        return false;
    }
    int errorNumber = 0;
    const int newFd = openSeqpacketSocket(&errorNumber);
    if (newFd == -1) {
        d->setError(tr("listen: socket(AF_UNIX, SOCK_SEQPACKET)"), errorNumber);
        return false;
    }
    if (!d->createSocketFile(newFd, address)) {
        closeDescriptor(newFd);
        return false;
    }
    if (!listenOn(newFd, d->backlog, &errorNumber)) {
        if (d->ownsFile) {
            int ignored = 0;
            removeIfSameFile(address.nativePath(), d->file, &ignored);
        }
        d->ownsFile = false;
        closeDescriptor(newFd);
        d->setError(tr("listen: listen()"), errorNumber);
        return false;
    }
    d->startListening(newFd, address);
    return true;
}

bool QSeqpacketServer::setSocketDescriptor(int listeningFd)
{
    Q_D(QSeqpacketServer);
    if (isListening()) {
        d->setError(QSeqpacketSocket::OperationError, tr("setSocketDescriptor: the server already listens"));
        return false;
    }
    const QString problem = socketRoleProblem(listeningFd, SocketRole::Listening);
    if (!problem.isEmpty()) {
        d->setError(QSeqpacketSocket::OperationError, tr("setSocketDescriptor: %1").arg(problem));
        return false;
    }
    int errorNumber = 0;
    if (!setNonBlocking(listeningFd, &errorNumber) || !setCloseOnExec(listeningFd, &errorNumber)) {
        d->setError(tr("setSocketDescriptor: fcntl"), errorNumber);
        return false;
    }
    d->ownsFile = false; // somebody else made it; close() leaves it alone
    d->startListening(listeningFd, localAddressOf(listeningFd));
    return true;
}

bool QSeqpacketServer::listenActivated(const QString &name)
{
    return listenActivated(name, NoActivationOptions);
}

bool QSeqpacketServer::listenActivated(const QString &name, ActivationOptions options)
{
    Q_D(QSeqpacketServer);
    const QByteArray pidText = qgetenv("LISTEN_PID");
    const QByteArray countText = qgetenv("LISTEN_FDS");
    bool pidOk = false;
    bool countOk = false;
    const qint64 pid = pidText.toLongLong(&pidOk);
    const int count = countText.toInt(&countOk);
    if (!pidOk || !countOk || count <= 0) {
        d->setError(QSeqpacketSocket::OperationError,
                    tr("listenActivated: no sockets were handed over (LISTEN_PID and LISTEN_FDS are not set)"));
        return false;
    }
    if (pid != QCoreApplication::applicationPid()) {
        d->setError(QSeqpacketSocket::OperationError,
                    tr("listenActivated: the sockets were handed to process %1, not to this one").arg(pid));
        return false;
    }
    // A process id can be reused; the pidfd's inode cannot (systemd sets it where the kernel has one).
    const QByteArray pidfdIdText = qgetenv("LISTEN_PIDFDID");
    if (!pidfdIdText.isEmpty()) {
        bool pidfdIdOk = false;
        const qint64 pidfdId = pidfdIdText.toLongLong(&pidfdIdOk);
        const qint64 own = ownPidfdInode();
        if (!pidfdIdOk || (own >= 0 && own != pidfdId)) {
            d->setError(QSeqpacketSocket::OperationError,
                        tr("listenActivated: the sockets were handed to another process with this process id "
                           "(LISTEN_PIDFDID %1, this process's pidfd %2)").arg(QString::fromLatin1(pidfdIdText)).arg(own));
            return false;
        }
    }
    const QList<QByteArray> names = qgetenv("LISTEN_FDNAMES").split(':');
    for (int i = 0; i < count; ++i) {
        const int candidate = FirstActivatedDescriptor + i;
        if (!name.isEmpty() && (i >= names.size() || QString::fromUtf8(names.at(i)) != name))
            continue;
        if (!socketRoleProblem(candidate, SocketRole::Listening).isEmpty())
            continue;
        if (!setSocketDescriptor(candidate))
            return false;
        if (options & UnsetEnvironmentOption) {
            for (const char *variable : { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID" })
                qunsetenv(variable);
            // Nobody can find the others any more: no child process should inherit them.
            for (int other = 0; other < count; ++other) {
                int ignored = 0;
                setCloseOnExec(FirstActivatedDescriptor + other, &ignored);
            }
        }
        return true;
    }
    d->setError(QSeqpacketSocket::OperationError,
                name.isEmpty() ? tr("listenActivated: none of the %1 sockets handed over is a listening seqpacket socket").arg(count)
                               : tr("listenActivated: no listening seqpacket socket named \"%1\" was handed over").arg(name));
    return false;
}

void QSeqpacketServer::close()
{
    Q_D(QSeqpacketServer);
    if (d->retryTimer)
        d->retryTimer->stop();
    d->acceptPaused = false;
    if (d->fd >= 0) {
        if (d->notifier)
            d->notifier->setEnabled(false);
        closeDescriptor(d->fd);
        d->fd = -1;
    }
    if (d->ownsFile) {
        // Only the file this server made: another server may have replaced it since.
        int ignored = 0;
        removeIfSameFile(d->address.nativePath(), d->file, &ignored);
        d->ownsFile = false;
    }
    const QList<QSeqpacketSocket *> notTaken = std::exchange(d->pending, {});
    for (QSeqpacketSocket *socket : notTaken) {
        QSeqpacketSocketPrivate::get(socket)->pendingIn = nullptr;
        if (socket->parent() == this)
            delete socket;
    }
}

bool QSeqpacketServer::isListening() const
{
    return d_func()->fd >= 0;
}

QSeqpacketAddress QSeqpacketServer::serverAddress() const
{
    return d_func()->address;
}

int QSeqpacketServer::socketDescriptor() const
{
    return d_func()->fd;
}

void QSeqpacketServer::setSocketOptions(SocketOptions options)
{
    d_func()->options = options;
}

QSeqpacketServer::SocketOptions QSeqpacketServer::socketOptions() const
{
    return d_func()->options;
}

void QSeqpacketServer::setListenBacklogSize(int size)
{
    Q_D(QSeqpacketServer);
    if (size < 0) {
        d->refuseSetting(tr("setListenBacklogSize: %1 is not a backlog (0 or more); it stays %2")
                                 .arg(size).arg(d->backlog));
        return;
    }
    d->backlog = size;
}

int QSeqpacketServer::listenBacklogSize() const
{
    return d_func()->backlog;
}

void QSeqpacketServer::setMaxPendingConnections(int count)
{
    Q_D(QSeqpacketServer);
    if (count < 0) {
        d->refuseSetting(tr("setMaxPendingConnections: %1 is not a number of connections (1 or more); it stays %2")
                                 .arg(count).arg(d->maxPending));
        return;
    }
    d->maxPending = qMax(count, 1); // 0 would accept nothing ever: one at a time
    d->updateNotifier();
}

int QSeqpacketServer::maxPendingConnections() const
{
    return d_func()->maxPending;
}

bool QSeqpacketServer::hasPendingConnections() const
{
    Q_D(const QSeqpacketServer);
    return !d->pending.isEmpty();
}

QSeqpacketSocket *QSeqpacketServer::nextPendingConnection()
{
    Q_D(QSeqpacketServer);
    QSeqpacketSocket *next = nullptr;
    if (!d->pending.isEmpty()) {
        next = d->pending.takeFirst();
        QSeqpacketSocketPrivate::get(next)->pendingIn = nullptr;
    }
    d->updateNotifier(); // room again: accept those waiting in the backlog
    return next;
}

bool QSeqpacketServer::waitForNewConnection(int msecs, bool *timedOut)
{
    return waitForNewConnection(QDeadlineTimer(msecs), timedOut);
}

bool QSeqpacketServer::waitForNewConnection(QDeadlineTimer deadline, bool *timedOut)
{
    Q_D(QSeqpacketServer);
    if (timedOut)
        *timedOut = false;
    if (hasPendingConnections())
        return true;
    if (d->fd < 0) {
        d->setError(QSeqpacketSocket::OperationError, tr("waitForNewConnection: the server is not listening"));
        return false;
    }
    while (!hasPendingConnections()) {
        if (d->acceptPaused) {
            // Out of descriptors a moment ago: wait before trying again rather than spin.
            if (deadline.hasExpired()) {
                if (timedOut)
                    *timedOut = true;
                return false;
            }
            const qint64 remaining = deadline.remainingTime();
            pollUntil(-1, 0, QDeadlineTimer(remaining < 0 ? d->retryInterval : qMin<qint64>(remaining, d->retryInterval)));
            if (d->retryTimer)
                d->retryTimer->stop();
            d->acceptPaused = false;
            d->updateNotifier();
        }
        const PollResult waited = pollUntil(d->fd, POLLIN, deadline);
        if (waited.outcome == PollResult::Failed) {
            d->setError(tr("waitForNewConnection: poll"), waited.error);
            return false;
        }
        if (waited.outcome == PollResult::TimedOut) {
            if (timedOut)
                *timedOut = true;
            return false;
        }
        d->acceptConnections();
        if (d->fd < 0)
            return false;
    }
    return true;
}

void QSeqpacketServer::setPeerFilter(std::function<bool(const QSeqpacketCredentials &)> filter)
{
    Q_D(QSeqpacketServer);
    d->credentialsFilter = std::move(filter);
    d->connectionFilter = nullptr;
}

void QSeqpacketServer::setPeerFilter(std::function<bool(const QSeqpacketSocket &)> filter)
{
    Q_D(QSeqpacketServer);
    d->connectionFilter = std::move(filter);
    d->credentialsFilter = nullptr;
}

void QSeqpacketServer::setPeerFilter(std::nullptr_t)
{
    Q_D(QSeqpacketServer);
    d->credentialsFilter = nullptr;
    d->connectionFilter = nullptr;
}

void QSeqpacketServer::setMaxConnectionsPerUser(int count)
{
    Q_D(QSeqpacketServer);
    if (count < 0) {
        d->refuseSetting(tr("setMaxConnectionsPerUser: %1 is not a number of connections (0 for no limit); it "
                            "stays %2").arg(count).arg(d->maxConnectionsPerUser));
        return;
    }
    d->maxConnectionsPerUser = count;
}

int QSeqpacketServer::maxConnectionsPerUser() const
{
    return d_func()->maxConnectionsPerUser;
}

bool QSeqpacketServer::removeServer(const QString &path)
{
    const QByteArray nativePath = QFile::encodeName(path);
    FileIdentity found;
    int errorNumber = 0;
    if (!identifyPath(nativePath, &found, &errorNumber))
        return errorNumber == ENOENT;
    if (!found.isSocket()) {
        qCWarning(lcSeqpacketServer, "removeServer: %s is not a socket; left alone", nativePath.constData());
        return false;
    }
    // Ask the kernel first: connecting to a live server would show it a connection from nobody.
    const int probed = findListenerBoundTo(found.inode) == ListenerSearch::Found ? 0 : probeSocketFile(nativePath);
    if (probed == 0) {
        qCDebug(lcSeqpacketServer, "removeServer: a server listens on %s; left alone", nativePath.constData());
        return false;
    }
    // Only a refusal says nobody listens (ENOENT: the file went meanwhile). Where the probe could
    // not be made (no descriptor left) or not answered (no permission to connect), a live server
    // cannot be ruled out.
    if (probed != ECONNREFUSED && probed != ENOENT) {
        qCWarning(lcSeqpacketServer, "%s; left alone",
                  qPrintable(describe(QStringLiteral("removeServer: cannot tell whether a server listens on %1")
                                              .arg(path), probed)));
        return false;
    }
    // Remove only the file that was found stale: a server may have put a new one there meanwhile.
    if (!removeIfSameFile(nativePath, found, &errorNumber)) {
        if (errorNumber)
            qCWarning(lcSeqpacketServer, "%s", qPrintable(describe(QStringLiteral("removeServer: unlink(%1)").arg(path), errorNumber)));
        return false;
    }
    return true;
}

QSeqpacketSocket::SocketError QSeqpacketServer::serverError() const
{
    return d_func()->error;
}

QString QSeqpacketServer::errorString() const
{
    Q_D(const QSeqpacketServer);
    return d->errorString.isEmpty() ? tr("No error") : d->errorString;
}

void QSeqpacketServer::incomingConnection(int socketDescriptor)
{
    auto *socket = new QSeqpacketSocket(this);
    Q_D(QSeqpacketServer);
    if (!QSeqpacketSocketPrivate::get(socket)->adoptConnected(socketDescriptor, QStringLiteral("accept"),
                                                              &d->acceptedOptions)) {
        closeDescriptor(socketDescriptor);
        const QSeqpacketSocket::SocketError failure = socket->error();
        const QString message = socket->errorString();
        delete socket;
        d->setErrorAndEmit(failure, message);
        return;
    }
    addPendingConnection(socket);
}

void QSeqpacketServer::addPendingConnection(QSeqpacketSocket *socket)
{
    Q_D(QSeqpacketServer);
    if (d->acceptingUser && socket) {
        d->countConnection(socket, *d->acceptingUser);
        d->acceptingUser.reset(); // one connection per accept
    }
    if (!socket)
        return;
    QSeqpacketServer *&pendingIn = QSeqpacketSocketPrivate::get(socket)->pendingIn;
    if (pendingIn == this)
        return;
    if (pendingIn)
        QSeqpacketServerPrivate::forgetPending(pendingIn, socket);
    pendingIn = this;
    d->pending.append(socket);
}

void QSeqpacketServerPrivate::forgetPending(QSeqpacketServer *server, QSeqpacketSocket *socket)
{
    QSeqpacketSocketPrivate::get(socket)->pendingIn = nullptr;
    get(server)->pending.removeOne(socket);
}
