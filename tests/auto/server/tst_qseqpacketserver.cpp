// SPDX-License-Identifier: MIT
//
// QSeqpacketServer: listening on every kind of address, cross-process clients (the helper program
// in client/, plain syscalls), many concurrent clients, socket file permissions, stale and
// replaced socket files, backlog and pending connections, running out of descriptors, socket
// activation, adopted descriptors, the peer filter, accepted sockets in worker threads.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketCredentials>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QDeadlineTimer>
#include <QtCore/QFile>
#include <QtCore/QPointer>
#include <QtCore/QProcess>
#include <QtCore/QSemaphore>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "bindprobe.h"
#include "testutil.h"

using TestUtil::rawConnect;
using TestUtil::UniqueFd;

namespace {

constexpr int ProcessTimeoutMs = 60000;
constexpr int WaitMs = 20000;

QString helperPath()
{
    return QStringLiteral(QSEQPACKET_TEST_SERVER_CLIENT);
}

// The CPU time (user + system, all threads) this process has used, in milliseconds.
qint64 cpuTimeMs()
{
    rusage usage;
    ::getrusage(RUSAGE_SELF, &usage);
    return qint64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
            + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

class UmaskGuard
{
public:
    explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) { }
    ~UmaskGuard() { ::umask(m_old); }

private:
    mode_t m_old;
};

// A raw AF_UNIX socket of \a type bound to the abstract \a name (none where empty), listening
// where asked. Blocking, not close-on-exec, as another program would hand it over.
int rawSocket(int type, const QByteArray &name, bool listening)
{
    const int fd = ::socket(AF_UNIX, type, 0);
    if (fd < 0)
        return -1;
    if (!name.isEmpty()) {
        sockaddr_un sun;
        const socklen_t length = TestUtil::fillSockaddr(&sun, name, true);
        if (::bind(fd, reinterpret_cast<sockaddr *>(&sun), length) != 0) {
            ::close(fd);
            return -1;
        }
    }
    if (listening && ::listen(fd, 16) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int intOption(int fd, int level, int option)
{
    int value = -1;
    socklen_t length = sizeof value;
    if (::getsockopt(fd, level, option, &value, &length) != 0)
        return -1;
    return value;
}

bool fileExists(const QString &path, struct stat *info = nullptr)
{
    struct stat local;
    return ::lstat(QFile::encodeName(path).constData(), info ? info : &local) == 0;
}

QByteArray identityOf(const QString &path)
{
    struct stat info;
    if (!fileExists(path, &info))
        return QByteArray();
    return QByteArray::number(quint64(info.st_dev)) + ':' + QByteArray::number(quint64(info.st_ino));
}

// What the server side did with the connections echoAll() handled.
struct EchoStats
{
    int accepted = 0;
    int packets = 0;
    int disconnected = 0;
    int badDescriptors = 0; // accepted sockets whose descriptor is not non-blocking and close-on-exec
    QList<QSeqpacketCredentials> credentials;
    QList<QSeqpacketSocket::SocketError> errorsAtDisconnect;
};

// Takes every connection \a server accepts and echoes each packet it receives.
void echoAll(QSeqpacketServer *server, EchoStats *stats)
{
    QObject::connect(server, &QSeqpacketServer::newConnection, server, [server, stats] {
        while (QSeqpacketSocket *socket = server->nextPendingConnection()) {
            ++stats->accepted;
            stats->credentials.append(socket->peerCredentials());
            const int fd = socket->socketDescriptor();
            if (socket->state() != QSeqpacketSocket::ConnectedState || !TestUtil::hasCloexec(fd)
                || !TestUtil::isNonBlocking(fd))
                ++stats->badDescriptors;
            QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, [socket, stats] {
                while (socket->hasPendingPackets()) {
                    const QSeqpacketPacket packet = socket->receivePacket();
                    socket->sendPacket(packet.data());
                    ++stats->packets;
                }
            });
            QObject::connect(socket, &QSeqpacketSocket::disconnected, socket, [socket, stats] {
                ++stats->disconnected;
                stats->errorsAtDisconnect.append(socket->error());
                socket->deleteLater();
            });
        }
    });
}

// Waits (running the event loop) for a line on \a process's stdout.
bool waitForLine(QProcess *process, QByteArray *line, int timeoutMs = WaitMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!process->canReadLine()) {
        if (deadline.hasExpired() || process->state() == QProcess::NotRunning)
            break;
        QTest::qWait(10);
    }
    if (!process->canReadLine())
        return false;
    *line = process->readLine().trimmed();
    return true;
}

// Receives one packet on the raw socket \a fd, running the event loop meanwhile (so that a helper
// process's output keeps being read and its pipes never fill up).
TestUtil::RawPacket receiveRunningEvents(int fd, int timeoutMs = WaitMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (TestUtil::pollFor(fd, POLLIN | POLLRDHUP, 0) == 1 || deadline.hasExpired())
            return TestUtil::rawReceive(fd, 0);
        QTest::qWait(10);
    }
}

// The fields of the "result key=value ... message=<text>" line in a helper's output; empty where
// there is none. \a line gets the whole line, \a message the text after "message=".
QMap<QByteArray, QByteArray> parseResult(const QByteArray &output, QByteArray *line, QByteArray *message)
{
    QMap<QByteArray, QByteArray> values;
    for (const QByteArray &outputLine : output.split('\n')) {
        if (outputLine.startsWith("result "))
            *line = outputLine;
    }
    const qsizetype messageAt = line->indexOf(" message=");
    if (messageAt < 0)
        return values;
    *message = line->mid(messageAt + 9);
    for (const QByteArray &field : line->left(messageAt).mid(7).split(' ')) {
        const qsizetype eq = field.indexOf('=');
        if (eq > 0)
            values.insert(field.left(eq), field.mid(eq + 1));
    }
    return values;
}

// Waits (running the event loop) for \a process to end.
bool waitForExit(QProcess *process, int timeoutMs = ProcessTimeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (process->state() != QProcess::NotRunning && !deadline.hasExpired())
        QTest::qWait(20);
    return process->state() == QProcess::NotRunning;
}

QByteArray describeProcess(QProcess *process, const QByteArray &stdoutSeen = QByteArray())
{
    return "exit status " + QByteArray::number(int(process->exitStatus())) + ", code "
            + QByteArray::number(process->exitCode()) + ", stdout: " + stdoutSeen + process->readAllStandardOutput()
            + ", stderr: " + process->readAllStandardError();
}

std::unique_ptr<QProcess> startHelper(const QStringList &arguments)
{
    auto process = std::make_unique<QProcess>();
    process->setProgram(helperPath());
    process->setArguments(arguments);
    process->start();
    return process;
}

// What a helper server printed on its "result key=value ... message=<text>" line (parseResult()).
struct HelperResult
{
    QMap<QByteArray, QByteArray> values;
    QByteArray line;
    QByteArray message;
};

// Runs the helper server \a mode ("emfile" or "emfilewait") on a fresh abstract name made from
// \a tag. Once it says it is out of descriptors ("full <n>"; \a spare gets n), \a count raw
// clients connect and each sends "<prefix><i>", \a stdinLine (where not empty) goes to the helper,
// and every client must get its packet echoed. Then, with the clients closed, the helper must end
// normally with a result line, which \a result gets.
void runOutOfDescriptorsServer(const QString &mode, const char *tag, int count, const QByteArray &prefix,
                               const QByteArray &stdinLine, int *spare, HelperResult *result)
{
    const QByteArray address = '@' + TestUtil::uniqueAbstractName(tag);
    auto server = startHelper({mode, QString::fromLatin1(address), QString::number(count)});
    QVERIFY(server->waitForStarted());
    QByteArray line;
    QVERIFY2(waitForLine(server.get(), &line), describeProcess(server.get()).constData());
    QVERIFY2(line.startsWith("full "), line.constData());
    *spare = line.mid(5).toInt();

    {
        std::vector<UniqueFd> clients;
        for (int i = 0; i < count; ++i) {
            clients.emplace_back(rawConnect(address));
            QVERIFY(clients.back().isValid());
            QVERIFY(TestUtil::rawSend(clients.back().get(), prefix + QByteArray::number(i)));
        }
        if (!stdinLine.isEmpty())
            server->write(stdinLine);
        for (int i = 0; i < count; ++i) {
            const TestUtil::RawPacket echo = receiveRunningEvents(clients[size_t(i)].get());
            QVERIFY2(echo.ok, describeProcess(server.get()).constData());
            QCOMPARE(echo.data, prefix + QByteArray::number(i));
        }
    }

    QVERIFY(waitForExit(server.get()));
    const QByteArray output = server->readAllStandardOutput();
    QVERIFY2(server->exitStatus() == QProcess::NormalExit && server->exitCode() == 0,
             describeProcess(server.get(), output).constData());
    result->values = parseResult(output, &result->line, &result->message);
    QVERIFY2(!result->values.isEmpty(), output.constData());
}

// Runs the helper's echo client against \a address (its "@name" or path form): \a connections
// connections, \a rounds packets on each of at most \a maxSize bytes, every echo checked. True when
// it ended normally having had all of them echoed ("ok <connections> <packets>"); otherwise
// \a failure tells what it saw. \a pid gets the client's process id.
bool echoClientSucceeds(const QString &address, int connections, int rounds, int maxSize, QByteArray *failure,
                        qint64 *pid = nullptr)
{
    auto client = startHelper({QStringLiteral("echo"), address, QString::number(connections), QString::number(rounds),
                               QString::number(maxSize)});
    if (!client->waitForStarted()) {
        *failure = "the echo client did not start: " + client->errorString().toUtf8();
        return false;
    }
    if (pid)
        *pid = client->processId();
    if (!waitForExit(client.get())) {
        *failure = "the echo client did not finish: " + describeProcess(client.get());
        return false;
    }
    const QByteArray output = client->readAllStandardOutput();
    const QByteArray expected = "ok " + QByteArray::number(connections) + ' ' + QByteArray::number(connections * rounds);
    if (client->exitStatus() != QProcess::NormalExit || client->exitCode() != 0 || !output.contains(expected)) {
        *failure = describeProcess(client.get(), output);
        return false;
    }
    return true;
}

