// SPDX-License-Identifier: MIT
// The Inspector in-process under -platform offscreen, with a scripted peer process (plain
// syscalls) that sends text, binary and packets with descriptors. Checks through the QML object
// tree (objectName lookups) that the log, the detail pane and the peer panel show them, drives the
// send box, and saves screenshots (inspector-light.png, inspector-dark.png, ...) in the build
// directory, checking that they are not blank.
#include "inspector.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtGui/qimage.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

#include <cmath>
#include <memory>
#include <set>

#include <pwd.h>
#include <unistd.h>

#include "openfds.h" // testsupport/

Q_IMPORT_QML_PLUGIN(QSeqpacketInspectorPlugin)

namespace {

QQuickItem *findItem(QQuickItem *item, const QString &name)
{
    if (!item)
        return nullptr;
    if (item->objectName() == name)
        return item;
    const QList<QQuickItem *> children = item->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = findItem(child, name))
            return found;
    }
    return nullptr;
}

QList<QQuickItem *> findItems(QQuickItem *item, const QString &name)
{
    QList<QQuickItem *> result;
    if (!item)
        return result;
    if (item->objectName() == name)
        result << item;
    const QList<QQuickItem *> children = item->childItems();
    for (QQuickItem *child : children)
        result << findItems(child, name);
    return result;
}

QString roleText(QAbstractItemModel *model, int row, const QByteArray &role)
{
    const QHash<int, QByteArray> roles = model->roleNames();
    return model->data(model->index(row, 0), roles.key(role)).toString();
}

QVariant roleValue(QAbstractItemModel *model, int row, const QByteArray &role)
{
    const QHash<int, QByteArray> roles = model->roleNames();
    return model->data(model->index(row, 0), roles.key(role));
}

/*! Luminance statistics of an image: variance and the number of distinct colours. */
struct ImageStats
{
    double mean = 0;
    double variance = 0;
    int colours = 0;
};

ImageStats imageStats(const QImage &image)
{
    ImageStats stats;
    std::set<QRgb> colours;
    double sum = 0, sum2 = 0;
    qint64 n = 0;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2) {
            const QRgb p = image.pixel(x, y);
            colours.insert(p);
            const double l = 0.2126 * qRed(p) + 0.7152 * qGreen(p) + 0.0722 * qBlue(p);
            sum += l;
            sum2 += l * l;
            ++n;
        }
    }
    stats.mean = sum / n;
    stats.variance = sum2 / n - stats.mean * stats.mean;
    stats.colours = int(colours.size());
    return stats;
}

} // namespace

class tst_Inspector : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void listenShowsPeerPackets_data();
    void listenShowsPeerPackets();
    void connectAndSend();
    void framesAreDecoded();
    void optionsAreChecked_data();
    void optionsAreChecked();
    void cleanup();

private:
    QQuickWindow *start(const InspectorOptions &options);
    QQuickItem *item(const QString &name);
    bool click(const QString &name);
    bool startPeer(const QStringList &arguments);
    void saveScreenshot(const QString &name, bool dark);

    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
    std::unique_ptr<QProcess> m_peer;
    QTemporaryDir m_dir;
};

void tst_Inspector::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("QT_QUICK_CONTROLS_STYLE", "Fusion");
}

void tst_Inspector::cleanup()
{
    if (m_peer) {
        if (m_peer->state() != QProcess::NotRunning) {
            m_peer->kill();
            m_peer->waitForFinished(5000);
        }
        m_peer.reset();
    }
    m_window = nullptr;
    m_engine.reset();
    Inspector::instance()->stopDemoPeers();
}

QQuickWindow *tst_Inspector::start(const InspectorOptions &options)
{
    m_engine = std::make_unique<QQmlApplicationEngine>();
    InspectorOptions withImports = options;
    withImports.importPaths << QStringLiteral(QSEQPACKET_INSPECTOR_BUILD_QML_DIR);
    m_window = loadInspector(m_engine.get(), withImports);
    if (!m_window)
        return nullptr;
    m_window->show();
    if (!QTest::qWaitForWindowExposed(m_window))
        return nullptr;
    return m_window;
}

