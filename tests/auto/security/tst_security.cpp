// SPDX-License-Identifier: MIT
// Regression tests for the findings of the reliability and security work (docs/security.md).
#include <QSeqpacketAddress>
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QEventLoop>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtTest/QtTest>

#include <dlfcn.h>
#include <sys/stat.h>

#include "testutil.h"

namespace {

// bind() interposer (the executable's definition comes first, also for libQSeqpacket): right
// after a successful bind() to the armed path, the socket file is swapped for a symbolic link to
// another file, as someone who may write to the directory could do.
QByteArray g_swapPath;
QByteArray g_swapTarget;

} // namespace

extern "C" int bind(int fd, const sockaddr *address, socklen_t length)
{
    using BindFunction = int (*)(int, const sockaddr *, socklen_t);
    static const auto realBind = reinterpret_cast<BindFunction>(::dlsym(RTLD_NEXT, "bind"));
    const int result = realBind(fd, address, length);
    const int savedErrno = errno;
    if (result == 0 && !g_swapPath.isEmpty() && address->sa_family == AF_UNIX) {
        const auto *sun = reinterpret_cast<const sockaddr_un *>(address);
        if (g_swapPath == sun->sun_path) {
            const QByteArray moved = g_swapPath + ".moved";
            ::rename(g_swapPath.constData(), moved.constData());
            ::symlink(g_swapTarget.constData(), g_swapPath.constData());
            g_swapPath.clear();
        }
    }
    errno = savedErrno;
    return result;
}

class tst_Security : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void toStringKeepsALeadingByteOrderMark_data();
    void toStringKeepsALeadingByteOrderMark();
    void toStringEscapesNonPrintableCodePoints_data();
    void toStringEscapesNonPrintableCodePoints();
    void listenDoesNotChmodThroughASymlink();
    void fastPeerDoesNotStarveTheEventLoop();
    void adoptedSocketWithPassCredKeepsAllDescriptors();
};

void tst_Security::toStringEscapesNonPrintableCodePoints_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::newRow("C0 control") << QByteArray("a\x01" "b");
    QTest::newRow("DEL") << QByteArray("a\x7f" "b");
    QTest::newRow("invalid UTF-8") << QByteArray("a\xff" "b");
    QTest::newRow("C1 control U+0085") << QByteArray("a\xc2\x85" "b");
    QTest::newRow("bidi override U+202E") << QByteArray("safe\xe2\x80\xae" "gpj.exe");
    QTest::newRow("line separator U+2028") << QByteArray("a\xe2\x80\xa8" "b");
    QTest::newRow("zero width space U+200B") << QByteArray("a\xe2\x80\x8b" "b");
    QTest::newRow("byte order mark inside") << QByteArray("a\xef\xbb\xbf" "b");
}

// "Bytes that are not printable are escaped": an abstract name is chosen by whoever binds it (a
// peer's address comes from the peer), so its text must not carry control or bidi characters
// into logs and user interfaces. escape() in qseqpacketaddress.cpp let every valid UTF-8
// sequence through, printable or not (fixed in 0dc8180).
void tst_Security::toStringEscapesNonPrintableCodePoints()
{
    QFETCH(QByteArray, name);
    const QSeqpacketAddress address = QSeqpacketAddress::fromAbstractName(name);
    const QString text = address.toString();
    QCOMPARE(QSeqpacketAddress::fromString(text), address);
    bool printable = true;
    for (char32_t c : text.toUcs4()) {
        const QChar::Category category = QChar::category(c);
        if (category == QChar::Other_Control || category == QChar::Other_Format
            || category == QChar::Separator_Line || category == QChar::Separator_Paragraph)
            printable = false;
    }
    QVERIFY2(printable, qPrintable(text));
}

void tst_Security::toStringKeepsALeadingByteOrderMark_data()
{
    QTest::addColumn<QSeqpacketAddress>("address");
    QTest::newRow("abstract") << QSeqpacketAddress::fromAbstractName("\xef\xbb\xbfname");
    QTest::newRow("path") << QSeqpacketAddress::fromNativePath("\xef\xbb\xbfname");
    QTest::newRow("path after ./@") << QSeqpacketAddress::fromNativePath("./@\xef\xbb\xbfname");
    QTest::newRow("BOM alone") << QSeqpacketAddress::fromAbstractName("\xef\xbb\xbf");
}

// Found by fuzz/fuzz_address: toString() built its text with QString::fromUtf8(), which drops
// a byte order mark (EF BB BF) at the start. A name that began with one printed as, and read
// back as, the name without it: fromString(toString()) was another address, and two different
// names looked the same in a log (fixed in 0dc8180: the mark is escaped).
void tst_Security::toStringKeepsALeadingByteOrderMark()
{
    QFETCH(QSeqpacketAddress, address);
    QVERIFY(address.isValid());
    QCOMPARE(QSeqpacketAddress::fromString(address.toString()), address);
}

// listen() with socket options: after bind() the library lstat()ed the socket file and, where
// the umask took bits away, chmod()ed it by name (QSeqpacketServerPrivate::createSocketFile).
// chmod() follows symbolic links: whoever could replace the file in that directory between the
// calls got the mode applied to a file of their choosing that the server's user owns (fixed in
// 0dc8180: the file is opened O_PATH|O_NOFOLLOW, checked to be a socket, chmod()ed through it).
// The bind() interposer above swaps the socket for a symbolic link right after bind().
void tst_Security::listenDoesNotChmodThroughASymlink()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray victim = QFile::encodeName(dir.filePath(QStringLiteral("victim")));
    {
        QFile file(QString::fromLocal8Bit(victim));
        QVERIFY(file.open(QIODevice::WriteOnly));
    }
    QVERIFY(::chmod(victim.constData(), 0600) == 0);
    const QByteArray path = QFile::encodeName(dir.filePath(QStringLiteral("server.sock")));

    const mode_t oldMask = ::umask(0077); // so that the requested group bits need a chmod()
    g_swapPath = path;
    g_swapTarget = victim;
    QSeqpacketServer server;
    server.setSocketOptions(QSeqpacketServer::UserAccessOption | QSeqpacketServer::GroupAccessOption);
    const bool listening = server.listen(QSeqpacketAddress::fromNativePath(path));
    g_swapPath.clear();
    ::umask(oldMask);
    Q_UNUSED(listening); // refusing is a fine outcome; changing the victim is not

    struct stat st;
    QVERIFY(::stat(victim.constData(), &st) == 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
    server.close();
}

