// SPDX-License-Identifier: MIT
// Helpers shared by the QSeqpacketSocket tests (tests/auto/socket): the peer helper process, a
// signal recorder, raw peers adopted into a socket, filling the kernel's buffer so that the send
// queue is used, and bounded waits that keep the event loop running.
#ifndef QSEQPACKET_SOCKETTEST_H
#define QSEQPACKET_SOCKETTEST_H

#include <QSeqpacketSocket>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QMetaEnum>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryFile>
#include <QtCore/QThread>
#include <QtTest/QtTest>

#include "testutil.h"

#include <csignal>
#include <thread>

#ifndef QSEQPACKET_TEST_PEER
#  error "QSEQPACKET_TEST_PEER must name the peer helper executable"
#endif

namespace SocketTest {

constexpr int LongTimeout = 30000; // generous: the machine is shared

inline QString peerProgram()
{
    return QStringLiteral(QSEQPACKET_TEST_PEER);
}

inline const char *errorName(QSeqpacketSocket::SocketError error)
{
    return QMetaEnum::fromType<QSeqpacketSocket::SocketError>().valueToKey(error);
}

/*! "@name" (the peer helper's form) for an abstract name. */
inline QByteArray peerArgument(const QByteArray &abstractName)
{
    return '@' + abstractName;
}

/*! The raw-syscall peer process (tests/auto/shared/peer). Killed and reaped on destruction. */
class PeerProcess
{
public:
    PeerProcess() { m_process.setProgram(peerProgram()); }
    ~PeerProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(LongTimeout);
        }
    }
    PeerProcess(const PeerProcess &) = delete;
    PeerProcess &operator=(const PeerProcess &) = delete;

    /*! Starts "listen <address>" and waits for its "ready" line. */
    bool startListening(const QByteArray &address)
    {
        m_process.setArguments({QStringLiteral("listen"), QString::fromLocal8Bit(address)});
        m_process.start();
        if (!m_process.waitForStarted(LongTimeout))
            return false;
        QDeadlineTimer deadline(LongTimeout);
        while (!m_output.contains("ready\n")) {
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(100);
            m_output += m_process.readAllStandardOutput();
        }
        m_output.clear();
        return true;
    }

    /*! Starts "connect <address>" (the caller then accepts the connection). */
    bool startConnecting(const QByteArray &address)
    {
        m_process.setArguments({QStringLiteral("connect"), QString::fromLocal8Bit(address)});
        m_process.start();
        return m_process.waitForStarted(LongTimeout);
    }

    qint64 pid() const { return m_process.processId(); }

    /*! Waits for the process to end; true when it exited normally. */
    bool finish(int timeoutMs = LongTimeout)
    {
        if (m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(timeoutMs))
            return false;
        m_output += m_process.readAllStandardOutput();
        return m_process.exitStatus() == QProcess::NormalExit;
    }
    int exitCode() const { return m_process.exitCode(); }
    QByteArray standardOutput()
    {
        m_output += m_process.readAllStandardOutput();
        return m_output;
    }
    QByteArray standardError() { return m_process.readAllStandardError(); }
    QProcess &process() { return m_process; }

private:
    QProcess m_process;
    QByteArray m_output;
};

/*!
 * Starts \a peer listening ("listen") on a fresh abstract name made from \a tag and connects
 * \a socket to it (connectToServer() is synchronous). Returns what went wrong, empty when connected.
 */
inline QByteArray connectToListeningPeer(PeerProcess *peer, QSeqpacketSocket *socket, const char *tag)
{
    const QByteArray name = TestUtil::uniqueAbstractName(tag);
    if (!peer->startListening(peerArgument(name)))
        return "the peer did not start listening: " + peer->standardError();
    socket->connectToServer(QSeqpacketAddress::fromAbstractName(name));
    if (socket->state() != QSeqpacketSocket::ConnectedState)
        return "not connected: " + socket->errorString().toUtf8();
    return QByteArray();
}

/*! Runs the peer once so that QProcess has set up whatever it keeps for the process's life. */
inline void warmUpProcesses()
{
    QProcess noop;
    noop.start(peerProgram(), {QStringLiteral("noop")});
    noop.waitForFinished(LongTimeout);
}

/*!
 * Everything that Qt and the library set up once per process or per thread, done before the
 * first descriptor snapshot so that a test's own accounting is exact.
 */
