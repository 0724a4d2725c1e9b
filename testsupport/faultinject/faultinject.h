// SPDX-License-Identifier: MIT
// A fault injector for the library's system calls, for tests: the Nth call (of a chosen C library
// function, made from inside libQSeqpacket) fails with a chosen errno, or returns a short count.
//
// faultinject.cpp defines the C library functions the library calls (socket, sendmsg, recvmmsg,
// poll, fcntl, memfd_create, mmap, ...). Linked into a test executable (target
// QSeqpacket::FaultInject, a static library: its objects become part of the executable, which is
// exported dynamically), those definitions come first in symbol lookup, before the C library and
// before a sanitizer runtime's interceptors, so every call of the library reaches them without
// LD_PRELOAD; each forwards to the next definition (dlsym(RTLD_NEXT)). A fault is injected only
// where the caller's return address lies in libQSeqpacket's code: the event dispatcher's poll(),
// Qt's own calls and the test's calls go through untouched. Rules and counters are atomics (the
// rule table takes a mutex only while rules are armed), so calls from any thread are safe.
//
// Plain C++ and libc only (no Qt), like the rest of testsupport/.
#ifndef QSEQPACKET_FAULTINJECT_H
#define QSEQPACKET_FAULTINJECT_H

#include <climits>
#include <string>
#include <vector>

namespace FaultInject {

// The interposed functions.
enum class Call {
    Socket, Socketpair, Bind, Connect, Listen, Accept4, Shutdown,
    Getsockopt, Setsockopt, Getsockname, Getpeername,
    Sendmsg, Sendmmsg, Recvmsg, Recvmmsg, Recv, Send,
    Poll, Fcntl, MemfdCreate, Write, Mmap, Fstat,
    Open, Fchmod, Chmod, Lstat, Unlink, Getgroups, Syscall,
    EpollCreate1, EpollCtl, EpollWait,
    Count
};

// "sendmsg", "memfd_create", ...
const char *callName(Call call);

// Matches a call whatever its arguments.
constexpr int AnySelector = INT_MIN;

/*!
 * One rule. Among the library's calls of \c call whose selector argument equals \c selector
 * (where it is not AnySelector), the calls from the \c from th (1: the next one) on, \c times of
 * them (-1: all), fail with \c error, or (with \c shortCount >= 0) return a short count.
 *
 * The selector argument of each call: fcntl: the command (F_ADD_SEALS); getsockopt, setsockopt:
 * the option name (SO_PEERCRED); socket: the domain (AF_UNIX); mmap: the flags; recv, send: the
 * flags; poll: the events of the first pollfd (0 where the library only sleeps); syscall: the
 * system call number; epoll_ctl: the operation (EPOLL_CTL_ADD). Others have none (use AnySelector).
 *
 * A failure is returned without calling the real function (nothing happened), unless
 * \c afterCall: then the real call is made and its result replaced by the failure (connect()
 * interrupted after the kernel connected). A short count calls the real function with less:
 * sendmmsg and recvmmsg with at most \c shortCount messages, write with at most \c shortCount bytes
 * (0: write returns 0 without writing).
 *
 * Every rule counts every call it matches; where the windows of several rules take the same call,
 * the one armed first decides it.
 */
struct Fault
{
    Call call = Call::Count;
    int error = 0;
    long from = 1;
    long times = 1;
    int selector = AnySelector;
    int shortCount = -1;
    bool afterCall = false;
};

// Arms \a fault; returns its id for injected(). At most 32 rules at a time.
int inject(const Fault &fault);
// Shorthands: the next \a times calls of \a call fail with \a error.
int fail(Call call, int error, long times = 1, int selector = AnySelector);
// Disarms every rule and zeroes the call counters (the record of pairs injected is kept).
void reset();

// The library's calls of \a call since the last reset() (those that failed by injection too).
long calls(Call call);
// How many calls rule \a id has made fail (or shortened).
long injected(int id);

// Whether libQSeqpacket's code was found in this process (without it nothing is injected).
bool libraryFound();

// Every distinct (call, errno name or "short") pair injected in this process, "sendmsg ENOBUFS".
std::vector<std::string> injectedPairs();
// Writes injectedPairs() to \a path, one a line; false where the file cannot be written.
bool writeInjectedPairs(const std::string &path);

// "ENOBUFS" for ENOBUFS.
std::string errnoName(int error);

} // namespace FaultInject

#endif // QSEQPACKET_FAULTINJECT_H
