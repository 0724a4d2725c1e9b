// SPDX-License-Identifier: MIT
// The fault injector (faultinject.h): definitions of the C library's functions that forward to the
// real ones, failing those calls of libQSeqpacket that an armed rule selects.
#include "faultinject.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace FaultInject {

namespace {

constexpr int CallCount = int(Call::Count);
constexpr int MaxRules = 32;
constexpr int MaxErrno = 256;
constexpr int MaxRanges = 8;
constexpr const char *LibraryName = "libQSeqpacket.so";

const char *const callNames[CallCount] = {
    "socket", "socketpair", "bind", "connect", "listen", "accept4", "shutdown",
    "getsockopt", "setsockopt", "getsockname", "getpeername",
    "sendmsg", "sendmmsg", "recvmsg", "recvmmsg", "recv", "send",
    "poll", "fcntl", "memfd_create", "write", "mmap", "fstat",
    "open", "fchmod", "chmod", "lstat", "unlink", "getgroups", "syscall",
    "epoll_create1", "epoll_ctl", "epoll_wait",
};

// ---- where libQSeqpacket's code is ----------------------------------------------------------

struct Range
{
    std::atomic<std::uintptr_t> start{0};
    std::atomic<std::uintptr_t> end{0};
};
Range ranges[MaxRanges];
std::atomic<int> rangeCount{0};
std::once_flag resolvedOnce;

int collectRanges(dl_phdr_info *info, size_t, void *)
{
    if (!info->dlpi_name || !std::strstr(info->dlpi_name, LibraryName))
        return 0;
    int count = 0;
    for (int i = 0; i < info->dlpi_phnum && count < MaxRanges; ++i) {
        const ElfW(Phdr) &segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X))
            continue;
        const std::uintptr_t start = info->dlpi_addr + segment.p_vaddr;
        ranges[count].start.store(start, std::memory_order_relaxed);
        ranges[count].end.store(start + segment.p_memsz, std::memory_order_relaxed);
        ++count;
    }
    rangeCount.store(count, std::memory_order_release);
    return 1;
}

void resolveLibrary()
{
    std::call_once(resolvedOnce, [] { dl_iterate_phdr(collectRanges, nullptr); });
}

// Resolved before main() (every library the executable needs is loaded by then); calls made
// earlier are nobody's.
__attribute__((constructor)) void resolveAtStart()
{
    resolveLibrary();
}

bool inLibrary(const void *returnAddress)
{
    const auto address = reinterpret_cast<std::uintptr_t>(returnAddress);
    const int count = rangeCount.load(std::memory_order_acquire);
    for (int i = 0; i < count; ++i) {
        if (address >= ranges[i].start.load(std::memory_order_relaxed)
            && address < ranges[i].end.load(std::memory_order_relaxed))
            return true;
    }
    return false;
}

// ---- rules and counters ---------------------------------------------------------------------

struct Rule
{
    Fault fault;
    long seen = 0;     // matching library calls since it was armed
    long injected = 0; // of which failed or shortened
    bool active = false;
};

std::mutex rulesMutex;
Rule rules[MaxRules];
std::atomic<int> armedRules{0};
std::atomic<long> callCounters[CallCount];
std::atomic<long> injectedCounts[MaxRules];
std::atomic<bool> pairsSeen[CallCount][MaxErrno + 1]; // [errno] and [MaxErrno]: a short count

// What to do with one call.
struct Decision
{
    bool fail = false;
    int error = 0;
    int shortCount = -1;
    bool afterCall = false;
};

void recordPair(Call call, int error, bool isShort)
{
    const int index = isShort ? MaxErrno : (error > 0 && error < MaxErrno ? error : 0);
    pairsSeen[int(call)][index].store(true, std::memory_order_relaxed);
}

