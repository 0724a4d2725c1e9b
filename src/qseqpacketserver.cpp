// SPDX-License-Identifier: MIT
#include "qseqpacketserver.h"
#include "qseqpacketserver_p.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketsocket_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace QSeqpacketSystem;

namespace {

constexpr int FirstActivatedDescriptor = 3; // SD_LISTEN_FDS_START
constexpr int FirstAcceptRetryInterval = 50;
constexpr int MaxAcceptRetryInterval = 1000;

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

// How a connect() to a socket file ends: 0 when a server accepted, else errno. Tries every
// socket type, since a server of another type is just as alive.
int probeSocketFile(const QByteArray &path)
{
    sockaddr_un sun;
    const socklen_t length = toSockaddr(QSeqpacketAddress::fromNativePath(path), &sun);
    int result = ECONNREFUSED;
    for (int type : { SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM }) {
        const int probe = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (probe == -1)
            return errno;
        const int connected = ::connect(probe, reinterpret_cast<const sockaddr *>(&sun), length);
        const int errorNumber = connected == 0 ? 0 : errno;
        closeDescriptor(probe);
        if (errorNumber == EPROTOTYPE)
            continue;
        // EAGAIN: the backlog is full, so somebody listens.
        if (errorNumber == 0 || errorNumber == EAGAIN)
            return 0;
        result = errorNumber;
        break;
    }
    return result;
}

enum class Listener { Found, NotFound, Unknown };

// Asks the kernel (sock_diag) whether a listening AF_UNIX socket is bound to the file with
// \a inode, without connecting to it. Only sockets of this network namespace are listed, so
// NotFound is not the last word; Found is.
Listener findListenerBoundTo(ino_t inode)
{
    const int netlink = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (netlink == -1)
        return Listener::Unknown;
    struct {
        nlmsghdr header;
        unix_diag_req request;
    } message;
    std::memset(&message, 0, sizeof(message));
    message.header.nlmsg_len = sizeof(message);
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.request.sdiag_family = AF_UNIX;
    message.request.udiag_states = 1u << 10; // TCP_LISTEN
    message.request.udiag_show = UDIAG_SHOW_VFS;
    if (retryOnEintr([&] { return ::send(netlink, &message, sizeof(message), 0); }) == -1) {
        closeDescriptor(netlink);
        return Listener::Unknown;
    }
    Listener result = Listener::NotFound;
    alignas(nlmsghdr) char buffer[16384];
    for (bool done = false; !done;) {
        ssize_t length = retryOnEintr([&] { return ::recv(netlink, buffer, sizeof(buffer), 0); });
        if (length <= 0) {
            result = Listener::Unknown;
            break;
        }
        for (auto *header = reinterpret_cast<nlmsghdr *>(buffer); NLMSG_OK(header, size_t(length));
             header = NLMSG_NEXT(header, length)) {
            if (header->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (header->nlmsg_type == NLMSG_ERROR) {
                result = Listener::Unknown;
                done = true;
                break;
            }
            auto *diag = static_cast<unix_diag_msg *>(NLMSG_DATA(header));
            int attributesLength = int(header->nlmsg_len - NLMSG_LENGTH(sizeof(*diag)));
            for (auto *attribute = reinterpret_cast<rtattr *>(diag + 1); RTA_OK(attribute, attributesLength);
                 attribute = RTA_NEXT(attribute, attributesLength)) {
                if (attribute->rta_type != UNIX_DIAG_VFS)
                    continue;
                unix_diag_vfs vfs;
                std::memcpy(&vfs, RTA_DATA(attribute), sizeof(vfs));
                // The inode alone: the kernel's device encoding differs from stat()'s, and a
                // false match only keeps a file that could have gone.
                if (vfs.udiag_vfs_ino == inode)
                    result = Listener::Found;
            }
        }
    }
    closeDescriptor(netlink);
    return result;
}

} // namespace

// ---------------------------------------------------------------------------------------------

void QSeqpacketServerPrivate::setError(QSeqpacketSocket::SocketError newError, const QString &message)
{
    error = newError;
    errorString = message;
    qCDebug(lcSeqpacketServer) << message;
}

void QSeqpacketServerPrivate::setErrorFromErrno(const QString &operation, int errorNumber)
{
    setError(errorFromErrno(errorNumber), describe(operation, errorNumber));
}

bool QSeqpacketServerPrivate::createSocketFile(int newFd, const QSeqpacketAddress &requested)
{
    const mode_t mode = modeFor(options);
    // The file takes its mode from the socket's inode, less the umask: set it before bind() so
    // that the file never has more than asked, not even for an instant.
    if (options != QSeqpacketServer::NoOptions && ::fchmod(newFd, mode) == -1) {
        setErrorFromErrno(QStringLiteral("listen: fchmod"), errno);
        return false;
    }
    sockaddr_un sun;
    const socklen_t length = toSockaddr(requested, &sun);
    if (::bind(newFd, reinterpret_cast<const sockaddr *>(&sun), length) == -1) {
        const int errorNumber = errno;
        if (errorNumber == EADDRINUSE && requested.kind() == QSeqpacketAddress::Path) {
            // Not probed here: a probe would show a live server a connection from nobody.
            setError(QSeqpacketSocket::AddressInUseError,
                     QStringLiteral("listen: %1 already exists: another server listens there, or a server that is "
                                    "gone left its socket file (QSeqpacketServer::removeServer() removes a stale one)")
                             .arg(requested.toString()));
        } else if (errorNumber == EADDRINUSE) {
            setError(QSeqpacketSocket::AddressInUseError,
                     QStringLiteral("listen: another socket is bound to %1").arg(requested.toString()));
        } else {
            setErrorFromErrno(QStringLiteral("listen: bind(%1)").arg(requested.toString()), errorNumber);
        }
        return false;
    }
    if (requested.kind() != QSeqpacketAddress::Path)
        return true;

    // Look at what bind() made through a descriptor that does not follow symbolic links: the
    // directory may be writable by others, who could have put something else at the path since.
    const QByteArray path = requested.nativePath();
    const int file = retryOnEintr([&] { return ::open(path.constData(), O_PATH | O_NOFOLLOW | O_CLOEXEC); });
    struct stat info;
    if (file == -1 || ::fstat(file, &info) == -1 || !S_ISSOCK(info.st_mode)) {
        const int errorNumber = file == -1 ? errno : 0;
        closeDescriptor(file);
        setError(QSeqpacketSocket::SocketAccessError,
                 errorNumber ? describe(QStringLiteral("listen: open(%1)").arg(requested.toString()), errorNumber)
                             : QStringLiteral("listen: %1 was replaced by something other than the socket just after bind()")
                                       .arg(requested.toString()));
        return false;
    }
    ownsFile = true;
    fileDevice = info.st_dev;
    fileInode = info.st_ino;
    // The umask can only have taken bits away; give back those asked for. Adding is safe: the
    // file had fewer until now. chmod() goes through the descriptor's /proc link, so it reaches
    // this very inode and never the target of a symbolic link.
    if (options != QSeqpacketServer::NoOptions && (info.st_mode & 07777) != mode) {
        const QByteArray procPath = "/proc/self/fd/" + QByteArray::number(file);
        if (::chmod(procPath.constData(), mode) == -1) {
            const int errorNumber = errno;
            closeDescriptor(file);
            struct stat now;
            if (::lstat(path.constData(), &now) == 0 && now.st_dev == fileDevice && now.st_ino == fileInode)
                ::unlink(path.constData());
            ownsFile = false;
            setErrorFromErrno(QStringLiteral("listen: chmod(%1)").arg(requested.toString()), errorNumber);
            return false;
        }
    }
    closeDescriptor(file);
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
    acceptPaused = false;
    retryInterval = 0;
    if (!notifier && QAbstractEventDispatcher::instance(q->thread()) && QThread::currentThread() == q->thread()) {
        notifier = new QSocketNotifier(QSocketNotifier::Read, q);
        notifier->setEnabled(false);
        QObject::connect(notifier, &QSocketNotifier::activated, q, [this] { acceptConnections(); });
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
    bool added = false;
    while (fd >= 0 && pending.size() < maxPending) {
        const int accepted = retryOnEintr([&] { return ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
        if (accepted == -1) {
            const int errorNumber = errno;
            if (errorNumber == EAGAIN)
                break;
            if (errorNumber == ECONNABORTED || errorNumber == EPROTO)
                continue; // that client gave up; others may wait
            setErrorFromErrno(QStringLiteral("accept"), errorNumber);
            if (errorNumber == EMFILE || errorNumber == ENFILE || errorNumber == ENOBUFS || errorNumber == ENOMEM) {
                // Out of descriptors or memory: the clients stay in the backlog. Retrying at once
                // would spin; try again later instead.
                qCWarning(lcSeqpacketServer, "%s; retrying later", qPrintable(errorString));
                scheduleAcceptRetry();
            }
            emit q->acceptError(error);
            if (!guard)
                return;
            break;
        }
        retryInterval = 0;
        if (peerFilter) {
            ucred credentials;
            socklen_t length = sizeof(credentials);
            const bool known = ::getsockopt(accepted, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0;
            if (!known || !peerFilter(QSeqpacketCredentials(credentials.pid, credentials.uid, credentials.gid))) {
                qCDebug(lcSeqpacketServer) << "peer filter rejected pid" << (known ? credentials.pid : -1);
                closeDescriptor(accepted);
                continue;
            }
        }
        const qsizetype before = pending.size();
        q->incomingConnection(accepted);
        if (!guard)
            return;
        added = added || pending.size() > before;
    }
    updateNotifier();
    if (added)
        emit q->newConnection();
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
        d->setError(QSeqpacketSocket::OperationError, QStringLiteral("listen: the server already listens on %1")
                                                              .arg(d->address.toString()));
        return false;
    }
    if (!address.isValid()) {
        d->setError(QSeqpacketSocket::InvalidAddressError, QStringLiteral("listen: %1").arg(address.errorString()));
        return false;
    }
    const int newFd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (newFd == -1) {
        d->setErrorFromErrno(QStringLiteral("listen: socket(AF_UNIX, SOCK_SEQPACKET)"), errno);
        return false;
    }
    if (!d->createSocketFile(newFd, address)) {
        closeDescriptor(newFd);
        return false;
    }
    if (::listen(newFd, d->backlog) == -1) {
        const int errorNumber = errno;
        if (d->ownsFile)
            ::unlink(address.nativePath().constData());
        d->ownsFile = false;
        closeDescriptor(newFd);
        d->setErrorFromErrno(QStringLiteral("listen: listen()"), errorNumber);
        return false;
    }
    d->startListening(newFd, address);
    return true;
}

bool QSeqpacketServer::setSocketDescriptor(int listeningFd)
{
    Q_D(QSeqpacketServer);
    if (isListening()) {
        d->setError(QSeqpacketSocket::OperationError, QStringLiteral("setSocketDescriptor: the server already listens"));
        return false;
    }
    int errorNumber = 0;
    const int domain = intOption(listeningFd, SOL_SOCKET, SO_DOMAIN, &errorNumber);
    const int type = domain == -1 ? -1 : intOption(listeningFd, SOL_SOCKET, SO_TYPE, &errorNumber);
    const int listening = type == -1 ? -1 : intOption(listeningFd, SOL_SOCKET, SO_ACCEPTCONN, &errorNumber);
    QString reason;
    if (domain == -1 || type == -1 || listening == -1)
        reason = errorNumber == ENOTSOCK ? QStringLiteral("descriptor %1 is not a socket").arg(listeningFd)
                                         : describe(QStringLiteral("descriptor %1").arg(listeningFd), errorNumber);
    else if (domain != AF_UNIX || type != SOCK_SEQPACKET)
        reason = QStringLiteral("descriptor %1 is not an AF_UNIX SOCK_SEQPACKET socket").arg(listeningFd);
    else if (listening != 1)
        reason = QStringLiteral("descriptor %1 is not listening").arg(listeningFd);
    if (!reason.isEmpty()) {
        d->setError(QSeqpacketSocket::OperationError, QStringLiteral("setSocketDescriptor: %1").arg(reason));
        return false;
    }
    if (!setNonBlocking(listeningFd, &errorNumber) || !setCloseOnExec(listeningFd, &errorNumber)) {
        d->setErrorFromErrno(QStringLiteral("setSocketDescriptor: fcntl"), errorNumber);
        return false;
    }
    d->ownsFile = false; // somebody else made it; close() leaves it alone
    d->startListening(listeningFd, localAddressOf(listeningFd));
    return true;
}

bool QSeqpacketServer::listenActivated(const QString &name)
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
                    QStringLiteral("listenActivated: no sockets were handed over (LISTEN_PID and LISTEN_FDS are not set)"));
        return false;
    }
    if (pid != qint64(::getpid())) {
        d->setError(QSeqpacketSocket::OperationError,
                    QStringLiteral("listenActivated: the sockets were handed to process %1, not to this one").arg(pid));
        return false;
    }
    const QList<QByteArray> names = qgetenv("LISTEN_FDNAMES").split(':');
    for (int i = 0; i < count; ++i) {
        const int candidate = FirstActivatedDescriptor + i;
        if (!name.isEmpty() && (i >= names.size() || QString::fromUtf8(names.at(i)) != name))
            continue;
        int errorNumber = 0;
        if (intOption(candidate, SOL_SOCKET, SO_DOMAIN, &errorNumber) != AF_UNIX
            || intOption(candidate, SOL_SOCKET, SO_TYPE, &errorNumber) != SOCK_SEQPACKET
            || intOption(candidate, SOL_SOCKET, SO_ACCEPTCONN, &errorNumber) != 1)
            continue;
        return setSocketDescriptor(candidate);
    }
    d->setError(QSeqpacketSocket::OperationError,
                name.isEmpty() ? QStringLiteral("listenActivated: none of the %1 sockets handed over is a listening seqpacket socket").arg(count)
                               : QStringLiteral("listenActivated: no listening seqpacket socket named \"%1\" was handed over").arg(name));
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
        const QByteArray path = d->address.nativePath();
        struct stat info;
        if (::lstat(path.constData(), &info) == 0 && S_ISSOCK(info.st_mode)
            && info.st_dev == d->fileDevice && info.st_ino == d->fileInode)
            ::unlink(path.constData());
        d->ownsFile = false;
    }
    for (const QPointer<QSeqpacketSocket> &socket : std::as_const(d->pending)) {
        if (socket && socket->parent() == this)
            delete socket.data();
    }
    d->pending.clear();
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
    d_func()->backlog = qMax(size, 0);
}