// The helper's form of an address: "@name" or the path.
QString toArgument(const QSeqpacketAddress &address)
{
    return address.kind() == QSeqpacketAddress::Abstract ? QLatin1Char('@') + QString::fromLatin1(address.abstractName())
                                                         : address.path();
}

} // namespace

class tst_QSeqpacketServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    // listening
    void listenOnPath();
    void listenOnAbstractName();
    void listenUnnamed_data();
    void listenUnnamed();
    void listenStringForm_data();
    void listenStringForm();
    void listenInvalidAddress_data();
    void listenInvalidAddress();
    void listenTwice();
    void listenInMissingDirectory();
    void listenOnPathOfLiveServer();

    // cross-process clients
    void crossProcessEchoAndCredentials();
    void concurrentClients();

    // socket file permissions
    void socketFilePermissions_data();
    void socketFilePermissions();

    // stale and replaced socket files
    void staleSocketFileOfKilledServer();
    void removeServerLeavesLiveServer();
    void removeServerLeavesLiveServerOfOtherProcess();
    void removeServerLeavesLiveSocketsOfOtherTypes_data();
    void removeServerLeavesLiveSocketsOfOtherTypes();
    void removeServerLeavesOtherFiles();
    void closeRemovesSocketFile();
    void destructorRemovesSocketFile();
    void closeLeavesReplacedSocketFile();
    void closeLeavesFileReplacedByRegularFile();

    // backlog, pending connections, waiting
    void listenBacklogSize();
    void maxPendingConnections();
    void waitForNewConnection();
    void waitForNewConnectionInThreadWithoutEventLoop();

    // out of descriptors
    void descriptorExhaustion();
    void descriptorExhaustionWithoutEventLoop();

    // socket activation
    void socketActivation();
    void socketActivationByName();
    void socketActivationSkipsOtherSockets();
    void socketActivationFailures_data();
    void socketActivationFailures();

    // adopted descriptors
    void setSocketDescriptorAdopts();
    void setSocketDescriptorLeavesFileOfAdoptedSocket();
    void setSocketDescriptorRejects_data();
    void setSocketDescriptorRejects();

    void incomingConnectionOverride();

    // peer filter
    void peerFilterRejectsUser();
    void peerFilterRejectsProcess();
    void peerFilterAccepts();

    // threads
    void acceptedSocketsInWorkerThreads();

private:
    QString socketPath(const char *tag);
    QByteArray abstractName(const char *tag) { return TestUtil::uniqueAbstractName(tag); }

    enum PidMode { CorrectPid, ParentPid, NoPid };
    std::unique_ptr<QProcess> startActivated(const QList<int> &fds, const QByteArray &fdNames, PidMode pidMode,
                                             const QString &name, bool setListenFds = true);
    void checkActivatedServerEchoes(const QList<int> &fds, const QByteArray &fdNames, const QString &name,
                                    const QByteArray &listeningOn, int fd, const QByteArray &payload);

    QTemporaryDir m_dir;
    int m_pathCounter = 0;
    QMap<int, QByteArray> m_fdsAtStart;
};

QString tst_QSeqpacketServer::socketPath(const char *tag)
{
    return m_dir.path() + QLatin1Char('/') + QLatin1String(tag) + QString::number(++m_pathCounter);
}

void tst_QSeqpacketServer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFileInfo(helperPath()).isExecutable(), qPrintable(helperPath()));
    // Warm up QProcess (its first use sets things up that live on).
    QProcess warmUp;
    warmUp.start(helperPath(), {QStringLiteral("noop")});
    QVERIFY(warmUp.waitForFinished(ProcessTimeoutMs));
    QCOMPARE(warmUp.exitCode(), 0);
}

void tst_QSeqpacketServer::init()
{
    m_fdsAtStart = TestUtil::openFds();
}

void tst_QSeqpacketServer::cleanup()
{
    BindProbe::disarm();
    // Sockets deleted with deleteLater() go now.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    const auto now = TestUtil::openFds();
    QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
}

// ---- listening ------------------------------------------------------------------------------

void tst_QSeqpacketServer::listenOnPath()
{
    const QString path = socketPath("path");
    EchoStats stats;
    QSeqpacketServer server;
    QVERIFY(!server.isListening());
    QCOMPARE(server.socketDescriptor(), -1);
    QCOMPARE(server.serverError(), QSeqpacketSocket::NoError);
    echoAll(&server, &stats);

    QVERIFY2(server.listen(QSeqpacketAddress::fromPath(path)), qPrintable(server.errorString()));
    QVERIFY(server.isListening());
    QCOMPARE(server.serverError(), QSeqpacketSocket::NoError);
    QCOMPARE(server.serverAddress(), QSeqpacketAddress::fromPath(path));
    QCOMPARE(server.serverAddress().kind(), QSeqpacketAddress::Path);
    const int fd = server.socketDescriptor();
    QVERIFY(fd >= 0);
    QCOMPARE(intOption(fd, SOL_SOCKET, SO_DOMAIN), AF_UNIX);
    QCOMPARE(intOption(fd, SOL_SOCKET, SO_TYPE), SOCK_SEQPACKET);
    QCOMPARE(intOption(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
    QVERIFY(TestUtil::isNonBlocking(fd));
    QVERIFY(TestUtil::hasCloexec(fd));
    struct stat info;
    QVERIFY(fileExists(path, &info));
    QVERIFY(S_ISSOCK(info.st_mode));

    QByteArray failure;
    QVERIFY2(echoClientSucceeds(path, 2, 5, 1024, &failure), failure.constData()); // "ok 2 10"
    QCOMPARE(stats.accepted, 2);
    QCOMPARE(stats.packets, 10);
    QCOMPARE(stats.badDescriptors, 0); // accepted connected, non-blocking, close-on-exec

    server.close();
    QVERIFY(!server.isListening());
    QCOMPARE(server.socketDescriptor(), -1);
    QVERIFY(!TestUtil::isFdOpen(fd));
    QVERIFY(!fileExists(path));
    int error = 0;
    QCOMPARE(rawConnect(QFile::encodeName(path), false, &error), -1);
    QCOMPARE(error, ENOENT);
}

void tst_QSeqpacketServer::listenOnAbstractName()
{
    const QByteArray name = abstractName("abstract");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));
    QVERIFY(server.isListening());
    QVERIFY(server.socketDescriptor() >= 0);
    QCOMPARE(server.serverAddress(), QSeqpacketAddress::fromAbstractName(name));
    QCOMPARE(server.serverAddress().kind(), QSeqpacketAddress::Abstract);
    QCOMPARE(server.serverAddress().abstractName(), name);

    QByteArray failure;
    QVERIFY2(echoClientSucceeds(QString::fromLatin1('@' + name), 1, 4, 300, &failure), failure.constData());
    QCOMPARE(stats.packets, 4);

    server.close();
    QVERIFY(!server.isListening());
    int error = 0;
    QCOMPARE(rawConnect('@' + name, false, &error), -1);
    QCOMPARE(error, ECONNREFUSED);
}

void tst_QSeqpacketServer::listenUnnamed_data()
{
    QTest::addColumn<bool>("stringForm");
    QTest::newRow("QSeqpacketAddress()") << false;
    QTest::newRow("listen(QString(\"\"))") << true;
}

void tst_QSeqpacketServer::listenUnnamed()
{
    QFETCH(bool, stringForm);
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    const bool listening = stringForm ? server.listen(QStringLiteral("")) : server.listen(QSeqpacketAddress());
    QVERIFY2(listening, qPrintable(server.errorString()));
    QVERIFY(server.isListening());

    // The kernel picked an abstract name, and serverAddress() tells which.
    const QSeqpacketAddress address = server.serverAddress();
    QCOMPARE(address.kind(), QSeqpacketAddress::Abstract);
    QVERIFY(!address.abstractName().isEmpty());
    sockaddr_un sun;
    socklen_t length = sizeof sun;
    std::memset(&sun, 0, sizeof sun);
    QCOMPARE(::getsockname(server.socketDescriptor(), reinterpret_cast<sockaddr *>(&sun), &length), 0);
    QVERIFY(length > offsetof(sockaddr_un, sun_path) + 1);
    QCOMPARE(sun.sun_path[0], '\0');
    QCOMPARE(QByteArray(sun.sun_path + 1, int(length - offsetof(sockaddr_un, sun_path) - 1)), address.abstractName());

    // A second unnamed server gets another name.
    QSeqpacketServer other;
    QVERIFY2(other.listen(QSeqpacketAddress()), qPrintable(other.errorString()));
    QCOMPARE(other.serverAddress().kind(), QSeqpacketAddress::Abstract);
    QVERIFY(other.serverAddress() != address);
    other.close();

    // A client connects to it by that name.
    QByteArray failure;
    QVERIFY2(echoClientSucceeds(toArgument(address), 1, 3, 100, &failure), failure.constData());
    QCOMPARE(stats.accepted, 1);
    QCOMPARE(stats.packets, 3);
}

void tst_QSeqpacketServer::listenStringForm_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("kind");
    QTest::newRow("path") << socketPath("string") << int(QSeqpacketAddress::Path);
    QTest::newRow("path with @ inside") << socketPath("str@ing") << int(QSeqpacketAddress::Path);
    QTest::newRow("@abstract") << QString::fromLatin1('@' + abstractName("string")) << int(QSeqpacketAddress::Abstract);
}

