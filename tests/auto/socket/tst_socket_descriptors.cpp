// SPDX-License-Identifier: MIT
// QSeqpacketSocket: file descriptors with packets. Real files and memfds both ways with the
// peer process (content read back through the received descriptor), 253 descriptors and the
// refusal of 254, the receive descriptor limit, peeking, queued and unread descriptors on abort
// and destruction, and close-on-exec on every descriptor the library creates or receives.
#include <QSeqpacketSocket>

#include <QtCore/QTemporaryFile>
#include <QtTest/QtTest>

#include <vector>

#include "sockettest.h"
#include "testutil.h"

using namespace SocketTest;
using TestUtil::UniqueFd;

namespace {

QSeqpacketFileDescriptor dupOf(int fd)
{
    return QSeqpacketFileDescriptor::adopt(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

QSeqpacketFileDescriptor memfdWith(const QByteArray &content, bool cloexec = true)
{
    return QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd(content, cloexec));
}

} // namespace

class tst_SocketDescriptors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void crossProcessDescriptorsToPeer();
    void crossProcessDescriptorsFromPeer();
    void crossProcessEchoedDescriptor();
    void descriptorsBetweenSockets();
    void descriptorsOnlyPacket();
    void receivedDescriptorsCloseWithPacket();
    void maximumDescriptors();
    void tooManyDescriptors();
    void receiveDescriptorLimit();
    void peekLeavesNoDescriptorBehind();
    void truncatedPayloadKeepsDescriptors();
    void queuedPacketOwnsItsDescriptors();
    void abortDropsQueuedAndUnreadDescriptors();
    void destructionDropsQueuedAndUnreadDescriptors();
    void everyDescriptorIsCloseOnExec();

private:
    QMap<int, QByteArray> m_fdsAtStart;
};

void tst_SocketDescriptors::initTestCase()
{
    ::signal(SIGPIPE, SIG_DFL);
    warmUp();
}

void tst_SocketDescriptors::init()
{
    SOCKETTEST_FD_INIT();
}

void tst_SocketDescriptors::cleanup()
{
    SOCKETTEST_FD_CLEANUP();
}

void tst_SocketDescriptors::crossProcessDescriptorsToPeer()
{
    // Real files (QTemporaryFile) and memfds, each kind at an even index (the peer reads it with
    // pread) and at an odd one (lseek + read).
    QTemporaryFile file1, file2;
    QVERIFY(file1.open());
    QVERIFY(file2.open());
    const QByteArray content1 = "first real file\n" + QByteArray(70000, 'f');
    const QByteArray content2 = "second real file";
    QCOMPARE(file1.write(content1), qint64(content1.size()));
    QCOMPARE(file2.write(content2), qint64(content2.size()));
    QVERIFY(file1.flush());
    QVERIFY(file2.flush());
    const QByteArray memContent1 = "memfd one";
    const QByteArray memContent2 = QByteArray(100000, 'm') + "memfd two";
    QList<QSeqpacketFileDescriptor> fds = {dupOf(file1.handle()), memfdWith(memContent1),
                                           memfdWith(memContent2), dupOf(file2.handle())};
    const QList<QByteArray> expected = {content1, memContent1, memContent2, content2};
    for (const QSeqpacketFileDescriptor &fd : fds)
        QVERIFY(fd.isValid());

    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "readfds"), QByteArray());
    QVERIFY2(socket.sendPacket("readfds", fds), qPrintable(socket.errorString()));
    for (const QSeqpacketFileDescriptor &fd : std::as_const(fds))
        QVERIFY2(fd.isValid() && TestUtil::isFdOpen(fd.descriptor()), "sent descriptors stay the caller's");

    QCOMPARE(takePacket(&socket).data(), QByteArray("fds:4"));
    for (int i = 0; i < expected.size(); ++i) {
        const QSeqpacketPacket content = takePacket(&socket);
        QVERIFY(content.isValid());
        QCOMPARE(content.data().size(), expected.at(i).size());
        QCOMPARE(content.data(), expected.at(i));
    }
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketDescriptors::crossProcessDescriptorsFromPeer()
{
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "sendfds"), QByteArray());
    const int before = TestUtil::openFdCount();
    QVERIFY(socket.sendPacket("sendfds memfd-content regular-file-content"));
    {
        const QSeqpacketPacket packet = takePacket(&socket);
        QCOMPARE(packet.data(), QByteArray("fds"));
        const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
        QCOMPARE(fds.size(), 2);
        QVERIFY(!packet.areFileDescriptorsTruncated());
        QCOMPARE(TestUtil::openFdCount(), before + 2);
        const int memfd = fds.at(0).descriptor();
        const int file = fds.at(1).descriptor();
        QVERIFY(TestUtil::hasCloexec(memfd));
        QVERIFY(TestUtil::hasCloexec(file));
        QVERIFY2(TestUtil::openFds().value(memfd).startsWith("/memfd:"), TestUtil::openFds().value(memfd).constData());
        struct stat st;
        QCOMPARE(::fstat(file, &st), 0);
        QVERIFY(S_ISREG(st.st_mode));
        QCOMPARE(TestUtil::preadAll(memfd), QByteArray("memfd-content"));
        QCOMPARE(TestUtil::seekReadAll(memfd), QByteArray("memfd-content"));
        QCOMPARE(TestUtil::preadAll(file), QByteArray("regular-file-content"));
        QCOMPARE(TestUtil::seekReadAll(file), QByteArray("regular-file-content"));
    }
    QCOMPARE(TestUtil::openFdCount(), before); // closed with the last copy of the packet
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
    QCOMPARE(peer.exitCode(), 0);
}

