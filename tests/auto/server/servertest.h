// SPDX-License-Identifier: MIT
// Helpers shared by the QSeqpacketServer tests (tests/auto/server, one executable per area): the
// helper process (client/, found through QSEQPACKET_TEST_SERVER_CLIENT), a server that echoes
// every packet, raw listening sockets, socket files, bounded waits that keep the event loop
// running, and TestCase, the base of every test class: a temporary directory for socket files,
// and the descriptor accounting of init() and cleanup() (no test leaves a descriptor open).
#ifndef QSEQPACKET_SERVERTEST_H
#define QSEQPACKET_SERVERTEST_H

#include <QSeqpacketAddress>
#include <QSeqpacketCredentials>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <memory>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"

#ifndef QSEQPACKET_TEST_SERVER_CLIENT
#  error "QSEQPACKET_TEST_SERVER_CLIENT must name the helper executable (client/)"
#endif

namespace ServerTest {

constexpr int ProcessTimeoutMs = 60000;
constexpr int WaitMs = 20000;

inline QString helperPath()
{
    return QStringLiteral(QSEQPACKET_TEST_SERVER_CLIENT);
}

// A raw AF_UNIX socket of \a type bound to the abstract \a name (none where empty), listening
// where asked. Blocking, not close-on-exec, as another program would hand it over.
inline int rawSocket(int type, const QByteArray &name, bool listening)
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

inline bool fileExists(const QString &path, struct stat *info = nullptr)
{
    struct stat local;
    return ::lstat(QFile::encodeName(path).constData(), info ? info : &local) == 0;
}

inline QByteArray identityOf(const QString &path)
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
inline void echoAll(QSeqpacketServer *server, EchoStats *stats)
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
inline bool waitForLine(QProcess *process, QByteArray *line, int timeoutMs = WaitMs)
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
inline TestUtil::RawPacket receiveRunningEvents(int fd, int timeoutMs = WaitMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (TestUtil::pollFor(fd, POLLIN | POLLRDHUP, 0) == 1 || deadline.hasExpired())
            return TestUtil::rawReceive(fd, 0);
        QTest::qWait(10);
    }
}

// Waits (running the event loop) for \a process to end.
inline bool waitForExit(QProcess *process, int timeoutMs = ProcessTimeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (process->state() != QProcess::NotRunning && !deadline.hasExpired())
        QTest::qWait(20);
    return process->state() == QProcess::NotRunning;
}

inline QByteArray describeProcess(QProcess *process, const QByteArray &stdoutSeen = QByteArray())
{
    return "exit status " + QByteArray::number(int(process->exitStatus())) + ", code "
            + QByteArray::number(process->exitCode()) + ", stdout: " + stdoutSeen + process->readAllStandardOutput()
            + ", stderr: " + process->readAllStandardError();
}

inline std::unique_ptr<QProcess> startHelper(const QStringList &arguments)
{
    auto process = std::make_unique<QProcess>();
    process->setProgram(helperPath());
    process->setArguments(arguments);
    process->start();
    return process;
}

// Runs the helper's echo client against \a address (its "@name" or path form): \a connections
// connections, \a rounds packets on each of at most \a maxSize bytes, every echo checked. True when
// it ended normally having had all of them echoed ("ok <connections> <packets>"); otherwise
// \a failure tells what it saw. \a pid gets the client's process id.
inline bool echoClientSucceeds(const QString &address, int connections, int rounds, int maxSize, QByteArray *failure,
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

/*!
 * The base of the test classes. Each declares the slots initTestCase() { initServerTestCase(); },
 * init() { snapshotDescriptors(); } and cleanup() { checkDescriptors(); }.
 */
class TestCase : public QObject
{
protected:
    /*! The temporary directory and the helper are there; QProcess is warmed up. */
    void initServerTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo(helperPath()).isExecutable(), qPrintable(helperPath()));
        // Warm up QProcess (its first use sets things up that live on).
        QProcess warmUp;
        warmUp.start(helperPath(), {QStringLiteral("noop")});
        QVERIFY(warmUp.waitForFinished(ProcessTimeoutMs));
        QCOMPARE(warmUp.exitCode(), 0);
    }

    void snapshotDescriptors() { m_fdsAtStart = TestUtil::openFds(); }

    /*! As many descriptors open as snapshotDescriptors() saw. */
    void checkDescriptors()
    {
        // Sockets deleted with deleteLater() go now.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        const auto now = TestUtil::openFds();
        QVERIFY2(now.size() == m_fdsAtStart.size(), TestUtil::describeFdDifference(m_fdsAtStart, now).constData());
    }

    /*! A fresh path in the temporary directory. */
    QString socketPath(const char *tag)
    {
        return m_dir.path() + QLatin1Char('/') + QLatin1String(tag) + QString::number(++m_pathCounter);
    }
    QByteArray abstractName(const char *tag) { return TestUtil::uniqueAbstractName(tag); }

    QTemporaryDir m_dir;

private:
    int m_pathCounter = 0;
    QMap<int, QByteArray> m_fdsAtStart;
};

} // namespace ServerTest

#endif // QSEQPACKET_SERVERTEST_H