QQuickItem *tst_Inspector::item(const QString &name)
{
    return m_window ? findItem(m_window->contentItem(), name) : nullptr;
}

bool tst_Inspector::click(const QString &name)
{
    QQuickItem *target = item(name);
    if (!target || !target->isVisible() || !target->isEnabled())
        return false;
    const QPointF centre = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
    QTest::mouseClick(m_window, Qt::LeftButton, Qt::NoModifier, centre.toPoint());
    return true;
}

bool tst_Inspector::startPeer(const QStringList &arguments)
{
    m_peer = std::make_unique<QProcess>();
    m_peer->setProgram(QStringLiteral(QSEQPACKET_QML_TEST_PEER));
    m_peer->setArguments(arguments);
    m_peer->start();
    if (!m_peer->waitForStarted(10000))
        return false;
    // Its first line says it connected or listens; the event loop keeps running meanwhile.
    QDeadlineTimer deadline(10000);
    while (!m_peer->canReadLine() && !deadline.hasExpired())
        QTest::qWait(10);
    if (!m_peer->canReadLine()) {
        qWarning() << "peer:" << m_peer->readAllStandardError();
        return false;
    }
    m_peer->readLine();
    return true;
}

void tst_Inspector::saveScreenshot(const QString &name, bool dark)
{
    QTest::qWait(100); // let the last changes render
    const QImage image = m_window->grabWindow();
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), QSize(1280, 800) * m_window->devicePixelRatio());
    const QString path = QStringLiteral(QSEQPACKET_INSPECTOR_TEST_ARTIFACTS) + QLatin1Char('/') + name;
    QVERIFY2(image.save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));

    // Not blank: real contrast and many colours (text, badges, panels).
    const ImageStats stats = imageStats(image.convertToFormat(QImage::Format_RGB32));
    QVERIFY2(stats.variance > 200, qPrintable(QStringLiteral("variance %1").arg(stats.variance)));
    QVERIFY2(stats.colours > 100, qPrintable(QStringLiteral("%1 colours").arg(stats.colours)));
    // The theme shows: a dark window is mostly dark, a light one mostly light.
    if (dark)
        QVERIFY2(stats.mean < 100, qPrintable(QStringLiteral("mean luminance %1").arg(stats.mean)));
    else
        QVERIFY2(stats.mean > 180, qPrintable(QStringLiteral("mean luminance %1").arg(stats.mean)));
}

void tst_Inspector::listenShowsPeerPackets_data()
{
    QTest::addColumn<QString>("theme");
    QTest::newRow("light") << QStringLiteral("light");
    QTest::newRow("dark") << QStringLiteral("dark");
}