void tst_SocketDescriptors::crossProcessEchoedDescriptor()
{
    // A descriptor that goes to the other process and comes back refers to the same file.
    PeerProcess peer;
    QSeqpacketSocket socket;
    QCOMPARE(connectToListeningPeer(&peer, &socket, "echofd"), QByteArray());
    const QSeqpacketFileDescriptor memfd = memfdWith("round trip");
    QVERIFY(socket.sendPacket("echo with a descriptor", {memfd}));
    const QSeqpacketPacket reply = takePacket(&socket);
    QCOMPARE(reply.data(), QByteArray("echo with a descriptor"));
    QCOMPARE(reply.fileDescriptors().size(), 1);
    const int back = reply.fileDescriptors().first().descriptor();
    QVERIFY(back != memfd.descriptor());
    QCOMPARE(TestUtil::fileIdentity(back), TestUtil::fileIdentity(memfd.descriptor()));
    QCOMPARE(TestUtil::preadAll(back), QByteArray("round trip"));
    socket.disconnectFromServer();
    QVERIFY(peer.finish());
}

void tst_SocketDescriptors::descriptorsBetweenSockets()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QTemporaryFile file;
    QVERIFY(file.open());
    QVERIFY(file.write("temporary file content") > 0);
    QVERIFY(file.flush());
    const QSeqpacketFileDescriptor memfd = memfdWith("memfd content");
    const QSeqpacketFileDescriptor fileFd = dupOf(file.handle());
    QVERIFY(sender->sendPacket("two", {memfd, fileFd}));
    QVERIFY(memfd.isValid() && fileFd.isValid());

    const QSeqpacketPacket packet = takePacket(receiver.get());
    QCOMPARE(packet.data(), QByteArray("two"));
    const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
    QCOMPARE(fds.size(), 2);
    QVERIFY(fds.at(0).descriptor() != memfd.descriptor());
    QCOMPARE(TestUtil::fileIdentity(fds.at(0).descriptor()), TestUtil::fileIdentity(memfd.descriptor()));
    QCOMPARE(TestUtil::fileIdentity(fds.at(1).descriptor()), TestUtil::fileIdentity(file.handle()));
    QCOMPARE(TestUtil::preadAll(fds.at(0).descriptor()), QByteArray("memfd content"));
    QCOMPARE(TestUtil::seekReadAll(fds.at(1).descriptor()), QByteArray("temporary file content"));
}

