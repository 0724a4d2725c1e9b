// SPDX-License-Identifier: MIT
//
// The peer process for QSeqpacket's cross-process tests. It uses plain syscalls only (no Qt, no
// QSeqpacket) so the library is tested against an independent implementation.
//
//   qseqpacket_test_peer noop                 exit 0 at once (warms up QProcess in the tests)
//   qseqpacket_test_peer connect <address>    connect to <address>, then serve commands
//   qseqpacket_test_peer listen <address>     listen on <address>, print "ready\n", accept one
//                                             connection, then serve commands
//
// <address> is "@name" for an abstract name, anything else is a path. Commands are packets whose
// payload starts with a word:
//
//   echo ...               send the same payload and the same descriptors back
//   readfds                reply "fds:<n>", then one packet per received descriptor with its
//                          content (even ones read with pread, odd ones with lseek + read)
//   sendfds <m> <f>        reply "fds" with two descriptors: a memfd holding <m> and an unlinked
//                          regular file holding <f>
//   ids                    reply "<pid> <uid> <gid>"
//   burst <n> <size>       send <n> packets of <size> bytes ("seq=NNNNNNNN;" then filling; empty
//                          when <size> is 0), then exit at once without reading anything more
//   sendempty <n>          send <n> zero-length packets, then "end"
//   closeunread <n>        send <n> packets "bye<i>", wait until a packet waits unread, then exit
//                          without reading it (the other side sees a connection reset)
//   shutwr                 send "before-shutdown", shut down the write side, wait for one packet,
//                          print its payload on stdout and exit 0 if it is "after", else 3
//   sink <n>               receive <n> packets without answering them, then reply "sunk <n> ok" when
//                          they carried "seq=00000000;" ... "seq=<n-1>;" in order (sequencedPayload),
//                          else "sunk <n> bad <i> <payload prefix>" for the first one out of place
//   gate                   reply "gated", then read nothing from the socket until a line arrives on
//                          standard input (lets a test fill its send queue deterministically)
//   size ...               reply "size <n>": the payload's size in bytes
//   passcred               turn SO_PASSCRED on, reply "passcred on"
//   whosent                reply "<pid> <uid> <gid>" of the credentials that came with this packet
//                          (SCM_CREDENTIALS; SO_PASSCRED must be on), or "none"
//   trysendfd              send "withfd" with a memfd's descriptor, then "sendfd ok" or
//                          "sendfd errno <n>" (the receiver may refuse descriptors: SO_PASSRIGHTS)
//   sendmanyfds <n>        send "many" with <n> descriptors (one memfd, duplicated)
//   exit                   exit at once
//
// End-of-file ends the process with status 0. Every wait is bounded; an alarm ends a stuck peer.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rawsocket.h" // plain syscalls too: sendmsg/recvmsg with SCM_RIGHTS, addresses, poll

namespace {

constexpr int WaitMs = 25000;

bool sendPacket(int fd, const std::string &data, const std::vector<int> &fds = {})
{
    if (TestUtil::rawSendMsg(fd, data.data(), data.size(), fds.data(), fds.size()) != ssize_t(data.size())) {
        std::fprintf(stderr, "peer: sendmsg failed: %s\n", std::strerror(errno));
        return false;
    }
    return true;
}

struct Packet
{
    bool ok = false;
    bool eof = false;
    std::string data;
    std::vector<int> fds;
    ucred credentials = {0, uid_t(-1), gid_t(-1)}; // pid 0: none came
};

Packet receivePacket(int fd, int timeoutMs = WaitMs)
{
    Packet result;
    if (TestUtil::pollFor(fd, POLLIN | POLLRDHUP, timeoutMs) <= 0) {
        std::fprintf(stderr, "peer: timed out waiting for a packet\n");
        return result;
    }
    static std::vector<char> buffer(1 << 20);
    const ssize_t n = TestUtil::rawRecvMsg(fd, buffer.data(), buffer.size(), MSG_CMSG_CLOEXEC | MSG_DONTWAIT,
                                           &result.fds, nullptr, &result.credentials);
    if (n < 0) {
        std::fprintf(stderr, "peer: recvmsg failed: %s\n", std::strerror(errno));
        return result;
    }
    if (n == 0 && result.fds.empty() && TestUtil::peerHasShutDown(fd)) {
        result.eof = true;
        return result;
    }
    result.ok = true;
    result.data.assign(buffer.data(), size_t(n));
    return result;
}

void closeAll(std::vector<int> &fds)
{
    for (int fd : fds)
        ::close(fd);
    fds.clear();
}

bool writeAll(int fd, const std::string &content)
{
    size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += size_t(n);
    }
    return true;
}

