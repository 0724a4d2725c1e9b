// SPDX-License-Identifier: MIT
// QSeqpacketSocket: the kernel's options and what they need from it. Send and receive buffer
// sizes and the largest packet, sending credentials (SCM_CREDENTIALS: our own, another's where
// privileged, refused without privileges in a process of its own), per-packet pidfds
// (SO_PASSPIDFD, Linux 6.5), descriptors refused in the kernel (SO_PASSRIGHTS, Linux 6.16),
// packetsWritten() for every packet, and the QDeadlineTimer waits. Cross-process where it matters,
// with the raw-syscall peer; every test checks that no descriptor is left open.
#include <QSeqpacketSocket>

#include <QtCore/QFile>
#include <QtTest/QtTest>

#include <atomic>
#include <climits>
#include <thread>

#include <grp.h>
#include <sys/wait.h>

#include "sockettest.h"
#include "testutil.h"

using namespace SocketTest;
using TestUtil::UniqueFd;

namespace {

constexpr int SoPassRights = 83;

qint64 sysctl(const char *name)
{
    QFile file(QStringLiteral("/proc/sys/net/core/%1").arg(QLatin1String(name)));
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toLongLong() : -1;
}

// What the kernel makes of a request for a buffer of \a bytes: min(bytes, max) doubled.
qint64 appliedBufferSize(qint64 bytes, qint64 max)
{
    return 2 * qMin(bytes, max);
}

qint64 pidOfPidfd(int pidfd)
{
    QFile info(QStringLiteral("/proc/self/fdinfo/%1").arg(pidfd));
    if (!info.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : info.readAll().split('\n')) {
        if (line.startsWith("Pid:"))
            return line.mid(4).trimmed().toLongLong();
    }
    return -1;
}

// Sends \a command and returns the payload of the peer's reply.
QByteArray ask(QSeqpacketSocket *socket, const QByteArray &command)
{
    if (!socket->sendPacket(command))
        return "send failed: " + socket->errorString().toUtf8();
    return takePacket(socket).data();
}

QByteArray ownIds()
{
    return QByteArray::number(qint64(::getpid())) + ' ' + QByteArray::number(uint(::geteuid())) + ' '
            + QByteArray::number(uint(::getegid()));
}

bool kernelHasPassRights(int fd)
{
    int value = 0;
    socklen_t length = sizeof(value);
    return ::getsockopt(fd, SOL_SOCKET, SoPassRights, &value, &length) == 0;
}

} // namespace

class tst_SocketOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void bufferSizes();
    void bufferSizesAppliedWhenAdopted();
    void badBufferSizes_data();
    void badBufferSizes();
    void packetLargerThanTheSendBuffer();

    void sendingOwnCredentials();
    void sendingAnotherUsersCredentialsPrivileged();
    void receivedCredentialsAreNotSentBack();
    void foreignCredentialsRefused();

    void perPacketProcessFileDescriptor();
    void perPacketIdentityFromTheFirstPacket();
    void processFileDescriptorKeepsAllDescriptors();

    void descriptorLimitZeroRefusedInTheKernel();
    void refusedDescriptorsSeenBySender();

    void packetsWrittenCountsEveryPacket();
    void packetsWrittenWithoutEventLoop();
    void packetsWrittenSlotClosesInsideWait();
    void packetsWrittenConnectedLate();
    void deadlineWaits();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketOptions::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL);
    warmUp();
    qInfo("kernel: net.core.wmem_max %lld, rmem_max %lld, wmem_default %lld", sysctl("wmem_max"),
          sysctl("rmem_max"), sysctl("wmem_default"));
}

void tst_SocketOptions::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketOptions::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