void tst_QSeqpacketServer::listenStringForm()
{
    QFETCH(QString, address);
    QFETCH(int, kind);
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(address), qPrintable(server.errorString()));
    QCOMPARE(int(server.serverAddress().kind()), kind);
    QCOMPARE(server.serverAddress(), QSeqpacketAddress::fromString(address));
    QCOMPARE(server.serverAddress().toString(), address);
    if (kind == QSeqpacketAddress::Path)
        QVERIFY(fileExists(address));

    QByteArray failure;
    QVERIFY2(echoClientSucceeds(address, 1, 2, 64, &failure), failure.constData());
    server.close();
    if (kind == QSeqpacketAddress::Path)
        QVERIFY(!fileExists(address));
}

void tst_QSeqpacketServer::listenInvalidAddress_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");
    QTest::addColumn<QString>("text"); // listen(QString) instead where not empty

    const QString longPath = m_dir.path() + QLatin1Char('/') + QString(QSeqpacketAddress::maxPathLength() + 10, QLatin1Char('p'));
    QTest::newRow("empty path") << QSeqpacketAddress::fromPath(QString()) << QString();
    QTest::newRow("over-long path") << QSeqpacketAddress::fromPath(longPath) << QString();
    QTest::newRow("NUL inside path") << QSeqpacketAddress::fromNativePath(QByteArray("/tmp/a\0b", 8)) << QString();
    QTest::newRow("over-long abstract name")
            << QSeqpacketAddress::fromAbstractName(QByteArray(QSeqpacketAddress::maxAbstractNameLength() + 1, 'n'))
            << QString();
    QTest::newRow("over-long path string") << QSeqpacketAddress() << longPath;
    QTest::newRow("over-long @name string") << QSeqpacketAddress()
                                            << QLatin1Char('@') + QString(QSeqpacketAddress::maxAbstractNameLength() + 1, QLatin1Char('n'));
}

void tst_QSeqpacketServer::listenInvalidAddress()
{
    QFETCH(QSeqpacketAddress, address);
    QFETCH(QString, text);
    if (text.isEmpty())
        QVERIFY(!address.isValid()); // precondition: the address itself says it cannot exist
    else
        QVERIFY(!QSeqpacketAddress::fromString(text).isValid());

    QSeqpacketServer server;
    const bool listening = text.isEmpty() ? server.listen(address) : server.listen(text);
    QVERIFY(!listening);
    QCOMPARE(server.serverError(), QSeqpacketSocket::InvalidAddressError);
    QVERIFY(!server.errorString().isEmpty());
    QVERIFY(server.errorString() != QLatin1String("No error"));
    QVERIFY(!server.isListening());
    QCOMPARE(server.socketDescriptor(), -1);

    // The server is still usable.
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("after-invalid"))),
             qPrintable(server.errorString()));
    QCOMPARE(server.serverError(), QSeqpacketSocket::NoError);
}

void tst_QSeqpacketServer::listenTwice()
{
    const QString path = socketPath("twice");
    const QByteArray otherName = abstractName("twice-other");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));
    const int fd = server.socketDescriptor();

    QVERIFY(!server.listen(QSeqpacketAddress::fromAbstractName(otherName)));
    QVERIFY(server.serverError() != QSeqpacketSocket::NoError);
    QVERIFY(!server.errorString().isEmpty());
    QVERIFY(!server.listen(path));
    QVERIFY(server.serverError() != QSeqpacketSocket::NoError);

    UniqueFd another(rawSocket(SOCK_SEQPACKET, abstractName("twice-adopt"), true));
    QVERIFY(another.isValid());
    QVERIFY(!server.setSocketDescriptor(another.get()));
    QVERIFY(server.serverError() != QSeqpacketSocket::NoError);
    QVERIFY(TestUtil::isFdOpen(another.get()));

    // Still listening where it was, on the same descriptor; nothing bound to the second address.
    QVERIFY(server.isListening());
    QCOMPARE(server.socketDescriptor(), fd);
    QCOMPARE(server.serverAddress(), QSeqpacketAddress::fromPath(path));
    int error = 0;
    QCOMPARE(rawConnect('@' + otherName, false, &error), -1);
    QCOMPARE(error, ECONNREFUSED);

    UniqueFd client(rawConnect(QFile::encodeName(path)));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "still here"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.packets, 1, WaitMs);
    const TestUtil::RawPacket echo = TestUtil::rawReceive(client.get());
    QVERIFY(echo.ok);
    QCOMPARE(echo.data, QByteArray("still here"));
}

void tst_QSeqpacketServer::listenInMissingDirectory()
{
    const QString path = m_dir.path() + QStringLiteral("/missing-directory/socket");
    QSeqpacketServer server;
    QVERIFY(!server.listen(path));
    QVERIFY(server.serverError() != QSeqpacketSocket::NoError);
    QVERIFY(!server.errorString().isEmpty());
    QVERIFY(server.errorString() != QLatin1String("No error"));
    QVERIFY(!server.isListening());
    QCOMPARE(server.socketDescriptor(), -1);
}

void tst_QSeqpacketServer::listenOnPathOfLiveServer()
{
    const QString path = socketPath("live");
    EchoStats stats;
    QSeqpacketServer first;
    echoAll(&first, &stats);
    QVERIFY2(first.listen(path), qPrintable(first.errorString()));
    const QByteArray identity = identityOf(path);

    QSeqpacketServer second;
    QVERIFY(!second.listen(path));
    QCOMPARE(second.serverError(), QSeqpacketSocket::AddressInUseError);
    QVERIFY(!second.errorString().isEmpty());
    QVERIFY(!second.isListening());
    QCOMPARE(second.socketDescriptor(), -1);

    // The first server's file is untouched and it still accepts.
    QCOMPARE(identityOf(path), identity);
    UniqueFd client(rawConnect(QFile::encodeName(path)));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "first"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.packets, 1, WaitMs);
    const TestUtil::RawPacket echo = TestUtil::rawReceive(client.get());
    QCOMPARE(echo.data, QByteArray("first"));
    QCOMPARE(stats.accepted, 1);
}

// ---- cross-process clients ------------------------------------------------------------------

void tst_QSeqpacketServer::crossProcessEchoAndCredentials()
{
    const QString path = socketPath("credentials");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));

    auto client = startHelper({QStringLiteral("echo"), path, QStringLiteral("3"), QStringLiteral("10"),
                               QStringLiteral("8192"), QStringLiteral("wait")});
    QVERIFY(client->waitForStarted());
    const qint64 pid = client->processId();
    QVERIFY(pid > 0);
    QByteArray line;
    QVERIFY2(waitForLine(client.get(), &line), describeProcess(client.get()).constData());
    const QList<QByteArray> ids = line.split(' ');
    QCOMPARE(ids.size(), 4);
    QCOMPARE(ids.at(0), QByteArray("connected"));
    QCOMPARE(ids.at(1).toLongLong(), pid);

    // All three connections accepted, each reporting the client process's credentials.
    QTRY_COMPARE_WITH_TIMEOUT(stats.accepted, 3, WaitMs);
    for (const QSeqpacketCredentials &credentials : std::as_const(stats.credentials)) {
        QVERIFY(credentials.isValid());
        QCOMPARE(credentials.processId(), pid);
        QCOMPARE(credentials.userId(), ids.at(2).toUInt());
        QCOMPARE(credentials.groupId(), ids.at(3).toUInt());
        QCOMPARE(credentials.userId(), uint(::geteuid()));
        QCOMPARE(credentials.groupId(), uint(::getegid()));
    }

    client->write("go\n");
    QVERIFY(waitForExit(client.get()));
    const QByteArray output = client->readAllStandardOutput();
    QVERIFY2(client->exitStatus() == QProcess::NormalExit && client->exitCode() == 0,
             describeProcess(client.get(), output).constData());
    QVERIFY2(output.contains("ok 3 30"), output.constData());
    QCOMPARE(stats.packets, 30);
    QTRY_COMPARE_WITH_TIMEOUT(stats.disconnected, 3, WaitMs);
    for (QSeqpacketSocket::SocketError error : std::as_const(stats.errorsAtDisconnect))
        QCOMPARE(error, QSeqpacketSocket::NoError);
}

void tst_QSeqpacketServer::concurrentClients()
{
    // 4 processes with 50 connections each: 200 clients connected at once, then all echoing.
    constexpr int Processes = 4;
    constexpr int ConnectionsEach = 50;
    constexpr int Rounds = 10;
    constexpr int Total = Processes * ConnectionsEach;
    const QByteArray name = abstractName("concurrent");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));

    std::vector<std::unique_ptr<QProcess>> clients;
    for (int i = 0; i < Processes; ++i) {
        clients.push_back(startHelper({QStringLiteral("echo"), QString::fromLatin1('@' + name),
                                       QString::number(ConnectionsEach), QString::number(Rounds),
                                       QStringLiteral("4096"), QStringLiteral("wait")}));
        QVERIFY(clients.back()->waitForStarted());
    }
    for (auto &client : clients) {
        QByteArray line;
        QVERIFY2(waitForLine(client.get(), &line, ProcessTimeoutMs), describeProcess(client.get()).constData());
        QVERIFY2(line.startsWith("connected"), line.constData());
    }
    // All 200 connections are open at the same time.
    QTRY_COMPARE_WITH_TIMEOUT(stats.accepted, Total, WaitMs);
    QHash<qint64, int> perProcess;
    for (const QSeqpacketCredentials &credentials : std::as_const(stats.credentials))
        ++perProcess[credentials.processId()];
    QCOMPARE(perProcess.size(), Processes);
    for (auto &client : clients)
        QCOMPARE(perProcess.value(client->processId()), ConnectionsEach);

    for (auto &client : clients)
        client->write("go\n");
    for (auto &client : clients) {
        QVERIFY2(waitForExit(client.get()), "a client did not finish");
        const QByteArray output = client->readAllStandardOutput();
        QVERIFY2(client->exitStatus() == QProcess::NormalExit && client->exitCode() == 0,
                 describeProcess(client.get(), output).constData());
        QVERIFY2(output.contains("ok " + QByteArray::number(ConnectionsEach) + ' '
                                 + QByteArray::number(ConnectionsEach * Rounds)),
                 output.constData());
    }
    QCOMPARE(stats.packets, Total * Rounds);
    // Every connection ended cleanly: disconnected() once each, no reset.
    QTRY_COMPARE_WITH_TIMEOUT(stats.disconnected, Total, WaitMs);
    QCOMPARE(stats.errorsAtDisconnect.size(), Total);
    for (QSeqpacketSocket::SocketError error : std::as_const(stats.errorsAtDisconnect))
        QCOMPARE(error, QSeqpacketSocket::NoError);
    QCOMPARE(stats.accepted, Total);
    QCOMPARE(stats.badDescriptors, 0);
}

