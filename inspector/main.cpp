// SPDX-License-Identifier: MIT
// qseqpacket-inspector: watch and poke at AF_UNIX SOCK_SEQPACKET sockets.
//
//   qseqpacket-inspector --listen @name | --listen /path/to/socket
//   qseqpacket-inspector --connect @name | --connect /path/to/socket
//   qseqpacket-inspector --demo              listen and start three demo peers
#include "inspector.h"

#include <qseqpacketglobal.h>

#include <QtCore/qcoreapplication.h>
#include <QtGui/qguiapplication.h>
#include <QtGui/qicon.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(QSeqpacketInspectorPlugin)

namespace {
void setApplicationNames()
{
    QCoreApplication::setApplicationName(QStringLiteral("qseqpacket-inspector"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QSEQPACKET_VERSION_STR));
    QCoreApplication::setOrganizationName(QStringLiteral("QSeqpacket"));
}

// --help and --version print and exit: they need no window system, so that they work in an SSH
// session or a container without a display.
bool onlyPrints(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--") // what follows is not an option
            return false;
        if (a == "-h" || a == "--help" || a == "-?" || a == "-v" || a == "--version")
            return true;
    }
    return false;
}
} // namespace

int main(int argc, char *argv[])
{
    if (onlyPrints(argc, argv)) {
        QCoreApplication app(argc, argv);
        setApplicationNames();
        InspectorOptions options;
        QString error;
        parseInspectorOptions(QCoreApplication::arguments(), &options, &error); // prints and exits
        return 0;
    }

    prepareInspectorApplication();
    QGuiApplication app(argc, argv);
    setApplicationNames();
    QGuiApplication::setApplicationDisplayName(QStringLiteral("QSeqpacket Inspector"));
    QGuiApplication::setDesktopFileName(QStringLiteral("qseqpacket-inspector"));

    InspectorOptions options;
    QString error;
    if (!parseInspectorOptions(QCoreApplication::arguments(), &options, &error)) {
        std::fprintf(stderr, "qseqpacket-inspector: %s (see --help)\n", qPrintable(error));
        return 2;
    }

    QQmlApplicationEngine engine;
    if (!loadInspector(&engine, options)) {
        std::fprintf(stderr, "qseqpacket-inspector: the user interface did not load. Is the QSeqpacket QML "
                             "module installed? (QML_IMPORT_PATH=<prefix>/<libdir>/qt6/qml)\n");
        return 1;
    }
    const int rc = QGuiApplication::exec();
    Inspector::instance()->stopDemoPeers();
    return rc;
}
