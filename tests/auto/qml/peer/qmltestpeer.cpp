// SPDX-License-Identifier: MIT
//
// The scripted peer of the QML module and Inspector tests. Plain syscalls, no Qt, no QSeqpacket.
//
//   qseqpacket_qml_test_peer --connect ADDR ACTION...   connect, print "connected", run the actions
//   qseqpacket_qml_test_peer --listen ADDR ACTION...    listen, print "ready", accept one
//                                                       connection, run the actions
//
// ADDR is "@name" (abstract) or a path. Actions, in order:
//   text:STRING      send STRING
//   hex:HEX          send the bytes written in hex (two digits each, no separators)
//   big:N            send N bytes 'x'
//   burst:N          send N packets "seq=0" ... "seq=N-1" as fast as the socket takes them
//   memfd:CONTENT    send the payload "memfd" with a memfd descriptor holding CONTENT
//   file:PATH        send the payload "file" with a descriptor of PATH opened read-only
//   spilled:HEX      send the frame HEX of the message protocol (docs/protocol.md) spilled: the
//                    packet [4, size, "", null] with a sealed memfd holding the frame
//   framefile:PATH:HEX  send the bytes HEX (a frame) with a descriptor of PATH opened read-only
//   echo:N           receive N packets; answer each with a JSON description:
//                    {"size":S,"fds":F,"hex":"...","fd0":"hex of the first 256 bytes of fd 0"}
//   sleep:MS         wait MS milliseconds
//   wait-eof         wait until the other side closes
// Then it exits 0 (closing the connection). Any failure exits non-zero with a message on stderr;
// an alarm ends a stuck peer after 60 s.

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rawsocket.h" // plain syscalls too: sendmsg/recvmsg with SCM_RIGHTS, addresses

namespace {

[[noreturn]] void die(const char *what)
{
    std::fprintf(stderr, "qml_test_peer: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

void sendPacket(int fd, const std::string &data, int passFd = -1)
{
    if (TestUtil::rawSendMsg(fd, data.data(), data.size(), &passFd, passFd >= 0 ? 1 : 0) < 0)
        die("sendmsg");
}

std::string hex(const char *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < size; ++i) {
        out += digits[(unsigned char)data[i] >> 4];
        out += digits[(unsigned char)data[i] & 0xf];
    }
    return out;
}

std::string unhex(const std::string &text)
{
    std::string out;
    for (size_t i = 0; i + 1 < text.size(); i += 2)
        out += char(std::strtol(text.substr(i, 2).c_str(), nullptr, 16));
    return out;
}

// [4, size, "", null] in CBOR: the packet of a spilled frame.
std::string spillPacket(size_t size)
{
    std::string out = "\x84\x04";
    if (size < 24) {
        out += char(size);
    } else {
        int bytes = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffu ? 4 : 8;
        out += char(bytes == 1 ? 0x18 : bytes == 2 ? 0x19 : bytes == 4 ? 0x1a : 0x1b);
        for (int i = bytes - 1; i >= 0; --i)
            out += char((size >> (8 * i)) & 0xff);
    }
    out += "\x60\xf6";
    return out;
}

void echo(int fd)
{
    std::vector<char> buffer(1 << 20);
    std::vector<int> fds;
    const ssize_t n = TestUtil::rawRecvMsg(fd, buffer.data(), buffer.size(), MSG_CMSG_CLOEXEC, &fds);
    if (n < 0)
        die("recvmsg");
    std::string reply = "{\"size\":" + std::to_string(n) + ",\"fds\":" + std::to_string(fds.size())
            + ",\"hex\":\"" + hex(buffer.data(), size_t(n)) + "\"";
    if (!fds.empty()) {
        char content[256];
        const ssize_t got = ::pread(fds[0], content, sizeof content, 0);
        reply += ",\"fd0\":\"" + (got > 0 ? hex(content, size_t(got)) : std::string()) + "\"";
    }
    reply += "}";
    for (int received : fds)
        ::close(received);
    sendPacket(fd, reply);
}

} // namespace

int main(int argc, char **argv)
{
    ::alarm(60);
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s --connect|--listen ADDR ACTION...\n", argv[0]);
        return 1;
    }
    const std::string mode = argv[1];
    sockaddr_un addr;
    const socklen_t length = TestUtil::parseSockaddr(&addr, argv[2]);
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    if (mode == "--connect") {
        if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), length) != 0)
            die("connect");
        std::printf("connected\n");
        std::fflush(stdout);
    } else if (mode == "--listen") {
        if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), length) != 0)
            die("bind");
        if (::listen(fd, 4) != 0)
            die("listen");
        std::printf("ready\n");
        std::fflush(stdout);
        const int conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0)
            die("accept");
        ::close(fd);
        if (argv[2][0] != '@')
            ::unlink(argv[2]);
        fd = conn;
    } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 1;
    }

    for (int i = 3; i < argc; ++i) {
        const std::string action = argv[i];
        const size_t colon = action.find(':');
        const std::string verb = action.substr(0, colon);
        const std::string arg = colon == std::string::npos ? std::string() : action.substr(colon + 1);
        if (verb == "text") {
            sendPacket(fd, arg);
        } else if (verb == "hex") {
            sendPacket(fd, unhex(arg));
        } else if (verb == "big") {
            sendPacket(fd, std::string(size_t(std::atol(arg.c_str())), 'x'));
        } else if (verb == "burst") {
            const int count = std::atoi(arg.c_str());
            for (int k = 0; k < count; ++k)
                sendPacket(fd, "seq=" + std::to_string(k));
        } else if (verb == "memfd") {
            const int memfd = ::memfd_create("qml-test-peer", MFD_CLOEXEC);
            if (memfd < 0 || ::write(memfd, arg.data(), arg.size()) != ssize_t(arg.size()))
                die("memfd");
            sendPacket(fd, "memfd", memfd);
            ::close(memfd);
        } else if (verb == "spilled") {
            const std::string frame = unhex(arg);
            const int memfd = ::memfd_create("qml-test-peer-frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);
            if (memfd < 0 || ::write(memfd, frame.data(), frame.size()) != ssize_t(frame.size())
                || ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
                die("memfd");
            sendPacket(fd, spillPacket(frame.size()), memfd);
            ::close(memfd);
        } else if (verb == "framefile") {
            const size_t split = arg.rfind(':');
            const int file = ::open(arg.substr(0, split).c_str(), O_RDONLY | O_CLOEXEC);
            if (split == std::string::npos || file < 0)
                die("open");
            sendPacket(fd, unhex(arg.substr(split + 1)), file);
            ::close(file);
        } else if (verb == "file") {
            const int file = ::open(arg.c_str(), O_RDONLY | O_CLOEXEC);
            if (file < 0)
                die("open");
            sendPacket(fd, "file", file);
            ::close(file);
        } else if (verb == "echo") {
            const int count = std::atoi(arg.c_str());
            for (int k = 0; k < count; ++k)
                echo(fd);
        } else if (verb == "sleep") {
            ::usleep(useconds_t(std::atoi(arg.c_str())) * 1000);
        } else if (verb == "wait-eof") {
            char c;
            for (;;) {
                const ssize_t n = ::recv(fd, &c, 1, 0);
                if (n == 0 || (n < 0 && errno != EINTR))
                    break;
            }
        } else {
            std::fprintf(stderr, "unknown action %s\n", action.c_str());
            return 1;
        }
    }
    ::close(fd);
    return 0;
}