int QSeqpacketServer::listenBacklogSize() const
{
    return d_func()->backlog;
}

void QSeqpacketServer::setMaxPendingConnections(int count)
{
    Q_D(QSeqpacketServer);
    d->maxPending = qMax(count, 1);
    d->updateNotifier();
}

int QSeqpacketServer::maxPendingConnections() const
{
    return d_func()->maxPending;
}

bool QSeqpacketServer::hasPendingConnections() const
{
    Q_D(const QSeqpacketServer);
    for (const QPointer<QSeqpacketSocket> &socket : d->pending) {
        if (socket)
            return true;
    }
    return false;
}

QSeqpacketSocket *QSeqpacketServer::nextPendingConnection()
{
    Q_D(QSeqpacketServer);
    QSeqpacketSocket *next = nullptr;
    while (!next && !d->pending.isEmpty())
        next = d->pending.takeFirst().data(); // skips any the application deleted already
    d->updateNotifier(); // room again: accept those waiting in the backlog
    return next;
}

bool QSeqpacketServer::waitForNewConnection(int msecs, bool *timedOut)
{
    Q_D(QSeqpacketServer);
    if (timedOut)
        *timedOut = false;
    if (hasPendingConnections())
        return true;
    if (d->fd < 0) {
        d->setError(QSeqpacketSocket::OperationError, QStringLiteral("waitForNewConnection: the server is not listening"));
        return false;
    }
    const QDeadlineTimer deadline(msecs);
    while (!hasPendingConnections()) {
        if (d->acceptPaused) {
            // Out of descriptors a moment ago: wait before trying again rather than spin.
            const qint64 remaining = deadline.remainingTime();
            if (remaining == 0) {
                if (timedOut)
                    *timedOut = true;
                return false;
            }
            const int pause = remaining < 0 ? d->retryInterval : int(qMin<qint64>(remaining, d->retryInterval));
            ::poll(nullptr, 0, pause);
            if (d->retryTimer)
                d->retryTimer->stop();
            d->acceptPaused = false;
            d->updateNotifier();
        }
        pollfd p = { d->fd, POLLIN, 0 };
        const qint64 remaining = deadline.remainingTime();
        const int ready = retryOnEintr([&] { return ::poll(&p, 1, remaining < 0 ? -1 : int(qMin<qint64>(remaining, INT_MAX))); });
        if (ready == -1) {
            d->setErrorFromErrno(QStringLiteral("waitForNewConnection: poll"), errno);
            return false;
        }
        if (ready == 0) {
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
    d_func()->peerFilter = std::move(filter);
}

bool QSeqpacketServer::removeServer(const QString &path)
{
    const QByteArray nativePath = QFile::encodeName(path);
    struct stat before;
    if (::lstat(nativePath.constData(), &before) == -1)
        return errno == ENOENT;
    if (!S_ISSOCK(before.st_mode)) {
        qCWarning(lcSeqpacketServer, "removeServer: %s is not a socket; left alone", nativePath.constData());
        return false;
    }
    // Ask the kernel first: connecting to a live server would show it a connection from nobody.
    if (findListenerBoundTo(before.st_ino) == Listener::Found) {
        qCDebug(lcSeqpacketServer, "removeServer: a server listens on %s; left alone", nativePath.constData());
        return false;
    }
    if (probeSocketFile(nativePath) == 0) {
        qCDebug(lcSeqpacketServer, "removeServer: a server listens on %s; left alone", nativePath.constData());
        return false;
    }
    // Remove only the file that was found stale: a server may have put a new one there meanwhile.
    struct stat now;
    if (::lstat(nativePath.constData(), &now) == -1)
        return errno == ENOENT;
    if (now.st_dev != before.st_dev || now.st_ino != before.st_ino)
        return false;
    if (::unlink(nativePath.constData()) == -1 && errno != ENOENT) {
        qCWarning(lcSeqpacketServer, "%s", qPrintable(describe(QStringLiteral("removeServer: unlink(%1)").arg(path), errno)));
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
    QSeqpacketSocketPrivate *sd = QSeqpacketSocketPrivate::get(socket);
    if (!sd->adoptConnected(socketDescriptor, QStringLiteral("accept"))) {
        Q_D(QSeqpacketServer);
        d->setError(socket->error(), socket->errorString());
        closeDescriptor(socketDescriptor);
        delete socket;
        emit acceptError(d->error);
        return;
    }
    sd->state = QSeqpacketSocket::ConnectedState;
    addPendingConnection(socket);
}

void QSeqpacketServer::addPendingConnection(QSeqpacketSocket *socket)
{
    d_func()->pending.append(socket);
}
