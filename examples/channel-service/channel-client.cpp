// SPDX-License-Identifier: MIT
//
// channel-client: talks to channel-service as a desktop application talks to its helper daemon.
//
//   channel-client ADDRESS [PATH...]
//
// Connects, waits for the service's `welcome` message, then sends every kind of request at once
// and checks each answer as it comes: a body of 4 MiB (`sum`), an answer the service gives later
// (`slow`), a request that times out, the service's error replies, and for each PATH (relative to
// the service's directory) `open`, whose reply carries the file's descriptor: the client reads the
// file through it and prints it. Exits 0 when every answer was as expected, 1 otherwise (an error
// reply for a PATH included), 2 on bad arguments.
//
// Requests return a QFuture<QSeqpacketReply>; each check is a .then() continuation on it, run
// in this thread (the context object `this`), and QtFuture::whenAll() tells when all are done.

#include <QSeqpacketChannel>
#include <QSeqpacketSocket>

#include <QCborArray>
#include <QCborMap>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QFuture>
#include <QRandomGenerator>
#include <QTimer>

#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

namespace {

// The service this client understands (the `version` in its welcome).
constexpr int ServiceVersion = 1;

// Every request has a timeout of its own: a service that hangs must not hang the application.
// (The library's default is 30 seconds; pick what your user would wait.)
constexpr int RequestTimeoutMsecs = 5000;

// The whole run, connecting included, takes well under a second; this only ends a broken one.
constexpr int RunTimeoutMsecs = 20000;

// A body far larger than one packet: the channel puts it in a sealed memfd on its own.
constexpr qsizetype LargeBodySize = 4 * 1024 * 1024;

// `slow` is answered this much later; and the request that must time out asks for a delay far
// longer than its own timeout.
constexpr qint64 SlowDelayMsecs = 200;
constexpr qint64 TooSlowDelayMsecs = 3000;
constexpr int ShortTimeoutMsecs = 300;

void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

// Prints the outcome of one check and passes it on.
bool check(bool ok, const QString &what)
{
    say(QStringLiteral("[%1] %2").arg(ok ? QStringLiteral("ok") : QStringLiteral("FAILED"), what));
    return ok;
}

// An error reply, for a human: its name, and the reason in its details. This service sends
// {reason, path}; the library's own errors (qseqpacket.Timeout, qseqpacket.Disconnected, ...)
// carry a text.
QString describeError(const QSeqpacketReply &reply)
{
    const QCborValue details = reply.message().body();
    const QString reason = details.isMap() ? details.toMap().value(QStringLiteral("reason")).toString()
                                           : details.toString();
    return reason.isEmpty() ? reply.errorName() : QStringLiteral("%1 (%2)").arg(reply.errorName(), reason);
}

class Client : public QObject
{
public:
    explicit Client(const QStringList &paths) : m_paths(paths) { }

    // False when the connection failed at once (the error is printed).
    bool start(const QSeqpacketAddress &address)
    {
        // Connected before connectToServer(): it may emit them before it returns.
        connect(m_socket, &QSeqpacketSocket::connected, this, [this] {
            say(QStringLiteral("connected to %1").arg(m_socket->peerAddress().toString()));
            // A one-way message: no answer, no future. It may be sent before the welcome came.
            log(QStringLiteral("channel-client (pid %1) starting").arg(::getpid()));
        });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this] {
            // Once the requests are out, a failing connection shows in their replies
            // (qseqpacket.Disconnected, with the reason); before, it is said here.
            if (!m_started && m_socket->state() == QSeqpacketSocket::UnconnectedState) {
                say(QStringLiteral("cannot connect: %1").arg(m_socket->errorString()));
                QCoreApplication::exit(1);
            }
        });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] {
            if (m_done) {
                QCoreApplication::exit(m_exitCode);
            } else if (!m_started) {
                // The service's peer filter closes a connection of another user without a word.
                say(QStringLiteral("the service closed the connection before its welcome: does it serve uid %1?")
                            .arg(::geteuid()));
                QCoreApplication::exit(1);
            } else {
                // The requests still waiting finish with qseqpacket.Disconnected now; their checks
                // fail and the run ends as usual.
                say(QStringLiteral("the service closed the connection"));
            }
        });

        connect(m_channel, &QSeqpacketChannel::messageReceived, this,
                [this](const QString &name, const QSeqpacketMessage &message) {
                    if (name == QLatin1String("welcome") && !m_started)
                        welcomed(message.body().toMap());
                    else
                        say(QStringLiteral("message %1: %2").arg(name, message.body().toDiagnosticNotation()));
                });
        // For example a reply that came after its request had timed out here: the channel drops
        // it (with any descriptors) and says so. Nothing to do but to know.
        connect(m_channel, &QSeqpacketChannel::protocolError, this,
                [](const QString &description) { say(QStringLiteral("dropped: %1").arg(description)); });

        m_socket->connectToServer(address);
        return m_socket->state() != QSeqpacketSocket::UnconnectedState;
    }

