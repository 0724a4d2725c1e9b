// SPDX-License-Identifier: MIT
// Uses QSeqpacket as an outside project would: a socket pair, one packet with a descriptor.
// Exits 0 only when the packet arrived intact and the descriptor refers to the file that was sent.

#include <QSeqpacketSocket>
#include <qseqpacketaddress.h>

#include <QCoreApplication>

#include <cstdio>

#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what)
{
    std::printf("consumer: FAILED: %s\n", what);
    return 1;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);

    // The version macros come from the generated qseqpacketversion.h, through any public header.
    static_assert(QSEQPACKET_VERSION == QT_VERSION_CHECK(QSEQPACKET_VERSION_MAJOR, QSEQPACKET_VERSION_MINOR,
                                                         QSEQPACKET_VERSION_PATCH));
    if (QByteArray(QSEQPACKET_VERSION_STR).count('.') != 2)
        return fail("QSEQPACKET_VERSION_STR");

    // The lower-case header works too.
    const QSeqpacketAddress address = QSeqpacketAddress::fromString(QStringLiteral("@qseqpacket-consumer"));
    if (address.kind() != QSeqpacketAddress::Abstract || address.abstractName() != "qseqpacket-consumer")
        return fail("QSeqpacketAddress::fromString");

    const auto pair = QSeqpacketSocket::createPair();
    QSeqpacketSocket *a = pair.first;
    QSeqpacketSocket *b = pair.second;
    if (a->state() != QSeqpacketSocket::ConnectedState || b->state() != QSeqpacketSocket::ConnectedState)
        return fail("createPair");

    const QByteArray content = "file content";
    const int memfd = ::memfd_create("qseqpacket-consumer", MFD_CLOEXEC);
    if (memfd < 0 || ::write(memfd, content.constData(), content.size()) != content.size())
        return fail("memfd");
    const QSeqpacketFileDescriptor file = QSeqpacketFileDescriptor::adopt(memfd);

    const QByteArray payload("packet\0with a NUL", 17);
    if (!a->sendPacket(QByteArrayView(payload), { file }))
        return fail(qPrintable(a->errorString()));
    if (!b->waitForPacket(5000))
        return fail("waitForPacket");

    const QSeqpacketPacket packet = b->receivePacket();
    if (!packet.isValid() || packet.data() != payload || packet.isTruncated())
        return fail("packet data");
    if (packet.fileDescriptors().size() != 1 || !packet.fileDescriptors().constFirst().isValid())
        return fail("packet descriptor");

    QByteArray received(content.size(), '\0');
    const int fd = packet.fileDescriptors().constFirst().descriptor();
    if (::pread(fd, received.data(), received.size(), 0) != received.size() || received != content)
        return fail("descriptor content");

    std::printf("consumer: QSeqpacket %s\n", QSEQPACKET_VERSION_STR);
    std::printf("consumer: received a %d-byte packet with descriptor %d reading \"%s\": OK\n",
                int(packet.data().size()), fd, received.constData());
    delete a;
    delete b;
    return 0;
}
