// SPDX-License-Identifier: MIT
//
// privileged-helper: opens files for other processes and hands them the open descriptors.
//
//   privileged-helper [--allow-uid UID]... ADDRESS DIRECTORY
//
// A client sends one packet, "open PATH"; the helper answers with one packet: "ok" carrying the
// descriptor of PATH, opened read-only, or "error: WHY" without one. PATH is relative to
// DIRECTORY, or absolute and under it; nothing outside DIRECTORY is ever opened. Only processes
// running as an allowed uid are served (by default the helper's own uid; --allow-uid replaces
// that, and may be given several times).
//
// Why descriptors: the helper may run with rights its clients lack (a system service, another
// user, root), and open for them a file they could not open themselves, after its own checks.
// The client gets exactly that one file, read-only, and nothing else: no copy made through the
// helper, no shared secret, no setuid program. The kernel checks the file's permissions only at
// open(); whoever holds the descriptor afterwards can read through it. That is the point, and the
// reason every check below errs on the side of refusing.
//
// Stop the helper with Ctrl+C or SIGTERM.

#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSet>
#include <QSocketNotifier>

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

// A request is a command and a path: anything longer is refused, not read into memory whole.
constexpr qint64 MaxRequestSize = 4096 + 16;

void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
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
// Opening a file, carefully
// ------------------------------------------------------------------------------------------------
struct Opened
{
    QSeqpacketFileDescriptor file; // valid on success
    qint64 size = 0;
    QString error;                 // why not, otherwise
};

