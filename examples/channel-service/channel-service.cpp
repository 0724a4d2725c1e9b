// SPDX-License-Identifier: MIT
//
// channel-service: a helper daemon that answers typed requests over QSeqpacketChannel.
//
//   channel-service ADDRESS DIRECTORY
//
// ADDRESS is a path or, starting with "@", an abstract name. Each connection gets a
// QSeqpacketChannel; the service sends it a `welcome` message, prints the `log` messages it
// sends, and answers these requests (see README.md for the whole conversation):
//
//   open  body: a path relative to DIRECTORY (text)
//         reply: {size} and the file's descriptor, opened read-only;
//         errors: example.NotFound, example.PermissionDenied, example.NotARegularFile,
//                 example.InvalidArgument, example.Failed, with {path, reason} as details
//   sum   body: bytes of any size (a large body travels in a sealed memfd, unseen by both sides)
//         reply: {size, sha256}
//   slow  body: {delay: milliseconds, 0 to 10000}
//         reply: {delay}, sent from the event loop once the delay has passed
//   any other name: the error example.NoSuchRequest
//
// Only processes of our own user are served. Stop the service with Ctrl+C or SIGTERM: it closes
// cleanly and removes its socket file.

#include <QSeqpacketChannel>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QCborArray>
#include <QCborMap>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>

#include <fcntl.h>
#include <linux/openat2.h> // struct open_how, RESOLVE_BENEATH
#include <sys/stat.h>
#include <sys/syscall.h>   // SYS_openat2 (glibc has no wrapper)
#include <unistd.h>

namespace {

// What this service speaks on top of the channel. A client can read it from the `welcome`
// message and refuse to go on with a service it does not understand.
constexpr int ServiceVersion = 1;

// The largest message we accept from a client. A larger one is dropped unread, so a client cannot
// make us hold 64 MiB (the library's default) per connection; the `welcome` message tells the
// client the limit, because a dropped request gets no answer (see README.md).
constexpr qint64 MaxMessageSize = 16 * 1024 * 1024;

// How long `slow` may be asked to wait.
constexpr qint64 MaxDelayMsecs = 10000;

// The names of this service's errors. The library's own names start with "qseqpacket."; an
// application's should have a prefix of their own, so that both can be told apart.
const QString NotFound = QStringLiteral("example.NotFound");
const QString PermissionDenied = QStringLiteral("example.PermissionDenied");
const QString NotARegularFile = QStringLiteral("example.NotARegularFile");
const QString InvalidArgument = QStringLiteral("example.InvalidArgument");
const QString Failed = QStringLiteral("example.Failed");
const QString NoSuchRequest = QStringLiteral("example.NoSuchRequest");

void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// ------------------------------------------------------------------------------------------------
// SIGINT and SIGTERM as events (see examples/echo/echo-server.cpp for the reasoning)
// ------------------------------------------------------------------------------------------------
int signalPipe[2] = { -1, -1 };

extern "C" void writeSignalToPipe(int signalNumber)
{
    const int savedErrno = errno;
    const char byte = char(signalNumber);
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
    errno = savedErrno;
}

bool onQuitSignal(QObject *context, std::function<void(int signalNumber)> handler)
{
    if (::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) == -1)
        return false;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [handler] {
        char byte = 0;
        int last = 0;
        while (::read(signalPipe[0], &byte, 1) == 1)
            last = byte;
        if (last != 0)
            handler(last);
    });
    struct sigaction action {};
    action.sa_handler = writeSignalToPipe;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

// ------------------------------------------------------------------------------------------------
// The files the service may open
// ------------------------------------------------------------------------------------------------
// What `open` answers: a descriptor, or an error reply's name and why.
struct OpenResult
{
    QSeqpacketFileDescriptor file;
    qint64 size = 0;
    QString errorName; // empty on success
    QString reason;
};

