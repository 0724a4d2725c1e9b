// SPDX-License-Identifier: MIT
// The channel group (issue #12): QSeqpacketChannel's requests, one-way messages and large
// messages against the socket's own packets, QtDBus peer-to-peer, Qt Remote Objects,
// QLocalSocket with QDataStream and a raw memfd transfer. The driver's side and the peers.
#ifndef QSEQPACKET_BENCH_CHANNEL_H
#define QSEQPACKET_BENCH_CHANNEL_H

#include <QtCore/qcbormap.h>
#include <QtCore/qvariant.h>

#include <string>

class QSeqpacketSocket;

namespace bench {

// The small body of the request and message cases: a map with an int and a short string,
// {"n": n, "s": "hello, seqpacket"}, as CBOR (the channel) or a QVariantMap (QtDBus a{sv},
// Qt Remote Objects, QDataStream). n is the request's (message's) sequence number.
QCborMap smallCborBody(qint64 n);
QVariantMap smallVariantBody(qint64 n);
// The name the requests and messages go by.
QString smallName();
// The size of the request frame the channel sends for it (the packet baseline's payload).
long smallFrameSize();

// Request/reply round trips with a peer process that answers. Microseconds per round trip.
enum class ChannelRoundTrip {
    Packet,        // QSeqpacketSocket packets of smallFrameSize() bytes, echoed by a QSeqpacketSocket peer
    Channel,       // QSeqpacketChannel::request(), the peer's requestReceived() replies with the body
    DBus,          // QtDBus peer-to-peer: QDBusServer in the peer, connectToPeer() + asyncCall() here
    RemoteObjects  // Qt Remote Objects over local: (QLocalSocket), a source slot returning the body
};
double channelRoundTrip(ChannelRoundTrip kind, long count);
// Whether the optional cases were built (Qt6DBus, Qt6RemoteObjects found by CMake).
bool haveDBus();
bool haveRemoteObjects();

// One-way small messages, this process sends (at most 256 KiB queued, more as the kernel takes
// them) until the peer has counted all. Messages per second.
enum class ChannelStream {
    QLocalDataStream, // QLocalSocket + QDataStream (QString name, QVariantMap body), transactions at the peer
    Channel,          // QSeqpacketChannel::send(), the peer's messageReceived()
    Packet            // QSeqpacketSocket packets of the message frame's size (reference)
};
double channelStream(ChannelStream kind, long count);

// A large message at a time (the peer reads all of it, checks it, and acknowledges with a small
// packet or message before the next is sent). MiB per second.
enum class BigMessage {
    RawMemfd,  // memfd_create, write, seal, sendmsg the descriptor; peer mmap + read
    Channel,   // QSeqpacketChannel::send() of a QCborValue byte string (spilled to a sealed memfd);
               // the peer reads message.body().toByteArray()
    ChannelBytes, // the same bytes as setBodyBytes() (no QCborValue); the peer reads bodyBytes()
    ChannelFd  // QSeqpacketChannel::send() of a small body with the bytes in the caller's own sealed
               // memfd as the message's descriptor (made as RawMemfd does); peer mmap + read
};
double bigMessage(BigMessage kind, long size, long count);

// The peers of the group; false where \a mode is not one of them.
bool channelPeer(const std::string &mode, int argc, char **argv, int *status);

// --in-process: the far side of the QSeqpacket cases (the channel's, the packets', QLocalSocket's,
// the raw memfd reader) is made in this thread on the other end of the socket pair instead of in a
// peer process, for profilers that cannot follow the peers (valgrind: they are this binary run
// again through /proc/self/exe). The QtDBus and Qt Remote Objects cases are left out then.
void setChannelInProcess(bool on);
bool channelInProcess();

// The packet echo of the round trips: every packet of \a socket is sent back (peers.cpp's qt-echo too).
void attachPacketEcho(QSeqpacketSocket *socket);

// dbus.cpp and remoteobjects.cpp, where built.
double dbusRoundTrip(long count);
int dbusEchoPeer(int argc, char **argv);
double remoteObjectsRoundTrip(long count);
int remoteObjectsEchoPeer(int argc, char **argv);

// For the peers of dbus.cpp and remoteobjects.cpp: quits the application when the driver
// closes the control socket.
void quitWhenControlCloses();
// Fails the run unless \a body is smallVariantBody(n) (after a trip through a peer).
void checkVariantBody(const QVariantMap &body, qint64 n, const char *what);

} // namespace bench

#endif
