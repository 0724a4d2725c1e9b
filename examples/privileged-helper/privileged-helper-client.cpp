// SPDX-License-Identifier: MIT
//
// privileged-helper-client: asks privileged-helper to open a file, and reads it through the
// descriptor that comes back.
//
//   privileged-helper-client ADDRESS PATH
//
// Prints the file's content on stdout, and what happens on stderr. Exits 0 when it read the file,
// 1 when the helper refused (or would not talk to us), 2 on bad arguments.
//
// A one-shot command-line tool has nothing else to do while it waits, so this one uses the
// blocking waitFor...() calls instead of an event loop: connect, send one request, wait for one
// answer.

#include <QSeqpacketSocket>

#include <QCoreApplication>
#include <QFile>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace {

constexpr int TimeoutMsecs = 10000;

void note(const QString &line)
{
    std::fputs(qPrintable(QStringLiteral("privileged-helper-client: ") + line + QLatin1Char('\n')), stderr);
}

// Why the helper ended the conversation without an answer.
QString hangUpReason(const QSeqpacketSocket &socket)
{
    switch (socket.error()) {
    case QSeqpacketSocket::PeerClosedError:
    case QSeqpacketSocket::ConnectionResetError:
    case QSeqpacketSocket::NoError: // an orderly end of the connection
        // The helper's peer filter closes a connection from a uid it does not serve at once,
        // without a word: it reads nothing from a peer it does not trust.
        return QStringLiteral("the helper closed the connection without answering: does it serve uid %1?")
                .arg(::geteuid());
    default:
        return socket.errorString();
    }
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: privileged-helper-client ADDRESS PATH\n");
        return 2;
    }
    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.at(1));
    if (!address.isValid()) {
        note(address.errorString());
        return 2;
    }
    const QByteArray path = QFile::encodeName(args.at(2));

    // Not needed, only to show the point: can we open the file ourselves?
    if (path.startsWith('/')) {
        const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            note(QStringLiteral("(we could open %1 ourselves, too)").arg(args.at(2)));
            ::close(fd);
        } else {
            note(QStringLiteral("cannot open %1 ourselves: %2").arg(args.at(2), QString::fromLocal8Bit(std::strerror(errno))));
        }
    }

    QSeqpacketSocket socket;
    socket.connectToServer(address);
    // Connected at once unless the helper's backlog is full; then waitForConnected() waits.
    if (socket.state() == QSeqpacketSocket::ConnectingState)
        socket.waitForConnected(TimeoutMsecs);
    if (socket.state() != QSeqpacketSocket::ConnectedState) {
        note(socket.errorString());
        return 1;
    }

    // One packet per request, one per answer: no framing, no length prefix.
    if (!socket.sendPacket("open " + path) || !socket.waitForPacket(TimeoutMsecs)) {
        note(socket.error() == QSeqpacketSocket::TimeoutError ? QStringLiteral("no answer") : hangUpReason(socket));
        return 1;
    }
    const QSeqpacketPacket reply = socket.receivePacket();
    if (reply.data() != "ok" || reply.fileDescriptors().size() != 1) {
        note(QStringLiteral("the helper says: %1").arg(QString::fromUtf8(reply.data())));
        return 1;
    }

    // The descriptor belongs to the packet, which would close it when it goes. release() takes it
    // over; QFile then owns it (AutoCloseHandle) and reads through it like any open file.
    QSeqpacketFileDescriptor received = reply.fileDescriptors().constFirst();
    const int fd = received.release();
    note(QStringLiteral("received descriptor %1 -> %2").arg(fd).arg(QFile::symLinkTarget(QStringLiteral("/proc/self/fd/%1").arg(fd))));
    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        note(file.errorString());
        return 1;
    }
    // A fresh open file: the helper has not read from it, so reading starts at the beginning.
    const QByteArray content = file.readAll();
    if (file.error() != QFileDevice::NoError) {
        note(file.errorString());
        return 1;
    }
    note(QStringLiteral("read %1 bytes through it:").arg(content.size()));
    std::fwrite(content.constData(), 1, size_t(content.size()), stdout);
    std::fflush(stdout);
    return 0;
}