// ---- socket file permissions ----------------------------------------------------------------

void tst_QSeqpacketServer::socketFilePermissions_data()
{
    QTest::addColumn<int>("options");
    QTest::addColumn<int>("mask");
    QTest::addColumn<int>("expected");

    using S = QSeqpacketServer;
    QTest::newRow("NoOptions, umask 022") << int(S::NoOptions) << 022 << 0755;
    QTest::newRow("NoOptions, umask 077") << int(S::NoOptions) << 077 << 0700;
    QTest::newRow("NoOptions, umask 000") << int(S::NoOptions) << 0 << 0777;
    QTest::newRow("User, umask 022") << int(S::UserAccessOption) << 022 << 0700;
    QTest::newRow("User, umask 077") << int(S::UserAccessOption) << 077 << 0700;
    QTest::newRow("User, umask 000") << int(S::UserAccessOption) << 0 << 0700;
    QTest::newRow("Group, umask 022") << int(S::GroupAccessOption) << 022 << 0070;
    QTest::newRow("Group, umask 077") << int(S::GroupAccessOption) << 077 << 0070;
    QTest::newRow("Group, umask 000") << int(S::GroupAccessOption) << 0 << 0070;
    QTest::newRow("Other, umask 022") << int(S::OtherAccessOption) << 022 << 0007;
    QTest::newRow("Other, umask 077") << int(S::OtherAccessOption) << 077 << 0007;
    QTest::newRow("User|Group, umask 077") << int(S::UserAccessOption | S::GroupAccessOption) << 077 << 0770;
    QTest::newRow("User|Other, umask 000") << int(S::UserAccessOption | S::OtherAccessOption) << 0 << 0707;
    QTest::newRow("World, umask 022") << int(S::WorldAccessOption) << 022 << 0777;
    QTest::newRow("World, umask 077") << int(S::WorldAccessOption) << 077 << 0777;
}

void tst_QSeqpacketServer::socketFilePermissions()
{
    QFETCH(int, options);
    QFETCH(int, mask);
    QFETCH(int, expected);
    const QString path = socketPath("mode");
    const QByteArray nativePath = QFile::encodeName(path);

    QSeqpacketServer server;
    QCOMPARE(server.socketOptions(), QSeqpacketServer::SocketOptions(QSeqpacketServer::NoOptions));
    server.setSocketOptions(QSeqpacketServer::SocketOptions(options));
    QCOMPARE(int(server.socketOptions()), options);

    bool listening = false;
    {
        const UmaskGuard umaskGuard{mode_t(mask)};
        // No window with more than asked: the implementation fchmod()s the socket before bind(),
        // so the file is created with those bits (less the umask) and chmod() afterwards can only
        // add bits that were asked for. The bind() probe looks at the file the instant bind()
        // has made it, before anything could chmod() it.
        BindProbe::arm(nativePath);
        listening = server.listen(path);
        BindProbe::disarm();
    }
    QVERIFY2(listening, qPrintable(server.errorString()));

    // Right after listen(): exactly the bits asked for.
    struct stat info;
    QVERIFY(fileExists(path, &info));
    QVERIFY(S_ISSOCK(info.st_mode));
    QCOMPARE(int(info.st_mode & 07777), expected);

    // And never more than that, not even just after bind().
    QVERIFY2(BindProbe::observations() == 1,
             "the bind() probe did not see exactly one bind() to the path: is bind() still interposed?");
    const int seen = int(BindProbe::modesSeen());
    QVERIFY2((seen & ~expected) == 0,
             qPrintable(QStringLiteral("right after bind() the file had mode %1, more than %2")
                                .arg(seen, 4, 8, QLatin1Char('0'))
                                .arg(expected, 4, 8, QLatin1Char('0'))));

    // The bits are what the kernel checks: connecting needs write permission (which root has anyway).
    int error = 0;
    UniqueFd client(rawConnect(nativePath, false, &error));
    if (::geteuid() == 0 || (expected & S_IWUSR)) {
        QVERIFY2(client.isValid(), strerror(error));
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
    } else {
        QVERIFY(!client.isValid());
        QCOMPARE(error, EACCES);
    }
    server.close();
    QVERIFY(!fileExists(path));
}

// ---- stale and replaced socket files --------------------------------------------------------

void tst_QSeqpacketServer::staleSocketFileOfKilledServer()
{
    const QString path = socketPath("stale");
    {
        auto dying = startHelper({QStringLiteral("listen"), path});
        QVERIFY(dying->waitForStarted());
        QByteArray line;
        QVERIFY2(waitForLine(dying.get(), &line), describeProcess(dying.get()).constData());
        QCOMPARE(line, QByteArray("listening"));
        dying->kill(); // SIGKILL: no chance to clean up
        QVERIFY(dying->waitForFinished(ProcessTimeoutMs));
        QCOMPARE(dying->exitStatus(), QProcess::CrashExit);
    }
    struct stat info;
    QVERIFY2(fileExists(path, &info), "a SIGKILLed server leaves its socket file");
    QVERIFY(S_ISSOCK(info.st_mode));

    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY(!server.listen(path));
    QCOMPARE(server.serverError(), QSeqpacketSocket::AddressInUseError);
    QVERIFY(!server.errorString().isEmpty());
    QVERIFY2(server.errorString().contains(QFileInfo(path).fileName()), qPrintable(server.errorString()));
    QVERIFY(!server.isListening());
    QVERIFY(fileExists(path)); // a failed listen() removes nothing

    QVERIFY(QSeqpacketServer::removeServer(path));
    QVERIFY(!fileExists(path));
    QVERIFY(QSeqpacketServer::removeServer(path)); // nothing stale remains: still true

    QVERIFY2(server.listen(path), qPrintable(server.errorString()));
    QByteArray failure;
    QVERIFY2(echoClientSucceeds(path, 1, 3, 200, &failure), failure.constData());
}

void tst_QSeqpacketServer::removeServerLeavesLiveServer()
{
    const QString path = socketPath("alive");
    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));
    const QByteArray identity = identityOf(path);

    QVERIFY(!QSeqpacketServer::removeServer(path));
    QCOMPARE(identityOf(path), identity);
    QVERIFY(server.isListening());

    // Still reachable through its file.
    QByteArray failure;
    QVERIFY2(echoClientSucceeds(path, 1, 3, 200, &failure), failure.constData());
    QCOMPARE(stats.packets, 3);

    // Also while its backlog is full and it accepts nothing.
    server.close();
    QVERIFY(!fileExists(path));
    QSeqpacketServer busy;
    busy.setListenBacklogSize(0);
    QVERIFY2(busy.listen(path), qPrintable(busy.errorString()));
    std::vector<UniqueFd> waiting;
    bool full = false;
    for (int i = 0; i < 8 && !full; ++i) { // no event loop runs: nothing is accepted
        int error = 0;
        UniqueFd fd(rawConnect(QFile::encodeName(path), true, &error));
        if (!fd.isValid()) {
            QCOMPARE(error, EAGAIN);
            full = true;
        }
        waiting.push_back(std::move(fd));
    }
    QVERIFY(full);
    QVERIFY(!QSeqpacketServer::removeServer(path));
    QVERIFY(fileExists(path));
    QVERIFY(busy.isListening());
}

void tst_QSeqpacketServer::removeServerLeavesLiveServerOfOtherProcess()
{
    const QString path = socketPath("alive-elsewhere");
    auto server = startHelper({QStringLiteral("listen"), path});
    QVERIFY(server->waitForStarted());
    QByteArray line;
    QVERIFY2(waitForLine(server.get(), &line), describeProcess(server.get()).constData());
    QCOMPARE(line, QByteArray("listening"));
    const QByteArray identity = identityOf(path);
    QVERIFY(!identity.isEmpty());

    QVERIFY(!QSeqpacketServer::removeServer(path));
    QCOMPARE(identityOf(path), identity);

    QByteArray failure;
    QVERIFY2(echoClientSucceeds(path, 2, 3, 500, &failure), failure.constData());

    // Its server goes away normally (stdin closed): it removes its own file.
    server->closeWriteChannel();
    QVERIFY(waitForExit(server.get()));
    QVERIFY2(server->exitStatus() == QProcess::NormalExit && server->exitCode() == 0,
             describeProcess(server.get()).constData());
    QVERIFY(!fileExists(path));
}

void tst_QSeqpacketServer::removeServerLeavesLiveSocketsOfOtherTypes_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("stream server") << int(SOCK_STREAM);
    QTest::newRow("datagram socket") << int(SOCK_DGRAM);
}