class Directory
{
public:
    // Opens the directory once; every file is opened relative to this descriptor, so what the
    // directory's path leads to later (a rename, a symlink put in its place) changes nothing.
    bool open(const QString &path, QString *error)
    {
        m_name = QFileInfo(path).absoluteFilePath();
        const int fd = ::open(QFile::encodeName(path).constData(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd == -1) {
            *error = QStringLiteral("%1: %2").arg(path, errnoText(errno));
            return false;
        }
        m_fd = QSeqpacketFileDescriptor::adopt(fd);
        return true;
    }

    QString name() const { return m_name; }

    // The policy: regular files inside the directory, read-only, by a relative path. Anything
    // else is refused with a reason the client can show to its user. examples/privileged-helper
    // explains each of these checks at length.
    OpenResult openFile(const QString &path) const
    {
        const QByteArray native = QFile::encodeName(path);
        if (native.isEmpty() || native.contains('\0'))
            return refuse(InvalidArgument, QStringLiteral("not a file name"));
        if (native.startsWith('/'))
            return refuse(PermissionDenied, QStringLiteral("only paths relative to the service's directory"));
        // ".." would climb out; openat2() below would catch that too, but refusing every ".."
        // gives a clear answer and costs honest clients nothing.
        for (const QByteArray &component : native.split('/')) {
            if (component == "..")
                return refuse(PermissionDenied, QStringLiteral("\"..\" in the path"));
        }

        // RESOLVE_BENEATH fails (EXDEV) instead of leaving the directory, through a symlink or a
        // mount point, while it resolves: no window between a check and the open. Read-only, so
        // that the client can never write through the descriptor; O_NONBLOCK so that a FIFO does
        // not block the whole service in open().
        open_how how {};
        how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        int fd;
        int tries = 0;
        do {
            // EAGAIN: a rename or mount raced with the lookup and the kernel could not be sure.
            fd = int(::syscall(SYS_openat2, m_fd.descriptor(), native.constData(), &how, sizeof(how)));
        } while (fd == -1 && (errno == EINTR || errno == EAGAIN) && ++tries < 10);
        if (fd == -1) {
            const int error = errno;
            switch (error) {
            case ENOENT:
            case ENOTDIR:
                return refuse(NotFound, errnoText(error));
            case EXDEV:
            case ELOOP:
                return refuse(PermissionDenied, QStringLiteral("the path leads out of the service's directory"));
            case EACCES:
            case EPERM:
                return refuse(PermissionDenied, errnoText(error));
            default:
                // ENOSYS (a kernel older than 5.6) included: fail closed, never open unchecked.
                return refuse(Failed, errnoText(error));
            }
        }
        QSeqpacketFileDescriptor file = QSeqpacketFileDescriptor::adopt(fd); // closed on every return below

        struct stat info {};
        if (::fstat(fd, &info) == -1)
            return refuse(Failed, errnoText(errno));
        if (!S_ISREG(info.st_mode))
            return refuse(NotARegularFile, QStringLiteral("not a regular file"));
        // The client shares this open file description, flags included: ordinary blocking reads.
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return { file, qint64(info.st_size), QString(), QString() };
    }

private:
    static OpenResult refuse(const QString &errorName, const QString &reason)
    {
        return { QSeqpacketFileDescriptor(), 0, errorName, reason };
    }

    QString m_name;
    QSeqpacketFileDescriptor m_fd;
};

// ------------------------------------------------------------------------------------------------
// One client: its socket and the channel on it
// ------------------------------------------------------------------------------------------------
class Connection : public QObject
{
public:
    Connection(QSeqpacketSocket *socket, int number, const Directory &directory, QObject *parent)
        : QObject(parent),
          m_socket(socket),
          m_channel(new QSeqpacketChannel(socket, this)),
          m_directory(directory),
          m_name(QStringLiteral("client %1 (pid %2)").arg(number).arg(socket->peerCredentials().processId()))
    {
        // The socket is ours now (it was the server's child); it goes with this connection.
        m_socket->setParent(this);
        m_channel->setMaxMessageSize(MaxMessageSize);

        connect(m_channel, &QSeqpacketChannel::requestReceived, this,
                [this](QSeqpacketRequest request) { answer(request); });
        connect(m_channel, &QSeqpacketChannel::messageReceived, this,
                [this](const QString &name, const QSeqpacketMessage &message) { receive(name, message); });
        // A frame that makes no sense costs the client only that frame; the channel goes on. A
        // request dropped this way (too large, say) is never answered: the client's own timeout
        // is all it will see.
        connect(m_channel, &QSeqpacketChannel::protocolError, this, [this](const QString &description) {
            say(QStringLiteral("%1: dropped: %2").arg(m_name, description));
        });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] {
            // Requests we still hold (a `slow` one whose timer has not fired) cannot be answered
            // any more: the client is gone.
            const int unanswered = m_channel->unansweredRequests();
            say(QStringLiteral("%1 disconnected (%2 of its requests unanswered)").arg(m_name).arg(unanswered));
            deleteLater(); // not `delete this`: we are inside one of the socket's signals
        });

        say(QStringLiteral("%1 connected").arg(m_name));
        // A one-way message, the first thing the client receives: what it talks to. Packets keep
        // their order, so it arrives before any reply.
        const QCborMap welcome {
            { QStringLiteral("service"), QStringLiteral("channel-service") },
            { QStringLiteral("version"), ServiceVersion },
            { QStringLiteral("pid"), qint64(::getpid()) },
            { QStringLiteral("requests"),
              QCborArray { QStringLiteral("open"), QStringLiteral("sum"), QStringLiteral("slow") } },
            { QStringLiteral("maxMessageSize"), MaxMessageSize },
        };
        if (!m_channel->send(QStringLiteral("welcome"), QSeqpacketMessage(welcome)))
            say(QStringLiteral("%1: cannot send the welcome: %2").arg(m_name, m_channel->errorString()));
    }

