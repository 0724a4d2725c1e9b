// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETSYSTEMFILES_P_H
#define QSEQPACKETSYSTEMFILES_P_H

// The system calls on socket files: what a server needs to create its file with the permissions
// asked for, to remove it again (that file and no other), and to tell a stale file from a live
// server's. Part of the system-call layer (qseqpacketsystem_p.h): EINTR is retried here.

#include <QtCore/qbytearray.h>

#include <sys/types.h>

namespace QSeqpacketSystem {

// Which file a path names, as lstat() or fstat() sees it.
struct FileIdentity
{
    dev_t device = 0;
    ino_t inode = 0;
    mode_t mode = 0; // type and permission bits

    bool isSocket() const;
    bool isSameFile(const FileIdentity &other) const { return device == other.device && inode == other.inode; }
};

// The permission bits of \a fd's inode (fchmod); a socket file made by bind() takes its mode
// from there, less the umask.
bool setDescriptorMode(int fd, mode_t mode, int *error);
// Opens \a path with O_PATH | O_NOFOLLOW (so a symbolic link put there is not followed) and
// says which file it is; the caller closes the descriptor. -1 with *error set on failure.
int openPathWithoutFollowing(const QByteArray &path, FileIdentity *identity, int *error);
// chmod() of the file \a pathFd (from openPathWithoutFollowing()) refers to, through its
// /proc/self/fd link: it reaches that very inode, never the target of a link.
bool setModeThrough(int pathFd, mode_t mode, int *error);
// lstat(); false with *error set (ENOENT where nothing is there).
bool identifyPath(const QByteArray &path, FileIdentity *identity, int *error);
// Removes \a path where it still names \a expected; true where it did, or where nothing is
// there any more. False with *error 0 where another file has taken the path.
bool removeIfSameFile(const QByteArray &path, const FileIdentity &expected, int *error);

// How a connect() to the socket file at \a path ends: 0 where a server accepted (or its backlog
// is full: somebody listens), else errno. Tries every socket type, since a server of another
// type is just as alive.
int probeSocketFile(const QByteArray &path);

enum class ListenerSearch { Found, NotFound, Unknown };
// Asks the kernel (sock_diag) whether a listening AF_UNIX socket is bound to the file with
// \a inode, without connecting to it. Only sockets of this network namespace are listed, so
// NotFound is not the last word; Found is.
ListenerSearch findListenerBoundTo(ino_t inode);

} // namespace QSeqpacketSystem

#endif
