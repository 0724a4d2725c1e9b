// SPDX-License-Identifier: MIT
#include "qseqpacketcredentials.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qdebug.h>

// Only valid credentials have one: invalid ones (the default, made for every received packet
// without credentials) cost no allocation.
class QSeqpacketCredentialsPrivate : public QSharedData
{
public:
    qint64 processId = 0;
    uint userId = uint(-1);
    uint groupId = uint(-1);
    QList<uint> supplementaryGroups;
};

QSeqpacketCredentials::QSeqpacketCredentials() = default;

QSeqpacketCredentials::QSeqpacketCredentials(qint64 processId, uint userId, uint groupId,
                                             const QList<uint> &supplementaryGroups)
    : d(new QSeqpacketCredentialsPrivate)
{
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

bool QSeqpacketCredentials::isValid() const { return d.constData() != nullptr; }
qint64 QSeqpacketCredentials::processId() const { return d ? d->processId : 0; }
uint QSeqpacketCredentials::userId() const { return d ? d->userId : uint(-1); }
uint QSeqpacketCredentials::groupId() const { return d ? d->groupId : uint(-1); }
QList<uint> QSeqpacketCredentials::supplementaryGroups() const { return d ? d->supplementaryGroups : QList<uint>(); }

bool QSeqpacketCredentials::operator==(const QSeqpacketCredentials &other) const
{
    if (!d || !other.d)
        return !d == !other.d;
    return d->processId == other.d->processId && d->userId == other.d->userId && d->groupId == other.d->groupId
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
