// SPDX-License-Identifier: MIT
#include "inspector.h"

#include <qseqpacketglobal.h>

#include "seqpackethex.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtGui/qfontdatabase.h>
#include <QtGui/qguiapplication.h>
#include <QtGui/qpalette.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>
#include <QtQuickControls2/qquickstyle.h>

#include <cstdio>

#ifndef QSEQPACKET_INSPECTOR_BUILD_DIR
#  define QSEQPACKET_INSPECTOR_BUILD_DIR ""
#endif
#ifndef QSEQPACKET_INSPECTOR_BUILD_QML_DIR
#  define QSEQPACKET_INSPECTOR_BUILD_QML_DIR ""
#endif
#ifndef QSEQPACKET_INSPECTOR_BIN_TO_QML
#  define QSEQPACKET_INSPECTOR_BIN_TO_QML "../lib/qt6/qml"
#endif

namespace {
Inspector *theInstance = nullptr;
}

Inspector::Inspector(QObject *parent)
    : QObject(parent)
{
    if (qApp)
        qApp->installEventFilter(this);
    updateSystemTheme();
}

Inspector::~Inspector()
{
    stopDemoPeers();
    if (theInstance == this)
        theInstance = nullptr;
}

Inspector *Inspector::instance()
{
    if (!theInstance) {
        theInstance = new Inspector(qApp);
        QQmlEngine::setObjectOwnership(theInstance, QQmlEngine::CppOwnership);
    }
    return theInstance;
}

Inspector *Inspector::create(QQmlEngine *, QJSEngine *)
{
    return instance();
}

void Inspector::setOptions(const InspectorOptions &options)
{
    m_options = options;
    setThemeMode(options.theme);
}

bool Inspector::isDark() const
{
    if (m_themeMode == QLatin1String("dark"))
        return true;
    if (m_themeMode == QLatin1String("light"))
        return false;
    return m_systemDark;
}

void Inspector::setThemeMode(const QString &mode)
{
    const QString m = (mode == QLatin1String("dark") || mode == QLatin1String("light")) ? mode
                                                                                    : QStringLiteral("auto");
    if (m_themeMode == m)
        return;
    m_themeMode = m;
    emit darkChanged();
}

void Inspector::updateSystemTheme()
{
    bool dark = false;
    // Qt 6.4 has no QStyleHints::colorScheme(): the platform theme's palette tells (GTK, KDE and
    // others set a dark window colour for a dark theme).
    if (qGuiApp) {
        const QColor window = QGuiApplication::palette().color(QPalette::Window);
        dark = window.lightness() < 128;
    }
    const QByteArray gtkTheme = qgetenv("GTK_THEME").toLower();
    if (gtkTheme.endsWith(":dark") || gtkTheme.endsWith("-dark"))
        dark = true;
    // GNOME's preference, where the palette does not carry it (no platform theme plugin).
    if (!dark && qGuiApp && QGuiApplication::platformName() != QLatin1String("offscreen")
        && QGuiApplication::platformName() != QLatin1String("minimal")) {
        if (!m_askedDesktop) {
            m_askedDesktop = true;
            const QString gsettings = QStandardPaths::findExecutable(QStringLiteral("gsettings"));
            if (!gsettings.isEmpty()) {
                QProcess process;
                process.start(gsettings, {QStringLiteral("get"), QStringLiteral("org.gnome.desktop.interface"),
                                          QStringLiteral("color-scheme")});
                if (process.waitForFinished(1000))
                    m_desktopDark = process.readAllStandardOutput().contains("dark");
                else
                    process.kill();
            }
        }
        dark = m_desktopDark;
    }
    if (dark != m_systemDark) {
        m_systemDark = dark;
        emit darkChanged();
    }
}

bool Inspector::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == qApp && event->type() == QEvent::ApplicationPaletteChange)
        updateSystemTheme();
    return QObject::eventFilter(watched, event);
}

QString Inspector::defaultAddress() const
{
    return QStringLiteral("@qseqpacket-inspector");
}