void tst_Inspector::listenShowsPeerPackets()
{
    QFETCH(QString, theme);
    const QString address = QStringLiteral("@qseqpacket-inspector-test-%1-%2")
                                    .arg(QCoreApplication::applicationPid()).arg(theme);
    const QString file = m_dir.filePath(QStringLiteral("attached-%1.txt").arg(theme));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("a regular file sent by descriptor\n");
    }

    InspectorOptions options;
    options.mode = QStringLiteral("listen");
    options.address = address;
    options.theme = theme;
    options.selectEntry = 4; // --select 4: the memfd packet, once it has arrived
    QVERIFY(start(options));
    QCOMPARE(Inspector::instance()->isDark(), theme == QLatin1String("dark"));

    QQuickItem *state = item(QStringLiteral("stateLabel"));
    QVERIFY(state);
    QTRY_COMPARE(state->property("text").toString(), QStringLiteral("Listening · 0 peers"));

    const int descriptorsBefore = TestUtil::openFdCount();
    QVERIFY(startPeer({QStringLiteral("--connect"), address,
                       QStringLiteral("text:hello from the scripted peer"),
                       QStringLiteral("hex:00017f80fffe"),
                       QStringLiteral("memfd:descriptor content in a memfd"),
                       QStringLiteral("file:") + file,
                       QStringLiteral("wait-eof")}));

    QQuickItem *peers = item(QStringLiteral("peerList"));
    QVERIFY(peers);
    QTRY_COMPARE(peers->property("count").toInt(), 1);
    QTRY_COMPARE(state->property("text").toString(), QStringLiteral("Listening · 1 peer"));

    // The log: an event, then the four packets.
    QQuickItem *logView = item(QStringLiteral("packetLogView"));
    QVERIFY(logView);
    QTRY_COMPARE(logView->property("count").toInt(), 5);
    auto *model = logView->property("model").value<QAbstractItemModel *>();
    QVERIFY(model);
    QCOMPARE(roleText(model, 0, "kind"), QStringLiteral("event"));
    QVERIFY(roleText(model, 0, "preview").contains(QString::number(m_peer->processId())));
    QCOMPARE(roleText(model, 1, "kind"), QStringLiteral("in"));
    QCOMPARE(roleText(model, 1, "preview"), QStringLiteral("hello from the scripted peer"));
    QCOMPARE(roleValue(model, 1, "size").toLongLong(), 28);
    QCOMPARE(roleValue(model, 1, "descriptorCount").toInt(), 0);
    QCOMPARE(roleText(model, 2, "preview"), QStringLiteral("00 01 7f 80 ff fe"));
    QCOMPARE(roleValue(model, 2, "isText").toBool(), false);
    QCOMPARE(roleText(model, 3, "preview"), QStringLiteral("memfd"));
    QCOMPARE(roleValue(model, 3, "descriptorCount").toInt(), 1);
    QCOMPARE(roleText(model, 4, "preview"), QStringLiteral("file"));
    QCOMPARE(roleValue(model, 4, "descriptorCount").toInt(), 1);

    // ... and what the rows show.
    QTRY_VERIFY(item(QStringLiteral("logRow_4")));
    QQuickItem *row1 = item(QStringLiteral("logRow_1"));
    QVERIFY(row1);
    QCOMPARE(findItem(row1, QStringLiteral("previewCell"))->property("text").toString(),
             QStringLiteral("hello from the scripted peer"));
    QCOMPARE(findItem(row1, QStringLiteral("sizeCell"))->property("text").toString(), QStringLiteral("28 B"));
    QQuickItem *row3 = item(QStringLiteral("logRow_3"));
    QQuickItem *fdBadge = findItem(row3, QStringLiteral("descriptorBadge"));
    QVERIFY(fdBadge && fdBadge->isVisible());
    QCOMPARE(fdBadge->property("text").toString(), QStringLiteral("1 fd"));

    // The peer panel: credentials with names, the executable, the security context.
    QCOMPARE(item(QStringLiteral("peerPid"))->property("text").toString(), QString::number(m_peer->processId()));
    const QString user = item(QStringLiteral("peerUser"))->property("text").toString();
    QVERIFY2(user.startsWith(QString::number(::geteuid())), qPrintable(user));
    if (const passwd *pw = ::getpwuid(::geteuid()))
        QVERIFY2(user.contains(QString::fromLocal8Bit(pw->pw_name)), qPrintable(user));
    QVERIFY(item(QStringLiteral("peerGroup"))->property("text").toString().startsWith(QString::number(::getegid())));
    QVERIFY(item(QStringLiteral("peerExecutable"))->property("text").toString().endsWith(
            QStringLiteral("qseqpacket_qml_test_peer")));
    QVERIFY(!item(QStringLiteral("peerSecurityContext"))->property("text").toString().isEmpty());
    QCOMPARE(item(QStringLiteral("peerLocalAddress"))->property("text").toString(), address);

    // --select 4 selected the memfd packet as it arrived: the hex dump and the descriptor.
    QTRY_COMPARE(logView->property("currentIndex").toInt(), 3);
    QQuickItem *dump = item(QStringLiteral("hexDumpText"));
    QVERIFY(dump);
    QTRY_VERIFY(dump->property("text").toString().startsWith(QStringLiteral("00000000  6d 65 6d 66 64")));
    QVERIFY(dump->property("text").toString().contains(QStringLiteral("|memfd|")));
    QQuickItem *descriptors = item(QStringLiteral("descriptorList"));
    QVERIFY(descriptors);
    QTRY_COMPARE(descriptors->property("count").toInt(), 1);
    QTRY_VERIFY(item(QStringLiteral("descriptorTarget")));
    QVERIFY(item(QStringLiteral("descriptorTarget"))->property("text").toString().startsWith(QStringLiteral("/memfd:qml-test-peer")));
    QCOMPARE(item(QStringLiteral("descriptorType"))->property("text").toString(), QStringLiteral("memfd"));
    QCOMPARE(item(QStringLiteral("descriptorSize"))->property("text").toString(), QStringLiteral("29 bytes"));
    QCOMPARE(item(QStringLiteral("descriptorFirstBytes"))->property("text").toString(),
             QStringLiteral("descriptor content in a memfd"));

    // The regular file's descriptor.
    QVERIFY(logView->setProperty("currentIndex", 4));
    QTRY_VERIFY(item(QStringLiteral("descriptorTarget"))
                && item(QStringLiteral("descriptorTarget"))->property("text").toString() == file);
    QCOMPARE(item(QStringLiteral("descriptorType"))->property("text").toString(), QStringLiteral("regular"));
    QVERIFY(item(QStringLiteral("descriptorFirstBytes"))->property("text").toString().startsWith(
            QStringLiteral("a regular file sent by descriptor")));

    // Filter: text, then direction.
    QQuickItem *filter = item(QStringLiteral("logFilterField"));
    QVERIFY(filter);
    filter->setProperty("text", QStringLiteral("scripted"));
    QTRY_COMPARE(logView->property("count").toInt(), 1);
    filter->setProperty("text", QStringLiteral("7f80"));  // hex matches too
    QTRY_COMPARE(logView->property("count").toInt(), 1);
    filter->setProperty("text", QString());
    QTRY_COMPARE(logView->property("count").toInt(), 5);
    QVERIFY(click(QStringLiteral("directionOut")));
    QTRY_COMPARE(logView->property("count").toInt(), 1);   // only the event row stays
    QVERIFY(click(QStringLiteral("directionAll")));
    QTRY_COMPARE(logView->property("count").toInt(), 5);

    // Select the memfd packet again for the screenshot.
    QVERIFY(logView->setProperty("currentIndex", 3));
    saveScreenshot(QStringLiteral("inspector-%1.png").arg(theme), theme == QLatin1String("dark"));

    // Pause: what we send now waits, and shows on resume.
    QVERIFY(click(QStringLiteral("pauseButton")));
    QQuickItem *input = item(QStringLiteral("sendTextField"));
    QVERIFY(input && input->isEnabled());
    input->setProperty("text", QStringLiteral("reply from the inspector"));
    QVERIFY(click(QStringLiteral("sendButton")));
    QTest::qWait(50);
    QCOMPARE(logView->property("count").toInt(), 5);
    QTRY_VERIFY(item(QStringLiteral("pauseButton"))->property("text").toString().contains(QStringLiteral("1 new")));
    QVERIFY(click(QStringLiteral("pauseButton")));
    QTRY_COMPARE(logView->property("count").toInt(), 6);
    QCOMPARE(roleText(model, 5, "kind"), QStringLiteral("out"));
    QCOMPARE(roleText(model, 5, "preview"), QStringLiteral("reply from the inspector"));

    // The peer goes: its log stays, marked ended.
    m_peer->closeWriteChannel();
    m_peer->kill();
    QTRY_COMPARE(state->property("text").toString(), QStringLiteral("Listening · 0 peers"));
    QCOMPARE(peers->property("count").toInt(), 1);
    QTRY_COMPARE(logView->property("count").toInt(), 7);
    QCOMPARE(roleText(model, 6, "preview"), QStringLiteral("disconnected"));

    // Nothing is left open: the received memfd and file were closed once described, the
    // connection with the peer is gone (and so is the peer process with its pipes).
    QTRY_COMPARE(m_peer->state(), QProcess::NotRunning);
    QTRY_COMPARE(TestUtil::openFdCount(), descriptorsBefore);
}

