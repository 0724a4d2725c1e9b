// SPDX-License-Identifier: MIT
#ifndef SEQPACKETDIAGNOSTICS_H
#define SEQPACKETDIAGNOSTICS_H

#include "seqpacketqmlglobal.h"
#include "seqpacketsocket.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>
#include <QtQml/qqmlengine.h>

/*!
 * \qmltype SeqpacketDiagnostics
 * \brief Look-ups for tools that inspect connections, such as the Inspector (a singleton).
 *
 * What /proc says about a peer's process is no part of the connection: it is read when asked,
 * other users' processes keep most of it private, and by the time it is read the pid may belong
 * to another process. SeqpacketSocket itself keeps to what the kernel says about the connection
 * (credentials, security context), so that a program that only talks to its peers does not pay
 * for these reads with every connection.
 */
class SEQPACKETQML_EXPORT SeqpacketDiagnostics : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

public:
    explicit SeqpacketDiagnostics(QObject *parent = nullptr);

    /*!
     * What /proc says now about the process at the other end of \a socket (by the pid of its peer
     * credentials): executable (the /proc/PID/exe link, readable for your own processes), and
     * executableError where it is not readable (why), commandLine, name (/proc/PID/comm). Where
     * the socket has no peer credentials all are empty and executableError says so.
     */
    Q_INVOKABLE static QVariantMap peerProcess(SeqpacketSocket *socket);
    /*!
     * Whether this kernel can say which process sent each packet (SO_PASSPIDFD, Linux 6.5), so
     * that receiveOptions.senderProcesses can be turned on without an error.
     */
    Q_INVOKABLE static bool senderProcessesSupported();
};

#endif // SEQPACKETDIAGNOSTICS_H
