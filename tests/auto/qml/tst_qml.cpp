// SPDX-License-Identifier: MIT
// Qt Quick Test runner for the QSeqpacket QML module: the tst_*.qml files in this directory, with
// the module from the build tree and TestPeer (the scripted peer process) as QSeqpacketTest.
#include "testpeer.h"

#include <QtQml/qqmlengine.h>
#include <QtQuickTest/quicktest.h>

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void applicationAvailable()
    {
        qmlRegisterType<TestPeer>("QSeqpacketTest", 1, 0, "TestPeer");
    }
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(QSEQPACKET_QML_IMPORT_PATH));
    }
};

QUICK_TEST_MAIN_WITH_SETUP(qseqpacket_qml, Setup)

#include "tst_qml.moc"
