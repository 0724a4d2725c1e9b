// SPDX-License-Identifier: MIT
// The channel group's QtDBus case (built where CMake finds Qt6DBus): request/reply round trips
// over a peer-to-peer D-Bus connection, no bus daemon. The peer process runs a QDBusServer and
// exports an object whose method Echo(a{sv}) returns its argument; this process connects with
// QDBusConnection::connectToPeer() and calls it with asyncCall(), the next call from the
// previous one's QDBusPendingCallWatcher::finished().
#include "channel.h"
#include "common.h"
#include "qtsupport.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qthread.h>
#include <QtDBus/qdbusconnection.h>
#include <QtDBus/qdbuserror.h>
#include <QtDBus/qdbusmessage.h>
#include <QtDBus/qdbuspendingcall.h>
#include <QtDBus/qdbuspendingreply.h>
#include <QtDBus/qdbusserver.h>

#include <functional>
#include <vector>

namespace bench {

namespace {

const QString EchoPath = QStringLiteral("/bench");
const QString EchoInterface = QStringLiteral("org.qseqpacket.Bench");
const QString EchoMethod = QStringLiteral("Echo");

class EchoObject : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.qseqpacket.Bench")
public Q_SLOTS:
    QVariantMap Echo(const QVariantMap &body) { return body; }
};

QDBusMessage echoCall(qint64 n)
{
    QDBusMessage call = QDBusMessage::createMethodCall(QString(), EchoPath, EchoInterface, EchoMethod);
    call << smallVariantBody(n);
    return call;
}

} // namespace

// dbus-echo: a QDBusServer whose connections export EchoObject at /bench; says its address
// with 'R', ends when the control socket closes.
int dbusEchoPeer(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QDBusServer server(QStringLiteral("unix:tmpdir=/tmp"));
    if (!server.isConnected())
        fail("dbus-echo: QDBusServer: " + server.lastError().message().toStdString());
    EchoObject echo;
    std::vector<QDBusConnection> connections;
    QObject::connect(&server, &QDBusServer::newConnection, &server, [&](const QDBusConnection &connection) {
        connections.push_back(connection);
        if (!connections.back().registerObject(EchoPath, &echo, QDBusConnection::ExportAllSlots))
            fail("dbus-echo: registerObject: " + connections.back().lastError().message().toStdString());
    });
    quitWhenControlCloses();
    sendControl(PeerControlFd, 'R', server.address().toStdString());
    const int status = app.exec();
    for (const QDBusConnection &connection : connections)
        QDBusConnection::disconnectFromPeer(connection.name());
    return status;
}

double dbusRoundTrip(long count)
{
    static int connections = 0;
    std::string address;
    Peer peer = spawnPeer({ "dbus-echo" }, -1, &address);
    const QString name = QStringLiteral("qseqpacket-bench-%1").arg(++connections);
    double elapsed = 0;
    {
        QDBusConnection connection = QDBusConnection::connectToPeer(QString::fromStdString(address), name);
        if (!connection.isConnected())
            fail("QDBusConnection::connectToPeer(" + address + "): " + connection.lastError().message().toStdString());
        // The peer registers the object when its server hears of the connection: wait for it
        // with blocking calls, untimed.
        for (int attempt = 0;; ++attempt) {
            const QDBusMessage reply = connection.call(echoCall(-1));
            if (reply.type() == QDBusMessage::ReplyMessage)
                break;
            if (attempt == 500)
                fail("QtDBus: the peer does not answer: " + reply.errorMessage().toStdString());
            QThread::msleep(10);
        }

        QEventLoop loop;
        long got = 0;
        std::function<void()> call = [&] {
            const qint64 n = got;
            auto *watcher = new QDBusPendingCallWatcher(connection.asyncCall(echoCall(n)), &loop);
            QObject::connect(watcher, &QDBusPendingCallWatcher::finished, &loop, [&, n, watcher] {
                const QDBusPendingReply<QVariantMap> reply = *watcher;
                watcher->deleteLater();
                if (reply.isError())
                    fail("QtDBus Echo: " + reply.error().message().toStdString());
                checkVariantBody(reply.value(), n, "QtDBus Echo");
                if (++got == count)
                    loop.quit();
                else
                    call();
            });
        };
        const Clock::time_point start = Clock::now();
        call();
        runLoop(loop, "round trip (QtDBus)");
        elapsed = secondsSince(start);
    }
    QDBusConnection::disconnectFromPeer(name);
    reapPeer(peer);
    return elapsed * 1e6 / double(count);
}

} // namespace bench

#include "dbus.moc"
