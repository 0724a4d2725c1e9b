// SPDX-License-Identifier: MIT
#include "qseqpacketfiledescriptor.h"
#include "qseqpacketlogging_p.h"
#include "qseqpacketsystem_p.h"

#include <QtCore/qdebug.h>


// Shared by every copy; the descriptor is closed when the last copy drops its reference.
class QSeqpacketFileDescriptorPrivate : public QSharedData
{
public:
    explicit QSeqpacketFileDescriptorPrivate(int fd) : fd(fd) {}
    ~QSeqpacketFileDescriptorPrivate() { QSeqpacketSystem::closeDescriptor(fd); }
    Q_DISABLE_COPY_MOVE(QSeqpacketFileDescriptorPrivate)

    int fd;
};

QSeqpacketFileDescriptor::QSeqpacketFileDescriptor() = default;
QSeqpacketFileDescriptor::QSeqpacketFileDescriptor(const QSeqpacketFileDescriptor &other) = default;
QSeqpacketFileDescriptor::QSeqpacketFileDescriptor(QSeqpacketFileDescriptor &&other) noexcept = default;
QSeqpacketFileDescriptor &QSeqpacketFileDescriptor::operator=(const QSeqpacketFileDescriptor &other) = default;
QSeqpacketFileDescriptor &QSeqpacketFileDescriptor::operator=(QSeqpacketFileDescriptor &&other) noexcept = default;
QSeqpacketFileDescriptor::~QSeqpacketFileDescriptor() = default;

QSeqpacketFileDescriptor QSeqpacketFileDescriptor::adopt(int fd)
{
    QSeqpacketFileDescriptor result;
    if (fd >= 0)
        result.d = new QSeqpacketFileDescriptorPrivate(fd);
    return result;
}

bool QSeqpacketFileDescriptor::isValid() const
{
    return d && d->fd >= 0;
}

int QSeqpacketFileDescriptor::descriptor() const
{
    return d ? d->fd : -1;
}

int QSeqpacketFileDescriptor::release()
{
    if (!d)
        return -1;
    const int fd = d->fd;
    d->fd = -1; // shared: every copy sees it gone
    d.reset();
    return fd;
}

QSeqpacketFileDescriptor QSeqpacketFileDescriptor::duplicate() const
{
    if (!isValid())
        return {};
    int errorNumber = 0;
    const int fd = QSeqpacketSystem::duplicateDescriptor(d->fd, &errorNumber);
    if (fd == -1) {
        qCWarning(lcSeqpacket, "%s", qPrintable(QSeqpacketSystem::describe(
                                            QStringLiteral("QSeqpacketFileDescriptor::duplicate: fcntl(F_DUPFD_CLOEXEC)"), errorNumber)));
        return {};
    }
    return adopt(fd);
}

void QSeqpacketFileDescriptor::close()
{
    if (!d)
        return;
    QSeqpacketSystem::closeDescriptor(d->fd);
    d->fd = -1;
    d.reset();
}

QDebug operator<<(QDebug debug, const QSeqpacketFileDescriptor &fd)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "QSeqpacketFileDescriptor(";
    if (fd.isValid())
        debug << fd.descriptor();
    else
        debug << "invalid";
    debug << ')';
    return debug;
}