void tst_SocketDescriptors::descriptorsOnlyPacket()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender->sendPacket(QByteArrayView(), {memfdWith("only descriptors")}));
    const QSeqpacketPacket packet = takePacket(receiver.get());
    QVERIFY(packet.isValid());
    QVERIFY(packet.data().isEmpty());
    QCOMPARE(packet.fileDescriptors().size(), 1);
    QCOMPARE(TestUtil::preadAll(packet.fileDescriptors().first().descriptor()), QByteArray("only descriptors"));
    QCOMPARE(receiver->state(), QSeqpacketSocket::ConnectedState);
}

void tst_SocketDescriptors::receivedDescriptorsCloseWithPacket()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender->sendPacket("kept", {memfdWith("1"), memfdWith("2")}));
    QVERIFY(sender->sendPacket("into a buffer", {memfdWith("3"), memfdWith("4"), memfdWith("5")}));
    const int before = TestUtil::openFdCount(); // the descriptors are with the kernel now
    {
        const QSeqpacketPacket packet = receiver->receivePacket();
        QCOMPARE(packet.fileDescriptors().size(), 2);
        QVERIFY(TestUtil::openFdCount() >= before + 2);
    }
    // The second packet is read into a buffer: its descriptors cannot be taken, so they close.
    char buffer[64];
    QCOMPARE(receiver->receivePacket(buffer, sizeof buffer), qint64(13));
    QCOMPARE(TestUtil::openFdCount(), before);
}

void tst_SocketDescriptors::maximumDescriptors()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    const UniqueFd memfd(TestUtil::makeMemfd("253 times"));
    QVERIFY(memfd.isValid());
    const QByteArray identity = TestUtil::fileIdentity(memfd.get());
    const int before = TestUtil::openFdCount();
    {
        QList<QSeqpacketFileDescriptor> fds;
        for (int i = 0; i < 253; ++i) {
            fds << dupOf(memfd.get());
            QVERIFY(fds.last().isValid());
        }
        QVERIFY2(sender->sendPacket("253", fds), qPrintable(sender->errorString()));
    }
    QCOMPARE(TestUtil::openFdCount(), before);
    {
        const QSeqpacketPacket packet = takePacket(receiver.get());
        QCOMPARE(packet.data(), QByteArray("253"));
        QVERIFY(!packet.areFileDescriptorsTruncated());
        const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
        QCOMPARE(fds.size(), 253);
        QSet<int> numbers;
        for (const QSeqpacketFileDescriptor &fd : fds) {
            QVERIFY(TestUtil::isFdOpen(fd.descriptor()));
            QVERIFY(TestUtil::hasCloexec(fd.descriptor()));
            QCOMPARE(TestUtil::fileIdentity(fd.descriptor()), identity);
            numbers.insert(fd.descriptor());
        }
        QCOMPARE(numbers.size(), 253);
        QCOMPARE(TestUtil::openFdCount(), before + 253);
    }
    QCOMPARE(TestUtil::openFdCount(), before);
}

void tst_SocketDescriptors::tooManyDescriptors()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const UniqueFd memfd(TestUtil::makeMemfd("254 times"));
    QSignalSpy errors(&socket, &QSeqpacketSocket::errorOccurred);
    {
        QList<QSeqpacketFileDescriptor> fds;
        for (int i = 0; i < 254; ++i)
            fds << dupOf(memfd.get());
        QVERIFY(!socket.sendPacket("254", fds));
        QCOMPARE(socket.error(), QSeqpacketSocket::TooManyDescriptorsError);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).at(0).value<QSeqpacketSocket::SocketError>(), QSeqpacketSocket::TooManyDescriptorsError);
        QVERIFY2(socket.errorString().contains(QStringLiteral("sendPacket")), qPrintable(socket.errorString()));
        for (const QSeqpacketFileDescriptor &fd : std::as_const(fds))
            QVERIFY(TestUtil::isFdOpen(fd.descriptor())); // still the caller's
        QVERIFY(!socket.sendPacket(QSeqpacketPacket(QByteArray("254 as a packet"), fds)));
        QCOMPARE(socket.error(), QSeqpacketSocket::TooManyDescriptorsError);
        QVERIFY(!socket.sendPacket(QList<QByteArrayView>{"254", " in parts"}, fds));
        QCOMPARE(socket.error(), QSeqpacketSocket::TooManyDescriptorsError);
    }
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QVERIFY2(TestUtil::rawReceive(raw.get(), 0).timedOut, "nothing may be sent");

    // The socket stays usable.
    QCOMPARE(socket.state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(socket.sendPacket("after", {dupOf(memfd.get())}));
    TestUtil::RawPacket after = TestUtil::rawReceive(raw.get(), LongTimeout);
    QVERIFY(after.ok);
    QCOMPARE(after.data, QByteArray("after"));
    QCOMPARE(after.fds.size(), 1);
    after.closeFds();
}