std::string readWithPread(int fd)
{
    std::string result;
    char buffer[65536];
    off_t offset = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.append(buffer, size_t(n));
        offset += n;
    }
    return result;
}

std::string readWithSeek(int fd)
{
    if (::lseek(fd, 0, SEEK_SET) != 0)
        return "<lseek failed>";
    std::string result;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.append(buffer, size_t(n));
    }
    return result;
}

std::vector<std::string> words(const std::string &text)
{
    std::vector<std::string> result;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t end = text.find(' ', pos);
        result.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        if (end == std::string::npos)
            break;
        pos = end + 1;
    }
    return result;
}

std::string sequenced(int sequence, size_t size)
{
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "seq=%08d;", sequence);
    std::string data = prefix;
    if (size > data.size())
        data.append(size - data.size(), char('a' + sequence % 26));
    else
        data.resize(size);
    return data;
}

int makeFile(const std::string &content)
{
    int fd = ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        char name[] = "/tmp/qseqpacket-peer-XXXXXX";
        fd = ::mkostemp(name, O_CLOEXEC);
        if (fd < 0)
            return -1;
        ::unlink(name);
    }
    if (!writeAll(fd, content)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int serve(int fd)
{
    for (;;) {
        Packet packet = receivePacket(fd);
        if (packet.eof)
            return 0;
        if (!packet.ok)
            return 2;
        const std::vector<std::string> args = words(packet.data);
        const std::string command = args.empty() ? std::string() : args[0];
        bool ok = true;
        if (command == "echo" || command.empty()) {
            ok = sendPacket(fd, packet.data, packet.fds);
        } else if (command == "readfds") {
            ok = sendPacket(fd, "fds:" + std::to_string(packet.fds.size()));
            for (size_t i = 0; ok && i < packet.fds.size(); ++i)
                ok = sendPacket(fd, i % 2 == 0 ? readWithPread(packet.fds[i]) : readWithSeek(packet.fds[i]));
        } else if (command == "sendfds" && args.size() >= 3) {
            const int memfd = ::memfd_create("qseqpacket-peer", MFD_CLOEXEC);
            const int file = makeFile(args[2]);
            if (memfd < 0 || file < 0 || !writeAll(memfd, args[1])) {
                ok = sendPacket(fd, "sendfds-failed");
            } else {
                ok = sendPacket(fd, "fds", {memfd, file});
            }
            if (memfd >= 0)
                ::close(memfd);
            if (file >= 0)
                ::close(file);
        } else if (command == "ids") {
            ok = sendPacket(fd, std::to_string(::getpid()) + ' ' + std::to_string(::geteuid()) + ' '
                                    + std::to_string(::getegid()));
        } else if (command == "burst" && args.size() >= 3) {
            const int count = std::atoi(args[1].c_str());
            const size_t size = size_t(std::atol(args[2].c_str()));
            for (int i = 0; ok && i < count; ++i)
                ok = sendPacket(fd, sequenced(i, size));
            std::fflush(stdout);
            ::_exit(ok ? 0 : 2);
        } else if (command == "sendempty" && args.size() >= 2) {
            const int count = std::atoi(args[1].c_str());
            for (int i = 0; ok && i < count; ++i)
                ok = sendPacket(fd, std::string());
            ok = ok && sendPacket(fd, "end");
        } else if (command == "closeunread" && args.size() >= 2) {
            const int count = std::atoi(args[1].c_str());
            for (int i = 0; ok && i < count; ++i)
                ok = sendPacket(fd, "bye" + std::to_string(i));
            // Wait for a packet to sit unread in our receive queue, then go without reading it.
            const int r = TestUtil::pollFor(fd, POLLIN, WaitMs);
            char byte;
            const bool waiting = r == 1 && ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
            ::_exit(ok && waiting ? 0 : 2);
        } else if (command == "shutwr") {
            ok = sendPacket(fd, "before-shutdown");
            if (!ok || ::shutdown(fd, SHUT_WR) != 0)
                ::_exit(2);
            Packet after = receivePacket(fd);
            std::printf("%s\n", after.data.c_str());
            std::fflush(stdout);
            ::_exit(after.ok && after.data == "after" ? 0 : 3);
        } else if (command == "sink" && args.size() >= 2) {
            const int count = std::atoi(args[1].c_str());
            std::string verdict = "ok";
            for (int i = 0; i < count; ++i) {
                Packet item = receivePacket(fd);
                if (!item.ok) {
                    ::_exit(2);
                }
                closeAll(item.fds);
                const std::string expected = sequenced(i, 13);
                if (verdict == "ok" && item.data.compare(0, expected.size(), expected) != 0)
                    verdict = "bad " + std::to_string(i) + ' ' + item.data.substr(0, 16);
            }
            ok = sendPacket(fd, "sunk " + std::to_string(count) + ' ' + verdict);
        } else if (command == "gate") {
            ok = sendPacket(fd, "gated");
            const int r = TestUtil::pollFor(STDIN_FILENO, POLLIN, WaitMs);
            char line[64];
            if (r != 1 || ::read(STDIN_FILENO, line, sizeof line) <= 0)
                ::_exit(4);
        } else if (command == "size") {
            ok = sendPacket(fd, "size " + std::to_string(packet.data.size()));
        } else if (command == "passcred") {
            const int on = 1;
            ok = ::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0 && sendPacket(fd, "passcred on");
        } else if (command == "whosent") {
            const ucred &c = packet.credentials;
            ok = sendPacket(fd, c.pid == 0 ? std::string("none")
                                           : std::to_string(c.pid) + ' ' + std::to_string(c.uid) + ' '
                                                     + std::to_string(c.gid));
        } else if (command == "trysendfd") {
            const int memfd = ::memfd_create("qseqpacket-peer", MFD_CLOEXEC);
            const ssize_t sent = memfd < 0 ? -1 : TestUtil::rawSendMsg(fd, "withfd", 6, &memfd, 1);
            const int error = sent < 0 ? errno : 0;
            if (memfd >= 0)
                ::close(memfd);
            ok = sendPacket(fd, sent < 0 ? "sendfd errno " + std::to_string(error) : std::string("sendfd ok"));
        } else if (command == "sendmanyfds" && args.size() >= 2) {
            const int count = std::atoi(args[1].c_str());
            const int memfd = ::memfd_create("qseqpacket-peer", MFD_CLOEXEC);
            std::vector<int> many;
            for (int i = 0; memfd >= 0 && i < count; ++i)
                many.push_back(::fcntl(memfd, F_DUPFD_CLOEXEC, 0));
            ok = sendPacket(fd, "many", many);
            closeAll(many);
            if (memfd >= 0)
                ::close(memfd);
        } else if (command == "exit") {
            ::_exit(0);
        } else {
            ok = sendPacket(fd, "unknown:" + command);
        }
        closeAll(packet.fds);
        if (!ok)
            return 2;
    }
}

} // namespace