// Counts a call of the library and decides whether it fails. Called only for calls from libQSeqpacket.
Decision decide(Call call, int selector)
{
    callCounters[int(call)].fetch_add(1, std::memory_order_relaxed);
    Decision decision;
    if (armedRules.load(std::memory_order_acquire) == 0)
        return decision;
    std::lock_guard<std::mutex> locker(rulesMutex);
    bool decided = false;
    for (int i = 0; i < MaxRules; ++i) {
        Rule &rule = rules[i];
        if (!rule.active || rule.fault.call != call)
            continue;
        if (rule.fault.selector != AnySelector && rule.fault.selector != selector)
            continue;
        // Every rule counts every call it matches; the first (in the order armed) whose window
        // the call is in decides it.
        const long n = ++rule.seen;
        if (decided || n < rule.fault.from || (rule.fault.times >= 0 && n >= rule.fault.from + rule.fault.times))
            continue;
        decided = true;
        ++rule.injected;
        injectedCounts[i].store(rule.injected, std::memory_order_relaxed);
        if (rule.fault.shortCount >= 0) {
            decision.shortCount = rule.fault.shortCount;
            recordPair(call, 0, true);
        } else {
            decision.fail = true;
            decision.error = rule.fault.error;
            decision.afterCall = rule.fault.afterCall;
            recordPair(call, rule.fault.error, false);
        }
    }
    return decision;
}

// The next definition of \a name after this executable's (the C library's, or a sanitizer's).
template <typename Function>
Function realFunction(std::atomic<void *> &cache, const char *name)
{
    void *function = cache.load(std::memory_order_acquire);
    if (!function) {
        function = ::dlsym(RTLD_NEXT, name);
        if (!function) {
            std::fprintf(stderr, "faultinject: no next definition of %s\n", name);
            std::abort();
        }
        cache.store(function, std::memory_order_release);
    }
    return reinterpret_cast<Function>(function);
}

} // namespace

const char *callName(Call call)
{
    return int(call) >= 0 && int(call) < CallCount ? callNames[int(call)] : "?";
}

int inject(const Fault &fault)
{
    resolveLibrary();
    std::lock_guard<std::mutex> locker(rulesMutex);
    for (int i = 0; i < MaxRules; ++i) {
        if (rules[i].active)
            continue;
        rules[i].fault = fault;
        rules[i].seen = 0;
        rules[i].injected = 0;
        rules[i].active = true;
        injectedCounts[i].store(0, std::memory_order_relaxed);
        armedRules.fetch_add(1, std::memory_order_release);
        return i;
    }
    std::fprintf(stderr, "faultinject: more than %d rules\n", MaxRules);
    std::abort();
}

int fail(Call call, int error, long times, int selector)
{
    Fault fault;
    fault.call = call;
    fault.error = error;
    fault.times = times;
    fault.selector = selector;
    return inject(fault);
}

void reset()
{
    resolveLibrary();
    std::lock_guard<std::mutex> locker(rulesMutex);
    for (Rule &rule : rules)
        rule.active = false;
    armedRules.store(0, std::memory_order_release);
    for (auto &counter : callCounters)
        counter.store(0, std::memory_order_relaxed);
}

long calls(Call call)
{
    return int(call) >= 0 && int(call) < CallCount ? callCounters[int(call)].load(std::memory_order_relaxed) : 0;
}

long injected(int id)
{
    return id >= 0 && id < MaxRules ? injectedCounts[id].load(std::memory_order_relaxed) : 0;
}

bool libraryFound()
{
    resolveLibrary();
    return rangeCount.load(std::memory_order_acquire) > 0;
}