class FileOpener
{
public:
    // Opens the directory once. Every file is then opened relative to this descriptor, so renaming
    // or replacing the directory's path later changes nothing about what is served.
    bool setDirectory(const QString &directory, QString *error)
    {
        // The canonical path (no symlinks, no "." or ".."): absolute requests are compared to it.
        m_path = QFileInfo(directory).canonicalFilePath().toLocal8Bit();
        const int fd = m_path.isEmpty() ? -1 : ::open(m_path.constData(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd == -1) {
            *error = QStringLiteral("%1: %2").arg(directory, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        m_directory = QSeqpacketFileDescriptor::adopt(fd);
        return true;
    }

    QString directory() const { return QString::fromLocal8Bit(m_path); }

    Opened open(QByteArray path) const
    {
        // File names are bytes on Linux: the path is checked and used as the bytes it is.
        if (path.isEmpty())
            return refuse(QStringLiteral("no path"));
        // A NUL byte would cut the path short where the system reads it as a C string: what we
        // checked would not be what is opened.
        if (path.contains('\0'))
            return refuse(QStringLiteral("a NUL byte in the path"));
        if (path.startsWith('/')) {
            // Absolute: it must name something inside the directory; the rest is relative to it.
            const QByteArray prefix = m_path + '/';
            if (!path.startsWith(prefix))
                return refuse(QStringLiteral("outside %1").arg(directory()));
            path = path.mid(prefix.size());
        }
        // ".." climbs out of the directory ("../../etc/shadow", "a/../../x"). openat2() below
        // would catch an escape too, but refusing any ".." is simple to reason about, gives a
        // clear answer, and costs honest clients nothing.
        for (const QByteArray &component : path.split('/')) {
            if (component == "..")
                return refuse(QStringLiteral("\"..\" in the path"));
        }

        // openat2() with RESOLVE_BENEATH (Linux 5.6) resolves the path inside the directory and
        // fails, instead of leaving it, when anything would lead out: a symlink to "/etc/shadow"
        // or "../x" planted inside the directory by someone who can write there, a mount point.
        // It decides while it resolves, so there is no window between a check and the open() in
        // which the path could be swapped (a realpath() check followed by open() has one).
        // RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd/N style links, which lead anywhere.
        open_how how {};
        // Read-only: the client can read the file, never change it. O_NOCTTY: a terminal device
        // must not become our controlling terminal (it is refused below anyway). O_NONBLOCK: so
        // that opening a FIFO does not block the whole helper until someone writes to it.
        how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        int fd;
        int tries = 0;
        do {
            fd = int(::syscall(SYS_openat2, m_directory.descriptor(), path.constData(), &how, sizeof(how)));
            // EAGAIN: the kernel saw a rename or mount while resolving and could not be sure; retry.
        } while (fd == -1 && (errno == EINTR || errno == EAGAIN) && ++tries < 10);
        if (fd == -1) {
            const int error = errno;
            switch (error) {
            case EXDEV:
                return refuse(QStringLiteral("the path leads out of %1").arg(directory()));
            case ENOSYS:
                // No weaker fallback: a helper that runs with more rights than its clients must
                // fail closed rather than open with checks it cannot make.
                return refuse(QStringLiteral("this kernel has no openat2() (Linux 5.6)"));
            default:
                return refuse(QString::fromLocal8Bit(std::strerror(error)));
            }
        }
        QSeqpacketFileDescriptor file = QSeqpacketFileDescriptor::adopt(fd); // closed on every return below

        // Regular files only. A FIFO or a socket would make the client wait for a writer that may
        // never come; a device could be anything; a directory is not a file to read.
        struct stat info {};
        if (::fstat(fd, &info) == -1)
            return refuse(QString::fromLocal8Bit(std::strerror(errno)));
        if (!S_ISREG(info.st_mode))
            return refuse(QStringLiteral("not a regular file"));
        // The client shares this open file description with us, flags included: give it ordinary
        // blocking reads (O_NONBLOCK was only for our open()).
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);

        return { file, qint64(info.st_size), QString() };
    }

private:
    static Opened refuse(const QString &why) { return { QSeqpacketFileDescriptor(), 0, why }; }

    QByteArray m_path;
    QSeqpacketFileDescriptor m_directory;
};

// ------------------------------------------------------------------------------------------------
// The helper
// ------------------------------------------------------------------------------------------------
class Helper : public QObject
{
public:
    bool start(const QSeqpacketAddress &address, const QString &directory, const QSet<uint> &allowedUids)
    {
        QString error;
        if (!m_opener.setDirectory(directory, &error)) {
            say(QStringLiteral("cannot open the directory %1").arg(error));
            return false;
        }

        // Who may use us is decided by uid, and the uid comes from the kernel (SO_PEERCRED: the
        // effective uid of the process that called connect()), not from anything the client
        // says: it cannot be forged. A rejected connection is closed before it reaches
        // nextPendingConnection(), before we read a single byte from it.
        m_server->setPeerFilter([allowedUids](const QSeqpacketCredentials &peer) {
            if (allowedUids.contains(peer.userId()))
                return true;
            say(QStringLiteral("refused a connection from pid %1: uid %2 is not allowed")
                        .arg(peer.processId())
                        .arg(peer.userId()));
            return false;
        });

        if (address.kind() == QSeqpacketAddress::Path) {
            // On a path the socket file's permissions decide who may connect() at all: only us
            // when only our own uid is served, everyone when others are (the filter above then
            // does the sorting out). An abstract name has no permissions: anyone on the machine
            // (in the same network namespace) can connect, and the filter is all there is.
            const bool onlyUs = allowedUids == QSet<uint> { uint(::geteuid()) };
            m_server->setSocketOptions(onlyUs ? QSeqpacketServer::UserAccessOption
                                              : QSeqpacketServer::WorldAccessOption);
            QSeqpacketServer::removeServer(address.path()); // a stale file of a helper that died
        }

        connect(m_server, &QSeqpacketServer::newConnection, this, [this] {
            while (QSeqpacketSocket *client = m_server->nextPendingConnection())
                serve(client);
        });
        if (!m_server->listen(address)) {
            say(QStringLiteral("cannot listen on %1: %2").arg(address.toString(), m_server->errorString()));
            return false;
        }

        QStringList uids;
        for (uint uid : allowedUids)
            uids.append(QString::number(uid));
        uids.sort();
        say(QStringLiteral("privileged-helper: serving files under %1 to uid %2; listening on %3 (pid %4)")
                    .arg(m_opener.directory())
                    .arg(uids.join(QStringLiteral(", ")))
                    .arg(m_server->serverAddress().toString())
                    .arg(::getpid()));
        return true;
    }

    void stop(int signalNumber)
    {
        say(QStringLiteral("caught %1, closing").arg(signalNumber == SIGINT ? "SIGINT" : "SIGTERM"));
        m_server->close();
        QCoreApplication::quit();
    }

private:
    void serve(QSeqpacketSocket *client)
    {
        connect(client, &QSeqpacketSocket::packetReady, client, [this, client] { answer(client); });
        connect(client, &QSeqpacketSocket::disconnected, client, &QObject::deleteLater);
        answer(client); // requests that came before the connections above
    }

    void answer(QSeqpacketSocket *client)
    {
        const QSeqpacketCredentials peer = client->peerCredentials();
        while (client->hasPendingPackets()) {
            // Descriptors a client sends us are of no use here: the packet owns them and closes
            // them when it goes.
            const QSeqpacketPacket request = client->receivePacket(MaxRequestSize);
            QString refusal;
            Opened opened;
            if (request.isTruncated()) {
                refusal = QStringLiteral("request too long");
            } else if (!request.data().startsWith("open ")) {
                refusal = QStringLiteral("unknown request (try \"open PATH\")");
            } else {
                opened = m_opener.open(request.data().mid(5));
                refusal = opened.error;
            }

            const QString who = QStringLiteral("pid %1 (uid %2)").arg(peer.processId()).arg(peer.userId());
            const QString what = QString::fromUtf8(request.data().left(200));
            if (refusal.isEmpty()) {
                // The descriptor travels with the packet (SCM_RIGHTS): the client gets its own
                // descriptor for the same open file. Ours closes when `opened` goes out of scope.
                client->sendPacket("ok", { opened.file });
                say(QStringLiteral("%1: \"%2\": sent a descriptor (%3 bytes)").arg(who, what, QString::number(opened.size)));
            } else {
                client->sendPacket("error: " + refusal.toUtf8());
                say(QStringLiteral("%1: \"%2\": refused: %3").arg(who, what, refusal));
            }
        }
    }

    FileOpener m_opener;
    QSeqpacketServer *m_server = new QSeqpacketServer(this);
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Opens files under DIRECTORY for allowed users and sends them the descriptors."));
    parser.addHelpOption();
    const QCommandLineOption allowUid(QStringLiteral("allow-uid"),
                                      QStringLiteral("Serve processes of this uid (repeatable; default: our own uid)."),
                                      QStringLiteral("uid"));
    parser.addOption(allowUid);
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("a path, or @name for an abstract name"));
    parser.addPositionalArgument(QStringLiteral("directory"), QStringLiteral("the directory whose files are served"));
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args.size() != 2) {
        std::fputs(qPrintable(parser.helpText()), stderr);
        return 2;
    }
    QSet<uint> allowedUids;
    for (const QString &text : parser.values(allowUid)) {
        bool ok = false;
        const uint uid = text.toUInt(&ok);
        if (!ok) {
            std::fprintf(stderr, "privileged-helper: not a uid: %s\n", qPrintable(text));
            return 2;
        }
        allowedUids.insert(uid);
    }
    if (allowedUids.isEmpty())
        allowedUids.insert(::geteuid()); // SO_PEERCRED reports effective uids

    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.at(0));
    if (!address.isValid()) {
        std::fprintf(stderr, "privileged-helper: %s\n", qPrintable(address.errorString()));
        return 2;
    }

    Helper helper;
    if (!onQuitSignal(&helper, [&helper](int signalNumber) { helper.stop(signalNumber); })) {
        std::perror("privileged-helper: cannot handle SIGINT/SIGTERM");
        return 1;
    }
    if (!helper.start(address, args.at(1), allowedUids))
        return 1;
    return app.exec();
}
