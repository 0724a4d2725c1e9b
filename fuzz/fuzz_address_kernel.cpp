// SPDX-License-Identifier: MIT
// libFuzzer target: addresses read back from the kernel.
//
// A QSeqpacketServer listens on a fuzzed abstract name (any bytes, the empty name and NULs
// included) or on a fuzzed file name inside a private temporary directory; a client binds to
// another fuzzed abstract name (or lets the kernel pick one) and connects. Then what the kernel
// reports through getsockname()/getpeername() and the library's decoding must match what was
// asked for: serverAddress(), the client's localAddress() and peerAddress(), the accepted
// socket's localAddress() and peerAddress(). Each also survives toString()/fromString().
// An invalid address must be refused with InvalidAddressError, never reach the kernel.
//
// Names that another process holds already (EADDRINUSE) are skipped; paths never leave the
// temporary directory (no '/' in the fuzzed part), whose name is short so that paths up to and
// past the 107-byte limit are tried.
#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>
#include <QtCore/QDir>
#include <QtCore/QTemporaryDir>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace {

QTemporaryDir *g_dir = nullptr;
QByteArray g_prefix; // the temporary directory and a '/'

[[noreturn]] void failed(const char *what, const QSeqpacketAddress &expected, const QSeqpacketAddress &got)
{
    QString e, g;
    QDebug(&e) << expected;
    QDebug(&g) << got;
    std::fprintf(stderr, "fuzz_address_kernel: %s\n  expected: %s\n  got:      %s\n", what, qPrintable(e), qPrintable(g));
    std::abort();
}

void checkSame(const char *what, const QSeqpacketAddress &expected, const QSeqpacketAddress &got)
{
    if (got != expected)
        failed(what, expected, got);
    if (QSeqpacketAddress::fromString(got.toString()) != got)
        failed("an address from the kernel does not round-trip through toString()", expected, got);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    // Not a chdir() into it: libFuzzer starts itself again by argv[0] (-merge, -fork).
    g_dir = new QTemporaryDir(QStringLiteral("/tmp/qsfXXXXXX"));
    if (!g_dir->isValid()) {
        std::fprintf(stderr, "fuzz_address_kernel: no temporary directory\n");
        std::abort();
    }
    g_prefix = QFile::encodeName(g_dir->path()) + '/';
    std::atexit([] { delete g_dir; });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider provider(data, size);
    const bool pathServer = provider.ConsumeBool();
    const int bindMode = provider.ConsumeIntegralInRange(0, 2); // 0: no bind, 1: unnamed (autobind), 2: fuzzed name
    const std::string serverName = provider.ConsumeRandomLengthString(130);
    const std::string clientName = provider.ConsumeRandomLengthString(130);

    QSeqpacketAddress serverAddress;
    if (pathServer) {
        QByteArray name(serverName.data(), qsizetype(serverName.size()));
        // One component inside the temporary directory.
        name.replace('/', '_');
        if (name.isEmpty() || name == "." || name == "..")
            name += '_';
        serverAddress = QSeqpacketAddress::fromNativePath(g_prefix + name);
    } else {
        serverAddress = QSeqpacketAddress::fromAbstractName(QByteArray(serverName.data(), qsizetype(serverName.size())));
    }
    const QSeqpacketAddress bindAddress = bindMode == 2
            ? QSeqpacketAddress::fromAbstractName(QByteArray(clientName.data(), qsizetype(clientName.size())))
            : QSeqpacketAddress();

    QSeqpacketServer server;
    if (!server.listen(serverAddress)) {
        if (!serverAddress.isValid()) {
            if (server.serverError() != QSeqpacketSocket::InvalidAddressError)
                failed("an invalid address was not refused with InvalidAddressError", serverAddress, QSeqpacketAddress());
            return 0;
        }
        if (server.serverError() == QSeqpacketSocket::AddressInUseError)
            return 0; // somebody else's name, or a file left in the directory
        std::fprintf(stderr, "fuzz_address_kernel: listen(%s) failed: %s\n", qPrintable(serverAddress.toString()),
                     qPrintable(server.errorString()));
        std::abort();
    }
    if (!serverAddress.isValid())
        failed("listen() accepted an invalid address", serverAddress, server.serverAddress());
    checkSame("serverAddress() is not the address listened on", serverAddress, server.serverAddress());

    QSeqpacketSocket client;
    if (bindMode == 0)
        client.connectToServer(server.serverAddress());
    else
        client.connectToServer(server.serverAddress(), bindAddress);
    if (client.state() != QSeqpacketSocket::ConnectedState) {
        if (!bindAddress.isValid()) {
            if (client.error() != QSeqpacketSocket::InvalidAddressError)
                failed("an invalid bind address was not refused with InvalidAddressError", bindAddress, QSeqpacketAddress());
            return 0;
        }
        if (client.error() == QSeqpacketSocket::AddressInUseError
            || (bindMode == 2 && bindAddress == serverAddress))
            return 0;
        std::fprintf(stderr, "fuzz_address_kernel: connect to %s (bind %s) failed: %s\n",
                     qPrintable(server.serverAddress().toString()), qPrintable(bindAddress.toString()),
                     qPrintable(client.errorString()));
        std::abort();
    }
    checkSame("the client's peerAddress() is not the server's address", serverAddress, client.peerAddress());
    const QSeqpacketAddress clientLocal = client.localAddress();
    if (bindMode == 2) {
        checkSame("the client's localAddress() is not the address it bound to", bindAddress, clientLocal);
    } else if (bindMode == 1) {
        // Autobind: the kernel picks five hex digits in the abstract namespace.
        if (clientLocal.kind() != QSeqpacketAddress::Abstract || clientLocal.abstractName().size() != 5)
            failed("autobind did not give a five-byte abstract name", QSeqpacketAddress(), clientLocal);
    } else if (clientLocal.kind() != QSeqpacketAddress::Unnamed) {
        failed("an unbound client has a local address", QSeqpacketAddress(), clientLocal);
    }

    if (!server.waitForNewConnection(5000)) {
        std::fprintf(stderr, "fuzz_address_kernel: no connection to accept: %s\n", qPrintable(server.errorString()));
        std::abort();
    }
    QSeqpacketSocket *accepted = server.nextPendingConnection();
    if (!accepted)
        std::abort();
    checkSame("the accepted socket's localAddress() is not the server's address", serverAddress, accepted->localAddress());
    checkSame("the accepted socket's peerAddress() is not the client's address", clientLocal, accepted->peerAddress());
    delete accepted;
    server.close();
    if (pathServer && ::access(serverAddress.nativePath().constData(), F_OK) == 0) {
        std::fprintf(stderr, "fuzz_address_kernel: close() left the socket file %s\n", qPrintable(serverAddress.toString()));
        std::abort();
    }
    return 0;
}