private:
    void receive(const QString &name, const QSeqpacketMessage &message)
    {
        if (name == QLatin1String("log")) {
            const QCborMap entry = message.body().toMap();
            say(QStringLiteral("%1 says [%2]: %3")
                        .arg(m_name, entry.value(QStringLiteral("level")).toString(QStringLiteral("info")),
                             entry.value(QStringLiteral("text")).toString()));
        } else {
            // One-way: there is nobody to tell. Ignoring unknown messages lets a newer client
            // talk to an older service.
            say(QStringLiteral("%1: ignored the message \"%2\"").arg(m_name, name));
        }
    }

    void answer(QSeqpacketRequest &request)
    {
        const QString name = request.name();
        const QCborValue body = request.message().body();
        // Descriptors a client sends with a request are of no use here; the message owns them
        // and closes them when its last copy goes.
        if (name == QLatin1String("open"))
            answerOpen(request, body);
        else if (name == QLatin1String("sum"))
            answerSum(request, body);
        else if (name == QLatin1String("slow"))
            answerSlow(request, body);
        else
            replyError(request, NoSuchRequest, QStringLiteral("no request \"%1\" here").arg(name));
    }

    void answerOpen(QSeqpacketRequest &request, const QCborValue &body)
    {
        if (!body.isString()) {
            replyError(request, InvalidArgument, QStringLiteral("the body must be a path (text)"));
            return;
        }
        const QString path = body.toString();
        const OpenResult opened = m_directory.openFile(path);
        if (!opened.errorName.isEmpty()) {
            replyError(request, opened.errorName, opened.reason, path);
            return;
        }
        // The descriptor travels with the reply (SCM_RIGHTS); the client gets its own descriptor
        // for the same open file. Ours closes when its last copy goes: `opened`, `reply`, and the
        // socket's, should the reply have to wait in its send queue.
        const QSeqpacketMessage reply(QCborMap { { QStringLiteral("size"), opened.size } }, { opened.file });
        const bool sent = request.reply(reply);
        logAnswer(sent, QStringLiteral("open %1: sent a descriptor (%2 bytes)")
                                .arg(path, QString::number(opened.size)));
    }

    void answerSum(QSeqpacketRequest &request, const QCborValue &body)
    {
        if (!body.isByteArray()) {
            replyError(request, InvalidArgument, QStringLiteral("the body must be bytes"));
            return;
        }
        // However large, the body arrived whole: a body larger than a packet came in a sealed
        // memfd, which the channel checked, read and closed before requestReceived().
        const QByteArray data = body.toByteArray();
        const QByteArray sha256 = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
        const QCborMap answer { { QStringLiteral("size"), qint64(data.size()) }, { QStringLiteral("sha256"), sha256 } };
        const bool sent = request.reply(QSeqpacketMessage(answer));
        logAnswer(sent, QStringLiteral("sum of %1 bytes: SHA-256 %2")
                                .arg(data.size())
                                .arg(QString::fromLatin1(sha256.toHex().left(16))));
    }

    void answerSlow(QSeqpacketRequest &request, const QCborValue &body)
    {
        const QCborValue delayValue = body.toMap().value(QStringLiteral("delay"));
        const qint64 delay = delayValue.toInteger(-1);
        if (!delayValue.isInteger() || delay < 0 || delay > MaxDelayMsecs) {
            replyError(request, InvalidArgument,
                       QStringLiteral("the body must be {delay: 0 to %1}").arg(MaxDelayMsecs));
            return;
        }
        say(QStringLiteral("%1: slow (request %2): answering in %3 ms").arg(m_name).arg(request.id()).arg(delay));
        // Keep a copy of the request and answer from the event loop later, as a service does
        // after a database query, a child process or a user's confirmation. Meanwhile the channel
        // goes on reading and answering the client's other requests. Copies share one answer;
        // were the last copy to go unanswered, the client would get qseqpacket.NoReply.
        // The timer's context is this connection: once the client has gone (and with it this
        // object), the timer calls nothing.
        QTimer::singleShot(int(delay), this, [this, request, delay]() mutable {
            // A client that timed out meanwhile is still connected and gets the answer; the channel
            // on its side drops it as late.
            const bool sent = request.reply(QSeqpacketMessage(QCborMap { { QStringLiteral("delay"), delay } }));
            logAnswer(sent, QStringLiteral("slow (request %1): answered after %2 ms").arg(request.id()).arg(delay));
        });
    }

    // An error reply: its name says what went wrong, for the client's code; its details, for
    // the client's user, say why (and which path, where there is one).
    void replyError(QSeqpacketRequest &request, const QString &errorName, const QString &reason,
                    const QString &path = QString())
    {
        QCborMap details { { QStringLiteral("reason"), reason } };
        if (!path.isNull())
            details.insert(QStringLiteral("path"), path);
        const bool sent = request.replyError(errorName, QSeqpacketMessage(details));
        const QString what = path.isNull() ? request.name() : request.name() + QLatin1Char(' ') + path;
        logAnswer(sent, QStringLiteral("%1: %2: %3").arg(what, errorName, reason));
    }

    // reply() and replyError() are false where the answer could not be sent: the connection
    // ended, or the answer is too large; the channel's errorString() says which.
    void logAnswer(bool sent, const QString &what)
    {
        if (sent)
            say(QStringLiteral("%1: %2").arg(m_name, what));
        else
            say(QStringLiteral("%1: could not answer (%2): %3").arg(m_name, what, m_channel->errorString()));
    }

    QSeqpacketSocket *m_socket;
    QSeqpacketChannel *m_channel;
    const Directory m_directory; // a copy: it shares the directory's descriptor
    const QString m_name;
};

