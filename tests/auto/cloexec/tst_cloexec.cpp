// SPDX-License-Identifier: MIT
// Close-on-exec, proven by exec. The library creates descriptors every way it can (connect to a
// path and to an abstract name, with and without binding first, createPair, a server listening
// on a path, an abstract and an unnamed address, adopted listening and connected descriptors that
// were not close-on-exec, accept), receives descriptors that the sender had *without*
// close-on-exec through SCM_RIGHTS (the batched recvmmsg path, the single recvmsg path for a
// packet too large for a batch slot, peeks), and duplicates them (QSeqpacketSocket::duplicate(),
// QSeqpacketFileDescriptor::duplicate(), peerProcessFileDescriptor()). Then a child program is
// exec'd that lists its descriptors: it must hold exactly the descriptors of this process that
// are not close-on-exec (the standard ones, whatever ctest passed down, and one made inheritable
// on purpose as a control), and none of the library's.
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QMap>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <memory>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>

#include "testutil.h"

extern char **environ;

using TestUtil::UniqueFd;

namespace {

// fd -> readlink target, as the exec'd child sees its own descriptors.
QMap<int, QByteArray> listDescriptorsOfExecdChild(QString *error)
{
    QMap<int, QByteArray> result;
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        *error = QStringLiteral("pipe2: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    char path[] = QSEQPACKET_FDLISTER;
    char *argv[] = { path, nullptr };
    pid_t pid = -1;
    const int spawnError = posix_spawn(&pid, path, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawnError != 0) {
        ::close(out[0]);
        *error = QStringLiteral("posix_spawn(%1): %2").arg(QString::fromLocal8Bit(path),
                                                           QString::fromLocal8Bit(strerror(spawnError)));
        return result;
    }
    QByteArray text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, int(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) { }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *error = QStringLiteral("the lister failed (status %1)").arg(status);
        return result;
    }
    for (const QByteArray &line : text.split('\n')) {
        const qsizetype space = line.indexOf(' ');
        if (space > 0)
            result.insert(line.left(space).toInt(), line.mid(space + 1));
    }
    result.remove(STDOUT_FILENO); // the pipe to us, not what this process has there
    return result;
}

QMap<int, QByteArray> inheritableDescriptors()
{
    QMap<int, QByteArray> result;
    const QMap<int, QByteArray> all = TestUtil::openFdTargets();
    for (auto it = all.cbegin(); it != all.cend(); ++it) {
        // fcntl() fails on descriptors a tool reserved for itself (valgrind): not ours to pass on.
        const int flags = ::fcntl(it.key(), F_GETFD);
        if (flags != -1 && !(flags & FD_CLOEXEC) && it.key() != STDOUT_FILENO)
            result.insert(it.key(), it.value());
    }
    return result;
}

QByteArray describe(const QMap<int, QByteArray> &fds)
{
    QByteArray out;
    for (auto it = fds.cbegin(); it != fds.cend(); ++it)
        out += QByteArray::number(it.key()) + "->" + it.value() + ' ';
    return out;
}

size_t largestUnprivilegedPacket()
{
    QFile file(QStringLiteral("/proc/sys/net/core/wmem_max"));
    size_t wmemMax = 212992;
    if (file.open(QIODevice::ReadOnly))
        wmemMax = file.readAll().trimmed().toULongLong();
    return 2 * wmemMax;
}

} // namespace

class tst_Cloexec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listerSeesInheritableDescriptors();
    void libraryDescriptorsDoNotSurviveExec();
};

