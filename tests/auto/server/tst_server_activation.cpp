// SPDX-License-Identifier: MIT
//
// QSeqpacketServer with a listening socket it did not make: socket activation (listenActivated():
// LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PIDFDID, the option that unsets them, in a
// helper process from client/, with descriptors
// handed over as systemd hands them) and its failures, and setSocketDescriptor(), which adopts a
// listening socket (and leaves its file alone) and rejects any other descriptor.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtTest/QtTest>

#include <memory>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "servertest.h"
#include "testutil.h"

using namespace ServerTest;
using TestUtil::rawConnect;
using TestUtil::UniqueFd;

class tst_ServerActivation : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initServerTestCase(); }
    void init() { snapshotDescriptors(); }
    void cleanup() { checkDescriptors(); }

    // socket activation
    void socketActivation();
    void socketActivationByName();
    void socketActivationSkipsOtherSockets();
    void socketActivationFailures_data();
    void socketActivationFailures();
    void socketActivationChecksPidfdId();
    void socketActivationUnsetsEnvironment_data();
    void socketActivationUnsetsEnvironment();

    // adopted descriptors
    void setSocketDescriptorAdopts();
    void setSocketDescriptorLeavesFileOfAdoptedSocket();
    void setSocketDescriptorRejects_data();
    void setSocketDescriptorRejects();

private:
    enum PidMode { CorrectPid, ParentPid, NoPid };
    // \a modeArguments, where given, replace the helper's "activated [name]".
    std::unique_ptr<QProcess> startActivated(const QList<int> &fds, const QByteArray &fdNames, PidMode pidMode,
                                             const QString &name, bool setListenFds = true,
                                             const QStringList &modeArguments = {});
    void checkActivatedServerEchoes(const QList<int> &fds, const QByteArray &fdNames, const QString &name,
                                    const QByteArray &listeningOn, int fd, const QByteArray &payload);
};

// ---- socket activation ----------------------------------------------------------------------

