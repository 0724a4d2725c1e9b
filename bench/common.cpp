// SPDX-License-Identifier: MIT
#include "common.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

void fail(const std::string &message, int errnoValue)
{
    if (errnoValue)
        std::fprintf(stderr, "qseqpacket-bench[%d]: %s: %s\n", int(::getpid()), message.c_str(), std::strerror(errnoValue));
    else
        std::fprintf(stderr, "qseqpacket-bench[%d]: %s\n", int(::getpid()), message.c_str());
    std::fflush(stderr);
    std::_Exit(2);
}

void seqpacketPair(int fds[2])
{
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == -1)
        fail("socketpair(SOCK_SEQPACKET)", errno);
}

void streamPair(int fds[2])
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
        fail("socketpair(SOCK_STREAM)", errno);
}

void setSocketTimeouts(int fd, int seconds)
{
    timeval tv = { seconds, 0 };
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void setNonBlocking(int fd, bool on)
{
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

void prepareContractReceive(int fd)
{
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)) == -1)
        fail("setsockopt(SO_TIMESTAMP)", errno);
}

ssize_t contractReceive(int fd, char *buffer, size_t size)
{
    iovec vector = { buffer, size };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timeval)) + CMSG_SPACE(sizeof(int) * 253)];
    msghdr header;
    std::memset(&header, 0, sizeof(header));
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n == -1)
        return -1;
    bool any = false;
    for (cmsghdr *c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
        any = true;
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int passed;
                std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                ::close(passed);
            }
        }
    }
    return n == 0 && !any ? -2 : n;
}

void sendControl(int fd, char type, const std::string &text)
{
    std::string message(1, type);
    message += text;
    if (::send(fd, message.data(), message.size(), MSG_NOSIGNAL) == -1)
        fail(std::string("control: send '") + type + "'", errno);
}

char readControl(int fd, char expected, std::string *text, int timeoutMs)
{
    pollfd p = { fd, POLLIN, 0 };
    int ready;
    do {
        ready = ::poll(&p, 1, timeoutMs);
    } while (ready == -1 && errno == EINTR);
    if (ready == 0)
        fail(std::string("control: timed out waiting for '") + (expected ? expected : '?') + "'");
    char buffer[512];
    ssize_t n;
    do {
        n = ::recv(fd, buffer, sizeof(buffer), 0);
    } while (n == -1 && errno == EINTR);
    if (n == -1)
        fail("control: recv", errno);
    if (n == 0)
        fail(std::string("control: the other side ended while waiting for '") + (expected ? expected : '?') + "'");
    if (expected && buffer[0] != expected)
        fail(std::string("control: got '") + buffer[0] + "', expected '" + expected + "'");
    if (text)
        text->assign(buffer + 1, size_t(n - 1));
    return buffer[0];
}

static int peerCpu = -1;

void pinProcesses(int driverCpu, int peer)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(driverCpu, &set);
    if (::sched_setaffinity(0, sizeof(set), &set) == -1)
        fail("sched_setaffinity", errno);
    peerCpu = peer;
}