void tst_SocketOptions::bufferSizes()
{
    QSeqpacketSocket socket;
    QCOMPARE(socket.sendBufferSize(), qint64(-1));
    QCOMPARE(socket.receiveBufferSize(), qint64(-1));
    QCOMPARE(socket.maxPacketSize(), qint64(-1));
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));

    // What the kernel applied, read back from it; the largest packet is 32 bytes less.
    int kernelValue = 0;
    socklen_t length = sizeof(kernelValue);
    QCOMPARE(::getsockopt(socket.socketDescriptor(), SOL_SOCKET, SO_SNDBUF, &kernelValue, &length), 0);
    QCOMPARE(socket.sendBufferSize(), qint64(kernelValue));
    QCOMPARE(socket.maxPacketSize(), qint64(kernelValue - 32));

    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QVERIFY(socket.setSendBufferSize(300000));
    QCOMPARE(socket.sendBufferSize(), appliedBufferSize(300000, sysctl("wmem_max")));
    QCOMPARE(socket.maxPacketSize(), socket.sendBufferSize() - 32);
    QVERIFY(socket.setReceiveBufferSize(100000));
    QCOMPARE(socket.receiveBufferSize(), appliedBufferSize(100000, sysctl("rmem_max")));
    // More than the system allows an unprivileged process is capped, not refused.
    QVERIFY(socket.setSendBufferSize(INT_MAX));
    QCOMPARE(socket.sendBufferSize(), appliedBufferSize(INT_MAX, sysctl("wmem_max")));
    QCOMPARE(errors.size(), 0);
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);

    // A packet as large as maxPacketSize() goes (up to 512 KiB here); the raw peer receives it whole.
    const QByteArray big = TestUtil::sequencedPayload(1, int(qMin<qint64>(socket.maxPacketSize(), 512 * 1024)));
    QVERIFY2(socket.sendPacket(big), qPrintable(socket.errorString()));
    const TestUtil::RawPacket received = TestUtil::rawReceive(raw.get(), LongTimeout, 1 << 21);
    QVERIFY(received.ok);
    QCOMPARE(received.data.size(), big.size());
    QCOMPARE(received.data, big);

    // Unconnected again: the sizes asked for are reported.
    socket.abort();
    QCOMPARE(socket.maxPacketSize(), qint64(-1));
    QCOMPARE(socket.sendBufferSize(), qint64(INT_MAX));
    QCOMPARE(socket.receiveBufferSize(), qint64(100000));
}

void tst_SocketOptions::bufferSizesAppliedWhenAdopted()
{
    // Asked before there is a connection: applied to every descriptor the socket adopts.
    QSeqpacketSocket socket;
    QVERIFY(socket.setSendBufferSize(250000));
    QVERIFY(socket.setReceiveBufferSize(70000));
    QCOMPARE(socket.sendBufferSize(), qint64(250000));
    QCOMPARE(socket.receiveBufferSize(), qint64(70000));

    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-adopted");
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(socket.sendBufferSize(), appliedBufferSize(250000, sysctl("wmem_max")));
    QCOMPARE(socket.receiveBufferSize(), appliedBufferSize(70000, sysctl("rmem_max")));

    // duplicate() shares the connection and so its buffers.
    std::unique_ptr<QSeqpacketSocket> copy(socket.duplicate());
    QVERIFY(copy);
    QCOMPARE(copy->sendBufferSize(), socket.sendBufferSize());
    socket.disconnectFromServer();
    copy->abort();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::badBufferSizes_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::newRow("zero") << qint64(0);
    QTest::newRow("negative") << qint64(-1);
    QTest::newRow("very negative") << qint64(LLONG_MIN);
    QTest::newRow("over INT_MAX") << qint64(INT_MAX) + 1;
}

void tst_SocketOptions::badBufferSizes()
{
    QFETCH(qint64, bytes);
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const qint64 sendBefore = socket.sendBufferSize();
    const qint64 receiveBefore = socket.receiveBufferSize();
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);

    QVERIFY(!socket.setSendBufferSize(bytes));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QVERIFY2(socket.errorString().contains(QLatin1String("setSendBufferSize")), qPrintable(socket.errorString()));
    QVERIFY(!socket.setReceiveBufferSize(bytes));
    QVERIFY2(socket.errorString().contains(QLatin1String("setReceiveBufferSize")), qPrintable(socket.errorString()));
    QCOMPARE(errors.size(), 2);
    // Nothing changed, and the connection is fine.
    QCOMPARE(socket.sendBufferSize(), sendBefore);
    QCOMPARE(socket.receiveBufferSize(), receiveBefore);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(socket.sendPacket("still fine"));
    QCOMPARE(TestUtil::rawReceive(raw.get()).data, QByteArray("still fine"));
}