std::string errnoName(int error)
{
    switch (error) {
#define FAULTINJECT_NAME(e) case e: return #e;
    FAULTINJECT_NAME(EPERM) FAULTINJECT_NAME(ENOENT) FAULTINJECT_NAME(ESRCH) FAULTINJECT_NAME(EINTR)
    FAULTINJECT_NAME(EIO) FAULTINJECT_NAME(EBADF) FAULTINJECT_NAME(EAGAIN) FAULTINJECT_NAME(ENOMEM)
    FAULTINJECT_NAME(EACCES) FAULTINJECT_NAME(EFAULT) FAULTINJECT_NAME(EBUSY) FAULTINJECT_NAME(EEXIST)
    FAULTINJECT_NAME(ENOTDIR) FAULTINJECT_NAME(EINVAL) FAULTINJECT_NAME(ENFILE) FAULTINJECT_NAME(EMFILE)
    FAULTINJECT_NAME(ENOSPC) FAULTINJECT_NAME(EROFS) FAULTINJECT_NAME(EPIPE) FAULTINJECT_NAME(ERANGE)
    FAULTINJECT_NAME(ENOSYS) FAULTINJECT_NAME(ENOTSOCK) FAULTINJECT_NAME(EMSGSIZE) FAULTINJECT_NAME(EPROTOTYPE)
    FAULTINJECT_NAME(ENOPROTOOPT) FAULTINJECT_NAME(EPROTONOSUPPORT) FAULTINJECT_NAME(EOPNOTSUPP)
    FAULTINJECT_NAME(EAFNOSUPPORT) FAULTINJECT_NAME(EADDRINUSE) FAULTINJECT_NAME(ENOBUFS)
    FAULTINJECT_NAME(EISCONN) FAULTINJECT_NAME(ENOTCONN) FAULTINJECT_NAME(ETOOMANYREFS) FAULTINJECT_NAME(EXDEV)
    FAULTINJECT_NAME(ECONNABORTED) FAULTINJECT_NAME(ECONNRESET) FAULTINJECT_NAME(ECONNREFUSED)
    FAULTINJECT_NAME(EALREADY) FAULTINJECT_NAME(EPROTO) FAULTINJECT_NAME(ENAMETOOLONG) FAULTINJECT_NAME(ELOOP)
    FAULTINJECT_NAME(EDQUOT) FAULTINJECT_NAME(ETIMEDOUT)
#undef FAULTINJECT_NAME
    default:
        return "errno " + std::to_string(error);
    }
}

std::vector<std::string> injectedPairs()
{
    std::vector<std::string> pairs;
    for (int call = 0; call < CallCount; ++call) {
        for (int index = 0; index <= MaxErrno; ++index) {
            if (!pairsSeen[call][index].load(std::memory_order_relaxed))
                continue;
            pairs.push_back(std::string(callNames[call]) + ' '
                            + (index == MaxErrno ? std::string("short") : errnoName(index)));
        }
    }
    return pairs;
}

bool writeInjectedPairs(const std::string &path)
{
    FILE *file = std::fopen(path.c_str(), "w");
    if (!file)
        return false;
    for (const std::string &pair : injectedPairs())
        std::fprintf(file, "%s\n", pair.c_str());
    return std::fclose(file) == 0;
}

} // namespace FaultInject

// ---- the interposed functions ---------------------------------------------------------------
// Each takes its caller's address first thing; a call from outside libQSeqpacket is forwarded
// as it is, with errno untouched.

using FaultInject::Call;

namespace {

// Fails the call as \a decision says: errno set, \a failed returned (after the real call where
// the rule says so).
template <typename Result, typename RealCall>
Result apply(const FaultInject::Decision &decision, Result failed, RealCall realCall)
{
    if (decision.afterCall)
        realCall();
    errno = decision.error;
    return failed;
}

} // namespace

#define FAULTINJECT_REAL(type, name)                                                                  \
    static std::atomic<void *> realCache;                                                            \
    const auto real = FaultInject::realFunction<type>(realCache, name)

// A function without a short count: fails as decided, or forwards.
#define FAULTINJECT_SIMPLE(call, selector, failed, ...)                                               \
    void *const caller = __builtin_return_address(0);                                               \
    if (FaultInject::inLibrary(caller)) {                                                           \
        const FaultInject::Decision decision = FaultInject::decide(call, selector);                 \
        if (decision.fail)                                                                          \
            return apply(decision, failed, [&] { return real(__VA_ARGS__); });                      \
    }                                                                                               \
    return real(__VA_ARGS__)

