// SPDX-License-Identifier: MIT
// qseqpacket-syscall-costs: what the kernel's side of one send and receive of a 64-byte packet
// costs with each way of receiving the library could use (docs/benchmarks.md, "Sixth session").
// No Qt, no library: a socket pair in one thread, send then receive, so that only the system
// calls differ between the variants. The variants run alternately, many short runs each, and the
// median of the runs is shown: on a shared virtual machine a single long run says little.
//
//   qseqpacket-syscall-costs [RUNS [PACKETS_PER_RUN]]     (default 60 runs of 50,000)

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

constexpr int Payload = 64;
constexpr int Batch = 64;
constexpr int ControlSpace = 512;

enum class Receive { Recv, Recvmsg, Recvmmsg1, Recvmmsg64 };
enum class Send { Send, Sendmsg };

struct Variant
{
    const char *name;
    Send send;
    Receive receive;
    bool timestamps;
};

const Variant variants[] = {
    { "send + recv (the bare floor)", Send::Send, Receive::Recv, false },
    { "send + recvmsg", Send::Send, Receive::Recvmsg, false },
    { "send + recvmmsg, room for 1", Send::Send, Receive::Recvmmsg1, false },
    { "send + recvmmsg, room for 64, one there", Send::Send, Receive::Recvmmsg64, false },
    { "send + recvmsg, SO_TIMESTAMP on", Send::Send, Receive::Recvmsg, true },
    { "send + recvmmsg, room for 1, SO_TIMESTAMP on (the library, one at a time)", Send::Send, Receive::Recvmmsg1, true },
    { "send + recvmmsg, room for 64, SO_TIMESTAMP on (the library, batch)", Send::Send, Receive::Recvmmsg64, true },
    { "sendmsg + recv", Send::Sendmsg, Receive::Recv, false },
};

[[noreturn]] void fail(const char *what)
{
    std::perror(what);
    std::exit(1);
}

struct Buffers
{
    mmsghdr headers[Batch];
    iovec vectors[Batch];
    char data[Batch][256];
    alignas(cmsghdr) char control[Batch][ControlSpace];

    Buffers()
    {
        std::memset(headers, 0, sizeof(headers));
        for (int i = 0; i < Batch; ++i) {
            vectors[i] = { data[i], sizeof(data[i]) };
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            headers[i].msg_hdr.msg_control = control[i];
            headers[i].msg_hdr.msg_controllen = ControlSpace;
        }
    }
};

// Nanoseconds per send and receive of one packet.
double run(const Variant &variant, long packets, Buffers &buffers)
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == -1)
        fail("socketpair");
    const int on = 1;
    if (variant.timestamps && ::setsockopt(fds[1], SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)) == -1)
        fail("setsockopt(SO_TIMESTAMP)");
    char payload[Payload] = {};
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < packets; ++i) {
        ssize_t sent;
        if (variant.send == Send::Send) {
            sent = ::send(fds[0], payload, Payload, MSG_DONTWAIT | MSG_NOSIGNAL);
        } else {
            iovec vector = { payload, Payload };
            msghdr header = {};
            header.msg_iov = &vector;
            header.msg_iovlen = 1;
            sent = ::sendmsg(fds[0], &header, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        if (sent != Payload)
            fail("send");
        mmsghdr &first = buffers.headers[0];
        first.msg_hdr.msg_controllen = ControlSpace; // as the library resets what the last read filled
        first.msg_hdr.msg_flags = 0;
        const int flags = MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC;
        ssize_t got = -1;
        switch (variant.receive) {
        case Receive::Recv:
            got = ::recv(fds[1], buffers.data[0], sizeof(buffers.data[0]), MSG_DONTWAIT);
            break;
        case Receive::Recvmsg:
            got = ::recvmsg(fds[1], &first.msg_hdr, flags);
            break;
        case Receive::Recvmmsg1:
            got = ::recvmmsg(fds[1], buffers.headers, 1, flags, nullptr) == 1 ? ssize_t(first.msg_len) : -1;
            break;
        case Receive::Recvmmsg64:
            got = ::recvmmsg(fds[1], buffers.headers, Batch, flags, nullptr) == 1 ? ssize_t(first.msg_len) : -1;
            break;
        }
        if (got != Payload)
            fail("receive");
    }
    const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    ::close(fds[0]);
    ::close(fds[1]);
    return elapsed.count() / double(packets);
}

} // namespace

int main(int argc, char **argv)
{
    const int runs = argc > 1 ? std::atoi(argv[1]) : 60;
    const long packets = argc > 2 ? std::atol(argv[2]) : 50000;
    if (runs < 1 || packets < 1) {
        std::fprintf(stderr, "usage: %s [RUNS [PACKETS_PER_RUN]]\n", argv[0]);
        return 2;
    }
    auto *buffers = new Buffers;
    constexpr int count = int(sizeof(variants) / sizeof(variants[0]));
    std::vector<std::vector<double>> results(count);
    for (int r = 0; r < runs; ++r) {
        for (int v = 0; v < count; ++v)
            results[v].push_back(run(variants[v], packets, *buffers));
    }
    std::printf("one 64-byte packet sent and received, ns (median of %d alternating runs of %ld; min)\n", runs, packets);
    const auto median = [](std::vector<double> values) {
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
    };
    const double floor = median(results[0]);
    for (int v = 0; v < count; ++v) {
        const double m = median(results[v]);
        std::printf("  %-76s %7.0f  %+5.0f  (min %.0f)\n", variants[v].name, m, m - floor,
                    *std::min_element(results[v].begin(), results[v].end()));
    }
    delete buffers;
    return 0;
}
