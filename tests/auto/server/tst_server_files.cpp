// SPDX-License-Identifier: MIT
//
// QSeqpacketServer: the socket file of a server on a path. Its permissions (socket options and
// the umask, checked the instant bind() creates it: bindprobe.cpp), stale files of killed servers
// and removeServer(), which leaves live servers (of this or another process, of any socket type)
// and files that are not sockets alone; close() and the destructor remove the server's own file
// and leave one that replaced it.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>
#include <QtTest/QtTest>

#include <cstring>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bindprobe.h"

#include "servertest.h"
#include "testutil.h"

using namespace ServerTest;
using TestUtil::rawConnect;
using TestUtil::UniqueFd;

namespace {

class UmaskGuard
{
public:
    explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) { }
    ~UmaskGuard() { ::umask(m_old); }

private:
    mode_t m_old;
};

} // namespace

class tst_ServerFiles : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initServerTestCase(); }
    void init() { snapshotDescriptors(); }
    void cleanup()
    {
        BindProbe::disarm();
        checkDescriptors();
    }

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
};

// ---- socket file permissions ----------------------------------------------------------------

void tst_ServerFiles::socketFilePermissions_data()
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

void tst_ServerFiles::socketFilePermissions()
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

void tst_ServerFiles::staleSocketFileOfKilledServer()
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

void tst_ServerFiles::removeServerLeavesLiveServer()
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

void tst_ServerFiles::removeServerLeavesLiveServerOfOtherProcess()
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

void tst_ServerFiles::removeServerLeavesLiveSocketsOfOtherTypes_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("stream server") << int(SOCK_STREAM);
    QTest::newRow("datagram socket") << int(SOCK_DGRAM);
}

void tst_ServerFiles::removeServerLeavesLiveSocketsOfOtherTypes()
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

void tst_ServerFiles::removeServerLeavesOtherFiles()
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

void tst_ServerFiles::closeRemovesSocketFile()
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

void tst_ServerFiles::destructorRemovesSocketFile()
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

void tst_ServerFiles::closeLeavesReplacedSocketFile()
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

void tst_ServerFiles::closeLeavesFileReplacedByRegularFile()
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

QTEST_GUILESS_MAIN(tst_ServerFiles)
#include "tst_server_files.moc"