extern "C" {

int socket(int domain, int type, int protocol)
{
    FAULTINJECT_REAL(int (*)(int, int, int), "socket");
    FAULTINJECT_SIMPLE(Call::Socket, domain, -1, domain, type, protocol);
}

int socketpair(int domain, int type, int protocol, int fds[2])
{
    FAULTINJECT_REAL(int (*)(int, int, int, int *), "socketpair");
    FAULTINJECT_SIMPLE(Call::Socketpair, FaultInject::AnySelector, -1, domain, type, protocol, fds);
}

int bind(int fd, const sockaddr *address, socklen_t length)
{
    FAULTINJECT_REAL(int (*)(int, const sockaddr *, socklen_t), "bind");
    FAULTINJECT_SIMPLE(Call::Bind, FaultInject::AnySelector, -1, fd, address, length);
}

int connect(int fd, const sockaddr *address, socklen_t length)
{
    FAULTINJECT_REAL(int (*)(int, const sockaddr *, socklen_t), "connect");
    FAULTINJECT_SIMPLE(Call::Connect, FaultInject::AnySelector, -1, fd, address, length);
}

int listen(int fd, int backlog)
{
    FAULTINJECT_REAL(int (*)(int, int), "listen");
    FAULTINJECT_SIMPLE(Call::Listen, FaultInject::AnySelector, -1, fd, backlog);
}

int accept4(int fd, sockaddr *address, socklen_t *length, int flags)
{
    FAULTINJECT_REAL(int (*)(int, sockaddr *, socklen_t *, int), "accept4");
    FAULTINJECT_SIMPLE(Call::Accept4, FaultInject::AnySelector, -1, fd, address, length, flags);
}

int shutdown(int fd, int how)
{
    FAULTINJECT_REAL(int (*)(int, int), "shutdown");
    FAULTINJECT_SIMPLE(Call::Shutdown, FaultInject::AnySelector, -1, fd, how);
}

int getsockopt(int fd, int level, int option, void *value, socklen_t *length)
{
    FAULTINJECT_REAL(int (*)(int, int, int, void *, socklen_t *), "getsockopt");
    FAULTINJECT_SIMPLE(Call::Getsockopt, option, -1, fd, level, option, value, length);
}

int setsockopt(int fd, int level, int option, const void *value, socklen_t length)
{
    FAULTINJECT_REAL(int (*)(int, int, int, const void *, socklen_t), "setsockopt");
    FAULTINJECT_SIMPLE(Call::Setsockopt, option, -1, fd, level, option, value, length);
}

int getsockname(int fd, sockaddr *address, socklen_t *length)
{
    FAULTINJECT_REAL(int (*)(int, sockaddr *, socklen_t *), "getsockname");
    FAULTINJECT_SIMPLE(Call::Getsockname, FaultInject::AnySelector, -1, fd, address, length);
}

int getpeername(int fd, sockaddr *address, socklen_t *length)
{
    FAULTINJECT_REAL(int (*)(int, sockaddr *, socklen_t *), "getpeername");
    FAULTINJECT_SIMPLE(Call::Getpeername, FaultInject::AnySelector, -1, fd, address, length);
}

ssize_t sendmsg(int fd, const msghdr *message, int flags)
{
    FAULTINJECT_REAL(ssize_t (*)(int, const msghdr *, int), "sendmsg");
    FAULTINJECT_SIMPLE(Call::Sendmsg, FaultInject::AnySelector, ssize_t(-1), fd, message, flags);
}

int sendmmsg(int fd, mmsghdr *messages, unsigned int count, int flags)
{
    FAULTINJECT_REAL(int (*)(int, mmsghdr *, unsigned int, int), "sendmmsg");
    void *const caller = __builtin_return_address(0);
    if (FaultInject::inLibrary(caller)) {
        const FaultInject::Decision decision = FaultInject::decide(Call::Sendmmsg, FaultInject::AnySelector);
        if (decision.fail)
            return apply(decision, -1, [&] { return real(fd, messages, count, flags); });
        if (decision.shortCount >= 0 && unsigned(decision.shortCount) < count)
            count = unsigned(decision.shortCount);
    }
    return real(fd, messages, count, flags);
}

ssize_t recvmsg(int fd, msghdr *message, int flags)
{
    FAULTINJECT_REAL(ssize_t (*)(int, msghdr *, int), "recvmsg");
    FAULTINJECT_SIMPLE(Call::Recvmsg, FaultInject::AnySelector, ssize_t(-1), fd, message, flags);
}

int recvmmsg(int fd, mmsghdr *messages, unsigned int count, int flags, timespec *timeout)
{
    FAULTINJECT_REAL(int (*)(int, mmsghdr *, unsigned int, int, timespec *), "recvmmsg");
    void *const caller = __builtin_return_address(0);
    if (FaultInject::inLibrary(caller)) {
        const FaultInject::Decision decision = FaultInject::decide(Call::Recvmmsg, FaultInject::AnySelector);
        if (decision.fail)
            return apply(decision, -1, [&] { return real(fd, messages, count, flags, timeout); });
        if (decision.shortCount >= 0 && unsigned(decision.shortCount) < count)
            count = unsigned(decision.shortCount);
    }
    return real(fd, messages, count, flags, timeout);
}

ssize_t recv(int fd, void *buffer, size_t length, int flags)
{
    FAULTINJECT_REAL(ssize_t (*)(int, void *, size_t, int), "recv");
    FAULTINJECT_SIMPLE(Call::Recv, flags, ssize_t(-1), fd, buffer, length, flags);
}

ssize_t send(int fd, const void *buffer, size_t length, int flags)
{
    FAULTINJECT_REAL(ssize_t (*)(int, const void *, size_t, int), "send");
    FAULTINJECT_SIMPLE(Call::Send, flags, ssize_t(-1), fd, buffer, length, flags);
}

int poll(pollfd *fds, nfds_t count, int timeout)
{
    FAULTINJECT_REAL(int (*)(pollfd *, nfds_t, int), "poll");
    FAULTINJECT_SIMPLE(Call::Poll, count > 0 ? int(fds[0].events) : 0, -1, fds, count, timeout);
}

int memfd_create(const char *name, unsigned int flags)
{
    FAULTINJECT_REAL(int (*)(const char *, unsigned int), "memfd_create");
    FAULTINJECT_SIMPLE(Call::MemfdCreate, FaultInject::AnySelector, -1, name, flags);
}

ssize_t write(int fd, const void *buffer, size_t length)
{
    FAULTINJECT_REAL(ssize_t (*)(int, const void *, size_t), "write");
    void *const caller = __builtin_return_address(0);
    if (FaultInject::inLibrary(caller)) {
        const FaultInject::Decision decision = FaultInject::decide(Call::Write, FaultInject::AnySelector);
        if (decision.fail)
            return apply(decision, ssize_t(-1), [&] { return real(fd, buffer, length); });
        if (decision.shortCount >= 0 && size_t(decision.shortCount) < length) {
            if (decision.shortCount == 0)
                return 0; // the file took nothing, without an error
            length = size_t(decision.shortCount);
        }
    }
    return real(fd, buffer, length);
}

int getgroups(int size, gid_t list[])
{
    FAULTINJECT_REAL(int (*)(int, gid_t *), "getgroups");
    FAULTINJECT_SIMPLE(Call::Getgroups, FaultInject::AnySelector, -1, size, list);
}

int fchmod(int fd, mode_t mode)
{
    FAULTINJECT_REAL(int (*)(int, mode_t), "fchmod");
    FAULTINJECT_SIMPLE(Call::Fchmod, FaultInject::AnySelector, -1, fd, mode);
}

int chmod(const char *path, mode_t mode)
{
    FAULTINJECT_REAL(int (*)(const char *, mode_t), "chmod");
    FAULTINJECT_SIMPLE(Call::Chmod, FaultInject::AnySelector, -1, path, mode);
}

int unlink(const char *path)
{
    FAULTINJECT_REAL(int (*)(const char *), "unlink");
    FAULTINJECT_SIMPLE(Call::Unlink, FaultInject::AnySelector, -1, path);
}

// The functions that large-file builds call by another name are defined under both.
#define FAULTINJECT_FCNTL(symbol)                                                                     \
    int symbol(int fd, int command, ...)                                                              \
    {                                                                                                 \
        va_list arguments;                                                                            \
        va_start(arguments, command);                                                                 \
        void *argument = va_arg(arguments, void *);                                                   \
        va_end(arguments);                                                                            \
        FAULTINJECT_REAL(int (*)(int, int, ...), #symbol);                                            \
        FAULTINJECT_SIMPLE(Call::Fcntl, command, -1, fd, command, argument);                          \
    }
FAULTINJECT_FCNTL(fcntl)
FAULTINJECT_FCNTL(fcntl64)

#define FAULTINJECT_OPEN(symbol)                                                                      \
    int symbol(const char *path, int flags, ...)                                                      \
    {                                                                                                 \
        mode_t mode = 0;                                                                              \
        if (flags & (O_CREAT | __O_TMPFILE)) {                                                        \
            va_list arguments;                                                                        \
            va_start(arguments, flags);                                                               \
            mode = mode_t(va_arg(arguments, unsigned int));                                           \
            va_end(arguments);                                                                        \
        }                                                                                             \
        FAULTINJECT_REAL(int (*)(const char *, int, ...), #symbol);                                   \
        FAULTINJECT_SIMPLE(Call::Open, FaultInject::AnySelector, -1, path, flags, mode);              \
    }
FAULTINJECT_OPEN(open)
FAULTINJECT_OPEN(open64)

#define FAULTINJECT_MMAP(symbol)                                                                      \
    void *symbol(void *address, size_t length, int protection, int flags, int fd, off64_t offset)    \
    {                                                                                                 \
        FAULTINJECT_REAL(void *(*)(void *, size_t, int, int, int, off64_t), #symbol);                 \
        FAULTINJECT_SIMPLE(Call::Mmap, flags, MAP_FAILED, address, length, protection, flags, fd, offset); \
    }
FAULTINJECT_MMAP(mmap)
FAULTINJECT_MMAP(mmap64)

#define FAULTINJECT_STAT(symbol, call, first, info_type)                                              \
    int symbol(first argument, info_type *info)                                                       \
    {                                                                                                 \
        FAULTINJECT_REAL(int (*)(first, info_type *), #symbol);                                       \
        FAULTINJECT_SIMPLE(call, FaultInject::AnySelector, -1, argument, info);                       \
    }
FAULTINJECT_STAT(fstat, Call::Fstat, int, struct stat)
FAULTINJECT_STAT(fstat64, Call::Fstat, int, struct stat64)
FAULTINJECT_STAT(lstat, Call::Lstat, const char *, struct stat)
FAULTINJECT_STAT(lstat64, Call::Lstat, const char *, struct stat64)

int epoll_create1(int flags)
{
    FAULTINJECT_REAL(int (*)(int), "epoll_create1");
    FAULTINJECT_SIMPLE(Call::EpollCreate1, FaultInject::AnySelector, -1, flags);
}

int epoll_ctl(int set, int operation, int fd, epoll_event *event)
{
    FAULTINJECT_REAL(int (*)(int, int, int, epoll_event *), "epoll_ctl");
    FAULTINJECT_SIMPLE(Call::EpollCtl, operation, -1, set, operation, fd, event);
}

int epoll_wait(int set, epoll_event *events, int max, int timeout)
{
    FAULTINJECT_REAL(int (*)(int, epoll_event *, int, int), "epoll_wait");
    FAULTINJECT_SIMPLE(Call::EpollWait, FaultInject::AnySelector, -1, set, events, max, timeout);
}

long syscall(long number, ...)
{
    va_list arguments;
    va_start(arguments, number);
    long a[6];
    for (long &argument : a)
        argument = va_arg(arguments, long);
    va_end(arguments);
    FAULTINJECT_REAL(long (*)(long, ...), "syscall");
    FAULTINJECT_SIMPLE(Call::Syscall, int(number), -1L, number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

} // extern "C"