private:
    void log(const QString &text)
    {
        const QCborMap entry { { QStringLiteral("level"), QStringLiteral("info") }, { QStringLiteral("text"), text } };
        if (!m_channel->send(QStringLiteral("log"), QSeqpacketMessage(entry)))
            say(QStringLiteral("cannot send a log message: %1").arg(m_channel->errorString()));
    }

    // The service's first message says what it is and what it accepts: only then do we ask.
    void welcomed(const QCborMap &welcome)
    {
        m_started = true;
        QStringList requests;
        for (const QCborValue &name : welcome.value(QStringLiteral("requests")).toArray())
            requests.append(name.toString());
        const qint64 version = welcome.value(QStringLiteral("version")).toInteger();
        m_maxMessageSize = welcome.value(QStringLiteral("maxMessageSize")).toInteger();
        say(QStringLiteral("welcome: %1 version %2 (pid %3); requests: %4; messages up to %5 bytes")
                    .arg(welcome.value(QStringLiteral("service")).toString(), QString::number(version),
                         QString::number(welcome.value(QStringLiteral("pid")).toInteger()),
                         requests.join(QStringLiteral(", ")), QString::number(m_maxMessageSize)));
        if (version != ServiceVersion) {
            say(QStringLiteral("this client speaks version %1 only").arg(ServiceVersion));
            end(1);
            return;
        }

        // All at once: the requests are in flight together and their replies come in any order
        // (`slow` last). Each function returns the future of its check: true when it passed.
        const QString open = QStringLiteral("open");
        QList<QFuture<bool>> checks {
            sumOfLargeBody(),
            answeredLater(),
            timesOut(),
            errorReply(open, QStringLiteral("../outside.txt"), QStringLiteral("example.PermissionDenied")),
            errorReply(open, QStringLiteral("no-such-file.txt"), QStringLiteral("example.NotFound")),
            errorReply(QStringLiteral("rename"), QCborValue(), QStringLiteral("example.NoSuchRequest")),
        };
        for (const QString &path : std::as_const(m_paths))
            checks.append(openAndRead(path));

        QtFuture::whenAll(checks.begin(), checks.end()).then(this, [this](const QList<QFuture<bool>> &done) {
            finish(done);
        });
    }

    // `sum`: a 4 MiB body. The service answers its size and SHA-256; both must be ours.
    QFuture<bool> sumOfLargeBody()
    {
        QByteArray data(LargeBodySize, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
        const QByteArray sha256 = QCryptographicHash::hash(data, QCryptographicHash::Sha256);

        // A service drops a message larger than it accepts before reading it, so it cannot even
        // answer: the request would only time out. Its welcome said how much it takes.
        if (data.size() >= m_maxMessageSize) {
            const QString why = QStringLiteral("sum: the service takes at most %1 bytes").arg(m_maxMessageSize);
            return QtFuture::makeReadyFuture(check(false, why));
        }
        // One packet carries at most this much here; the body is larger, so the channel sends it
        // in a sealed memfd and the service reads it whole. Neither side does anything for it.
        const qint64 packetLimit = m_socket->maxPacketSize();

        return m_channel->request(QStringLiteral("sum"), QSeqpacketMessage(data), RequestTimeoutMsecs)
                .then(this, [sha256, size = data.size(), packetLimit](const QSeqpacketReply &reply) {
                    if (reply.isError())
                        return check(false, QStringLiteral("sum: %1").arg(describeError(reply)));
                    const QCborMap answer = reply.message().body().toMap();
                    const qint64 counted = answer.value(QStringLiteral("size")).toInteger();
                    const bool ok = counted == size && answer.value(QStringLiteral("sha256")).toByteArray() == sha256;
                    return check(ok, QStringLiteral("sum: sent %1 MiB in one request (a packet carries at most "
                                                    "%2 bytes: it went in a sealed memfd); the service counted "
                                                    "%3 bytes, SHA-256 %4 %5")
                                             .arg(size / (1024 * 1024))
                                             .arg(packetLimit)
                                             .arg(counted)
                                             .arg(QString::fromLatin1(sha256.toHex().left(16)),
                                                  ok ? QStringLiteral("as ours") : QStringLiteral("NOT ours")));
                });
    }

    // `slow`: the service keeps the request and answers from its event loop 200 ms later. The
    // other requests, sent after it, are answered meanwhile.
    QFuture<bool> answeredLater()
    {
        QElapsedTimer clock;
        clock.start();
        const QCborMap body { { QStringLiteral("delay"), SlowDelayMsecs } };
        return m_channel->request(QStringLiteral("slow"), QSeqpacketMessage(body), RequestTimeoutMsecs)
                .then(this, [clock](const QSeqpacketReply &reply) {
                    if (reply.isError())
                        return check(false, QStringLiteral("slow: %1").arg(describeError(reply)));
                    const qint64 waited = clock.elapsed();
                    const qint64 delay = reply.message().body().toMap().value(QStringLiteral("delay")).toInteger();
                    return check(delay == SlowDelayMsecs && waited >= SlowDelayMsecs,
                                 QStringLiteral("slow: answered after %1 ms, from the service's event loop")
                                         .arg(waited));
                });
    }

    // `slow` again, but we will not wait that long: the future finishes here with
    // qseqpacket.Timeout. The service is not told (the protocol has no way to); should its answer
    // still come, the channel drops it and emits protocolError().
    QFuture<bool> timesOut()
    {
        const QCborMap body { { QStringLiteral("delay"), TooSlowDelayMsecs } };
        return m_channel->request(QStringLiteral("slow"), QSeqpacketMessage(body), ShortTimeoutMsecs)
                .then(this, [](const QSeqpacketReply &reply) {
                    const QString outcome = reply.isError() ? describeError(reply) : QStringLiteral("an answer");
                    return check(reply.errorName() == QLatin1String("qseqpacket.Timeout"),
                                 QStringLiteral("slow for %1 ms with a %2 ms timeout: %3")
                                         .arg(TooSlowDelayMsecs)
                                         .arg(ShortTimeoutMsecs)
                                         .arg(outcome));
                });
    }

    // A request the service must refuse, with the error `expected`.
    QFuture<bool> errorReply(const QString &name, const QCborValue &body, const QString &expected)
    {
        const QString what = body.isString() ? QStringLiteral("%1 %2").arg(name, body.toString()) : name;
        return m_channel->request(name, QSeqpacketMessage(body), RequestTimeoutMsecs)
                .then(this, [what, expected](const QSeqpacketReply &reply) {
                    const QString outcome = reply.isError() ? describeError(reply) : QStringLiteral("an answer");
                    if (reply.errorName() == expected)
                        return check(true, QStringLiteral("%1: refused with %2").arg(what, outcome));
                    return check(false, QStringLiteral("%1: expected %2, got %3").arg(what, expected, outcome));
                });
    }

    // `open`: the reply carries the file's descriptor, opened read-only by the service. We read
    // the file through it, whether or not we could open the file ourselves.
    QFuture<bool> openAndRead(const QString &path)
    {
        return m_channel->request(QStringLiteral("open"), QSeqpacketMessage(path), RequestTimeoutMsecs)
                .then(this, [path](const QSeqpacketReply &reply) {
                    if (reply.isError())
                        return check(false, QStringLiteral("open %1: %2").arg(path, describeError(reply)));
                    const QList<QSeqpacketFileDescriptor> fds = reply.message().fileDescriptors();
                    if (fds.size() != 1) {
                        const QString count = QString::number(fds.size());
                        return check(false, QStringLiteral("open %1: %2 descriptors in the reply").arg(path, count));
                    }

                    // The descriptor belongs to the reply's message and closes with its last copy.
                    // release() takes it over; the QFile then owns it (AutoCloseHandle).
                    QSeqpacketFileDescriptor received = fds.constFirst();
                    const int fd = received.release();
                    const bool readOnly = (::fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY;
                    QFile file;
                    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
                        ::close(fd);
                        return check(false, QStringLiteral("open %1: %2").arg(path, file.errorString()));
                    }
                    const QByteArray content = file.readAll();
                    if (file.error() != QFileDevice::NoError)
                        return check(false, QStringLiteral("open %1: %2").arg(path, file.errorString()));

                    // The size the service saw when it opened the file; the file may have changed
                    // since, so it is shown, not checked.
                    const qint64 announced = reply.message().body().toMap().value(QStringLiteral("size")).toInteger();
                    const QString access = readOnly ? QStringLiteral("read-only") : QStringLiteral("NOT read-only");
                    const bool ok = check(readOnly,
                                          QStringLiteral("open %1: descriptor %2, %3, %4 bytes read through it "
                                                         "(the service said %5):")
                                                  .arg(path, QString::number(fd), access,
                                                       QString::number(content.size()), QString::number(announced)));
                    for (const QByteArray &line : content.split('\n')) {
                        if (!line.isEmpty())
                            say(QStringLiteral("       | %1").arg(QString::fromUtf8(line)));
                    }
                    return ok;
                });
    }

    void finish(const QList<QFuture<bool>> &checks)
    {
        // A check's future holds its result, unless it was canceled (we cancel none).
        int failed = 0;
        for (const QFuture<bool> &done : checks) {
            if (done.isCanceled() || !done.result())
                ++failed;
        }
        const QString summary = failed == 0 ? QStringLiteral("all %1 checks passed").arg(checks.size())
                                            : QStringLiteral("%1 of %2 checks FAILED").arg(failed).arg(checks.size());
        say(summary);
        log(QStringLiteral("done: %1").arg(summary));
        end(failed == 0 ? 0 : 1);
    }

    // Closes the connection; disconnected() then exits with `exitCode`. Messages sent before
    // (the log above) still go out first: disconnectFromServer() writes what is queued.
    void end(int exitCode)
    {
        m_exitCode = exitCode;
        m_done = true;
        if (m_socket->state() == QSeqpacketSocket::UnconnectedState)
            QCoreApplication::exit(m_exitCode); // the service closed first: no disconnected() to come
        else
            m_socket->disconnectFromServer();
    }

    const QStringList m_paths;
    QSeqpacketSocket *m_socket = new QSeqpacketSocket(this);
    // The channel reads every packet of the socket from now on; made before connecting, so
    // nothing the service sends first is missed.
    QSeqpacketChannel *m_channel = new QSeqpacketChannel(m_socket, this);
    qint64 m_maxMessageSize = 0;
    bool m_started = false; // the welcome came, the requests went
    bool m_done = false; // end() was called
    int m_exitCode = 1;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    args.removeFirst();
    if (args.isEmpty() || args.constFirst().startsWith(QLatin1Char('-'))) {
        std::fprintf(stderr, "usage: channel-client ADDRESS [PATH...]   (ADDRESS: a path, or @name)\n");
        return 2;
    }
    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.takeFirst());
    if (!address.isValid()) {
        std::fprintf(stderr, "channel-client: %s\n", qPrintable(address.errorString()));
        return 2;
    }

    QTimer::singleShot(RunTimeoutMsecs, &app, [] {
        say(QStringLiteral("timed out"));
        QCoreApplication::exit(1);
    });

    Client client(args);
    if (!client.start(address))
        return 1; // the error is printed; exit() does nothing before exec() runs
    return app.exec();
}