// "The event loop is never blocked" (BEHAVIOUR.md). A packetReady() slot written as the README
// shows, while (hasPendingPackets()) { receivePacket(); ... }, must give the event loop back
// even when the peer sends as fast as the slot reads: otherwise one peer stops every timer and
// every other socket of the thread. Found by the soak test under AddressSanitizer, where the
// reader is slower than its peer: hasPendingPackets() refills the receive queue from the kernel
// whenever it is empty (QSeqpacketSocketPrivate::fillIfEmpty()), so the loop ends only when
// the kernel has nothing, and emitPacketReady() emits again while the queue holds packets
// (fixed: within one dispatch the queue is refilled from the kernel once, then the read
// notifier brings the rest after the event loop has run).
// Here the peer sends one packet for each one read, so the kernel never runs dry; a timer
// started inside the slot must fire long before the peer stops on its own.
void tst_Security::fastPeerDoesNotStarveTheEventLoop()
{
    int sv[2];
    QVERIFY(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    TestUtil::UniqueFd peer(sv[1]);
    QSeqpacketSocket socket;
    QVERIFY(socket.setSocketDescriptor(sv[0]));
    for (int i = 0; i < 64; ++i)
        QVERIFY(::send(peer.get(), "p", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1);

    constexpr int PeerStopsAfter = 5000;
    int received = 0;
    int receivedWhenTimerFired = -1;
    bool timerStarted = false;
    bool sendFailed = false;
    QEventLoop loop;
    QTimer::singleShot(60000, &loop, &QEventLoop::quit);
    connect(&socket, &QSeqpacketSocket::packetReady, &loop, [&] {
        if (!timerStarted) {
            timerStarted = true; // it can fire only once this slot has returned
            QTimer::singleShot(0, &loop, [&] {
                receivedWhenTimerFired = received;
                loop.quit();
            });
        }
        while (socket.hasPendingPackets()) {
            socket.receivePacket();
            ++received;
            // A peer at least as fast as this reader: one more packet for each one read.
            if (receivedWhenTimerFired < 0 && received < PeerStopsAfter
                && ::send(peer.get(), "p", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
                sendFailed = true;
        }
    });
    loop.exec();
    QVERIFY(!sendFailed);
    QVERIFY(timerStarted);
    QVERIFY(receivedWhenTimerFired >= 0);
    QVERIFY2(receivedWhenTimerFired < PeerStopsAfter / 2,
             qPrintable(QStringLiteral("the slot read %1 packets before the event loop ran again").arg(receivedWhenTimerFired)));
}

// A descriptor can come with SO_PASSCRED already on: inherited from a listening socket that has
// it (systemd's PassCredentials=yes sets it on the sockets it hands over, and accept() copies
// it), or set by whoever handed it over. The kernel then puts credentials in front of every
// packet's descriptors; the receive buffer must still have room for all 253 of them.
// QSeqpacketReceiver::controlBudget() counted the credentials only when setPerPacketCredentials()
// was called (m_credentialsExpected), so 8 of 253 descriptors were lost (fixed: adoptConnected()
// reads SO_PASSCRED and counts the credentials when it is on).
void tst_Security::adoptedSocketWithPassCredKeepsAllDescriptors()
{
    int sv[2];
    QVERIFY(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    TestUtil::UniqueFd peer(sv[1]);
    const int one = 1;
    QVERIFY(::setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0);
    QSeqpacketSocket socket;
    QVERIFY(socket.setSocketDescriptor(sv[0]));

    TestUtil::UniqueFd memfd(TestUtil::makeMemfd("many"));
    const QList<int> all(253, memfd.get());
    QVERIFY(TestUtil::rawSend(peer.get(), "all", all));
    const QSeqpacketPacket packet = socket.receivePacket();
    QCOMPARE(packet.data(), QByteArray("all"));
    QCOMPARE(packet.fileDescriptors().size(), qsizetype(253));
    QVERIFY(!packet.areFileDescriptorsTruncated());
    QVERIFY(socket.perPacketCredentials());
    QVERIFY(packet.credentials().isValid());

    // What was found on one descriptor is not carried to the next one adopted: SO_PASSCRED is
    // not turned on where nobody asked for it.
    const int released = socket.releaseSocketDescriptor();
    QCOMPARE(released, sv[0]);
    QVERIFY(::close(released) == 0);
    int plain[2];
    QVERIFY(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, plain) == 0);
    TestUtil::UniqueFd plainPeer(plain[1]);
    QVERIFY(socket.setSocketDescriptor(plain[0]));
    QVERIFY(!socket.perPacketCredentials());
    int passCred = -1;
    socklen_t length = sizeof passCred;
    QVERIFY(::getsockopt(plain[0], SOL_SOCKET, SO_PASSCRED, &passCred, &length) == 0);
    QCOMPARE(passCred, 0);
}

QTEST_GUILESS_MAIN(tst_Security)
#include "tst_security.moc"
