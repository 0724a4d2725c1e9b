// SPDX-License-Identifier: MIT
// Helpers of the QSeqpacket QML module: what the system says about a descriptor, a user, a group
// and a process.
#ifndef SEQPACKETINFO_P_H
#define SEQPACKETINFO_P_H

#include <QSeqpacketFileDescriptor>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

namespace SeqpacketInfo {

/*!
 * What descriptor \a fd refers to, as a map for QML:
 *   number, target (the /proc/self/fd link), type ("regular", "memfd", "directory", "socket",
 *   "fifo", "character device", "block device", "symlink", "anonymous inode", "unknown"),
 *   isMemfd, hasContent (a regular file or memfd: firstBytes were read), size (st_size, -1 where
 *   the type has none), mode ("rw-r--r--"), access ("read-only", "write-only", "read-write",
 *   "path only"), inode, device ("major:minor"), seals (memfd seals, comma separated),
 *   firstBytes (ArrayBuffer, at most \a previewSize bytes read with pread at offset 0, so the
 *   shared file offset is untouched), firstBytesText, firstBytesHex, error (empty unless fstat
 *   failed).
 */
QVariantMap describeDescriptor(int fd, int previewSize);
/*! describeDescriptor() of each of \a fds, in order. */
QVariantList describeDescriptors(const QList<QSeqpacketFileDescriptor> &fds, int previewSize);

/*! The name of user \a uid, or an empty string where the system has none. */
QString userName(uint uid);
/*! The name of group \a gid, or an empty string where the system has none. */
QString groupName(uint gid);

struct ProcessInfo
{
    QString executable;      //!< /proc/PID/exe link target; empty where not readable
    QString executableError; //!< why it is not readable (e.g. "permission denied")
    QString commandLine;     //!< /proc/PID/cmdline with NULs as spaces; empty where not readable
    QString name;            //!< /proc/PID/comm
};
ProcessInfo processInfo(qint64 pid);

struct SenderProcess
{
    qint64 pid = -1;    //!< -1 where unknown
    QString executable; //!< /proc/PID/exe while the process still runs; empty where not readable
};
/*!
 * The process \a pidfd refers to (its "Pid:" in /proc/self/fdinfo) and its executable. The
 * executable is given only where the process had not exited when it was read, so that a reused
 * pid cannot name another program. Nothing where \a pidfd is negative.
 */
SenderProcess senderOf(int pidfd);

} // namespace SeqpacketInfo

#endif // SEQPACKETINFO_P_H
