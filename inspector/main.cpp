// SPDX-License-Identifier: MIT
// qseqpacket-inspector: watch and poke at AF_UNIX SOCK_SEQPACKET sockets.
//
//   qseqpacket-inspector --listen @name | --listen /path/to/socket
//   qseqpacket-inspector --connect @name | --connect /path/to/socket
//   qseqpacket-inspector --demo              listen and start two demo peers
#include "inspector.h"

#include <QtGui/qguiapplication.h>
#include <QtGui/qicon.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(QSeqpacketInspectorPlugin)

int main(int argc, char *argv[])
{
    prepareInspectorApplication();
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("qseqpacket-inspector"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("QSeqpacket Inspector"));
    QGuiApplication::setApplicationVersion(QStringLiteral(QSEQPACKET_INSPECTOR_VERSION));
    QGuiApplication::setOrganizationName(QStringLiteral("QSeqpacket"));
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
