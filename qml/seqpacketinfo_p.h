// SPDX-License-Identifier: MIT
// Helpers of the QSeqpacket QML module: what a descriptor refers to, user and group names, what
// /proc says about a process, and the text and hex forms of packet payloads.
#ifndef SEQPACKETINFO_P_H
#define SEQPACKETINFO_P_H

#include <QtCore/qbytearray.h>
#include <QtCore/qbytearrayview.h>
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

/*! Lower-case hex of at most \a limit bytes of \a data (all of it when \a limit < 0), no separators. */
QString toHex(QByteArrayView data, qsizetype limit = -1);
/*! At most \a limit bytes of \a data as text (UTF-8, invalid sequences replaced). */
QString toText(QByteArrayView data, qsizetype limit = -1);
/*! True when \a data is valid UTF-8 without control characters other than tab, CR and LF. */
bool looksLikeText(QByteArrayView data);
/*!
 * Bytes from a QML value: an ArrayBuffer (QByteArray), a string (UTF-8), a list of numbers
 * 0..255, or undefined/null (no bytes). Returns false for anything else.
 */
bool bytesFromVariant(const QVariant &value, QByteArray *out);

/*! The number of descriptors this process has open (entries of /proc/self/fd). */
int openDescriptorCount();

} // namespace SeqpacketInfo

#endif // SEQPACKETINFO_P_H
