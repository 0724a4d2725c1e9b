// SPDX-License-Identifier: MIT
//
// QSeqpacketServer: listen() on a path, an abstract name, an unnamed (autobound) address and the
// string forms; what it refuses (invalid addresses, a second listen(), a missing directory, the
// path of a live server) and that the server still works afterwards.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketAddress>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QFile>
#include <QtTest/QtTest>

#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "servertest.h"
#include "testutil.h"

using namespace ServerTest;
using TestUtil::rawConnect;
using TestUtil::UniqueFd;

namespace {

int intOption(int fd, int level, int option)
{
    int value = -1;
    socklen_t length = sizeof value;
    if (::getsockopt(fd, level, option, &value, &length) != 0)
        return -1;
    return value;
}

// The helper's form of an address: "@name" or the path.
QString toArgument(const QSeqpacketAddress &address)
{
    return address.kind() == QSeqpacketAddress::Abstract ? QLatin1Char('@') + QString::fromLatin1(address.abstractName())
                                                         : address.path();
}

} // namespace

class tst_ServerListen : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initServerTestCase(); }
    void init() { snapshotDescriptors(); }
    void cleanup() { checkDescriptors(); }

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
};

void tst_ServerListen::listenOnPath()
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

void tst_ServerListen::listenOnAbstractName()
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

void tst_ServerListen::listenUnnamed_data()
{
    QTest::addColumn<bool>("stringForm");
    QTest::newRow("QSeqpacketAddress()") << false;
    QTest::newRow("listen(QString(\"\"))") << true;
}

void tst_ServerListen::listenUnnamed()
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

void tst_ServerListen::listenStringForm_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("kind");
    QTest::newRow("path") << socketPath("string") << int(QSeqpacketAddress::Path);
    QTest::newRow("path with @ inside") << socketPath("str@ing") << int(QSeqpacketAddress::Path);
    QTest::newRow("@abstract") << QString::fromLatin1('@' + abstractName("string")) << int(QSeqpacketAddress::Abstract);
}

void tst_ServerListen::listenStringForm()
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

void tst_ServerListen::listenInvalidAddress_data()
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

void tst_ServerListen::listenInvalidAddress()
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

void tst_ServerListen::listenTwice()
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

void tst_ServerListen::listenInMissingDirectory()
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

void tst_ServerListen::listenOnPathOfLiveServer()
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

QTEST_GUILESS_MAIN(tst_ServerListen)
#include "tst_server_listen.moc"