void tst_QSeqpacketServer::removeServerLeavesLiveSocketsOfOtherTypes()
{
    // A live server of another type is just as alive: its file is not stale.
    QFETCH(int, type);
    const QString path = socketPath("other-type");
    const QByteArray nativePath = QFile::encodeName(path);
    TestUtil::RawListener listener;
    UniqueFd datagram;
    if (type == SOCK_STREAM) {
        QVERIFY(listener.listenPath(nativePath, 4, SOCK_STREAM));
    } else {
        datagram.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un sun;
        const socklen_t length = TestUtil::fillSockaddr(&sun, nativePath, false);
        QCOMPARE(::bind(datagram.get(), reinterpret_cast<sockaddr *>(&sun), length), 0);
    }
    const QByteArray identity = identityOf(path);
    QVERIFY(!identity.isEmpty());

    QVERIFY(!QSeqpacketServer::removeServer(path));
    QCOMPARE(identityOf(path), identity);

    // listen() does not take it over either.
    QSeqpacketServer server;
    QVERIFY(!server.listen(path));
    QCOMPARE(server.serverError(), QSeqpacketSocket::AddressInUseError);
    QCOMPARE(identityOf(path), identity);

    listener.close();
    QFile::remove(path);
}

void tst_QSeqpacketServer::removeServerLeavesOtherFiles()
{
    // A regular file.
    const QString regular = socketPath("regular");
    {
        QFile file(regular);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write("not a socket"), qint64(12));
    }
    QVERIFY(!QSeqpacketServer::removeServer(regular));
    QVERIFY(fileExists(regular));
    {
        QFile file(regular);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("not a socket"));
    }
    QVERIFY(QFile::remove(regular));

    // A directory.
    const QString directory = socketPath("directory");
    QVERIFY(QDir().mkdir(directory));
    QVERIFY(!QSeqpacketServer::removeServer(directory));
    QVERIFY(QFileInfo(directory).isDir());
    QVERIFY(QDir().rmdir(directory));

    // Nothing there: nothing stale remains.
    QVERIFY(QSeqpacketServer::removeServer(socketPath("nothing")));
}

void tst_QSeqpacketServer::closeRemovesSocketFile()
{
    const QString path = socketPath("close");
    QSeqpacketServer server;
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));
    QVERIFY(fileExists(path));
    server.close();
    QVERIFY(!server.isListening());
    QVERIFY(!fileExists(path));
    server.close(); // harmless twice

    // And again after a second listen on the same path.
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));
    QVERIFY(fileExists(path));
    server.close();
    QVERIFY(!fileExists(path));
}

void tst_QSeqpacketServer::destructorRemovesSocketFile()
{
    const QString path = socketPath("destructor");
    int fd = -1;
    {
        QSeqpacketServer server;
        QVERIFY2(server.listen(path), qPrintable(server.errorString()));
        fd = server.socketDescriptor();
        QVERIFY(fileExists(path));
    }
    QVERIFY(!fileExists(path));
    QVERIFY(!TestUtil::isFdOpen(fd));
}

void tst_QSeqpacketServer::closeLeavesReplacedSocketFile()
{
    const QString path = socketPath("replaced");
    QSeqpacketServer a;
    QVERIFY2(a.listen(path), qPrintable(a.errorString()));
    QVERIFY(QFile::remove(path)); // somebody removes A's file...

    EchoStats stats;
    QSeqpacketServer b; // ...and B listens at the same path
    echoAll(&b, &stats);
    QVERIFY2(b.listen(path), qPrintable(b.errorString()));
    const QByteArray identityOfB = identityOf(path);
    QVERIFY(!identityOfB.isEmpty());

    a.close();
    QVERIFY(!a.isListening());
    QCOMPARE(identityOf(path), identityOfB);

    // B still accepts through its file.
    UniqueFd client(rawConnect(QFile::encodeName(path)));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "to B"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.packets, 1, WaitMs);
    QCOMPARE(TestUtil::rawReceive(client.get()).data, QByteArray("to B"));

    b.close();
    QVERIFY(!fileExists(path));
}

void tst_QSeqpacketServer::closeLeavesFileReplacedByRegularFile()
{
    const QString path = socketPath("replaced-regular");
    QSeqpacketServer server;
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));
    QVERIFY(QFile::remove(path));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write("data"), qint64(4));
    }
    server.close();
    QVERIFY(fileExists(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("data"));
    file.close();
    QVERIFY(QFile::remove(path));
}

// ---- backlog, pending connections, waiting --------------------------------------------------

void tst_QSeqpacketServer::listenBacklogSize()
{
    QSeqpacketServer server;
    QCOMPARE(server.listenBacklogSize(), 128);
    server.setListenBacklogSize(2);
    QCOMPARE(server.listenBacklogSize(), 2);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("backlog"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    // No event loop runs, so nothing is accepted: the kernel queues backlog (+1, its rule for
    // AF_UNIX) connections, then refuses a non-blocking connect with EAGAIN.
    std::vector<UniqueFd> clients;
    int lastError = 0;
    for (int i = 0; i < 10; ++i) {
        UniqueFd fd(rawConnect(address, true, &lastError));
        if (!fd.isValid())
            break;
        clients.push_back(std::move(fd));
    }
    QCOMPARE(lastError, EAGAIN);
    QVERIFY2(clients.size() >= 2 && clients.size() <= 3, QByteArray::number(qsizetype(clients.size())).constData());

    // The server takes them all once its event loop runs.
    int accepted = 0;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            ++accepted;
            delete socket;
        }
    });
    QTRY_COMPARE_WITH_TIMEOUT(accepted, int(clients.size()), WaitMs);

    // The default backlog takes ten without trouble.
    QSeqpacketServer roomy;
    QVERIFY2(roomy.listen(QSeqpacketAddress()), qPrintable(roomy.errorString()));
    std::vector<UniqueFd> more;
    for (int i = 0; i < 10; ++i) {
        int error = 0;
        more.emplace_back(rawConnect('@' + roomy.serverAddress().abstractName(), true, &error));
        QVERIFY2(more.back().isValid(), strerror(error));
    }
}

void tst_QSeqpacketServer::maxPendingConnections()
{
    constexpr int Clients = 5;
    QSeqpacketServer server;
    QCOMPARE(server.maxPendingConnections(), 30);
    server.setMaxPendingConnections(2);
    QCOMPARE(server.maxPendingConnections(), 2);
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("pending"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    std::vector<UniqueFd> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.emplace_back(rawConnect(address));
        QVERIFY(clients.back().isValid());
        QVERIFY(TestUtil::rawSend(clients.back().get(), "client-" + QByteArray::number(i)));
    }

    QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
    // Two wait, three stay in the kernel's backlog, and the listening socket stays readable: the
    // server must not spin on it meanwhile. Over an idle second the process uses little CPU.
    const qint64 cpuBefore = cpuTimeMs();
    QTest::qWait(1000);
    const qint64 cpuUsed = cpuTimeMs() - cpuBefore;
    QVERIFY2(cpuUsed < 300, qPrintable(QStringLiteral("%1 ms of CPU time over an idle second").arg(cpuUsed)));

    QSet<QByteArray> seen;
    const auto takeAll = [&](int expected) {
        int taken = 0;
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            ++taken;
            if (socket->parent() != &server || socket->state() != QSeqpacketSocket::ConnectedState)
                return -1;
            if (!socket->waitForPacket(WaitMs))
                return -2;
            seen.insert(socket->receivePacket().data());
            delete socket;
            if (taken > expected)
                break;
        }
        return taken;
    };
    // Exactly two pending, the first two clients; nextPendingConnection() does not accept
    // the others by itself.
    QCOMPARE(takeAll(2), 2);
    QCOMPARE(seen, (QSet<QByteArray>{"client-0", "client-1"}));
    QVERIFY(!server.hasPendingConnections());
    QVERIFY(server.nextPendingConnection() == nullptr);

    // Room again: the rest arrive, at most two at a time.
    while (seen.size() < Clients) {
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
        QTest::qWait(50); // let it accept whatever it would
        const int taken = takeAll(2);
        QVERIFY2(taken >= 1 && taken <= 2, QByteArray::number(taken).constData());
    }
    QCOMPARE(seen.size(), Clients);
    for (int i = 0; i < Clients; ++i)
        QVERIFY(seen.contains("client-" + QByteArray::number(i)));
    QVERIFY(newConnection.size() >= 3);
}

void tst_QSeqpacketServer::waitForNewConnection()
{
    QSeqpacketServer notListening;
    bool timedOut = true;
    QVERIFY(!notListening.waitForNewConnection(100, &timedOut));
    QVERIFY(!timedOut);
    QVERIFY(notListening.serverError() != QSeqpacketSocket::NoError);
    QVERIFY(!notListening.errorString().isEmpty());

    QSeqpacketServer server;
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("wait"))), qPrintable(server.errorString()));
    timedOut = false;
    QVERIFY(!server.waitForNewConnection(100, &timedOut));
    QVERIFY(timedOut);
    QVERIFY(!server.hasPendingConnections());

    UniqueFd client(rawConnect('@' + server.serverAddress().abstractName()));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "hello"));
    timedOut = true;
    QVERIFY(server.waitForNewConnection(WaitMs, &timedOut));
    QVERIFY(!timedOut);
    QVERIFY(server.hasPendingConnections());
    QVERIFY(server.waitForNewConnection(0, &timedOut)); // true at once while one waits
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(socket->state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(socket->waitForPacket(WaitMs));
    QCOMPARE(socket->receivePacket().data(), QByteArray("hello"));
    QVERIFY(socket->sendPacket(QByteArrayView("back")));
    QCOMPARE(TestUtil::rawReceive(client.get()).data, QByteArray("back"));
}

