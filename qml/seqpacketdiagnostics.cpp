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

bool SeqpacketDiagnostics::senderProcessesSupported()
{
    // Asked once: an unconnected socket checks the kernel when the option is turned on.
    static const bool supported = [] {
        QSeqpacketSocket probe;
        return probe.setPerPacketProcessFileDescriptor(true);
    }();
    return supported;
}