void tst_Inspector::optionsAreChecked_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("error"); // empty: accepted
    QTest::newRow("listen") << QStringList{"--listen", "@x"} << QString();
    QTest::newRow("select") << QStringList{"--demo", "--select", "5"} << QString();
    QTest::newRow("select 0") << QStringList{"--demo", "--select", "0"} << QStringLiteral("--select takes a whole number of at least 1");
    QTest::newRow("mistyped delay") << QStringList{"--screenshot-delay", "4s"} << QStringLiteral("--screenshot-delay takes a whole number");
    QTest::newRow("negative quit") << QStringList{"--quit-after", "-1"} << QStringLiteral("--quit-after takes a whole number of at least 0");
    QTest::newRow("both") << QStringList{"--listen", "@a", "--connect", "@b"} << QStringLiteral("--listen and --connect exclude each other");
    QTest::newRow("demo connect") << QStringList{"--demo", "--connect", "@b"} << QStringLiteral("--demo listens");
    QTest::newRow("theme") << QStringList{"--theme", "blue"} << QStringLiteral("--theme is auto, light or dark, not blue");
}

void tst_Inspector::optionsAreChecked()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, error);
    InspectorOptions options;
    QString message;
    const bool ok = parseInspectorOptions(QStringList{QStringLiteral("qseqpacket-inspector")} + arguments, &options, &message);
    QCOMPARE(ok, error.isEmpty());
    QVERIFY2(message.startsWith(error), qPrintable(message));
    if (ok && arguments.contains(QStringLiteral("--select")))
        QCOMPARE(options.selectEntry, 5);
}

