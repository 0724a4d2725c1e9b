// SPDX-License-Identifier: MIT
#include "seqpacketinfo_p.h"
#include "seqpacketbytes_p.h"

#include <QtCore/qfile.h>
#include <QtCore/qhash.h>
#include <QtCore/qmutex.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef F_GET_SEALS
#  define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#  define F_SEAL_SEAL 0x0001
#  define F_SEAL_SHRINK 0x0002
#  define F_SEAL_GROW 0x0004
#  define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#  define F_SEAL_FUTURE_WRITE 0x0010
#endif

namespace SeqpacketInfo {

namespace {

QString readLink(const QByteArray &path, int *errorNumber = nullptr)
{
    std::vector<char> buffer(256);
    for (;;) {
        const ssize_t n = ::readlink(path.constData(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errorNumber)
                *errorNumber = errno;
            return {};
        }
        if (size_t(n) < buffer.size())
            return QFile::decodeName(QByteArray(buffer.data(), qsizetype(n)));
        if (buffer.size() >= 65536)
            return QFile::decodeName(QByteArray(buffer.data(), qsizetype(n)));
        buffer.resize(buffer.size() * 2);
    }
}

QString modeString(mode_t mode)
{
    QString s;
    const char bits[] = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i)
        s += (mode & (0400 >> i)) ? QLatin1Char(bits[i]) : QLatin1Char('-');
    if (mode & S_ISUID)
        s[2] = (mode & S_IXUSR) ? QLatin1Char('s') : QLatin1Char('S');
    if (mode & S_ISGID)
        s[5] = (mode & S_IXGRP) ? QLatin1Char('s') : QLatin1Char('S');
    if (mode & S_ISVTX)
        s[8] = (mode & S_IXOTH) ? QLatin1Char('t') : QLatin1Char('T');
    return s;
}

QString typeOf(const struct stat &st, const QString &target, bool *isMemfd)
{
    *isMemfd = false;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
        if (target.startsWith(QLatin1String("/memfd:"))) {
            *isMemfd = true;
            return QStringLiteral("memfd");
        }
        return QStringLiteral("regular");
    case S_IFDIR:
        return QStringLiteral("directory");
    case S_IFSOCK:
        return QStringLiteral("socket");
    case S_IFIFO:
        return QStringLiteral("fifo");
    case S_IFCHR:
        return QStringLiteral("character device");
    case S_IFBLK:
        return QStringLiteral("block device");
    case S_IFLNK:
        return QStringLiteral("symlink");
    case 0:
        // eventfd, signalfd, timerfd, pidfd, epoll ...: "anon_inode:[eventfd]"
        if (target.startsWith(QLatin1String("anon_inode:")))
            return QStringLiteral("anonymous inode");
        return QStringLiteral("unknown");
    default:
        return QStringLiteral("unknown");
    }
}

QString sealsString(int seals)
{
    QStringList names;
    if (seals & F_SEAL_SEAL)
        names << QStringLiteral("seal");
    if (seals & F_SEAL_SHRINK)
        names << QStringLiteral("shrink");
    if (seals & F_SEAL_GROW)
        names << QStringLiteral("grow");
    if (seals & F_SEAL_WRITE)
        names << QStringLiteral("write");
    if (seals & F_SEAL_FUTURE_WRITE)
        names << QStringLiteral("future-write");
    return names.join(QLatin1Char(','));
}

} // namespace