// ------------------------------------------------------------------------------------------------
// The service
// ------------------------------------------------------------------------------------------------
class Service : public QObject
{
public:
    bool start(const QSeqpacketAddress &address, const QString &directory)
    {
        QString error;
        if (!m_directory.open(directory, &error)) {
            say(QStringLiteral("cannot open the directory %1").arg(error));
            return false;
        }

        // A helper daemon serves its own user's programs. The uid comes from the kernel
        // (SO_PEERCRED), not from anything the client says. This matters most on an abstract
        // name, which has no file permissions: anyone on the machine can connect to it.
        const uint ownUid = ::geteuid();
        m_server->setPeerFilter([ownUid](const QSeqpacketCredentials &peer) {
            if (peer.userId() == ownUid)
                return true;
            say(QStringLiteral("refused a connection from pid %1: uid %2 is not ours")
                        .arg(peer.processId())
                        .arg(peer.userId()));
            return false;
        });
        if (address.kind() == QSeqpacketAddress::Path) {
            // On a path the file's permissions keep others out before they can connect at all.
            m_server->setSocketOptions(QSeqpacketServer::UserAccessOption);
            // A stale socket file of a service that died; never the socket of a live one.
            QSeqpacketServer::removeServer(address.path());
        }

        connect(m_server, &QSeqpacketServer::newConnection, this, [this] {
            while (QSeqpacketSocket *socket = m_server->nextPendingConnection())
                new Connection(socket, ++m_connections, m_directory, this);
        });
        connect(m_server, &QSeqpacketServer::acceptError, this, [this] {
            say(QStringLiteral("accept failed: %1").arg(m_server->errorString()));
        });
        if (!m_server->listen(address)) {
            say(QStringLiteral("cannot listen on %1: %2").arg(address.toString(), m_server->errorString()));
            return false;
        }
        say(QStringLiteral("channel-service: serving %1; listening on %2 (pid %3)")
                    .arg(m_directory.name(), m_server->serverAddress().toString(), QString::number(::getpid())));
        return true;
    }

    void stop(int signalNumber)
    {
        say(QStringLiteral("caught %1, closing").arg(signalNumber == SIGINT ? "SIGINT" : "SIGTERM"));
        // Stops listening and removes the socket file this service made. The connections, our
        // children, go when `service` in main() goes: each channel answers the requests it still
        // holds (a `slow` one) with qseqpacket.NoReply before its socket closes; requests it had
        // not read yet end on the client's side with qseqpacket.Disconnected.
        m_server->close();
        QCoreApplication::quit();
    }

private:
    Directory m_directory;
    QSeqpacketServer *m_server = new QSeqpacketServer(this);
    int m_connections = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 3 || args.at(1).startsWith(QLatin1Char('-'))) {
        std::fprintf(stderr, "usage: channel-service ADDRESS DIRECTORY   (ADDRESS: a path, or @name)\n");
        return 2;
    }
    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.at(1));
    if (!address.isValid()) {
        std::fprintf(stderr, "channel-service: %s\n", qPrintable(address.errorString()));
        return 2;
    }

    Service service;
    if (!onQuitSignal(&service, [&service](int signalNumber) { service.stop(signalNumber); })) {
        std::perror("channel-service: cannot handle SIGINT/SIGTERM");
        return 1;
    }
    if (!service.start(address, args.at(2)))
        return 1;
    return app.exec();
}
