// SPDX-License-Identifier: MIT
#include "testpeer.h"

#include <QSeqpacketSocket>

#include <QtCore/qatomic.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qmetaobject.h>

#include <unistd.h>

#include "openfds.h" // testsupport/

TestPeer::TestPeer(QObject *parent)
    : QObject(parent)
{
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        m_finished = true;
        m_exitCode = status == QProcess::NormalExit ? code : -1;
        m_errorOutput = QString::fromLocal8Bit(m_process.readAllStandardError());
        emit finishedChanged();
        emit startedChanged();
    });
}

TestPeer::~TestPeer()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool TestPeer::start(const QStringList &arguments)
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    m_finished = false;
    m_exitCode = -1;
    m_errorOutput.clear();
    m_process.setProgram(QStringLiteral(QSEQPACKET_QML_TEST_PEER));
    m_process.setArguments(arguments);
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    m_process.start();
    if (!m_process.waitForStarted(10000)) {
        qWarning("TestPeer: cannot start %s: %s", QSEQPACKET_QML_TEST_PEER,
                 qPrintable(m_process.errorString()));
        return false;
    }
    m_pid = m_process.processId();
    emit startedChanged();
    QDeadlineTimer deadline(10000);
    while (!m_process.canReadLine() && !deadline.hasExpired()) {
        if (!m_process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            break;
    }
    if (!m_process.canReadLine()) {
        qWarning("TestPeer: no ready line; stderr: %s", m_process.readAllStandardError().constData());
        return false;
    }
    m_process.readLine();
    return true;
}

void TestPeer::kill()
{
    m_process.kill();
    m_process.waitForFinished(5000);
}

QString TestPeer::uniqueAbstractAddress(const QString &tag)
{
    static QAtomicInt counter;
    return QStringLiteral("@qseqpacket-qmltest-%1-%2-%3")
            .arg(tag)
            .arg(QCoreApplication::applicationPid())
            .arg(counter.fetchAndAddRelaxed(1));
}

QString TestPeer::uniquePathAddress(const QString &tag)
{
    static QAtomicInt counter;
    return m_dir.filePath(QStringLiteral("%1-%2.sock").arg(tag).arg(counter.fetchAndAddRelaxed(1)));
}

QString TestPeer::writeTempFile(const QString &name, const QString &content)
{
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    file.write(content.toUtf8());
    return path;
}

int TestPeer::openDescriptorCount()
{
    return TestUtil::openFdCount();
}

qint64 TestPeer::currentUid()
{
    return qint64(::geteuid());
}

qint64 TestPeer::currentGid()
{
    return qint64(::getegid());
}

qint64 TestPeer::currentPid()
{
    return QCoreApplication::applicationPid();
}

QString TestPeer::hexOf(const QByteArray &buffer)
{
    return QString::fromLatin1(buffer.toHex());
}

QVariantMap TestPeer::librarySocketEnums()
{
    QVariantMap values;
    for (const QMetaEnum e : {QMetaEnum::fromType<QSeqpacketSocket::State>(),
                              QMetaEnum::fromType<QSeqpacketSocket::SocketError>()}) {
        for (int i = 0; i < e.keyCount(); ++i)
            values.insert(QString::fromLatin1(e.key(i)), e.value(i));
    }
    return values;
}
