// SPDX-License-Identifier: MIT
// The channel group's Qt Remote Objects case (built where CMake finds Qt6RemoteObjects; Debian:
// qt6-remoteobjects-dev): request/reply round trips as slot calls with a return value. The peer
// process hosts a BenchEcho source (benchecho.rep) on a local: URL (QLocalServer); this process
// acquires the replica and calls echo(), the next call from the previous one's
// QRemoteObjectPendingCallWatcher::finished().
#include "channel.h"
#include "common.h"
#include "qtsupport.h"

#include "rep_benchecho_merged.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qurl.h>
#include <QtRemoteObjects/qremoteobjectnode.h>
#include <QtRemoteObjects/qremoteobjectpendingcall.h>

#include <functional>
#include <memory>
#include <unistd.h>

namespace bench {

namespace {

class Echo : public BenchEchoSimpleSource
{
public:
    QVariantMap echo(const QVariantMap &body) override { return body; }
};

QUrl hostUrl(const std::string &name)
{
    return QUrl(QStringLiteral("local:") + QString::fromStdString(name));
}

} // namespace

// ro-echo NAME: hosts Echo at local:NAME; ends when the control socket closes.
int remoteObjectsEchoPeer(int argc, char **argv)
{
    if (argc < 2)
        fail("ro-echo: needs a name");
    const std::string name = argv[1];
    QCoreApplication app(argc, argv);
    QRemoteObjectHost host(hostUrl(name));
    if (host.lastError() != QRemoteObjectNode::NoError)
        fail("ro-echo: QRemoteObjectHost: error " + std::to_string(int(host.lastError())));
    Echo echo;
    if (!host.enableRemoting(&echo))
        fail("ro-echo: enableRemoting");
    quitWhenControlCloses();
    sendControl(PeerControlFd, 'R');
    return app.exec();
}

double remoteObjectsRoundTrip(long count)
{
    static int hosts = 0;
    const std::string name = "qseqpacket-bench-ro-" + std::to_string(::getpid()) + "-" + std::to_string(++hosts);
    Peer peer = spawnPeer({ "ro-echo", name }, -1);
    double elapsed = 0;
    {
        QRemoteObjectNode node;
        if (!node.connectToNode(hostUrl(name)))
            fail("QRemoteObjectNode::connectToNode(local:" + name + ")");
        std::unique_ptr<BenchEchoReplica> replica(node.acquire<BenchEchoReplica>());
        if (!replica->waitForSource(30000))
            fail("Qt Remote Objects: the source did not appear");

        QEventLoop loop;
        long got = 0;
        std::function<void()> call = [&] {
            const qint64 n = got;
            auto *watcher = new QRemoteObjectPendingCallWatcher(replica->echo(smallVariantBody(n)), &loop);
            QObject::connect(watcher, &QRemoteObjectPendingCallWatcher::finished, &loop, [&, n, watcher] {
                watcher->deleteLater();
                if (watcher->error() != QRemoteObjectPendingCall::NoError)
                    fail("Qt Remote Objects echo: error " + std::to_string(int(watcher->error())));
                checkVariantBody(watcher->returnValue().toMap(), n, "Qt Remote Objects echo");
                if (++got == count)
                    loop.quit();
                else
                    call();
            });
        };
        const Clock::time_point start = Clock::now();
        call();
        runLoop(loop, "round trip (Qt Remote Objects)");
        elapsed = secondsSince(start);
    }
    reapPeer(peer);
    return elapsed * 1e6 / double(count);
}

} // namespace bench