inline void warmUp()
{
    warmUpProcesses();
    QThread thread;
    thread.start();
    thread.quit();
    thread.wait();
    std::thread([] { QObject object; }).join();
    QTemporaryFile file;
    if (file.open())
        file.write("x");
    auto [a, b] = QSeqpacketSocket::createPair();
    a->sendPacket("warm-up");
    b->receivePacket();
    delete a;
    delete b;
    QCoreApplication::processEvents();
}

/*! Adopts one end of a fresh raw socket pair into \a socket; the other end goes to \a rawPeer. */
inline bool adoptRawPair(QSeqpacketSocket *socket, TestUtil::UniqueFd *rawPeer)
{
    TestUtil::UniqueFd ours;
    if (!TestUtil::rawSocketPair(&ours, rawPeer))
        return false;
    if (!socket->setSocketDescriptor(ours.get()))
        return false;
    ours.release(); // the socket owns it now
    return true;
}

/*!
 * Sends sequenced packets of \a size bytes until the kernel's buffer is full and one packet sits
 * in the send queue. Returns how many were sent (the last one queued), -1 where the queue was
 * never used within \a maxPackets or a send failed.
 */
inline int fillKernelBuffer(QSeqpacketSocket *socket, int size, int firstSequence = 0, int maxPackets = 100000)
{
    for (int i = 0; i < maxPackets; ++i) {
        if (!socket->sendPacket(TestUtil::sequencedPayload(firstSequence + i, size)))
            return -1;
        if (socket->packetsToWrite() > 0)
            return i + 1;
    }
    return -1;
}

/*!
 * Receives one packet on the raw descriptor \a fd, running the event loop while none is there so
 * that the socket on the other end can write its queue; timedOut once \a deadline has passed.
 * The packet's descriptors are the caller's to close.
 */
inline TestUtil::RawPacket receiveRawWhileLooping(int fd, const QDeadlineTimer &deadline)
{
    for (;;) {
        TestUtil::RawPacket packet = TestUtil::rawReceive(fd, 2);
        if (!packet.timedOut || deadline.hasExpired())
            return packet;
        QCoreApplication::processEvents();
    }
}

/*!
 * Reads packets from the raw descriptor \a fd until \a expected arrived, end-of-file, or the
 * deadline, running the event loop in between so that the socket on the other end can write
 * its queue. Descriptors that come with packets are closed.
 */
struct RawDrain
{
    QList<QByteArray> packets;
    bool eof = false;
    int error = 0;
};

inline RawDrain drainRaw(int fd, int expected, int timeoutMs = LongTimeout, bool untilEof = false)
{
    RawDrain result;
    QDeadlineTimer deadline(timeoutMs);
    while ((untilEof || result.packets.size() < expected) && !deadline.hasExpired()) {
        TestUtil::RawPacket packet = receiveRawWhileLooping(fd, deadline);
        packet.closeFds();
        if (packet.ok) {
            result.packets.append(packet.data);
            continue;
        }
        if (packet.eof) {
            result.eof = true;
            break;
        }
        if (!packet.timedOut) {
            result.error = packet.error;
            break;
        }
    }
    return result;
}

/*!
 * Waits (running the event loop) until \a socket has a packet and takes it; an invalid packet
 * where none came before the deadline.
 */
inline QSeqpacketPacket takePacket(QSeqpacketSocket *socket, int timeoutMs = LongTimeout)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!socket->hasPendingPackets()) {
        if (deadline.hasExpired())
            return QSeqpacketPacket();
        QTest::qWait(1);
    }
    return socket->receivePacket();
}

/*! Takes every packet that can be read now. */
inline QList<QSeqpacketPacket> takeAll(QSeqpacketSocket *socket, int max = 1000000)
{
    QList<QSeqpacketPacket> result;
    while (result.size() < max && socket->hasPendingPackets())
        result.append(socket->receivePacket());
    return result;
}

/*!
 * Records a socket's signals in order as short strings ("connected", "disconnected",
 * "state:ConnectedState", "error:ConnectionResetError", "packetReady", "written:3",
 * "readChannelFinished"). With readOnPacketReady, the packetReady() slot takes every pending
 * packet into packets and logs "packet:<first 16 bytes>" for each.
 */