QString Inspector::monospaceFamily() const
{
    const QStringList families = QFontDatabase::families();
    for (const char *candidate : {"DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono"}) {
        if (families.contains(QLatin1String(candidate)))
            return QLatin1String(candidate);
    }
    return QFontDatabase::systemFont(QFontDatabase::FixedFont).family();
}

QString Inspector::version() const
{
    return QStringLiteral(QSEQPACKET_VERSION_STR);
}

QString Inspector::hexDump(const QByteArray &data, int maxBytes)
{
    const qsizetype n = maxBytes >= 0 ? qMin<qsizetype>(data.size(), maxBytes) : data.size();
    static const char digits[] = "0123456789abcdef";
    QString out;
    out.reserve((n / 16 + 2) * 80);
    for (qsizetype line = 0; line < n; line += 16) {
        out += QStringLiteral("%1  ").arg(line, 8, 16, QLatin1Char('0'));
        for (int i = 0; i < 16; ++i) {
            if (i == 8)
                out += QLatin1Char(' ');
            if (line + i < n) {
                const uchar b = uchar(data.at(line + i));
                out += QLatin1Char(digits[b >> 4]);
                out += QLatin1Char(digits[b & 0xf]);
                out += QLatin1Char(' ');
            } else {
                out += QLatin1String("   ");
            }
        }
        out += QLatin1String(" |");
        for (int i = 0; i < 16 && line + i < n; ++i) {
            const uchar b = uchar(data.at(line + i));
            out += (b >= 0x20 && b < 0x7f) ? QLatin1Char(char(b)) : QLatin1Char('.');
        }
        out += QLatin1String("|\n");
    }
    if (n < data.size())
        out += QStringLiteral("… %1 more bytes not shown\n").arg(data.size() - n);
    if (out.endsWith(QLatin1Char('\n')))
        out.chop(1);
    return out;
}

bool Inspector::isValidHex(const QString &text)
{
    return SeqpacketHex::parse(text, nullptr);
}

QVariant Inspector::hexToBytes(const QString &text)
{
    QByteArray bytes;
    if (!SeqpacketHex::parse(text, &bytes))
        return {};
    if (bytes.isNull())
        bytes = QByteArray("");
    return QVariant(bytes);
}

QString Inspector::formatBytes(double bytes)
{
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(qRound64(bytes));
    const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
    int unit = -1;
    while (bytes >= 1024 && unit < 3) {
        bytes /= 1024;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(bytes, 0, 'f', bytes < 10 ? 1 : 0).arg(QLatin1String(units[unit]));
}

QString Inspector::formatCount(double count)
{
    if (count < 1000)
        return count < 10 && count != qRound(count) ? QString::number(count, 'f', 1)
                                                    : QString::number(qRound64(count));
    if (count < 1e6)
        return QStringLiteral("%1k").arg(count / 1e3, 0, 'f', count < 1e4 ? 1 : 0);
    return QStringLiteral("%1M").arg(count / 1e6, 0, 'f', 1);
}

QString Inspector::localPath(const QVariant &pathOrUrl)
{
    if (pathOrUrl.metaType().id() == QMetaType::QUrl)
        return pathOrUrl.toUrl().toLocalFile();
    const QString s = pathOrUrl.toString();
    if (s.startsWith(QLatin1String("file:")))
        return QUrl(s).toLocalFile();
    return s;
}

QString Inspector::fileName(const QString &path)
{
    return QFileInfo(path).fileName();
}

void Inspector::startDemoPeers(const QString &address)
{
    if (!m_options.demo || !m_demoPeers.isEmpty())
        return;
    QString program = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("qseqpacket-demo-peer"));
    if (!QFileInfo(program).isExecutable())
        program = QStandardPaths::findExecutable(QStringLiteral("qseqpacket-demo-peer"));
    if (program.isEmpty()) {
        std::fprintf(stderr, "qseqpacket-inspector: --demo: qseqpacket-demo-peer is neither next to me nor in PATH\n");
        return;
    }
    // The channel peer first: it is the first connection, whose entries --select picks (its
    // frames, a spilled one with its memfd among them); the others a moment later.
    const QList<QStringList> peers = {
        {QStringLiteral("--connect"), address, QStringLiteral("--name"), QStringLiteral("channel"),
         QStringLiteral("--interval"), QStringLiteral("600"), QStringLiteral("--channel")},
        {QStringLiteral("--connect"), address, QStringLiteral("--name"), QStringLiteral("sensor"),
         QStringLiteral("--interval"), QStringLiteral("700")},
        {QStringLiteral("--connect"), address, QStringLiteral("--name"), QStringLiteral("reporter"),
         QStringLiteral("--interval"), QStringLiteral("1500")},
    };
    int delay = 0;
    for (const QStringList &arguments : peers) {
        auto *process = new QProcess(this);
        process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process->setStandardOutputFile(QProcess::nullDevice());
        m_demoPeers.append(process);
        QTimer::singleShot(delay, process, [process, program, arguments] { process->start(program, arguments); });
        delay = 300;
    }
    emit demoPeersChanged();
}