void tst_SocketOptions::packetLargerThanTheSendBuffer()
{
    // With the default send buffer a packet larger than it fails at once, nothing sent, with a
    // message that says the limit and how to raise it; after setSendBufferSize() it goes.
    QSeqpacketSocket socket;
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-large");
    QVERIFY2(problem.isEmpty(), problem.constData());
    const qint64 limit = socket.maxPacketSize();
    const qint64 size = limit + 50000;
    const qint64 ceiling = 2 * sysctl("wmem_max") - 32;
    if (size > ceiling)
        QSKIP("net.core.wmem_max is too small here to raise the send buffer past its default");

    QByteArray payload = "size ";
    payload.append(QByteArray(int(size) - payload.size(), 'x'));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    QVERIFY(!socket.sendPacket(payload));
    QCOMPARE(socket.error(), QSeqpacketSocket::PacketTooLargeError);
    const QString message = socket.errorString();
    QVERIFY2(message.contains(QString::number(size)) && message.contains(QString::number(limit))
                     && message.contains(QLatin1String("setSendBufferSize")) && message.contains(QString::number(ceiling)),
             qPrintable(message));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    // Nothing was sent: the next reply is the answer to the next command.
    QCOMPARE(ask(&socket, "size abc"), QByteArray("size 8"));

    QVERIFY(socket.setSendBufferSize(size));
    QVERIFY(socket.maxPacketSize() >= size);
    QVERIFY2(socket.sendPacket(payload), qPrintable(socket.errorString()));
    QCOMPARE(takePacket(&socket).data(), "size " + QByteArray::number(size));

    // Past what the system lets anyone without privileges have, the message says who can help.
    if (ceiling < INT_MAX - 100) {
        QVERIFY(socket.setSendBufferSize(INT_MAX));
        QVERIFY(!socket.sendPacket(QByteArray(int(qMin<qint64>(ceiling + 100, 64 << 20)), 'y')));
        QCOMPARE(socket.error(), QSeqpacketSocket::PacketTooLargeError);
        QVERIFY2(socket.errorString().contains(QLatin1String("net.core.wmem_max")), qPrintable(socket.errorString()));
    }
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::sendingOwnCredentials()
{
    QSeqpacketSocket socket;
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-credentials");
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(ask(&socket, "passcred"), QByteArray("passcred on"));

    QSeqpacketPacket packet(QByteArray("whosent"));
    packet.setCredentials(QSeqpacketCredentials::currentProcess());
    QVERIFY(packet.credentials().isValid());
    QVERIFY2(socket.sendPacket(packet), qPrintable(socket.errorString()));
    QCOMPARE(takePacket(&socket).data(), ownIds());
    // Sent again, from a queue of its own: the same.
    QVERIFY(socket.sendPacket(QList<QByteArrayView>{"who", "sent"}));
    QCOMPARE(takePacket(&socket).data(), ownIds()); // the kernel adds the real ones anyway
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::sendingAnotherUsersCredentialsPrivileged()
{
    if (::geteuid() != 0)
        QSKIP("only a privileged process may send credentials other than its own");
    QSeqpacketSocket socket;
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-credentials-root");
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(ask(&socket, "passcred"), QByteArray("passcred on"));

    // The peer's own process id, user and group nobody: what a privileged sender may claim.
    const QByteArray ids = ask(&socket, "ids");
    const qint64 peerPid = ids.split(' ').value(0).toLongLong();
    QSeqpacketPacket packet(QByteArray("whosent"));
    packet.setCredentials(QSeqpacketCredentials(peerPid, 65534, 65534));
    QVERIFY2(socket.sendPacket(packet), qPrintable(socket.errorString()));
    QCOMPARE(takePacket(&socket).data(), QByteArray::number(peerPid) + " 65534 65534");

    // A process id that names no process is refused by the kernel: nothing is sent.
    packet.setCredentials(QSeqpacketCredentials(0x3ffffff0, 0, 0));
    QVERIFY(!socket.sendPacket(packet));
    QCOMPARE(socket.error(), QSeqpacketSocket::OperationError);
    QVERIFY2(socket.errorString().contains(QLatin1String("credentials")), qPrintable(socket.errorString()));
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QCOMPARE(ask(&socket, "whosent"), ownIds());
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::receivedCredentialsAreNotSentBack()
{
    // A received packet carries its sender's credentials; echoing it does not claim them.
    QSeqpacketSocket socket;
    QVERIFY(socket.setPerPacketCredentials(true));
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-echo-credentials");
    QVERIFY2(problem.isEmpty(), problem.constData());
    QCOMPARE(ask(&socket, "passcred"), QByteArray("passcred on"));

    QVERIFY(socket.sendPacket("ids"));
    QSeqpacketPacket received = takePacket(&socket);
    QCOMPARE(received.credentials().processId(), peer.pid());
    received.setData("whosent");
    QVERIFY2(socket.sendPacket(received), qPrintable(socket.errorString()));
    QCOMPARE(takePacket(&socket).data(), ownIds());
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::foreignCredentialsRefused()
{
    // In a process without privileges (a child that drops them where this test runs as root),
    // credentials that are not its own are refused by the kernel: a clear error, nothing sent,
    // the connection goes on.
    UniqueFd ours;
    UniqueFd theirs;
    QVERIFY(TestUtil::rawSocketPair(&ours, &theirs));
    const int on = 1;
    QCOMPARE(::setsockopt(ours.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);

    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        ::close(ours.get());
        if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
            ::_exit(9);
        QSeqpacketSocket socket;
        if (!socket.setSocketDescriptor(theirs.get()))
            ::_exit(10);
        QSeqpacketPacket packet(QByteArray("refused"));
        packet.setCredentials(QSeqpacketCredentials(1, ::getuid(), ::getgid())); // init's process id
        if (socket.sendPacket(packet))
            ::_exit(11);
        if (socket.error() != QSeqpacketSocket::SocketAccessError)
            ::_exit(12);
        if (!socket.errorString().contains(QLatin1String("credentials")))
            ::_exit(13);
        if (socket.state() != QSeqpacketSocket::ConnectedState || socket.packetsToWrite() != 0)
            ::_exit(14);
        // Another user's id too.
        packet.setCredentials(QSeqpacketCredentials(::getpid(), ::getuid() + 1, ::getgid()));
        if (socket.sendPacket(packet) || socket.error() != QSeqpacketSocket::SocketAccessError)
            ::_exit(15);
        if (!socket.sendPacket(QByteArrayView("after")))
            ::_exit(16);
        ::_exit(0);
    }
    theirs.reset();
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, qPrintable(QString::number(WEXITSTATUS(status))));
    const TestUtil::RawPacket first = TestUtil::rawReceive(ours.get());
    QVERIFY(first.ok);
    QCOMPARE(first.data, QByteArray("after")); // the refused packets never arrived
}

void tst_SocketOptions::perPacketProcessFileDescriptor()
{
    QSeqpacketSocket socket;
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    // Asked before connecting: the kernel's support is checked now.
    if (!socket.setPerPacketProcessFileDescriptor(true)) {
        QCOMPARE(socket.error(), QSeqpacketSocket::UnsupportedOperationError);
        QVERIFY2(socket.errorString().contains(QLatin1String("SO_PASSPIDFD")), qPrintable(socket.errorString()));
        QVERIFY(!socket.perPacketProcessFileDescriptor());
        QSKIP("this kernel has no SO_PASSPIDFD (Linux 6.5): reported as unsupported");
    }
    QVERIFY(socket.perPacketProcessFileDescriptor());
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-pidfd");
    QVERIFY2(problem.isEmpty(), problem.constData());
    QVERIFY(socket.perPacketProcessFileDescriptor());

    QVERIFY(socket.sendPacket("ids"));
    const QSeqpacketPacket packet = takePacket(&socket);
    QVERIFY(packet.processFileDescriptor().isValid());
    QVERIFY(TestUtil::hasCloexec(packet.processFileDescriptor().descriptor()));
    QCOMPARE(pidOfPidfd(packet.processFileDescriptor().descriptor()), peer.pid());
    QCOMPARE(packet.data().split(' ').value(0).toLongLong(), peer.pid());
    QVERIFY(packet.fileDescriptors().isEmpty());

    // Off again: no pidfds.
    QVERIFY(socket.setPerPacketProcessFileDescriptor(false));
    QVERIFY(socket.sendPacket("ids"));
    QVERIFY(!takePacket(&socket).processFileDescriptor().isValid());
    QCOMPARE(errors.size(), 0);
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::perPacketIdentityFromTheFirstPacket()
{
    // The kernel stamps a packet with credentials (and so a pidfd) when it is sent, and only where
    // the receiver asks by then. A server that writes as soon as it accepts raced a client that
    // asked only after connect(): its first packet came without them. Asked before
    // connectToServer(), they are on at connect() (the kernel autobinds the socket then), and a
    // forked server that sends at once is seen with its credentials every time.
    const bool pidfds = QSeqpacketSocket().setPerPacketProcessFileDescriptor(true);
    const int rounds = TestUtil::underValgrind() ? 4 : 40;
    for (int round = 0; round < rounds; ++round) {
        TestUtil::RawListener listener;
        const QByteArray name = TestUtil::uniqueAbstractName("first-packet");
        QVERIFY(listener.listenAbstract(name));
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            const int fd = listener.acceptOne(10000);
            if (fd < 0 || ::send(fd, "first", 5, MSG_NOSIGNAL) != 5)
                ::_exit(2);
            char byte;
            ::recv(fd, &byte, 1, 0); // until the client closes
            ::_exit(0);
        }
        listener.close();
        QSeqpacketSocket socket;
        QVERIFY(socket.setPerPacketCredentials(true));
        if (pidfds)
            QVERIFY(socket.setPerPacketProcessFileDescriptor(true));
        socket.connectToServer(QSeqpacketAddress::fromAbstractName(name));
        QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
        QCOMPARE(socket.localAddress().kind(), QSeqpacketAddress::Abstract); // autobound at connect()
        const QSeqpacketPacket first = takePacket(&socket);
        QCOMPARE(first.data(), QByteArray("first"));
        QVERIFY2(first.credentials().isValid(), qPrintable(QString::number(round)));
        QCOMPARE(first.credentials().processId(), child);
        if (pidfds)
            QCOMPARE(pidOfPidfd(first.processFileDescriptor().descriptor()), child);
        socket.abort();
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

void tst_SocketOptions::processFileDescriptorKeepsAllDescriptors()
{
    // A pidfd and credentials in front of 253 descriptors: the control buffer has room for all.
    QSeqpacketSocket socket;
    if (!socket.setPerPacketProcessFileDescriptor(true))
        QSKIP("this kernel has no SO_PASSPIDFD (Linux 6.5)");
    QVERIFY(socket.setPerPacketCredentials(true));
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-pidfd-253");
    QVERIFY2(problem.isEmpty(), problem.constData());
    QVERIFY(socket.sendPacket("sendmanyfds 253"));
    const QSeqpacketPacket packet = takePacket(&socket);
    QCOMPARE(packet.data(), QByteArray("many"));
    QCOMPARE(packet.fileDescriptors().size(), 253);
    QVERIFY(!packet.areFileDescriptorsTruncated());
    QVERIFY(packet.processFileDescriptor().isValid());
    QCOMPARE(packet.credentials().processId(), peer.pid());
    QCOMPARE(pidOfPidfd(packet.processFileDescriptor().descriptor()), peer.pid());
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::descriptorLimitZeroRefusedInTheKernel()
{
    QSeqpacketSocket socket;
    PeerProcess peer;
    const QByteArray problem = connectToListeningPeer(&peer, &socket, "options-passrights");
    QVERIFY2(problem.isEmpty(), problem.constData());
    socket.setReceiveDescriptorLimit(0);
    QCOMPARE(socket.error(), QSeqpacketSocket::NoError);

    QVERIFY(socket.sendPacket("trysendfd"));
    if (kernelHasPassRights(socket.socketDescriptor())) {
        // Linux 6.16: the peer's sendmsg() is refused (EPERM); nothing with a descriptor arrives.
        QCOMPARE(takePacket(&socket).data(), "sendfd errno " + QByteArray::number(EPERM));
    } else {
        // Older kernels: the packet arrives, its descriptor closed by the kernel and flagged.
        const QSeqpacketPacket withFd = takePacket(&socket);
        QCOMPARE(withFd.data(), QByteArray("withfd"));
        QVERIFY(withFd.fileDescriptors().isEmpty());
        QVERIFY(withFd.areFileDescriptorsTruncated());
        QCOMPARE(takePacket(&socket).data(), QByteArray("sendfd ok"));
    }

    // A limit above 0 takes descriptors again.
    socket.setReceiveDescriptorLimit(10);
    QVERIFY(socket.sendPacket("trysendfd"));
    const QSeqpacketPacket withFd = takePacket(&socket);
    QCOMPARE(withFd.data(), QByteArray("withfd"));
    QCOMPARE(withFd.fileDescriptors().size(), 1);
    QCOMPARE(takePacket(&socket).data(), QByteArray("sendfd ok"));
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketOptions::refusedDescriptorsSeenBySender()
{
    // Both ends QSeqpacket: the receiver refuses descriptors before it is connected (applied
    // when it adopts its descriptor); the sender gets a clear error and goes on.
    QSeqpacketSocket receiver;
    receiver.setReceiveDescriptorLimit(0);
    UniqueFd ours;
    UniqueFd theirs;
    QVERIFY(TestUtil::rawSocketPair(&ours, &theirs));
    QVERIFY(receiver.setSocketDescriptor(theirs.release()));
    QSeqpacketSocket sender;
    QVERIFY(sender.setSocketDescriptor(ours.release()));
    if (!kernelHasPassRights(receiver.socketDescriptor()))
        QSKIP("this kernel has no SO_PASSRIGHTS (Linux 6.16): descriptors are closed on arrival instead");

    QSignalSpy errors(&sender, &QSeqpacketSocket::errorOccurred);
    const QSeqpacketFileDescriptor memfd = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("content"));
    QVERIFY(!sender.sendPacket("with a descriptor", {memfd}));
    QCOMPARE(sender.error(), QSeqpacketSocket::SocketAccessError);
    QVERIFY2(sender.errorString().contains(QLatin1String("SO_PASSRIGHTS")), qPrintable(sender.errorString()));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(sender.state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(sender.sendPacket("without"));
    QVERIFY(receiver.waitForPacket(LongTimeout));
    QCOMPARE(receiver.receivePacket().data(), QByteArray("without"));
    QVERIFY(!receiver.hasPendingPackets());
}

void tst_SocketOptions::packetsWrittenCountsEveryPacket()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a);
    std::unique_ptr<QSeqpacketSocket> receiver(b);
    bool insideSend = false;
    qint64 counted = 0;
    int emissions = 0;
    bool emittedInsideSend = false;
    connect(sender.get(), &QSeqpacketSocket::packetsWritten, this, [&](qint64 count) {
        emittedInsideSend = emittedInsideSend || insideSend;
        counted += count;
        ++emissions;
        // A slot may send the next packet: it is counted in a later emission.
        if (counted == 3)
            sender->sendPacket("fourth");
    });
    for (const char *data : {"one", "two", "three"}) {
        insideSend = true;
        QVERIFY(sender->sendPacket(QByteArrayView(data)));
        insideSend = false;
    }
    QCOMPARE(counted, qint64(0)); // from the event loop, not from sendPacket()
    QTRY_COMPARE_WITH_TIMEOUT(counted, qint64(4), LongTimeout);
    QVERIFY(!emittedInsideSend);
    QCOMPARE(emissions, 2);
    QCOMPARE(takeAll(receiver.get()).size(), 4);
}

void tst_SocketOptions::packetsWrittenWithoutEventLoop()
{
    // In a thread without an event loop the next waitFor...() call reports them.
    qint64 counted = -1;
    bool waited = false;
    std::thread([&] {
        auto [a, b] = QSeqpacketSocket::createPair();
        qint64 sum = 0;
        QObject::connect(a, &QSeqpacketSocket::packetsWritten, [&sum](qint64 count) { sum += count; });
        a->sendPacket("one");
        a->sendPacket("two");
        const qint64 before = sum;
        waited = a->waitForPacketsWritten(QDeadlineTimer(LongTimeout));
        counted = before == 0 ? sum : -2;
        delete a;
        delete b;
    }).join();
    QVERIFY(waited);
    QCOMPARE(counted, qint64(2));
}

void tst_SocketOptions::packetsWrittenSlotClosesInsideWait()
{
    // Without an event loop, waitForPacket() reports the packets written before it waits; a slot
    // that closes the socket then ends the wait at once, with no descriptor to poll.
    bool waited = true;
    bool closed = false;
    qint64 counted = 0;
    std::thread([&] {
        auto [a, b] = QSeqpacketSocket::createPair();
        QObject::connect(a, &QSeqpacketSocket::packetsWritten, [a, &counted](qint64 count) {
            counted += count;
            a->abort();
        });
        a->sendPacket("one");
        QElapsedTimer timer;
        timer.start();
        waited = a->waitForPacket(QDeadlineTimer(LongTimeout));
        closed = a->state() == QSeqpacketSocket::UnconnectedState && timer.elapsed() < LongTimeout / 2;
        delete a;
        delete b;
    }).join();
    QVERIFY(!waited);
    QVERIFY(closed);
    QCOMPARE(counted, qint64(1));
}

void tst_SocketOptions::packetsWrittenConnectedLate()
{
    // Every packet is counted once (API.md), also those sent before anything listened: the first
    // connection hears of them from the event loop. The socket learns of connections through
    // connectNotify(): here one made from another thread with a functor, and QSignalSpy's, made by
    // signal index (as the string-based connect does).
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a);
    std::unique_ptr<QSeqpacketSocket> receiver(b);
    QVERIFY(sender->sendPacket("before anyone listened"));
    QCoreApplication::processEvents();
    std::atomic<qint64> counted { 0 };
    std::atomic<int> emissions { 0 };
    QObject context;
    std::thread([&] {
        QObject::connect(sender.get(), &QSeqpacketSocket::packetsWritten, &context, [&](qint64 count) {
            counted += count;
            ++emissions;
        });
    }).join();
    QTRY_COMPARE_WITH_TIMEOUT(counted.load(), qint64(1), LongTimeout);
    QVERIFY(sender->sendPacket("one"));
    QVERIFY(sender->sendPacket("two"));
    QTRY_COMPARE_WITH_TIMEOUT(counted.load(), qint64(3), LongTimeout);

    // A spy made after a send in the same event-loop round, as a test often does.
    auto [c, d] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> second(c);
    std::unique_ptr<QSeqpacketSocket> secondReceiver(d);
    QVERIFY(second->sendPacket("sent, then the spy"));
    QSignalSpy spy(second.get(), &QSeqpacketSocket::packetsWritten);
    QVERIFY(spy.wait(LongTimeout));
    QCOMPARE(spy.constFirst().constFirst().toLongLong(), qint64(1));
    QVERIFY(second->sendPacket("three"));
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, LongTimeout);
    QCOMPARE(spy.constLast().constFirst().toLongLong(), qint64(1));

    // Nothing twice: a second connection hears nothing old.
    QSignalSpy late(second.get(), &QSeqpacketSocket::packetsWritten);
    QTest::qWait(20);
    QCOMPARE(late.size(), 0);
    QCOMPARE(spy.size(), 2);
    QCOMPARE(counted.load(), qint64(3));
    QVERIFY(emissions.load() <= 3);
    QCOMPARE(takeAll(receiver.get()).size(), 3);
    QCOMPARE(takeAll(secondReceiver.get()).size(), 2);
}

void tst_SocketOptions::deadlineWaits()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> first(a);
    std::unique_ptr<QSeqpacketSocket> second(b);
    QVERIFY(first->waitForConnected(QDeadlineTimer(0)));

    QElapsedTimer timer;
    timer.start();
    QVERIFY(!second->waitForPacket(QDeadlineTimer(50)));
    QVERIFY(timer.elapsed() >= 45);
    QCOMPARE(second->error(), QSeqpacketSocket::TimeoutError);
    QVERIFY(first->sendPacket("now"));
    QVERIFY(second->waitForPacket(QDeadlineTimer(QDeadlineTimer::Forever)));
    QCOMPARE(second->receivePacket().data(), QByteArray("now"));
    QVERIFY(first->waitForPacketsWritten(QDeadlineTimer(LongTimeout)));

    QVERIFY(!second->waitForDisconnected(QDeadlineTimer(30)));
    QCOMPARE(second->error(), QSeqpacketSocket::TimeoutError);
    first->disconnectFromServer();
    QVERIFY(second->waitForDisconnected(QDeadlineTimer(LongTimeout)));
    QCOMPARE(second->state(), QSeqpacketSocket::UnconnectedState);
}

QTEST_GUILESS_MAIN(tst_SocketOptions)
#include "tst_socket_options.moc"