class SignalLog : public QObject
{
public:
    explicit SignalLog(QSeqpacketSocket *socket, bool readOnPacketReady = false)
        : m_socket(socket), m_read(readOnPacketReady)
    {
        connect(socket, &QSeqpacketSocket::connected, this, [this] { log << QStringLiteral("connected"); });
        connect(socket, &QSeqpacketSocket::disconnected, this, [this] {
            log << QStringLiteral("disconnected");
            packetsAtDisconnected = packets.size();
        });
        connect(socket, &QSeqpacketSocket::stateChanged, this, [this](QSeqpacketSocket::State state) {
            log << QStringLiteral("state:") + QString::fromLatin1(
                           QMetaEnum::fromType<QSeqpacketSocket::State>().valueToKey(state));
        });
        connect(socket, &QSeqpacketSocket::errorOccurred, this, [this](QSeqpacketSocket::SocketError error) {
            log << QStringLiteral("error:") + QString::fromLatin1(errorName(error));
        });
        connect(socket, &QSeqpacketSocket::readChannelFinished, this,
                [this] { log << QStringLiteral("readChannelFinished"); });
        connect(socket, &QSeqpacketSocket::packetsWritten, this, [this](qint64 count) {
            log << QStringLiteral("written:%1").arg(count);
            written += count;
        });
        connect(socket, &QSeqpacketSocket::packetReady, this, [this] {
            ++packetReadyCalls;
            log << QStringLiteral("packetReady");
            if (!m_read)
                return;
            while (m_socket->hasPendingPackets()) {
                const QSeqpacketPacket packet = m_socket->receivePacket();
                packets.append(packet);
                log << QStringLiteral("packet:") + QString::fromLatin1(packet.data().left(16));
            }
        });
    }

    int count(const QString &entry) const { return int(log.count(entry)); }
    int indexOf(const QString &entry) const { return int(log.indexOf(entry)); }
    int lastPacketIndex() const
    {
        for (int i = int(log.size()) - 1; i >= 0; --i) {
            if (log.at(i).startsWith(QStringLiteral("packet:")))
                return i;
        }
        return -1;
    }
    QByteArray text() const { return log.join(QLatin1Char(' ')).toUtf8(); }

    QStringList log;
    QList<QSeqpacketPacket> packets;
    int packetReadyCalls = 0;
    qint64 written = 0;
    int packetsAtDisconnected = -1;

private:
    QSeqpacketSocket *m_socket;
    bool m_read;
};

/*! Checks that \a packets carry sequence numbers first, first + 1, ... and are \a size bytes each. */
inline QByteArray checkSequence(const QList<QByteArray> &packets, int first, int size)
{
    for (int i = 0; i < packets.size(); ++i) {
        const QByteArray expected = TestUtil::sequencedPayload(first + i, size);
        if (packets.at(i) != expected) {
            return QByteArray("packet ") + QByteArray::number(i) + " is " + packets.at(i).left(20) + " ("
                + QByteArray::number(packets.at(i).size()) + " bytes), expected " + expected.left(20) + " ("
                + QByteArray::number(expected.size()) + " bytes)";
        }
    }
    return QByteArray();
}

/*!
 * Reads the raw descriptor \a fd until end-of-file (drainRaw()) and checks that exactly \a count
 * packets came before it, with sequence numbers 0, 1, ... and \a size bytes each (checkSequence()).
 * Returns what was wrong, empty where all was well.
 */
inline QByteArray drainSequenceToEof(int fd, int count, int size)
{
    const RawDrain drained = drainRaw(fd, 0, LongTimeout, true);
    if (!drained.eof)
        return "no end-of-file after " + QByteArray::number(drained.packets.size()) + " packets (errno "
            + QByteArray::number(drained.error) + ')';
    if (drained.packets.size() != count)
        return QByteArray::number(drained.packets.size()) + " packets before end-of-file, expected "
            + QByteArray::number(count);
    return checkSequence(drained.packets, 0, size);
}

inline QList<QByteArray> dataOf(const QList<QSeqpacketPacket> &packets)
{
    QList<QByteArray> result;
    for (const QSeqpacketPacket &packet : packets)
        result.append(packet.data());
    return result;
}

} // namespace SocketTest

/*!
 * The descriptor accounting every test function does: init() takes a snapshot, cleanup()
 * compares (giving deferred deletes and exiting children a moment to finish).
 */
#define SOCKETTEST_FD_INIT() m_fdsAtStart = TestUtil::openFds()
#define SOCKETTEST_FD_CLEANUP()                                                                       \
    QTRY_VERIFY2_WITH_TIMEOUT(TestUtil::openFds() == m_fdsAtStart,                                 \
                              TestUtil::describeFdDifference(m_fdsAtStart, TestUtil::openFds()).constData(), \
                              10000)

#endif // QSEQPACKET_SOCKETTEST_H
