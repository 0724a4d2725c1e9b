// SPDX-License-Identifier: MIT
#include "seqpacketdiagnostics.h"
#include "seqpacketinfo_p.h"

SeqpacketDiagnostics::SeqpacketDiagnostics(QObject *parent)
    : QObject(parent)
{
}

QVariantMap SeqpacketDiagnostics::peerProcess(SeqpacketSocket *socket)
{
    SeqpacketInfo::ProcessInfo process;
    if (socket && socket->peerCredentialsValid())
        process = SeqpacketInfo::processInfo(socket->peerPid());
    else
        process.executableError = QStringLiteral("no peer credentials");
    return {
        {QStringLiteral("executable"), process.executable},
        {QStringLiteral("executableError"), process.executableError},
        {QStringLiteral("commandLine"), process.commandLine},
        {QStringLiteral("name"), process.name},
    };
}
