// SPDX-License-Identifier: MIT
#include "qseqpacketcredentials.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qdebug.h>

class QSeqpacketCredentialsPrivate : public QSharedData
{
public:
    bool valid = false;
    qint64 processId = 0;
    uint userId = uint(-1);
    uint groupId = uint(-1);
    QList<uint> supplementaryGroups;
};

QSeqpacketCredentials::QSeqpacketCredentials()
    : d(new QSeqpacketCredentialsPrivate)
{
}

QSeqpacketCredentials::QSeqpacketCredentials(qint64 processId, uint userId, uint groupId,
                                             const QList<uint> &supplementaryGroups)
    : d(new QSeqpacketCredentialsPrivate)
{
    d->valid = true;
    d->processId = processId;
    d->userId = userId;
    d->groupId = groupId;
    d->supplementaryGroups = supplementaryGroups;
}

QSeqpacketCredentials::QSeqpacketCredentials(const QSeqpacketCredentials &other) = default;
QSeqpacketCredentials::QSeqpacketCredentials(QSeqpacketCredentials &&other) noexcept = default;
QSeqpacketCredentials &QSeqpacketCredentials::operator=(const QSeqpacketCredentials &other) = default;
QSeqpacketCredentials &QSeqpacketCredentials::operator=(QSeqpacketCredentials &&other) noexcept = default;
QSeqpacketCredentials::~QSeqpacketCredentials() = default;

QSeqpacketCredentials QSeqpacketCredentials::currentProcess()
{
    return QSeqpacketSystem::currentProcessCredentials();
}

bool QSeqpacketCredentials::isValid() const { return d->valid; }
qint64 QSeqpacketCredentials::processId() const { return d->processId; }
uint QSeqpacketCredentials::userId() const { return d->userId; }
uint QSeqpacketCredentials::groupId() const { return d->groupId; }
QList<uint> QSeqpacketCredentials::supplementaryGroups() const { return d->supplementaryGroups; }

bool QSeqpacketCredentials::operator==(const QSeqpacketCredentials &other) const
{
    return d->valid == other.d->valid && d->processId == other.d->processId
            && d->userId == other.d->userId && d->groupId == other.d->groupId
            && d->supplementaryGroups == other.d->supplementaryGroups;
}

QDebug operator<<(QDebug debug, const QSeqpacketCredentials &credentials)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketCredentials(";
    if (!credentials.isValid())
        return debug << "invalid)";
    debug << "pid " << credentials.processId() << ", uid " << credentials.userId()
          << ", gid " << credentials.groupId();
    if (!credentials.supplementaryGroups().isEmpty())
        debug << ", groups " << credentials.supplementaryGroups();
    debug << ')';
    return debug;
}