void tst_SocketDescriptors::receiveDescriptorLimit()
{
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QCOMPARE(socket.receiveDescriptorLimit(), 253);
    socket.setReceiveDescriptorLimit(2);
    QCOMPARE(socket.receiveDescriptorLimit(), 2);

    std::vector<UniqueFd> memfds;
    QList<int> raws;
    for (int i = 0; i < 5; ++i) {
        memfds.emplace_back(TestUtil::makeMemfd("fd" + QByteArray::number(i)));
        raws << memfds.back().get();
    }
    QVERIFY(TestUtil::rawSend(raw.get(), "five", raws));
    QVERIFY(TestUtil::rawSend(raw.get(), "none"));
    const QMap<int, QByteArray> before = TestUtil::openFds(); // the five in flight are the kernel's
    {
        const QSeqpacketPacket packet = socket.receivePacket();
        QCOMPARE(packet.data(), QByteArray("five"));
        QCOMPARE(packet.fileDescriptors().size(), 2);
        QVERIFY(packet.areFileDescriptorsTruncated());
        QCOMPARE(TestUtil::fileIdentity(packet.fileDescriptors().at(0).descriptor()), TestUtil::fileIdentity(raws.at(0)));
        QCOMPARE(TestUtil::fileIdentity(packet.fileDescriptors().at(1).descriptor()), TestUtil::fileIdentity(raws.at(1)));
        const QMap<int, QByteArray> now = TestUtil::openFds();
        QVERIFY2(now.size() == before.size() + 2, TestUtil::describeFdDifference(before, now).constData());
    }
    const QSeqpacketPacket plain = socket.receivePacket();
    QCOMPARE(plain.data(), QByteArray("none"));
    QVERIFY(!plain.areFileDescriptorsTruncated());
    QCOMPARE(TestUtil::openFds(), before);

    // Back to the full limit: all five come, nothing is truncated.
    socket.setReceiveDescriptorLimit(253);
    QVERIFY(TestUtil::rawSend(raw.get(), "five again", raws));
    const QSeqpacketPacket all = socket.receivePacket();
    QCOMPARE(all.fileDescriptors().size(), 5);
    QVERIFY(!all.areFileDescriptorsTruncated());
}

void tst_SocketDescriptors::peekLeavesNoDescriptorBehind()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    const QSeqpacketFileDescriptor m1 = memfdWith("p1"), m2 = memfdWith("p2"), m3 = memfdWith("p3");
    QVERIFY(sender->sendPacket("peeked", {m1, m2, m3}));
    const int inFlight = TestUtil::openFdCount();
    QVERIFY(receiver->hasPendingPackets()); // the packet, with its descriptors, is on our side now
    const int queued = TestUtil::openFdCount();
    QVERIFY(queued <= inFlight + 3);

    char buffer[16];
    for (int i = 0; i < 10; ++i) {
        const QSeqpacketPacket peeked = receiver->peekPacket();
        QCOMPARE(peeked.data(), QByteArray("peeked"));
        QCOMPARE(receiver->peekPacket(4).data(), QByteArray("peek"));
        QCOMPARE(receiver->peekPacket(buffer, sizeof buffer), qint64(6));
    }
    QCOMPARE(TestUtil::openFdCount(), queued); // peeking added nothing

    {
        const QSeqpacketPacket packet = receiver->receivePacket();
        QCOMPARE(packet.data(), QByteArray("peeked"));
        const QList<QSeqpacketFileDescriptor> fds = packet.fileDescriptors();
        QCOMPARE(fds.size(), 3);
        QCOMPARE(TestUtil::preadAll(fds.at(0).descriptor()), QByteArray("p1"));
        QCOMPARE(TestUtil::preadAll(fds.at(1).descriptor()), QByteArray("p2"));
        QCOMPARE(TestUtil::preadAll(fds.at(2).descriptor()), QByteArray("p3"));
    }
    QCOMPARE(TestUtil::openFdCount(), inFlight); // nothing left behind

    // Peek, then drop the connection without receiving: the descriptors go too.
    QVERIFY(sender->sendPacket("peeked, never received", {m1, m2}));
    QVERIFY(receiver->peekPacket().isValid());
    receiver->abort();
    QCOMPARE(TestUtil::openFdCount(), inFlight - 1); // the receiver's socket is closed as well
}