void Inspector::stopDemoPeers()
{
    for (QProcess *process : std::as_const(m_demoPeers)) {
        process->terminate();
        if (!process->waitForFinished(2000)) {
            process->kill();
            process->waitForFinished(2000);
        }
        delete process;
    }
    const bool had = !m_demoPeers.isEmpty();
    m_demoPeers.clear();
    if (had)
        emit demoPeersChanged();
}

bool parseInspectorOptions(const QStringList &arguments, InspectorOptions *options, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Watch and poke at AF_UNIX SOCK_SEQPACKET sockets: listen on or connect to an address "
            "(\"/path\" or \"@abstract\"), see every packet and descriptor, send your own."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("Listen on <address>."),
                                    QStringLiteral("address"));
    const QCommandLineOption connect(QStringLiteral("connect"), QStringLiteral("Connect to <address>."),
                                     QStringLiteral("address"));
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QStringLiteral("Listen (on --listen's address or a fresh abstract name) and "
                                                 "start three demo peers that send text, binary, memfds and channel frames."));
    const QCommandLineOption theme(QStringLiteral("theme"),
                                   QStringLiteral("auto (follow the system), light or dark."),
                                   QStringLiteral("theme"), QStringLiteral("auto"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a PNG of the window to <file> after --screenshot-delay ms, then quit."),
                                        QStringLiteral("file"));
    const QCommandLineOption screenshotDelay(QStringLiteral("screenshot-delay"),
                                             QStringLiteral("Milliseconds before --screenshot (default 2500)."),
                                             QStringLiteral("ms"), QStringLiteral("2500"));
    const QCommandLineOption quitAfter(QStringLiteral("quit-after"), QStringLiteral("Quit after <ms> milliseconds."),
                                       QStringLiteral("ms"));
    const QCommandLineOption select(QStringLiteral("select"),
                                    QStringLiteral("Select log entry <n> (the # column) of the first connection once it "
                                                   "has arrived, e.g. for a --screenshot that shows a packet's details."),
                                    QStringLiteral("n"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size (default 1280x800)."),
                                  QStringLiteral("WxH"), QStringLiteral("1280x800"));
    parser.addOptions({listen, connect, demo, theme, screenshot, screenshotDelay, quitAfter, select, size});
    parser.process(arguments); // exits for --help and --version

    if (parser.isSet(listen) && parser.isSet(connect)) {
        *error = QStringLiteral("--listen and --connect exclude each other");
        return false;
    }
    options->demo = parser.isSet(demo);
    if (parser.isSet(listen)) {
        options->mode = QStringLiteral("listen");
        options->address = parser.value(listen);
    } else if (parser.isSet(connect)) {
        if (options->demo) {
            *error = QStringLiteral("--demo listens; it does not go with --connect");
            return false;
        }
        options->mode = QStringLiteral("connect");
        options->address = parser.value(connect);
    } else if (options->demo) {
        options->mode = QStringLiteral("listen");
        options->address = QStringLiteral("@qseqpacket-inspector-demo-%1").arg(QCoreApplication::applicationPid());
    }
    const QString t = parser.value(theme);
    if (t != QLatin1String("auto") && t != QLatin1String("light") && t != QLatin1String("dark")) {
        *error = QStringLiteral("--theme is auto, light or dark, not %1").arg(t);
        return false;
    }
    options->theme = t;
    options->screenshot = parser.value(screenshot);
    // A number the user mistyped must not silently become 0.
    auto number = [&](const QCommandLineOption &option, int minimum, int *value) {
        bool ok = false;
        const int n = parser.value(option).toInt(&ok);
        if (!ok || n < minimum) {
            *error = QStringLiteral("--%1 takes a whole number of at least %2, not \"%3\"")
                             .arg(option.names().constFirst()).arg(minimum).arg(parser.value(option));
            return false;
        }
        *value = n;
        return true;
    };
    if (!number(screenshotDelay, 0, &options->screenshotDelay))
        return false;
    if (parser.isSet(quitAfter) && !number(quitAfter, 0, &options->quitAfter))
        return false;
    if (parser.isSet(select) && !number(select, 1, &options->selectEntry))
        return false;
    const QStringList wh = parser.value(size).split(QLatin1Char('x'));
    if (wh.size() == 2 && wh[0].toInt() > 0 && wh[1].toInt() > 0)
        options->size = QSize(wh[0].toInt(), wh[1].toInt());
    if (!parser.positionalArguments().isEmpty()) {
        *error = QStringLiteral("unexpected argument %1").arg(parser.positionalArguments().constFirst());
        return false;
    }
    return true;
}

void prepareInspectorApplication()
{
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(QStringLiteral("Fusion"));
}

QQuickWindow *loadInspector(QQmlApplicationEngine *engine, const InspectorOptions &options)
{
    Inspector::instance()->setOptions(options);

    // The QSeqpacket QML module: installed next to us (bin/ -> <libdir>/qt6/qml), or the build
    // tree's when we run from there. QML_IMPORT_PATH and Qt's own directory work as well.
    const QString appDir = QCoreApplication::applicationDirPath();
    const QString installed = QDir::cleanPath(appDir + QLatin1Char('/') + QStringLiteral(QSEQPACKET_INSPECTOR_BIN_TO_QML));
    if (QFileInfo::exists(installed + QStringLiteral("/QSeqpacket/qmldir")))
        engine->addImportPath(installed);
    const QString buildDir = QStringLiteral(QSEQPACKET_INSPECTOR_BUILD_DIR);
    const QString buildQml = QStringLiteral(QSEQPACKET_INSPECTOR_BUILD_QML_DIR);
    if (!buildDir.isEmpty() && !buildQml.isEmpty() && QDir(appDir) == QDir(buildDir))
        engine->addImportPath(buildQml);
    for (const QString &path : options.importPaths)
        engine->addImportPath(path);

    // The Inspector's own module is compiled in, under qrc:/QSeqpacketInspector.
    engine->addImportPath(QStringLiteral("qrc:/"));

    engine->setInitialProperties({
        {QStringLiteral("width"), options.size.width()},
        {QStringLiteral("height"), options.size.height()},
    });
    engine->load(QUrl(QStringLiteral("qrc:/QSeqpacketInspector/Main.qml")));
    if (engine->rootObjects().isEmpty())
        return nullptr;
    auto *window = qobject_cast<QQuickWindow *>(engine->rootObjects().constFirst());
    if (!window)
        return nullptr;

    if (!options.screenshot.isEmpty()) {
        const QString file = options.screenshot;
        QTimer::singleShot(qMax(0, options.screenshotDelay), window, [window, file] {
            const QImage image = window->grabWindow();
            if (image.isNull() || !image.save(file))
                std::fprintf(stderr, "qseqpacket-inspector: could not save the screenshot to %s\n", qPrintable(file));
            else
                std::fprintf(stderr, "qseqpacket-inspector: screenshot saved to %s\n", qPrintable(file));
            QCoreApplication::exit(image.isNull() ? 1 : 0);
        });
    }
    if (options.quitAfter >= 0)
        QTimer::singleShot(options.quitAfter, window, [] { QCoreApplication::quit(); });
    return window;
}