std::unique_ptr<QProcess> tst_ServerActivation::startActivated(const QList<int> &fds, const QByteArray &fdNames,
                                                               PidMode pidMode, const QString &name,
                                                               bool setListenFds, const QStringList &modeArguments)
{
    auto process = std::make_unique<QProcess>();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("LISTEN_PID"));
    environment.remove(QStringLiteral("LISTEN_FDS"));
    environment.remove(QStringLiteral("LISTEN_FDNAMES"));
    environment.remove(QStringLiteral("LISTEN_PIDFDID"));
    if (setListenFds)
        environment.insert(QStringLiteral("LISTEN_FDS"), QString::number(fds.size()));
    if (!fdNames.isNull())
        environment.insert(QStringLiteral("LISTEN_FDNAMES"), QString::fromLatin1(fdNames));
    if (pidMode == ParentPid) // inherited from a parent it was meant for: not this process
        environment.insert(QStringLiteral("LISTEN_PID"), QString::number(::getpid()));
    process->setProcessEnvironment(environment);

    QStringList helperArguments = {helperPath()};
    if (!modeArguments.isEmpty())
        helperArguments << modeArguments;
    else
        helperArguments << QStringLiteral("activated");
    if (modeArguments.isEmpty() && !name.isEmpty())
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
void tst_ServerActivation::checkActivatedServerEchoes(const QList<int> &fds, const QByteArray &fdNames,
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

void tst_ServerActivation::socketActivation()
{
    const QByteArray name = abstractName("activated");
    UniqueFd listener(rawSocket(SOCK_SEQPACKET, name, true));
    QVERIFY(listener.isValid());
    checkActivatedServerEchoes({listener.get()}, "server", QString(), name, 3, "activated ping");
}

void tst_ServerActivation::socketActivationByName()
{
    const QByteArray first = abstractName("activated-first");
    const QByteArray second = abstractName("activated-second");
    UniqueFd a(rawSocket(SOCK_SEQPACKET, first, true));
    UniqueFd b(rawSocket(SOCK_SEQPACKET, second, true));
    QVERIFY(a.isValid() && b.isValid());
    checkActivatedServerEchoes({a.get(), b.get()}, "first:second", QStringLiteral("second"), second, 4, "to second");
}

void tst_ServerActivation::socketActivationSkipsOtherSockets()
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

void tst_ServerActivation::socketActivationFailures_data()
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

void tst_ServerActivation::socketActivationFailures()
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

void tst_ServerActivation::socketActivationChecksPidfdId()
{
    // systemd 256 and later also say which process the sockets are for with the inode of its
    // pidfd (LISTEN_PIDFDID), which, unlike a process id, is never reused. The helper sets it
    // itself, as systemd would have: to its own pidfd's inode, or to another one.
    const QByteArray name = abstractName("activated-pidfdid");
    UniqueFd listener(rawSocket(SOCK_SEQPACKET, name, true));
    QVERIFY(listener.isValid());

    auto mine = startActivated({listener.get()}, "server", CorrectPid, QString(), true,
                               {QStringLiteral("activatedwith"), QStringLiteral("-"), QStringLiteral("self"),
                                QStringLiteral("keep")});
    QVERIFY(mine->waitForStarted());
    QByteArray line;
    QVERIFY2(waitForLine(mine.get(), &line), describeProcess(mine.get()).constData());
    QVERIFY2(line.startsWith("listening @" + name + " 3 "), line.constData());
    mine->closeWriteChannel();
    QVERIFY(waitForExit(mine.get()));
    QCOMPARE(mine->exitCode(), 0);

    auto other = startActivated({listener.get()}, "server", CorrectPid, QString(), true,
                                {QStringLiteral("activatedwith"), QStringLiteral("-"), QStringLiteral("other"),
                                 QStringLiteral("keep")});
    QVERIFY(other->waitForStarted());
    const bool answered = waitForLine(other.get(), &line);
    other->closeWriteChannel();
    QVERIFY(waitForExit(other.get()));
    QVERIFY2(answered, describeProcess(other.get()).constData());
    if (line.startsWith("listening"))
        QSKIP("this kernel has no pidfds with an inode of their own (Linux 6.9): LISTEN_PIDFDID cannot be checked");
    QVERIFY2(line.startsWith("error ") && line.contains("LISTEN_PIDFDID") && line.contains("listenActivated"),
             line.constData());
    QCOMPARE(other->exitCode(), 3);
}

void tst_ServerActivation::socketActivationUnsetsEnvironment_data()
{
    QTest::addColumn<bool>("unset");
    QTest::newRow("kept") << false;
    QTest::newRow("unset") << true;
}

void tst_ServerActivation::socketActivationUnsetsEnvironment()
{
    // With UnsetEnvironmentOption the LISTEN_* variables go once the socket is taken, and every
    // descriptor handed over becomes close-on-exec, as with sd_listen_fds(1): a child process
    // cannot take them for its own.
    QFETCH(bool, unset);
    const QByteArray name = abstractName("activated-unset");
    UniqueFd stream(rawSocket(SOCK_STREAM, abstractName("activated-unset-stream"), true));
    UniqueFd listener(rawSocket(SOCK_SEQPACKET, name, true));
    QVERIFY(stream.isValid() && listener.isValid());
    auto server = startActivated({stream.get(), listener.get()}, "stream:server", CorrectPid, QString(), true,
                                 {QStringLiteral("activatedwith"), QStringLiteral("server"), QStringLiteral("self"),
                                  unset ? QStringLiteral("unset") : QStringLiteral("keep")});
    QVERIFY(server->waitForStarted());
    QByteArray line;
    QVERIFY2(waitForLine(server.get(), &line), describeProcess(server.get()).constData());
    QVERIFY2(line.startsWith("listening @" + name + " 4 cloexec=1 nonblocking=1"), line.constData());
    if (unset)
        QVERIFY2(line.endsWith(" env=0 othercloexec=1"), line.constData());
    else
        QVERIFY2(line.endsWith(" env=4 othercloexec=0"), line.constData()); // PID, FDS, FDNAMES, PIDFDID

    // The server works either way.
    UniqueFd client(rawConnect('@' + name));
    QVERIFY(client.isValid());
    QVERIFY(TestUtil::rawSend(client.get(), "after activation"));
    const TestUtil::RawPacket echo = receiveRunningEvents(client.get());
    QVERIFY2(echo.ok, describeProcess(server.get()).constData());
    QCOMPARE(echo.data, QByteArray("after activation"));
    client.reset();
    server->closeWriteChannel();
    QVERIFY(waitForExit(server.get()));
    QCOMPARE(server->exitCode(), 0);
}

// ---- adopted descriptors --------------------------------------------------------------------

void tst_ServerActivation::setSocketDescriptorAdopts()
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

void tst_ServerActivation::setSocketDescriptorLeavesFileOfAdoptedSocket()
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

void tst_ServerActivation::setSocketDescriptorRejects_data()
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

void tst_ServerActivation::setSocketDescriptorRejects()
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

QTEST_GUILESS_MAIN(tst_ServerActivation)
#include "tst_server_activation.moc"