void tst_SocketDescriptors::truncatedPayloadKeepsDescriptors()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> sender(a), receiver(b);
    QVERIFY(sender->sendPacket("long payload", {memfdWith("kept")}));
    const int before = TestUtil::openFdCount();
    {
        const QSeqpacketPacket packet = receiver->receivePacket(4);
        QVERIFY(packet.isTruncated());
        QCOMPARE(packet.data(), QByteArray("long"));
        QCOMPARE(packet.fileDescriptors().size(), 1);
        QVERIFY(!packet.areFileDescriptorsTruncated());
        QCOMPARE(TestUtil::preadAll(packet.fileDescriptors().first().descriptor()), QByteArray("kept"));
    }
    QCOMPARE(TestUtil::openFdCount(), before);
}

void tst_SocketDescriptors::queuedPacketOwnsItsDescriptors()
{
    // The queue keeps descriptors alive after the caller dropped its copies.
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    const int inKernel = fillKernelBuffer(&socket, 1000);
    QVERIFY(inKernel > 0);
    const int before = TestUtil::openFdCount();
    QVERIFY(socket.sendPacket("queued", {memfdWith("queued content")}));
    QCOMPARE(socket.packetsToWrite(), qint64(2));
    QCOMPARE(TestUtil::openFdCount(), before + 1); // held by the queue

    QList<QByteArray> packets;
    QList<int> fds;
    QDeadlineTimer deadline(LongTimeout);
    while (packets.size() < inKernel + 1 && !deadline.hasExpired()) {
        TestUtil::RawPacket packet = TestUtil::rawReceive(raw.get(), 2);
        if (packet.ok) {
            packets << packet.data;
            fds << packet.fds;
        } else {
            QCoreApplication::processEvents();
        }
    }
    QCOMPARE(packets.size(), inKernel + 1);
    QCOMPARE(packets.last(), QByteArray("queued"));
    QCOMPARE(fds.size(), 1);
    QCOMPARE(TestUtil::preadAll(fds.first()), QByteArray("queued content"));
    ::close(fds.first());
    QTRY_COMPARE(socket.packetsToWrite(), qint64(0));
    QCOMPARE(TestUtil::openFdCount(), before); // the queue let go of its copy
}

void tst_SocketDescriptors::abortDropsQueuedAndUnreadDescriptors()
{
    const int start = TestUtil::openFdCount();
    QSeqpacketSocket socket;
    UniqueFd raw;
    QVERIFY(adoptRawPair(&socket, &raw));
    QVERIFY(fillKernelBuffer(&socket, 1000) > 0);
    for (int i = 0; i < 3; ++i)
        QVERIFY(socket.sendPacket("queued", {memfdWith("q")}));
    {
        const UniqueFd memfd(TestUtil::makeMemfd("u"));
        QVERIFY(TestUtil::rawSend(raw.get(), "unread", {memfd.get()}));
    }
    QVERIFY(socket.hasPendingPackets()); // received, with its descriptor, not taken
    QVERIFY(TestUtil::openFdCount() > start + 2);
    socket.abort();
    QCOMPARE(socket.state(), QSeqpacketSocket::UnconnectedState);
    QCOMPARE(socket.packetsToWrite(), qint64(0));
    QVERIFY(!socket.hasPendingPackets());
    const QMap<int, QByteArray> now = TestUtil::openFds();
    QVERIFY2(now.size() == start + 1, qPrintable(QStringLiteral("%1 open, expected %2 (only the raw peer): %3")
                                                     .arg(now.size()).arg(start + 1)
                                                     .arg(QString::fromUtf8(TestUtil::describeFdDifference(m_fdsAtStart, now)))));
}