void tst_QSeqpacketServer::waitForNewConnectionInThreadWithoutEventLoop()
{
    const QByteArray name = abstractName("wait-thread");
    QSemaphore listening;
    std::atomic<bool> threadOk{false};
    QString threadError;
    std::thread worker([&] {
        // A plain thread: no event loop, only the waitFor...() calls.
        QSeqpacketServer server;
        const bool ok = server.listen(QSeqpacketAddress::fromAbstractName(name));
        listening.release();
        if (!ok) {
            threadError = server.errorString();
            return;
        }
        bool timedOut = true;
        if (!server.waitForNewConnection(WaitMs, &timedOut) || timedOut) {
            threadError = QStringLiteral("waitForNewConnection: ") + server.errorString();
            return;
        }
        QSeqpacketSocket *socket = server.nextPendingConnection();
        if (!socket || !socket->waitForPacket(WaitMs)) {
            threadError = QStringLiteral("no packet");
            return;
        }
        const QByteArray data = socket->receivePacket().data();
        if (!socket->sendPacket(QByteArrayView(data + " from thread")) || !socket->waitForPacketsWritten(WaitMs)) {
            threadError = QStringLiteral("sendPacket: ") + socket->errorString();
            return;
        }
        threadOk = socket->waitForDisconnected(WaitMs);
        if (!threadOk)
            threadError = QStringLiteral("waitForDisconnected: ") + socket->errorString();
        delete socket;
    });
    const bool started = listening.tryAcquire(1, WaitMs);
    UniqueFd client(started ? rawConnect('@' + name) : -1);
    TestUtil::RawPacket echo;
    if (client.isValid() && TestUtil::rawSend(client.get(), "ping"))
        echo = receiveRunningEvents(client.get());
    client.reset();
    worker.join();
    QVERIFY(started);
    QVERIFY2(threadOk, qPrintable(threadError));
    QVERIFY(echo.ok);
    QCOMPARE(echo.data, QByteArray("ping from thread"));
}

// ---- out of descriptors ---------------------------------------------------------------------

void tst_QSeqpacketServer::descriptorExhaustion()
{
    // The server runs in a helper process that takes all its descriptors (RLIMIT_NOFILE lowered,
    // the rest filled), so accept() fails with EMFILE while these clients wait in the backlog.
    // Once it has descriptors again it accepts every waiting client and echoes.
    constexpr int Clients = 3;
    int spare = 0;
    HelperResult result;
    runOutOfDescriptorsServer(QStringLiteral("emfile"), "emfile", Clients, "hello-", QByteArray(), &spare, &result);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(spare > 0);
    const QMap<QByteArray, QByteArray> &values = result.values;

    // acceptError(ResourceError), with a message, and retried more than once meanwhile.
    QCOMPARE(values.value("code").toInt(), int(QSeqpacketSocket::ResourceError));
    QVERIFY2(!result.message.isEmpty(), result.line.constData());
    QVERIFY2(values.value("errors").toInt() >= 2, result.line.constData());
    // Still listening, without spinning: little CPU over the window of exhaustion.
    QCOMPARE(values.value("listening"), QByteArray("1"));
    QVERIFY2(values.value("window_ms").toInt() >= 1000, result.line.constData());
    QVERIFY2(values.value("cpu_ms").toInt() >= 0 && values.value("cpu_ms").toInt() < 300, result.line.constData());
    // A server that retried at once would have failed accept() many thousand times by then.
    QVERIFY2(values.value("errors").toInt() < 1000, result.line.constData());
    // Every waiting client accepted once descriptors were free.
    QCOMPARE(values.value("accepted").toInt(), Clients);
    QCOMPARE(values.value("echoed").toInt(), Clients);
}

void tst_QSeqpacketServer::descriptorExhaustionWithoutEventLoop()
{
    // The same in a process with no event loop at all: waitForNewConnection() does the accepting.
    // "go" once the clients all wait in the backlog: the helper then waits for them while out of
    // descriptors.
    constexpr int Clients = 3;
    int spare = 0;
    HelperResult result;
    runOutOfDescriptorsServer(QStringLiteral("emfilewait"), "emfile-wait", Clients, "waited-", "go\n", &spare,
                              &result);
    if (QTest::currentTestFailed())
        return;
    const QMap<QByteArray, QByteArray> &values = result.values;

    // Nothing could be accepted while out of descriptors; acceptError(ResourceError) said why,
    // with a message; the server kept listening and did not spin in the wait.
    QCOMPARE(values.value("got"), QByteArray("0"));
    QVERIFY2(values.value("errors").toInt() >= 1, result.line.constData());
    QCOMPARE(values.value("code").toInt(), int(QSeqpacketSocket::ResourceError));
    QVERIFY2(!result.message.isEmpty(), result.line.constData());
    QCOMPARE(values.value("listening"), QByteArray("1"));
    QVERIFY2(values.value("cpu_ms").toInt() >= 0 && values.value("cpu_ms").toInt() < 300, result.line.constData());
    // Then, with descriptors free, waitForNewConnection() accepted every waiting client.
    QCOMPARE(values.value("problem"), QByteArray("none"));
    QCOMPARE(values.value("accepted").toInt(), Clients);
    QCOMPARE(values.value("echoed").toInt(), Clients);
}

// ---- socket activation ----------------------------------------------------------------------

std::unique_ptr<QProcess> tst_QSeqpacketServer::startActivated(const QList<int> &fds, const QByteArray &fdNames,
                                                               PidMode pidMode, const QString &name,
                                                               bool setListenFds)
{
    auto process = std::make_unique<QProcess>();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("LISTEN_PID"));
    environment.remove(QStringLiteral("LISTEN_FDS"));
    environment.remove(QStringLiteral("LISTEN_FDNAMES"));
    if (setListenFds)
        environment.insert(QStringLiteral("LISTEN_FDS"), QString::number(fds.size()));
    if (!fdNames.isNull())
        environment.insert(QStringLiteral("LISTEN_FDNAMES"), QString::fromLatin1(fdNames));
    if (pidMode == ParentPid) // inherited from a parent it was meant for: not this process
        environment.insert(QStringLiteral("LISTEN_PID"), QString::number(::getpid()));
    process->setProcessEnvironment(environment);

    QStringList helperArguments = {helperPath(), QStringLiteral("activated")};
    if (!name.isEmpty())
        helperArguments << name;
    if (pidMode == CorrectPid) {
        // The shell's pid is the helper's after exec.
        process->setProgram(QStringLiteral("/bin/sh"));
        process->setArguments(QStringList{QStringLiteral("-c"), QStringLiteral("LISTEN_PID=$$ exec \"$0\" \"$@\"")}
                              + helperArguments);
    } else {
        process->setProgram(helperArguments.takeFirst());
        process->setArguments(helperArguments);
    }
    // In the child: the descriptors go to 3, 4, ... (not close-on-exec), as systemd hands them.
    int handed[8] = {};
    const int count = int(qMin<qsizetype>(fds.size(), 8));
    for (int i = 0; i < count; ++i)
        handed[i] = fds.at(i);
    process->setChildProcessModifier([handed, count] {
        int high[8];
        for (int i = 0; i < count; ++i)
            high[i] = ::fcntl(handed[i], F_DUPFD, 100);
        for (int i = 0; i < count; ++i) {
            ::dup2(high[i], 3 + i);
            ::close(high[i]);
        }
    });
    process->start();
    return process;
}

// Starts the helper socket-activated (with the right LISTEN_PID) with \a fds named \a fdNames,
// asking for \a name, and checks that it listens on the abstract name \a listeningOn as descriptor
// \a fd, close-on-exec and non-blocking, and that it echoes \a payload sent there; then ends it.
void tst_QSeqpacketServer::checkActivatedServerEchoes(const QList<int> &fds, const QByteArray &fdNames,
                                                      const QString &name, const QByteArray &listeningOn, int fd,
                                                      const QByteArray &payload)
{
    auto server = startActivated(fds, fdNames, CorrectPid, name);
    QVERIFY(server->waitForStarted());
    QByteArray line;
    QVERIFY2(waitForLine(server.get(), &line), describeProcess(server.get()).constData());
    QCOMPARE(line, "listening @" + listeningOn + ' ' + QByteArray::number(fd) + " cloexec=1 nonblocking=1");

    UniqueFd client(rawConnect('@' + listeningOn));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), payload));
    const TestUtil::RawPacket echo = receiveRunningEvents(client.get());
    QVERIFY2(echo.ok, describeProcess(server.get()).constData());
    QCOMPARE(echo.data, payload);
    client.reset();

    server->closeWriteChannel();
    QVERIFY(waitForExit(server.get()));
    QVERIFY2(server->exitStatus() == QProcess::NormalExit && server->exitCode() == 0,
             describeProcess(server.get()).constData());
}

void tst_QSeqpacketServer::socketActivation()
{
    const QByteArray name = abstractName("activated");
    UniqueFd listener(rawSocket(SOCK_SEQPACKET, name, true));
    QVERIFY(listener.isValid());
    checkActivatedServerEchoes({listener.get()}, "server", QString(), name, 3, "activated ping");
}

void tst_QSeqpacketServer::socketActivationByName()
{
    const QByteArray first = abstractName("activated-first");
    const QByteArray second = abstractName("activated-second");
    UniqueFd a(rawSocket(SOCK_SEQPACKET, first, true));
    UniqueFd b(rawSocket(SOCK_SEQPACKET, second, true));
    QVERIFY(a.isValid() && b.isValid());
    checkActivatedServerEchoes({a.get(), b.get()}, "first:second", QStringLiteral("second"), second, 4, "to second");
}

void tst_QSeqpacketServer::socketActivationSkipsOtherSockets()
{
    // Without a name: the first listening seqpacket socket, past a stream listener and a
    // seqpacket socket that does not listen.
    const QByteArray wanted = abstractName("activated-wanted");
    UniqueFd stream(rawSocket(SOCK_STREAM, abstractName("activated-stream"), true));
    UniqueFd idle(rawSocket(SOCK_SEQPACKET, abstractName("activated-idle"), false));
    UniqueFd listener(rawSocket(SOCK_SEQPACKET, wanted, true));
    QVERIFY(stream.isValid() && idle.isValid() && listener.isValid());
    checkActivatedServerEchoes({stream.get(), idle.get(), listener.get()}, "a:b:c", QString(), wanted, 5, "third");
}