QVariantMap describeDescriptor(int fd, int previewSize)
{
    QVariantMap info;
    info.insert(QStringLiteral("number"), fd);
    const QString target = readLink("/proc/self/fd/" + QByteArray::number(fd));
    info.insert(QStringLiteral("target"), target);

    struct stat st;
    if (::fstat(fd, &st) != 0) {
        const int errorNumber = errno;
        info.insert(QStringLiteral("type"), QStringLiteral("unknown"));
        info.insert(QStringLiteral("isMemfd"), false);
        info.insert(QStringLiteral("hasContent"), false);
        info.insert(QStringLiteral("size"), -1);
        info.insert(QStringLiteral("firstBytes"), QByteArray());
        info.insert(QStringLiteral("firstBytesText"), QString());
        info.insert(QStringLiteral("firstBytesHex"), QString());
        info.insert(QStringLiteral("error"),
                    QStringLiteral("fstat: %1").arg(QString::fromLocal8Bit(::strerror(errorNumber))));
        return info;
    }

    bool isMemfd = false;
    const QString type = typeOf(st, target, &isMemfd);
    const bool regular = S_ISREG(st.st_mode);
    info.insert(QStringLiteral("type"), type);
    info.insert(QStringLiteral("isMemfd"), isMemfd);
    info.insert(QStringLiteral("size"), (regular || S_ISBLK(st.st_mode)) ? qint64(st.st_size) : qint64(-1));
    info.insert(QStringLiteral("mode"), modeString(st.st_mode));
    info.insert(QStringLiteral("inode"), quint64(st.st_ino));
    info.insert(QStringLiteral("device"),
                QStringLiteral("%1:%2").arg(major(st.st_dev)).arg(minor(st.st_dev)));

    const int flags = ::fcntl(fd, F_GETFL);
    QString access;
    if (flags >= 0) {
#ifdef O_PATH
        if (flags & O_PATH)
            access = QStringLiteral("path only");
        else
#endif
        switch (flags & O_ACCMODE) {
        case O_RDONLY: access = QStringLiteral("read-only"); break;
        case O_WRONLY: access = QStringLiteral("write-only"); break;
        case O_RDWR: access = QStringLiteral("read-write"); break;
        default: break;
        }
    }
    info.insert(QStringLiteral("access"), access);

    if (isMemfd) {
        const int seals = ::fcntl(fd, F_GET_SEALS);
        info.insert(QStringLiteral("seals"), seals > 0 ? sealsString(seals) : QString());
    }

    QByteArray first;
    bool hasContent = false;
    const bool readable = flags >= 0 && (flags & O_ACCMODE) != O_WRONLY
#ifdef O_PATH
            && !(flags & O_PATH)
#endif
            ;
    if (regular && readable && previewSize > 0) {
        first.resize(qMin<qint64>(previewSize, st.st_size > 0 ? st.st_size : previewSize));
        qsizetype got = 0;
        while (got < first.size()) {
            const ssize_t n = ::pread(fd, first.data() + got, size_t(first.size() - got), off_t(got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += n;
        }
        first.truncate(got);
        hasContent = true;
    }
    info.insert(QStringLiteral("hasContent"), hasContent);
    info.insert(QStringLiteral("firstBytes"), first);
    info.insert(QStringLiteral("firstBytesText"), QString::fromUtf8(first));
    info.insert(QStringLiteral("firstBytesHex"), SeqpacketBytes::toHex(first));
    info.insert(QStringLiteral("error"), QString());
    return info;
}

QVariantList describeDescriptors(const QList<QSeqpacketFileDescriptor> &fds, int previewSize)
{
    QVariantList descriptors;
    descriptors.reserve(fds.size());
    for (const QSeqpacketFileDescriptor &fd : fds)
        descriptors.append(describeDescriptor(fd.descriptor(), previewSize));
    return descriptors;
}

namespace {
QMutex namesMutex;
QHash<uint, QString> userNames;
QHash<uint, QString> groupNames;
}

QString userName(uint uid)
{
    {
        QMutexLocker locker(&namesMutex);
        const auto it = userNames.constFind(uid);
        if (it != userNames.constEnd())
            return *it;
    }
    QString name;
    std::vector<char> buffer(1024);
    for (;;) {
        struct passwd pwd;
        struct passwd *result = nullptr;
        const int rc = ::getpwuid_r(uid_t(uid), &pwd, buffer.data(), buffer.size(), &result);
        if (rc == ERANGE && buffer.size() < (1 << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc == 0 && result)
            name = QString::fromLocal8Bit(result->pw_name);
        break;
    }
    QMutexLocker locker(&namesMutex);
    userNames.insert(uid, name);
    return name;
}

QString groupName(uint gid)
{
    {
        QMutexLocker locker(&namesMutex);
        const auto it = groupNames.constFind(gid);
        if (it != groupNames.constEnd())
            return *it;
    }
    QString name;
    std::vector<char> buffer(1024);
    for (;;) {
        struct group grp;
        struct group *result = nullptr;
        const int rc = ::getgrgid_r(gid_t(gid), &grp, buffer.data(), buffer.size(), &result);
        if (rc == ERANGE && buffer.size() < (1 << 22)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc == 0 && result)
            name = QString::fromLocal8Bit(result->gr_name);
        break;
    }
    QMutexLocker locker(&namesMutex);
    groupNames.insert(gid, name);
    return name;
}

ProcessInfo processInfo(qint64 pid)
{
    ProcessInfo info;
    if (pid <= 0) {
        info.executableError = QStringLiteral("the process is in another pid namespace");
        return info;
    }
    const QByteArray dir = "/proc/" + QByteArray::number(pid);
    int errorNumber = 0;
    info.executable = readLink(dir + "/exe", &errorNumber);
    if (info.executable.isEmpty()) {
        switch (errorNumber) {
        case EACCES:
        case EPERM:
            info.executableError = QStringLiteral("not readable (permission denied)");
            break;
        case ENOENT:
        case ESRCH:
            info.executableError = QStringLiteral("the process has exited");
            break;
        default:
            info.executableError = QStringLiteral("not readable (%1)")
                                           .arg(QString::fromLocal8Bit(::strerror(errorNumber)));
        }
    }
    QFile cmdline(QFile::decodeName(dir + "/cmdline"));
    if (cmdline.open(QIODevice::ReadOnly)) {
        QByteArray bytes = cmdline.read(4096);
        while (bytes.endsWith('\0'))
            bytes.chop(1);
        bytes.replace('\0', ' ');
        info.commandLine = QString::fromLocal8Bit(bytes);
    }
    QFile comm(QFile::decodeName(dir + "/comm"));
    if (comm.open(QIODevice::ReadOnly))
        info.name = QString::fromLocal8Bit(comm.readAll().trimmed());
    return info;
}

SenderProcess senderOf(int pidfd)
{
    SenderProcess sender;
    if (pidfd < 0)
        return sender;
    QFile info(QStringLiteral("/proc/self/fdinfo/%1").arg(pidfd));
    if (!info.open(QIODevice::ReadOnly))
        return sender;
    const QList<QByteArray> lines = info.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("Pid:")) {
            bool ok = false;
            const qint64 pid = line.mid(4).trimmed().toLongLong(&ok);
            if (ok && pid > 0)
                sender.pid = pid;
        }
    }
    if (sender.pid <= 0)
        return sender; // exited already (-1), or in another pid namespace (0)
    const QString executable = readLink("/proc/" + QByteArray::number(sender.pid) + "/exe");
    // A pidfd polls readable once its process has exited: then the pid may be someone else's.
    pollfd p = { pidfd, POLLIN, 0 };
    if (::poll(&p, 1, 0) == 0)
        sender.executable = executable;
    return sender;
}

} // namespace SeqpacketInfo