Peer spawnPeer(const std::vector<std::string> &args, int dataFd, std::string *readyText)
{
    int control[2];
    seqpacketPair(control);
    std::vector<std::string> all = { "qseqpacket-bench", "--peer" };
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (std::string &a : all)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // QSEQPACKET_BENCH_EXE names this binary where /proc/self/exe is not it (under valgrind,
    // which is how the driver alone gets profiled while its peers run natively).
    const char *exe = ::getenv("QSEQPACKET_BENCH_EXE");
    if (!exe || !*exe)
        exe = "/proc/self/exe";
    // posix_spawn(), not fork(): fork() write-protects every page of this process until the child
    // has exec'd, and the first write to each of them afterwards faults (copy-on-write bookkeeping,
    // 1.5-2 µs a page on this VM), inside the timed window of the case that starts the peer, in
    // proportion to the memory that case writes; a server with a larger object per connection
    // paid it per connection (the tenth session). glibc's posix_spawn() clones with CLONE_VM |
    // CLONE_VFORK and leaves this process's pages alone.
    // The descriptors reach 3 and 4 through copies above 10, so that one dup2() cannot overwrite
    // the other's source; the copies are close-on-exec, the targets are not (dup2() clears it).
    const int data = dataFd >= 0 ? ::fcntl(dataFd, F_DUPFD_CLOEXEC, 10) : -1;
    const int ctl = ::fcntl(control[1], F_DUPFD_CLOEXEC, 10);
    if (ctl == -1 || (dataFd >= 0 && data == -1))
        fail("fcntl(F_DUPFD_CLOEXEC)", errno);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    if (data >= 0)
        ::posix_spawn_file_actions_adddup2(&actions, data, PeerDataFd);
    else if (::fcntl(PeerDataFd, F_GETFD) != -1)
        ::posix_spawn_file_actions_addclose(&actions, PeerDataFd);
    ::posix_spawn_file_actions_adddup2(&actions, ctl, PeerControlFd);
    // The peer's CPU: inherited from this process's affinity at the spawn, so that the peer runs
    // there from its first instruction, as when the child set it before exec().
    cpu_set_t own;
    const bool pinPeer = peerCpu >= 0;
    if (pinPeer) {
        if (::sched_getaffinity(0, sizeof(own), &own) == -1)
            fail("sched_getaffinity", errno);
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(peerCpu, &set);
        if (::sched_setaffinity(0, sizeof(set), &set) == -1)
            fail("sched_setaffinity", errno);
    }
    pid_t pid = -1;
    const int spawnError = ::posix_spawn(&pid, exe, &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (pinPeer && ::sched_setaffinity(0, sizeof(own), &own) == -1)
        fail("sched_setaffinity", errno);
    if (data >= 0)
        ::close(data);
    ::close(ctl);
    if (spawnError)
        fail("posix_spawn", spawnError);
    ::close(control[1]);
    Peer peer;
    peer.pid = pid;
    peer.control = control[0];
    readControl(peer.control, 'R', readyText, 30000);
    return peer;
}

void peerGo(Peer &peer)
{
    sendControl(peer.control, 'G');
}

void reapPeer(Peer &peer, int timeoutMs)
{
    if (peer.control >= 0)
        ::close(peer.control);
    peer.control = -1;
    if (peer.pid <= 0)
        return;
    const Clock::time_point start = Clock::now();
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(peer.pid, &status, WNOHANG);
        if (r == peer.pid)
            break;
        if (r == -1 && errno != EINTR)
            fail("waitpid", errno);
        if (secondsSince(start) * 1000 > timeoutMs) {
            ::kill(peer.pid, SIGKILL);
            ::waitpid(peer.pid, &status, 0);
            fail("a peer process did not end in time and was killed");
        }
        ::usleep(1000);
    }
    peer.pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("a peer process failed (status " + std::to_string(status) + ")");
}

RecvBatch::RecvBatch()
{
    void *m = ::mmap(nullptr, SlotSize * Batch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        fail("mmap", errno);
    memory = static_cast<char *>(m);
    std::memset(headers, 0, sizeof(headers));
    for (int i = 0; i < Batch; ++i) {
        vectors[i] = { memory + size_t(i) * SlotSize, SlotSize };
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
}

RecvBatch::~RecvBatch()
{
    ::munmap(memory, SlotSize * Batch);
}

int RecvBatch::receive(int fd, int max, int flags)
{
    int r;
    do {
        r = ::recvmmsg(fd, headers, unsigned(max), (flags & MSG_DONTWAIT) ? flags : (flags | MSG_WAITFORONE), nullptr);
    } while (r == -1 && errno == EINTR);
    if (r > 0 && headers[0].msg_len == 0)
        return 0; // the benchmark sends no empty packets: this is end-of-file
    return r;
}

void sendmmsgAll(int fd, const char *data, size_t size, long count)
{
    mmsghdr headers[Batch];
    iovec vector = { const_cast<char *>(data), size };
    std::memset(headers, 0, sizeof(headers));
    for (int i = 0; i < Batch; ++i) {
        headers[i].msg_hdr.msg_iov = &vector;
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    long left = count;
    while (left > 0) {
        const int n = int(left < Batch ? left : Batch);
        const int r = ::sendmmsg(fd, headers, unsigned(n), MSG_NOSIGNAL);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            fail("sendmmsg", errno);
        }
        left -= r;
    }
}

long long heapInUse()
{
    const struct mallinfo2 info = ::mallinfo2();
    return (long long)(info.uordblks + info.hblkhd);
}

} // namespace bench