void tst_SocketDescriptors::destructionDropsQueuedAndUnreadDescriptors()
{
    const int start = TestUtil::openFdCount();
    UniqueFd raw;
    {
        auto *socket = new QSeqpacketSocket;
        QVERIFY(adoptRawPair(socket, &raw));
        QVERIFY(fillKernelBuffer(socket, 1000) > 0);
        for (int i = 0; i < 3; ++i)
            QVERIFY(socket->sendPacket("queued", {memfdWith("q")}));
        const UniqueFd memfd(TestUtil::makeMemfd("u"));
        QVERIFY(TestUtil::rawSend(raw.get(), "unread", {memfd.get()}));
        QVERIFY(socket->hasPendingPackets());
        delete socket;
    }
    QCOMPARE(TestUtil::openFdCount(), start + 1); // only the raw peer is left
}

void tst_SocketDescriptors::everyDescriptorIsCloseOnExec()
{
    auto [a, b] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> first(a), second(b);
    QVERIFY(TestUtil::hasCloexec(first->socketDescriptor()));
    QVERIFY(TestUtil::hasCloexec(second->socketDescriptor()));

    std::unique_ptr<QSeqpacketSocket> copy(first->duplicate());
    QVERIFY(copy);
    QVERIFY(TestUtil::hasCloexec(copy->socketDescriptor()));

    TestUtil::RawListener listener;
    QVERIFY(listener.listenAbstract(TestUtil::uniqueAbstractName("cloexec")));
    QSeqpacketSocket client;
    client.connectToServer(QSeqpacketAddress::fromAbstractName(listener.name()));
    QCOMPARE(client.state(), QSeqpacketSocket::ConnectedState);
    QVERIFY(TestUtil::hasCloexec(client.socketDescriptor()));
    const UniqueFd accepted(listener.acceptOne());

    // Adopted without close-on-exec: the socket sets it.
    UniqueFd ours, theirs;
    QVERIFY(TestUtil::rawSocketPair(&ours, &theirs, SOCK_SEQPACKET, false));
    QVERIFY(!TestUtil::hasCloexec(ours.get()));
    QSeqpacketSocket adopted;
    QVERIFY(adopted.setSocketDescriptor(ours.get()));
    ours.release();
    QVERIFY(TestUtil::hasCloexec(adopted.socketDescriptor()));

    // Received descriptors, even of files that were not close-on-exec for the sender.
    const UniqueFd plain(TestUtil::makeMemfd("not cloexec", false));
    QVERIFY(!TestUtil::hasCloexec(plain.get()));
    QVERIFY(TestUtil::rawSend(theirs.get(), "fd", {plain.get()}));
    const QSeqpacketPacket packet = adopted.receivePacket();
    QCOMPARE(packet.fileDescriptors().size(), 1);
    QVERIFY(TestUtil::hasCloexec(packet.fileDescriptors().first().descriptor()));
    QVERIFY(first->sendPacket("fd", {QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("x", false))}));
    const QSeqpacketPacket fromPair = takePacket(second.get());
    QCOMPARE(fromPair.fileDescriptors().size(), 1);
    QVERIFY(TestUtil::hasCloexec(fromPair.fileDescriptors().first().descriptor()));

    // The pidfd, where the kernel has one.
    const QSeqpacketFileDescriptor pidfd = adopted.peerProcessFileDescriptor();
    if (pidfd.isValid())
        QVERIFY(TestUtil::hasCloexec(pidfd.descriptor()));
    else
        QCOMPARE(adopted.error(), QSeqpacketSocket::UnsupportedOperationError);
}

QTEST_GUILESS_MAIN(tst_SocketDescriptors)
#include "tst_socket_descriptors.moc"