void tst_QSeqpacketServer::socketActivationFailures_data()
{
    QTest::addColumn<int>("pidMode");
    QTest::addColumn<bool>("setListenFds");
    QTest::addColumn<bool>("streamOnly");
    QTest::addColumn<QByteArray>("fdNames");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("mentionsOneOf"); // the message names what is wrong

    QTest::newRow("no environment") << int(NoPid) << false << false << QByteArray() << QString()
                                    << QStringList{QStringLiteral("LISTEN")};
    QTest::newRow("LISTEN_FDS without LISTEN_PID") << int(NoPid) << true << false << QByteArray() << QString()
                                                   << QStringList{QStringLiteral("LISTEN")};
    QTest::newRow("LISTEN_PID of another process")
            << int(ParentPid) << true << false << QByteArray("server") << QString()
            << QStringList{QString::number(::getpid()), QStringLiteral("LISTEN_PID")};
    QTest::newRow("name not handed over") << int(CorrectPid) << true << false << QByteArray("other")
                                          << QStringLiteral("wanted") << QStringList{QStringLiteral("wanted")};
    QTest::newRow("no LISTEN_FDNAMES, name asked") << int(CorrectPid) << true << false << QByteArray()
                                                   << QStringLiteral("wanted") << QStringList{QStringLiteral("wanted")};
    QTest::newRow("no listening seqpacket socket") << int(CorrectPid) << true << true << QByteArray("server")
                                                   << QString() << QStringList();
}

void tst_QSeqpacketServer::socketActivationFailures()
{
    QFETCH(int, pidMode);
    QFETCH(bool, setListenFds);
    QFETCH(bool, streamOnly);
    QFETCH(QByteArray, fdNames);
    QFETCH(QString, name);
    QFETCH(QStringList, mentionsOneOf);

    UniqueFd listener(rawSocket(streamOnly ? SOCK_STREAM : SOCK_SEQPACKET, abstractName("activation-fails"), true));
    QVERIFY(listener.isValid());
    auto server = startActivated({listener.get()}, fdNames, PidMode(pidMode), name, setListenFds);
    QVERIFY(server->waitForStarted());
    QByteArray output;
    const bool answered = waitForLine(server.get(), &output);
    server->closeWriteChannel(); // a helper that listened after all ends now
    QVERIFY(waitForExit(server.get()));
    QVERIFY2(answered, describeProcess(server.get()).constData());
    QVERIFY2(!output.startsWith("listening"), output.constData());
    QVERIFY2(server->exitStatus() == QProcess::NormalExit && server->exitCode() == 3,
             describeProcess(server.get(), output).constData());
    // "error <code> <message>"
    const QList<QByteArray> parts = output.split(' ');
    QVERIFY2(parts.size() >= 3 && parts.at(0) == "error", output.constData());
    QVERIFY(parts.at(1).toInt() != int(QSeqpacketSocket::NoError));
    const QString message = QString::fromUtf8(output.mid(parts.at(0).size() + parts.at(1).size() + 2));
    QVERIFY2(message.contains(QLatin1String("listenActivated")), qPrintable(message));
    bool mentioned = mentionsOneOf.isEmpty();
    for (const QString &word : std::as_const(mentionsOneOf))
        mentioned = mentioned || message.contains(word);
    QVERIFY2(mentioned, qPrintable(message + QStringLiteral(" does not mention ") + mentionsOneOf.join(QLatin1String(" or "))));
}

// ---- adopted descriptors --------------------------------------------------------------------

void tst_QSeqpacketServer::setSocketDescriptorAdopts()
{
    const QByteArray name = abstractName("adopted");
    const int fd = rawSocket(SOCK_SEQPACKET, name, true); // blocking, not close-on-exec
    QVERIFY(fd >= 0);
    QVERIFY(!TestUtil::isNonBlocking(fd));
    QVERIFY(!TestUtil::hasCloexec(fd));

    EchoStats stats;
    QSeqpacketServer server;
    echoAll(&server, &stats);
    QVERIFY2(server.setSocketDescriptor(fd), qPrintable(server.errorString()));
    QVERIFY(server.isListening());
    QCOMPARE(server.socketDescriptor(), fd);
    QCOMPARE(server.serverAddress(), QSeqpacketAddress::fromAbstractName(name));
    QVERIFY(TestUtil::isNonBlocking(fd));
    QVERIFY(TestUtil::hasCloexec(fd));

    UniqueFd client(rawConnect('@' + name));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "adopted"));
    QTRY_COMPARE_WITH_TIMEOUT(stats.packets, 1, WaitMs);
    QCOMPARE(TestUtil::rawReceive(client.get()).data, QByteArray("adopted"));
    QCOMPARE(stats.accepted, 1);

    // The server owns it now: close() closes it.
    server.close();
    QVERIFY(!server.isListening());
    QVERIFY(!TestUtil::isFdOpen(fd));
}

void tst_QSeqpacketServer::setSocketDescriptorLeavesFileOfAdoptedSocket()
{
    // A socket file the server did not create is not the server's to remove.
    const QString path = socketPath("adopted-file");
    const QByteArray nativePath = QFile::encodeName(path);
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    sockaddr_un sun;
    const socklen_t length = TestUtil::fillSockaddr(&sun, nativePath, false);
    QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&sun), length), 0);
    QCOMPARE(::listen(fd, 8), 0);

    QSeqpacketServer server;
    QVERIFY2(server.setSocketDescriptor(fd), qPrintable(server.errorString()));
    QCOMPARE(server.serverAddress(), QSeqpacketAddress::fromPath(path));
    UniqueFd client(rawConnect(nativePath));
    QVERIFY(client.isValid());
    QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), WaitMs);
    server.close();
    QVERIFY(!TestUtil::isFdOpen(fd));
    QVERIFY(fileExists(path));
    QVERIFY(QFile::remove(path));
}

void tst_QSeqpacketServer::setSocketDescriptorRejects_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("seqpacket, bound, not listening") << QStringLiteral("bound");
    QTest::newRow("seqpacket, unbound") << QStringLiteral("unbound");
    QTest::newRow("connected seqpacket (socketpair)") << QStringLiteral("pair");
    QTest::newRow("stream, listening") << QStringLiteral("stream");
    QTest::newRow("datagram") << QStringLiteral("dgram");
    QTest::newRow("pipe") << QStringLiteral("pipe");
    QTest::newRow("memfd") << QStringLiteral("memfd");
    QTest::newRow("not open") << QStringLiteral("closed");
    QTest::newRow("-1") << QStringLiteral("negative");
}

void tst_QSeqpacketServer::setSocketDescriptorRejects()
{
    QFETCH(QString, kind);
    UniqueFd fd;
    UniqueFd other;
    if (kind == QLatin1String("bound")) {
        fd.reset(rawSocket(SOCK_SEQPACKET, abstractName("bound"), false));
    } else if (kind == QLatin1String("unbound")) {
        fd.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    } else if (kind == QLatin1String("pair")) {
        QVERIFY(TestUtil::rawSocketPair(&fd, &other));
    } else if (kind == QLatin1String("stream")) {
        fd.reset(rawSocket(SOCK_STREAM, abstractName("stream"), true));
    } else if (kind == QLatin1String("dgram")) {
        fd.reset(rawSocket(SOCK_DGRAM, abstractName("dgram"), false));
    } else if (kind == QLatin1String("pipe")) {
        int pipeFds[2];
        QCOMPARE(::pipe2(pipeFds, O_CLOEXEC), 0);
        fd.reset(pipeFds[0]);
        other.reset(pipeFds[1]);
    } else if (kind == QLatin1String("memfd")) {
        fd.reset(TestUtil::makeMemfd("content"));
    }
    int descriptor = fd.get();
    if (kind == QLatin1String("closed"))
        descriptor = 987654;
    else if (kind == QLatin1String("negative"))
        descriptor = -1;
    else
        QVERIFY(fd.isValid());

    QSeqpacketServer server;
    QVERIFY(!server.setSocketDescriptor(descriptor));
    QVERIFY(server.serverError() != QSeqpacketSocket::NoError);
    QVERIFY(!server.errorString().isEmpty());
    QVERIFY(server.errorString() != QLatin1String("No error"));
    QVERIFY(!server.isListening());
    QCOMPARE(server.socketDescriptor(), -1);
    // The descriptor is still the caller's.
    if (fd.isValid())
        QVERIFY(TestUtil::isFdOpen(fd.get()));

    // The server still works afterwards.
    QVERIFY2(server.listen(QSeqpacketAddress()), qPrintable(server.errorString()));
}

namespace {

// Takes the accepted descriptors itself, as a server handing them to other threads would.
class DescriptorServer : public QSeqpacketServer
{
public:
    QList<int> descriptors;
    QList<bool> flagsOk;
    bool wrap = true;

protected:
    void incomingConnection(int socketDescriptor) override
    {
        descriptors.append(socketDescriptor);
        flagsOk.append(TestUtil::hasCloexec(socketDescriptor) && TestUtil::isNonBlocking(socketDescriptor));
        if (!wrap) {
            ::close(socketDescriptor);
            return;
        }
        auto *socket = new QSeqpacketSocket(this);
        if (socket->setSocketDescriptor(socketDescriptor))
            addPendingConnection(socket);
        else
            delete socket;
    }
};

} // namespace

