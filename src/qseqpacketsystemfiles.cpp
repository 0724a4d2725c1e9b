// SPDX-License-Identifier: MIT
#include "qseqpacketsystemfiles_p.h"
#include "qseqpacketsystem_p.h"

#include <cstring>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace QSeqpacketSystem {

namespace {

FileIdentity identityOf(const struct stat &info)
{
    FileIdentity identity;
    identity.device = info.st_dev;
    identity.inode = info.st_ino;
    identity.mode = info.st_mode;
    return identity;
}

} // namespace

bool FileIdentity::isSocket() const
{
    return S_ISSOCK(mode);
}

bool setDescriptorMode(int fd, mode_t mode, int *error)
{
    if (retryOnEintr([&] { return ::fchmod(fd, mode); }) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

int openPathWithoutFollowing(const QByteArray &path, FileIdentity *identity, int *error)
{
    const int file = retryOnEintr([&] { return ::open(path.constData(), O_PATH | O_NOFOLLOW | O_CLOEXEC); });
    if (file == -1) {
        *error = errno;
        return -1;
    }
    struct stat info;
    if (::fstat(file, &info) == -1) {
        *error = errno;
        closeDescriptor(file);
        return -1;
    }
    *identity = identityOf(info);
    return file;
}

bool setModeThrough(int pathFd, mode_t mode, int *error)
{
    const QByteArray procPath = "/proc/self/fd/" + QByteArray::number(pathFd);
    if (retryOnEintr([&] { return ::chmod(procPath.constData(), mode); }) == -1) {
        *error = errno;
        return false;
    }
    return true;
}

bool identifyPath(const QByteArray &path, FileIdentity *identity, int *error)
{
    struct stat info;
    if (::lstat(path.constData(), &info) == -1) {
        *error = errno;
        return false;
    }
    *identity = identityOf(info);
    return true;
}

bool removeIfSameFile(const QByteArray &path, const FileIdentity &expected, int *error)
{
    FileIdentity now;
    if (!identifyPath(path, &now, error))
        return *error == ENOENT;
    if (!now.isSameFile(expected)) {
        *error = 0;
        return false;
    }
    if (::unlink(path.constData()) == -1 && errno != ENOENT) {
        *error = errno;
        return false;
    }
    return true;
}

int probeSocketFile(const QByteArray &path)
{
    sockaddr_un sun;
    const socklen_t length = toSockaddr(QSeqpacketAddress::fromNativePath(path), &sun);
    int result = ECONNREFUSED;
    for (int type : { SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM }) {
        const int probe = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (probe == -1)
            return errno;
        const int connected = retryOnEintr([&] { return ::connect(probe, reinterpret_cast<const sockaddr *>(&sun), length); });
        const int errorNumber = connected == 0 ? 0 : errno;
        closeDescriptor(probe);
        if (errorNumber == EPROTOTYPE)
            continue;
        // EAGAIN: the backlog is full, so somebody listens.
        if (errorNumber == 0 || errorNumber == EAGAIN)
            return 0;
        result = errorNumber;
        break;
    }
    return result;
}

ListenerSearch findListenerBoundTo(ino_t inode)
{
    const int netlink = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (netlink == -1)
        return ListenerSearch::Unknown;
    struct {
        nlmsghdr header;
        unix_diag_req request;
    } message;
    std::memset(&message, 0, sizeof(message));
    message.header.nlmsg_len = sizeof(message);
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.request.sdiag_family = AF_UNIX;
    message.request.udiag_states = 1u << 10; // TCP_LISTEN
    message.request.udiag_show = UDIAG_SHOW_VFS;
    if (retryOnEintr([&] { return ::send(netlink, &message, sizeof(message), 0); }) == -1) {
        closeDescriptor(netlink);
        return ListenerSearch::Unknown;
    }
    ListenerSearch result = ListenerSearch::NotFound;
    alignas(nlmsghdr) char buffer[16384];
    for (bool done = false; !done;) {
        ssize_t length = retryOnEintr([&] { return ::recv(netlink, buffer, sizeof(buffer), 0); });
        if (length <= 0) {
            result = ListenerSearch::Unknown;
            break;
        }
        for (auto *header = reinterpret_cast<nlmsghdr *>(buffer); NLMSG_OK(header, size_t(length));
             header = NLMSG_NEXT(header, length)) {
            if (header->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (header->nlmsg_type == NLMSG_ERROR) {
                result = ListenerSearch::Unknown;
                done = true;
                break;
            }
            auto *diag = static_cast<unix_diag_msg *>(NLMSG_DATA(header));
            int attributesLength = int(header->nlmsg_len - NLMSG_LENGTH(sizeof(*diag)));
            for (auto *attribute = reinterpret_cast<rtattr *>(diag + 1); RTA_OK(attribute, attributesLength);
                 attribute = RTA_NEXT(attribute, attributesLength)) {
                if (attribute->rta_type != UNIX_DIAG_VFS)
                    continue;
                unix_diag_vfs vfs;
                std::memcpy(&vfs, RTA_DATA(attribute), sizeof(vfs));
                // The inode alone: the kernel's device encoding differs from stat()'s, and a
                // false match only keeps a file that could have gone.
                if (vfs.udiag_vfs_ino == inode)
                    result = ListenerSearch::Found;
            }
        }
    }
    closeDescriptor(netlink);
    return result;
}

} // namespace QSeqpacketSystem