void tst_Inspector::connectAndSend()
{
    const QString address = QStringLiteral("@qseqpacket-inspector-connect-%1").arg(QCoreApplication::applicationPid());
    const QString file = m_dir.filePath(QStringLiteral("sent.txt"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("content of the attached file");
    }
    QVERIFY(startPeer({QStringLiteral("--listen"), address, QStringLiteral("echo:3"), QStringLiteral("wait-eof")}));

    InspectorOptions options;
    options.mode = QStringLiteral("connect");
    options.address = address;
    options.theme = QStringLiteral("light");
    QVERIFY(start(options));
    QQuickItem *state = item(QStringLiteral("stateLabel"));
    QTRY_COMPARE(state->property("text").toString(), QStringLiteral("Connected"));
    QCOMPARE(item(QStringLiteral("peerPid"))->property("text").toString(), QString::number(m_peer->processId()));
    QCOMPARE(item(QStringLiteral("peerPeerAddress"))->property("text").toString(), address);

    QQuickItem *logView = item(QStringLiteral("packetLogView"));
    auto *model = logView->property("model").value<QAbstractItemModel *>();
    QVERIFY(model);
    QTRY_COMPARE(logView->property("count").toInt(), 1); // "connected"
    QCOMPARE(roleText(model, 0, "kind"), QStringLiteral("event"));

    // Text.
    QQuickItem *input = item(QStringLiteral("sendTextField"));
    input->setProperty("text", QStringLiteral("ping from the inspector"));
    QVERIFY(click(QStringLiteral("sendButton")));
    QTRY_COMPARE(logView->property("count").toInt(), 3);
    QCOMPARE(roleText(model, 1, "kind"), QStringLiteral("out"));
    QCOMPARE(roleText(model, 2, "kind"), QStringLiteral("in"));
    QVERIFY2(roleText(model, 2, "preview").contains(QStringLiteral("\"size\":23")), qPrintable(roleText(model, 2, "preview")));

    // Hex; an invalid hex text cannot be sent.
    QVERIFY(click(QStringLiteral("sendKindHex")));
    input->setProperty("text", QStringLiteral("de ad be"));
    QTRY_VERIFY(item(QStringLiteral("sendButton"))->isEnabled());
    input->setProperty("text", QStringLiteral("de ad b"));
    QTRY_VERIFY(!item(QStringLiteral("sendButton"))->isEnabled());
    input->setProperty("text", QStringLiteral("de ad be ef"));
    QTRY_VERIFY(item(QStringLiteral("sendButton"))->isEnabled());
    QVERIFY(click(QStringLiteral("sendButton")));
    QTRY_COMPARE(logView->property("count").toInt(), 5);
    QCOMPARE(roleText(model, 3, "preview"), QStringLiteral("de ad be ef"));
    QVERIFY(roleText(model, 4, "preview").contains(QStringLiteral("\"hex\":\"deadbeef\"")));

    // Attach a file: its descriptor goes with the packet and the peer reads it.
    // "Attach file…" opens a file dialog (Qt Quick Dialogs' own where the platform has none).
    QObject *dialog = m_window->findChild<QObject *>(QStringLiteral("fileDialog"));
    QVERIFY(dialog);
    QVERIFY(click(QStringLiteral("attachButton")));
    QTRY_VERIFY(dialog->property("visible").toBool());
    QTest::qWait(300);
    m_window->grabWindow().save(QStringLiteral(QSEQPACKET_INSPECTOR_TEST_ARTIFACTS "/inspector-filedialog.png"));
    QVERIFY(QMetaObject::invokeMethod(dialog, "reject"));
    QTRY_VERIFY(!dialog->property("visible").toBool());

    QQuickItem *box = item(QStringLiteral("sendBox"));
    QVERIFY(box && box->setProperty("attachment", file));
    QTRY_COMPARE(item(QStringLiteral("sendButton"))->property("text").toString(), QStringLiteral("Send with fd"));
    input->setProperty("text", QStringLiteral("66 69 6c 65"));
    QVERIFY(click(QStringLiteral("sendButton")));
    QTRY_COMPARE(logView->property("count").toInt(), 7);
    QCOMPARE(roleValue(model, 5, "descriptorCount").toInt(), 1);
    const QString reply = roleText(model, 6, "preview");
    QVERIFY2(reply.contains(QStringLiteral("\"fds\":1")), qPrintable(reply));
    QVERIFY2(reply.contains(QString::fromLatin1(QByteArray("content of the attached file").toHex())), qPrintable(reply));

    QVERIFY(logView->setProperty("currentIndex", 5));
    QTRY_VERIFY(item(QStringLiteral("descriptorTarget"))
                && item(QStringLiteral("descriptorTarget"))->property("text").toString() == file);
    saveScreenshot(QStringLiteral("inspector-connect.png"), false);

    // Stop: the connection ends, the peer sees end-of-file and exits.
    QVERIFY(click(QStringLiteral("startButton")));
    QTRY_COMPARE(state->property("text").toString(), QStringLiteral("Not connected"));
    QTRY_COMPARE(m_peer->state(), QProcess::NotRunning);
    QCOMPARE(m_peer->exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_peer->exitCode(), 0);
}

void tst_Inspector::framesAreDecoded()
{
    // A peer that speaks the message protocol by hand (the scripted peer knows no CBOR: the
    // frames are written in hex), and a reply sent from the Inspector's send box.
    const QString address = QStringLiteral("@qseqpacket-inspector-frames-%1").arg(QCoreApplication::applicationPid());
    InspectorOptions options;
    options.mode = QStringLiteral("listen");
    options.address = address;
    options.theme = QStringLiteral("light");
    QVERIFY(start(options));
    QTRY_COMPARE(item(QStringLiteral("stateLabel"))->property("text").toString(), QStringLiteral("Listening · 0 peers"));

    const int descriptorsBefore = TestUtil::openFdCount();
    QVERIFY(startPeer({QStringLiteral("--connect"), address,
                       QStringLiteral("hex:84010763616464820203"),         // [1, 7, "add", [2, 3]]
                       QStringLiteral("hex:840000636c6f67626869"),         // [0, 0, "log", "hi"]
                       QStringLiteral("hex:83010203"),                     // an array of three: not a frame
                       // [0, 0, "big", "spilled body"] in a sealed memfd
                       QStringLiteral("spilled:840000636269676c") + QString::fromLatin1(QByteArray("spilled body").toHex()),
                       QStringLiteral("hex:84010864736c6f77f6"),           // [1, 8, "slow", null]
                       QStringLiteral("text:plain text"),
                       QStringLiteral("wait-eof")}));

    QQuickItem *logView = item(QStringLiteral("packetLogView"));
    QVERIFY(logView);
    QTRY_COMPARE(logView->property("count").toInt(), 7);
    auto *model = logView->property("model").value<QAbstractItemModel *>();
    QCOMPARE(roleText(model, 1, "frameType"), QStringLiteral("request"));
    QCOMPARE(roleText(model, 1, "preview"), QStringLiteral("request #7 add [2, 3]"));
    QCOMPARE(roleText(model, 1, "frameText"), QStringLiteral("#7 add [2, 3]"));
    QCOMPARE(roleText(model, 2, "preview"), QStringLiteral("message log \"hi\""));
    QCOMPARE(roleText(model, 3, "frameType"), QStringLiteral("invalid"));
    QCOMPARE(roleText(model, 3, "preview"), QStringLiteral("83 01 02 03"));
    QCOMPARE(roleText(model, 4, "preview"), QStringLiteral("message big \"spilled body\""));
    QCOMPARE(roleValue(model, 4, "descriptorCount").toInt(), 1);
    QCOMPARE(roleText(model, 5, "preview"), QStringLiteral("request #8 slow null"));
    QCOMPARE(roleText(model, 6, "frameType"), QString());
    QCOMPARE(roleText(model, 6, "preview"), QStringLiteral("plain text"));

    // The rows: the type as a badge, then the frame; a request without a reply says so.
    QTRY_VERIFY(item(QStringLiteral("logRow_6")));
    QQuickItem *requestRow = item(QStringLiteral("logRow_1"));
    QCOMPARE(findItem(requestRow, QStringLiteral("frameTypeBadge"))->property("text").toString(), QStringLiteral("request"));
    QCOMPARE(findItem(requestRow, QStringLiteral("previewCell"))->property("text").toString(), QStringLiteral("#7 add [2, 3]"));
    QCOMPARE(findItem(requestRow, QStringLiteral("answerCell"))->property("text").toString(), QStringLiteral("no reply yet"));
    QCOMPARE(findItem(item(QStringLiteral("logRow_3")), QStringLiteral("frameTypeBadge"))->property("text").toString(),
             QStringLiteral("not a frame"));
    QVERIFY(!findItem(item(QStringLiteral("logRow_6")), QStringLiteral("frameTypeBadge"))->isVisible());

    // Answer request 7 by hand: [2, 7, "", 5]. The reply names the request, the request its reply.
    QVERIFY(click(QStringLiteral("sendKindHex")));
    QQuickItem *input = item(QStringLiteral("sendTextField"));
    input->setProperty("text", QStringLiteral("84 02 07 60 05"));
    QTRY_VERIFY(item(QStringLiteral("sendButton"))->isEnabled());
    QVERIFY(click(QStringLiteral("sendButton")));
    QTRY_COMPARE(logView->property("count").toInt(), 8);
    QCOMPARE(roleText(model, 7, "kind"), QStringLiteral("out"));
    QCOMPARE(roleText(model, 7, "preview"), QStringLiteral("reply #7 5"));
    QCOMPARE(roleValue(model, 7, "answers").toInt(), 2);
    QTRY_COMPARE(roleValue(model, 1, "answeredBy").toInt(), 8);
    QVERIFY(roleValue(model, 1, "answerDelay").toInt() >= 0);
    QCOMPARE(roleValue(model, 5, "answeredBy").toInt(), 0);   // request 8 still waits
    QTRY_VERIFY(findItem(requestRow, QStringLiteral("answerCell"))->property("text").toString().startsWith(QStringLiteral("↪ #8 · ")));
    QTRY_VERIFY(item(QStringLiteral("logRow_7")));
    QCOMPARE(findItem(item(QStringLiteral("logRow_7")), QStringLiteral("answerCell"))->property("text").toString(),
             QStringLiteral("↩ #2"));

    // The details: the spilled frame, read from its memfd, and the memfd's card says what it holds.
    QVERIFY(logView->setProperty("currentIndex", 4));
    QTRY_VERIFY(item(QStringLiteral("frameBlock")) && item(QStringLiteral("frameBlock"))->isVisible());
    QCOMPARE(item(QStringLiteral("frameType"))->property("text").toString(), QStringLiteral("message"));
    QCOMPARE(item(QStringLiteral("frameName"))->property("text").toString(), QStringLiteral("big"));
    QCOMPARE(item(QStringLiteral("frameBody"))->property("text").toString(), QStringLiteral("\"spilled body\""));
    QVERIFY(item(QStringLiteral("frameSpilled"))->isVisible());
    QVERIFY(item(QStringLiteral("frameSpilled"))->property("text").toString().contains(QStringLiteral("memfd")));
    QTRY_VERIFY(item(QStringLiteral("descriptorNote")));
    QVERIFY2(item(QStringLiteral("descriptorNote"))->property("text").toString().contains(QStringLiteral("message big")),
             qPrintable(item(QStringLiteral("descriptorNote"))->property("text").toString()));
    QCOMPARE(item(QStringLiteral("descriptorType"))->property("text").toString(), QStringLiteral("memfd"));

    // Not a frame: why.
    QVERIFY(logView->setProperty("currentIndex", 3));
    QTRY_VERIFY(item(QStringLiteral("frameError"))->isVisible());
    QVERIFY(item(QStringLiteral("frameError"))->property("text").toString().contains(QStringLiteral("3 items")));
    // Plain text has no frame block.
    QVERIFY(logView->setProperty("currentIndex", 6));
    QTRY_VERIFY(!item(QStringLiteral("frameBlock"))->isVisible());

    // The request, then to its reply and back through the links.
    QVERIFY(logView->setProperty("currentIndex", 1));
    QTRY_COMPARE(item(QStringLiteral("frameLink"))->property("text").toString().left(18), QStringLiteral("answered by #8 aft"));
    QCOMPARE(item(QStringLiteral("frameId"))->property("text").toString(), QStringLiteral("#7"));
    QCOMPARE(item(QStringLiteral("frameBody"))->property("text").toString(), QStringLiteral("[2, 3]"));
    saveScreenshot(QStringLiteral("inspector-frames.png"), false);
    QVERIFY(click(QStringLiteral("frameLink")));
    QTRY_COMPARE(logView->property("currentIndex").toInt(), 7);
    QTRY_COMPARE(item(QStringLiteral("frameLink"))->property("text").toString(), QStringLiteral("answers request #2"));
    QVERIFY(click(QStringLiteral("frameLink")));
    QTRY_COMPARE(logView->property("currentIndex").toInt(), 1);
    // The request that got no reply says so.
    QVERIFY(logView->setProperty("currentIndex", 5));
    QTRY_COMPARE(item(QStringLiteral("frameLink"))->property("text").toString(), QStringLiteral("no reply yet"));

    // The filter finds frames by what they say.
    QQuickItem *filter = item(QStringLiteral("logFilterField"));
    filter->setProperty("text", QStringLiteral("spilled body"));
    QTRY_COMPARE(logView->property("count").toInt(), 1);
    filter->setProperty("text", QString());
    QTRY_COMPARE(logView->property("count").toInt(), 8);

    m_peer->closeWriteChannel();
    m_peer->kill();
    QTRY_COMPARE(m_peer->state(), QProcess::NotRunning);
    QTRY_COMPARE(TestUtil::openFdCount(), descriptorsBefore);
}

int main(int argc, char *argv[])
{
    // Headless by default; -platform on the command line still wins.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    prepareInspectorApplication();
    QGuiApplication app(argc, argv);
    tst_Inspector test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_inspector.moc"