void tst_QSeqpacketServer::incomingConnectionOverride()
{
    DescriptorServer server;
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("incoming"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    // Wrapped and added: nextPendingConnection() hands it out.
    UniqueFd client(rawConnect(address));
    QVERIFY(client.isValid());
    QVERIFY(newConnection.wait(WaitMs));
    QCOMPARE(server.descriptors.size(), 1);
    QVERIFY(server.flagsOk.at(0)); // handed over non-blocking and close-on-exec
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(socket->socketDescriptor(), server.descriptors.at(0));
    QVERIFY(TestUtil::rawSend(client.get(), "via override"));
    QVERIFY(socket->waitForPacket(WaitMs));
    QCOMPARE(socket->receivePacket().data(), QByteArray("via override"));

    // Not added: no newConnection(), nothing pending.
    server.wrap = false;
    UniqueFd second(rawConnect(address));
    QVERIFY(second.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(server.descriptors.size(), 2, WaitMs);
    QVERIFY(server.flagsOk.at(1));
    QTest::qWait(50);
    QCOMPARE(newConnection.size(), 1);
    QVERIFY(!server.hasPendingConnections());

    // A peer the filter rejects never reaches incomingConnection().
    server.setPeerFilter([](const QSeqpacketCredentials &) { return false; });
    UniqueFd rejected(rawConnect(address));
    QVERIFY(rejected.isValid());
    const TestUtil::RawPacket closed = receiveRunningEvents(rejected.get());
    QVERIFY(closed.eof);
    QCOMPARE(server.descriptors.size(), 2);
}

// ---- peer filter ----------------------------------------------------------------------------

void tst_QSeqpacketServer::peerFilterRejectsUser()
{
    QList<QSeqpacketCredentials> asked;
    QSeqpacketServer server;
    server.setPeerFilter([&asked](const QSeqpacketCredentials &credentials) {
        asked.append(credentials);
        return credentials.userId() != uint(::geteuid());
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(abstractName("filter-uid"))),
             qPrintable(server.errorString()));
    const QByteArray address = '@' + server.serverAddress().abstractName();

    UniqueFd rejected(rawConnect(address));
    QVERIFY(rejected.isValid());
    QTRY_COMPARE_WITH_TIMEOUT(asked.size(), 1, WaitMs);
    QCOMPARE(asked.at(0).processId(), qint64(::getpid()));
    QCOMPARE(asked.at(0).userId(), uint(::geteuid()));
    QCOMPARE(asked.at(0).groupId(), uint(::getegid()));
    // The client sees its connection closed; nobody sees the connection.
    const TestUtil::RawPacket closed = TestUtil::rawReceive(rejected.get(), WaitMs);
    QVERIFY2(closed.eof, closed.timedOut ? "timed out" : closed.ok ? "got a packet" : strerror(closed.error));
    QTest::qWait(50);
    QCOMPARE(newConnection.size(), 0);
    QVERIFY(!server.hasPendingConnections());
    QVERIFY(server.nextPendingConnection() == nullptr);
    QVERIFY(server.isListening());

    // An empty filter accepts everyone again.
    server.setPeerFilter({});
    UniqueFd accepted(rawConnect(address));
    QVERIFY(accepted.isValid());
    QVERIFY(newConnection.wait(WaitMs));
    std::unique_ptr<QSeqpacketSocket> socket(server.nextPendingConnection());
    QVERIFY(socket);
    QCOMPARE(socket->peerCredentials().processId(), qint64(::getpid()));
    QCOMPARE(asked.size(), 1);
}

void tst_QSeqpacketServer::peerFilterRejectsProcess()
{
    const QString path = socketPath("filter-pid");
    QList<qint64> askedPids;
    qint64 rejectedPid = -1;
    EchoStats stats;
    QSeqpacketServer server;
    server.setPeerFilter([&](const QSeqpacketCredentials &credentials) {
        askedPids.append(credentials.processId());
        return credentials.processId() != rejectedPid;
    });
    QSignalSpy newConnection(&server, &QSeqpacketServer::newConnection);
    echoAll(&server, &stats);
    QVERIFY2(server.listen(path), qPrintable(server.errorString()));

    // The server accepts only in the event loop, which runs after rejectedPid is set.
    auto rejected = startHelper({QStringLiteral("expectclosed"), path});
    QVERIFY(rejected->waitForStarted());
    rejectedPid = rejected->processId();
    auto accepted = startHelper({QStringLiteral("echo"), path, QStringLiteral("1"), QStringLiteral("5"),
                                 QStringLiteral("700")});
    QVERIFY(accepted->waitForStarted());
    const qint64 acceptedPid = accepted->processId();

    QVERIFY(waitForExit(rejected.get()));
    QVERIFY(waitForExit(accepted.get()));
    const QByteArray rejectedOutput = rejected->readAllStandardOutput();
    QVERIFY2(rejected->exitStatus() == QProcess::NormalExit && rejected->exitCode() == 0,
             describeProcess(rejected.get(), rejectedOutput).constData());
    QVERIFY2(rejectedOutput.contains("closed"), rejectedOutput.constData());
    const QByteArray acceptedOutput = accepted->readAllStandardOutput();
    QVERIFY2(accepted->exitCode() == 0 && acceptedOutput.contains("ok 1 5"),
             describeProcess(accepted.get(), acceptedOutput).constData());

    QVERIFY(askedPids.contains(rejectedPid));
    QVERIFY(askedPids.contains(acceptedPid));
    QCOMPARE(askedPids.size(), 2);
    // Only the accepted process ever reached nextPendingConnection().
    QCOMPARE(stats.accepted, 1);
    QCOMPARE(stats.credentials.at(0).processId(), acceptedPid);
    QCOMPARE(newConnection.size(), 1);
    QCOMPARE(stats.packets, 5);
}

void tst_QSeqpacketServer::peerFilterAccepts()
{
    const QByteArray name = abstractName("filter-accept");
    QList<QSeqpacketCredentials> asked;
    EchoStats stats;
    QSeqpacketServer server;
    server.setPeerFilter([&asked](const QSeqpacketCredentials &credentials) {
        asked.append(credentials);
        return true;
    });
    echoAll(&server, &stats);
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));

    qint64 pid = -1;
    QByteArray failure;
    QVERIFY2(echoClientSucceeds(QString::fromLatin1('@' + name), 2, 4, 900, &failure, &pid), failure.constData());

    QCOMPARE(asked.size(), 2);
    for (const QSeqpacketCredentials &credentials : std::as_const(asked)) {
        QCOMPARE(credentials.processId(), pid);
        QCOMPARE(credentials.userId(), uint(::geteuid()));
        QCOMPARE(credentials.groupId(), uint(::getegid()));
    }
    QCOMPARE(stats.accepted, 2);
    QCOMPARE(stats.packets, 8);
}

// ---- threads --------------------------------------------------------------------------------

void tst_QSeqpacketServer::acceptedSocketsInWorkerThreads()
{
    constexpr int Workers = 3;
    constexpr int Connections = 9;
    constexpr int Rounds = 20;
    const QByteArray name = abstractName("threads");

    std::vector<std::unique_ptr<QThread>> workers;
    for (int i = 0; i < Workers; ++i) {
        workers.push_back(std::make_unique<QThread>());
        workers.back()->start(); // QThread::run() runs exec()
    }
    std::atomic<int> echoed{0};
    std::atomic<int> echoedOffThread{0}; // echoes not done in the socket's worker thread
    std::atomic<int> ended{0};
    std::atomic<int> destroyed{0};
    int moved = 0;

    QSeqpacketServer server;
    connect(&server, &QSeqpacketServer::newConnection, this, [&] {
        while (QSeqpacketSocket *socket = server.nextPendingConnection()) {
            QThread *worker = workers[size_t(moved++ % Workers)].get();
            socket->setParent(nullptr);
            socket->moveToThread(worker);
            connect(socket, &QObject::destroyed, this, [&destroyed] { ++destroyed; }, Qt::DirectConnection);
            // From here on the socket is used in its worker thread only.
            QMetaObject::invokeMethod(socket, [socket, worker, &echoed, &echoedOffThread, &ended] {
                const auto echo = [socket, worker, &echoed, &echoedOffThread] {
                    while (socket->hasPendingPackets()) {
                        if (QThread::currentThread() != worker)
                            ++echoedOffThread;
                        socket->sendPacket(socket->receivePacket().data());
                        ++echoed;
                    }
                };
                QObject::connect(socket, &QSeqpacketSocket::packetReady, socket, echo);
                QObject::connect(socket, &QSeqpacketSocket::disconnected, socket, [socket, &ended] {
                    ++ended;
                    socket->deleteLater();
                });
                echo(); // whatever came before the connection was made
            }, Qt::QueuedConnection);
        }
    });
    QVERIFY2(server.listen(QSeqpacketAddress::fromAbstractName(name)), qPrintable(server.errorString()));

    auto client = startHelper({QStringLiteral("echo"), QString::fromLatin1('@' + name), QString::number(Connections),
                               QString::number(Rounds), QStringLiteral("3000")});
    QVERIFY(client->waitForStarted());
    const bool exited = waitForExit(client.get());
    const QByteArray output = client->readAllStandardOutput();
    if (exited) {
        QTRY_COMPARE_WITH_TIMEOUT(ended.load(), Connections, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(destroyed.load(), Connections, WaitMs);
    }
    for (auto &worker : workers) {
        worker->quit();
        worker->wait();
    }
    QVERIFY(exited);
    QVERIFY2(client->exitCode() == 0 && output.contains("ok " + QByteArray::number(Connections) + ' '
                                                        + QByteArray::number(Connections * Rounds)),
             describeProcess(client.get(), output).constData());
    QCOMPARE(moved, Connections);
    QCOMPARE(echoed.load(), Connections * Rounds);
    QCOMPARE(echoedOffThread.load(), 0);
}

QTEST_GUILESS_MAIN(tst_QSeqpacketServer)
#include "tst_qseqpacketserver.moc"