int main(int argc, char **argv)
{
    ::signal(SIGPIPE, SIG_IGN);
    ::alarm(60); // never outlive a broken test

    if (argc >= 2 && std::strcmp(argv[1], "noop") == 0)
        return 0;
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s noop | connect <address> | listen <address>\n", argv[0]);
        return 1;
    }

    sockaddr_un addr;
    const socklen_t len = TestUtil::parseSockaddr(&addr, argv[2]);
    const int sock = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        std::perror("peer: socket");
        return 1;
    }

    if (std::strcmp(argv[1], "connect") == 0) {
        if (::connect(sock, reinterpret_cast<sockaddr *>(&addr), len) != 0) {
            std::perror("peer: connect");
            return 1;
        }
        return serve(sock);
    }

    if (std::strcmp(argv[1], "listen") == 0) {
        if (::bind(sock, reinterpret_cast<sockaddr *>(&addr), len) != 0 || ::listen(sock, 4) != 0) {
            std::perror("peer: bind/listen");
            return 1;
        }
        std::printf("ready\n");
        std::fflush(stdout);
        pollfd p = {sock, POLLIN, 0};
        if (::poll(&p, 1, WaitMs) != 1) {
            std::fprintf(stderr, "peer: nobody connected\n");
            return 1;
        }
        const int conn = ::accept4(sock, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) {
            std::perror("peer: accept");
            return 1;
        }
        ::close(sock);
        if (addr.sun_path[0] != '\0')
            ::unlink(addr.sun_path);
        return serve(conn);
    }

    std::fprintf(stderr, "peer: unknown mode %s\n", argv[1]);
    return 1;
}