// The method works: a descriptor without close-on-exec shows up in the child, one with it does not.
void tst_Cloexec::listerSeesInheritableDescriptors()
{
    UniqueFd inheritable(TestUtil::makeMemfd("inheritable", false));
    UniqueFd closed(TestUtil::makeMemfd("closed-on-exec", true));
    QVERIFY(inheritable.isValid() && closed.isValid());
    QString error;
    const QMap<int, QByteArray> child = listDescriptorsOfExecdChild(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(child.contains(inheritable.get()), describe(child).constData());
    QVERIFY2(!child.contains(closed.get()) || child.value(closed.get()) != TestUtil::openFdTargets().value(closed.get()),
             describe(child).constData());
    QCOMPARE(child, inheritableDescriptors());
}

void tst_Cloexec::libraryDescriptorsDoNotSurviveExec()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Every descriptor the library owns, by what it refers to; checked against the child's list.
    QMap<int, QByteArray> library;
    auto track = [&](int fd, const char *what) {
        QVERIFY2(fd >= 0, what);
        library.insert(fd, TestUtil::openFdTargets().value(fd));
        QVERIFY2(TestUtil::hasCloexec(fd), qPrintable(QStringLiteral("%1 (fd %2) is not close-on-exec")
                                                             .arg(QLatin1String(what)).arg(fd)));
    };

    // Servers: path, abstract, unnamed; an adopted listening descriptor that was inheritable.
    QSeqpacketServer pathServer, abstractServer, unnamedServer, adoptedServer;
    const QString path = dir.filePath(QStringLiteral("server.sock"));
    QVERIFY2(pathServer.listen(QSeqpacketAddress::fromPath(path)), qPrintable(pathServer.errorString()));
    QVERIFY2(abstractServer.listen(QSeqpacketAddress::fromAbstractName(TestUtil::uniqueAbstractName("cloexec"))),
             qPrintable(abstractServer.errorString()));
    QVERIFY2(unnamedServer.listen(QSeqpacketAddress()), qPrintable(unnamedServer.errorString()));
    {
        const int raw = ::socket(AF_UNIX, SOCK_SEQPACKET, 0); // no SOCK_CLOEXEC
        QVERIFY(raw >= 0);
        sockaddr_un sun;
        const QByteArray name = TestUtil::uniqueAbstractName("cloexec-adopted");
        const socklen_t length = TestUtil::fillSockaddr(&sun, name, true);
        QVERIFY(::bind(raw, reinterpret_cast<sockaddr *>(&sun), length) == 0);
        QVERIFY(::listen(raw, 8) == 0);
        QVERIFY(!TestUtil::hasCloexec(raw));
        QVERIFY2(adoptedServer.setSocketDescriptor(raw), qPrintable(adoptedServer.errorString()));
    }
    track(pathServer.socketDescriptor(), "path server");
    track(abstractServer.socketDescriptor(), "abstract server");
    track(unnamedServer.socketDescriptor(), "unnamed server");
    track(adoptedServer.socketDescriptor(), "adopted listening descriptor");

    // Clients: to each server, one of them bound first; and the connections each server accepted.
    std::vector<std::unique_ptr<QSeqpacketSocket>> clients;
    std::vector<QSeqpacketSocket *> accepted;
    const struct { QSeqpacketServer *server; bool bind; } targets[] = {
        { &pathServer, false }, { &pathServer, true }, { &abstractServer, false },
        { &unnamedServer, true }, { &adoptedServer, false },
    };
    for (const auto &target : targets) {
        auto client = std::make_unique<QSeqpacketSocket>();
        if (target.bind)
            client->connectToServer(target.server->serverAddress(), QSeqpacketAddress());
        else
            client->connectToServer(target.server->serverAddress());
        QVERIFY2(client->waitForConnected(5000), qPrintable(client->errorString()));
        track(client->socketDescriptor(), "connected client");
        QVERIFY(target.server->waitForNewConnection(5000));
        QSeqpacketSocket *peer = target.server->nextPendingConnection();
        QVERIFY(peer);
        track(peer->socketDescriptor(), "accepted connection");
        accepted.push_back(peer);
        clients.push_back(std::move(client));
    }

    // createPair, and a connected descriptor adopted while it was inheritable.
    auto [first, second] = QSeqpacketSocket::createPair();
    std::unique_ptr<QSeqpacketSocket> pairA(first), pairB(second);
    track(pairA->socketDescriptor(), "createPair");
    track(pairB->socketDescriptor(), "createPair");
    UniqueFd rawPeer;
    QSeqpacketSocket adopted;
    {
        int sv[2];
        QVERIFY(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0); // neither is close-on-exec
        rawPeer.reset(sv[1]);
        QVERIFY(::fcntl(sv[1], F_SETFD, FD_CLOEXEC) == 0); // the raw peer is the test's, not the library's
        QVERIFY2(adopted.setSocketDescriptor(sv[0]), qPrintable(adopted.errorString()));
        track(adopted.socketDescriptor(), "adopted connected descriptor");
    }

    // Descriptors received through SCM_RIGHTS that the sender had without close-on-exec: a pipe's
    // two ends and a memfd, in a small packet (recvmmsg batch) ...
    int pipeFds[2];
    QVERIFY(::pipe(pipeFds) == 0);
    UniqueFd pipeRead(pipeFds[0]), pipeWrite(pipeFds[1]);
    UniqueFd memfd(TestUtil::makeMemfd("received", false));
    QVERIFY(!TestUtil::hasCloexec(pipeRead.get()) && !TestUtil::hasCloexec(memfd.get()));
    QVERIFY(TestUtil::rawSend(rawPeer.get(), "small", { pipeRead.get(), pipeWrite.get(), memfd.get() }));
    const QSeqpacketPacket peeked = adopted.peekPacket();
    QCOMPARE(peeked.fileDescriptors().size(), 3);
    const QSeqpacketPacket small = adopted.receivePacket();
    QCOMPARE(small.data(), QByteArray("small"));
    QCOMPARE(small.fileDescriptors().size(), 3);
    for (const QSeqpacketFileDescriptor &fd : small.fileDescriptors())
        track(fd.descriptor(), "received through recvmmsg");

    // ... and packets queued beyond what a batch slot holds (only a sender allowed
    // SO_SNDBUFFORCE can queue that much), which the library reads one at a time with recvmsg.
    QList<QSeqpacketPacket> large;
    {
        const size_t slot = largestUnprivilegedPacket();
        const size_t chunk = qMin<size_t>(3000000, slot / 2 + 1); // the kernel allocates up to ~4 MiB per packet
        const int count = int(slot / chunk) + 1;
        const int force = int(qMin<size_t>(size_t(count + 1) * chunk * 2, INT_MAX / 4));
        if (::setsockopt(rawPeer.get(), SOL_SOCKET, SO_SNDBUFFORCE, &force, sizeof force) == 0) {
            const QByteArray big(qsizetype(chunk), 'L');
            for (int i = 0; i < count; ++i)
                QVERIFY2(TestUtil::rawSend(rawPeer.get(), big, { memfd.get(), pipeWrite.get() }), strerror(errno));
            for (int i = 0; i < count; ++i) {
                QVERIFY(adopted.waitForPacket(5000));
                large << adopted.receivePacket();
                QCOMPARE(large.last().data().size(), qsizetype(chunk));
                QCOMPARE(large.last().fileDescriptors().size(), 2);
                for (const QSeqpacketFileDescriptor &fd : large.last().fileDescriptors())
                    track(fd.descriptor(), "received through recvmsg (more queued than a batch slot holds)");
            }
        } else {
            qWarning("SO_SNDBUFFORCE is not permitted here (%s): the single-packet recvmsg path is not covered",
                     strerror(errno));
        }
    }
    // Between library sockets too, and with per-packet credentials on.
    QVERIFY(pairB->setPerPacketCredentials(true));
    const QSeqpacketFileDescriptor inheritableMemfd = QSeqpacketFileDescriptor::adopt(TestUtil::makeMemfd("pair", false));
    QVERIFY(pairA->sendPacket("pair", { inheritableMemfd }));
    QVERIFY(pairB->waitForPacket(5000));
    const QSeqpacketPacket fromPair = pairB->receivePacket();
    QCOMPARE(fromPair.fileDescriptors().size(), 1);
    track(fromPair.fileDescriptors().first().descriptor(), "received from a library socket");

    // Duplicates.
    std::unique_ptr<QSeqpacketSocket> duplicateSocket(adopted.duplicate());
    QVERIFY2(duplicateSocket, qPrintable(adopted.errorString()));
    track(duplicateSocket->socketDescriptor(), "QSeqpacketSocket::duplicate()");
    std::unique_ptr<QSeqpacketSocket> duplicateAccepted(accepted.front()->duplicate());
    QVERIFY(duplicateAccepted);
    track(duplicateAccepted->socketDescriptor(), "QSeqpacketSocket::duplicate() of an accepted socket");
    const QSeqpacketFileDescriptor duplicatedFd = inheritableMemfd.duplicate();
    track(duplicatedFd.descriptor(), "QSeqpacketFileDescriptor::duplicate() of an inheritable descriptor");
    const QSeqpacketFileDescriptor duplicatedReceived = small.fileDescriptors().at(2).duplicate();
    track(duplicatedReceived.descriptor(), "QSeqpacketFileDescriptor::duplicate() of a received descriptor");
    const QSeqpacketFileDescriptor pidfd = clients.front()->peerProcessFileDescriptor();
    if (pidfd.isValid())
        track(pidfd.descriptor(), "peerProcessFileDescriptor()");
    else
        qWarning("no pidfd here: %s", qPrintable(clients.front()->errorString()));

    // The control: one descriptor made inheritable on purpose must show up in the child.
    UniqueFd control(::dup(pairA->socketDescriptor())); // dup() does not copy close-on-exec
    QVERIFY(control.isValid() && !TestUtil::hasCloexec(control.get()));

    QVERIFY(library.size() >= 20);
    const QMap<int, QByteArray> expected = inheritableDescriptors();
    QString error;
    const QMap<int, QByteArray> child = listDescriptorsOfExecdChild(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(child.contains(control.get()), describe(child).constData());
    for (auto it = library.cbegin(); it != library.cend(); ++it) {
        QVERIFY2(!(child.contains(it.key()) && child.value(it.key()) == it.value()),
                 qPrintable(QStringLiteral("library descriptor %1 (%2) survived exec")
                                    .arg(it.key()).arg(QString::fromUtf8(it.value()))));
    }
    QVERIFY2(child == expected, qPrintable(QStringLiteral("the child has %1; this process's inheritable descriptors are %2")
                                                   .arg(QString::fromUtf8(describe(child)),
                                                        QString::fromUtf8(describe(expected)))));
    qDebug("%d library descriptors checked; the child inherited only %s", int(library.size()),
           describe(child).constData());
}

QTEST_GUILESS_MAIN(tst_Cloexec)
#include "tst_cloexec.moc"
