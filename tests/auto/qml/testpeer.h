// SPDX-License-Identifier: MIT
// TestPeer: starts the scripted peer process (qseqpacket_qml_test_peer) for the QML tests, and a
// few helpers the tests need (unique addresses, temporary files, descriptor counts, ids).
#ifndef TESTPEER_H
#define TESTPEER_H

#include <QtCore/qobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qvariant.h>

class TestPeer : public QObject
{
    Q_OBJECT
    Q_PROPERTY(qint64 pid READ pid NOTIFY startedChanged)
    Q_PROPERTY(bool running READ isRunning NOTIFY startedChanged)
    Q_PROPERTY(bool finished READ isFinished NOTIFY finishedChanged)
    Q_PROPERTY(int exitCode READ exitCode NOTIFY finishedChanged)
    Q_PROPERTY(QString errorOutput READ errorOutput NOTIFY finishedChanged)
public:
    explicit TestPeer(QObject *parent = nullptr);
    ~TestPeer() override;

    qint64 pid() const { return m_pid; }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    bool isFinished() const { return m_finished; }
    int exitCode() const { return m_exitCode; }
    QString errorOutput() const { return m_errorOutput; }

    /*!
     * Starts the peer with \a arguments (--connect/--listen ADDR ACTION...) and waits until it
     * printed its first line ("connected" or "ready"). False when it did not.
     */
    Q_INVOKABLE bool start(const QStringList &arguments);
    Q_INVOKABLE void kill();

    Q_INVOKABLE static QString uniqueAbstractAddress(const QString &tag);
    Q_INVOKABLE QString uniquePathAddress(const QString &tag);
    Q_INVOKABLE QString writeTempFile(const QString &name, const QString &content);
    Q_INVOKABLE static int openDescriptorCount();
    Q_INVOKABLE static qint64 currentUid();
    Q_INVOKABLE static qint64 currentGid();
    Q_INVOKABLE static qint64 currentPid();
    /*! The bytes of \a buffer (an ArrayBuffer) as lower-case hex, to compare in tests. */
    Q_INVOKABLE static QString hexOf(const QByteArray &buffer);
    /*!
     * Every value of the library's QSeqpacketSocket::State and SocketError by name, from C++, to
     * check that QML sees the same ones on SeqpacketSocket.
     */
    Q_INVOKABLE static QVariantMap librarySocketEnums();

Q_SIGNALS:
    void startedChanged();
    void finishedChanged();

private:
    QProcess m_process;
    QTemporaryDir m_dir;
    qint64 m_pid = 0;
    bool m_finished = false;
    int m_exitCode = -1;
    QString m_errorOutput;
};

#endif // TESTPEER_H
