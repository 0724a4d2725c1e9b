// SPDX-License-Identifier: MIT
#include "seqpacketsocket.h"
#include "seqpacketbytes_p.h"
#include "seqpacketchannel.h"
#include "seqpacketframeinfo_p.h"
#include "seqpackethex.h"
#include "seqpacketinfo_p.h"
#include "seqpacketpacketkeys.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qpointer.h>
#include <QtCore/qurl.h>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef F_ADD_SEALS
#  define F_ADD_SEALS 1033
#endif
#ifndef F_SEAL_SEAL
#  define F_SEAL_SEAL 0x0001
#  define F_SEAL_SHRINK 0x0002
#  define F_SEAL_GROW 0x0004
#  define F_SEAL_WRITE 0x0008
#endif
#ifndef MFD_ALLOW_SEALING
#  define MFD_ALLOW_SEALING 0x0002U
#endif

namespace {
// Packets are taken for at most this long per packetReady(); the socket signals again for the
// rest, so a flood of packets leaves the event loop room to paint and to handle input.
constexpr qint64 BatchNanoseconds = 15 * 1000 * 1000;
}

SeqpacketSocket::SeqpacketSocket(QObject *parent)
    : SeqpacketEndpoint(nullptr, parent)
{
    attach(new QSeqpacketSocket(this));
}

SeqpacketSocket::SeqpacketSocket(QSeqpacketSocket *socket, SeqpacketReceiveOptions *receiveOptions,
                                 QObject *parent)
    : SeqpacketEndpoint(receiveOptions, parent)
{
    socket->setParent(this);
    attach(socket);
    m_lastState = state();
    if (socket->state() == QSeqpacketSocket::ConnectedState)
        updatePeer();
}

SeqpacketSocket::~SeqpacketSocket()
{
    // The socket is our child and goes with us; none of its last signals should reach a half
    // destroyed wrapper.
    if (m_socket)
        m_socket->disconnect(this);
}

void SeqpacketSocket::attach(QSeqpacketSocket *socket)
{
    m_socket = socket;
    connect(socket, &QSeqpacketSocket::packetReady, this, &SeqpacketSocket::onPacketReady);
    connect(socket, &QSeqpacketSocket::errorOccurred, this, &SeqpacketSocket::onSocketError);
    connect(socket, &QSeqpacketSocket::stateChanged, this, &SeqpacketSocket::onStateChanged);
    connect(socket, &QSeqpacketSocket::packetsWritten, this, &SeqpacketSocket::countersChanged);
    connect(socket, &QSeqpacketSocket::connected, this, [this] {
        updatePeer();
        emit connected();
    });
    connect(socket, &QSeqpacketSocket::disconnected, this, &SeqpacketSocket::disconnected);
    connect(receiveOptions(), &SeqpacketReceiveOptions::senderProcessesChanged, this,
            &SeqpacketSocket::applySenderProcesses);
    applySenderProcesses();
}

void SeqpacketSocket::applySenderProcesses()
{
    // Where the kernel has no SO_PASSPIDFD the socket says so through errorOccurred().
    if (m_socket->perPacketProcessFileDescriptor() != receiveOptions()->senderProcesses())
        m_socket->setPerPacketProcessFileDescriptor(receiveOptions()->senderProcesses());
}

QSeqpacketSocket::State SeqpacketSocket::state() const
{
    return m_socket ? m_socket->state() : QSeqpacketSocket::UnconnectedState;
}

qint64 SeqpacketSocket::packetsToWrite() const
{
    return m_socket ? m_socket->packetsToWrite() : 0;
}

void SeqpacketSocket::onSocketError(QSeqpacketSocket::SocketError error)
{
    if (m_ignoreErrors)
        return;
    setError(error, m_socket->errorString());
}

void SeqpacketSocket::onStateChanged()
{
    const QSeqpacketSocket::State now = state();
    if (now == m_lastState)
        return;
    m_lastState = now;
    emit stateChanged();
}

void SeqpacketSocket::resetCounters()
{
    m_packetsSent = m_bytesSent = m_descriptorsSent = 0;
    m_packetsReceived = m_bytesReceived = m_descriptorsReceived = 0;
    emit countersChanged();
}

void SeqpacketSocket::connectToServer(const QString &address)
{
    setAddress(address);
    connectToServer();
}

void SeqpacketSocket::connectToServer()
{
    if (m_socket->state() != QSeqpacketSocket::UnconnectedState)
        m_socket->abort();
    clearError();
    resetCounters();
    const QSeqpacketAddress server = QSeqpacketAddress::fromString(address());
    m_socket->connectToServer(server);
}

void SeqpacketSocket::disconnectFromServer()
{
    m_socket->disconnectFromServer();
}

void SeqpacketSocket::abort()
{
    m_socket->abort();
}

void SeqpacketSocket::updatePeer()
{
    // Queries such as SO_PEERSEC report "unsupported" through the socket's error; that is an
    // answer here, not a failure of the connection.
    m_ignoreErrors = true;
    // The textual form, as fromString() takes it back: empty for an unnamed address.
    m_localAddress = m_socket->localAddress().toString();
    m_peerAddress = m_socket->peerAddress().toString();
    const QSeqpacketCredentials credentials = m_socket->peerCredentials();
    m_peerCredentialsValid = credentials.isValid();
    m_peerGroups.clear();
    if (m_peerCredentialsValid) {
        m_peerPid = credentials.processId();
        m_peerUid = credentials.userId();
        m_peerGid = credentials.groupId();
        m_peerUser = SeqpacketInfo::userName(credentials.userId());
        m_peerGroup = SeqpacketInfo::groupName(credentials.groupId());
        const QList<uint> groups = credentials.supplementaryGroups();
        for (uint gid : groups) {
            QVariantMap group;
            group.insert(QStringLiteral("gid"), gid);
            group.insert(QStringLiteral("name"), SeqpacketInfo::groupName(gid));
            m_peerGroups.append(group);
        }
    } else {
        m_peerPid = m_peerUid = m_peerGid = -1;
        m_peerUser.clear();
        m_peerGroup.clear();
    }
    m_peerSecurityContext = QString::fromUtf8(m_socket->peerSecurityContext());
    m_sendBufferSize = m_socket->sendBufferSize();
    m_receiveBufferSize = m_socket->receiveBufferSize();
    m_maxPacketSize = m_socket->maxPacketSize();
    m_ignoreErrors = false;
    emit peerChanged();
}

QVariantMap SeqpacketSocket::describePacket(const QSeqpacketPacket &received, qint64 timestamp,
                                            const QString &direction, qint64 sequence) const
{
    namespace Key = SeqpacketPacketKey;
    const QByteArray data = received.data();
    const QList<QSeqpacketFileDescriptor> fds = received.fileDescriptors();
    QVariantMap packet;
    packet.insert(Key::Data, data.isNull() ? QByteArray("") : data);
    // The helpers cover decodeLimit bytes; data is always whole.
    const int decode = decodeLimit();
    const QByteArrayView decoded = decode >= 0 && data.size() > decode ? QByteArrayView(data).first(decode)
                                                                       : QByteArrayView(data);
    packet.insert(Key::Text, QString::fromUtf8(decoded));
    packet.insert(Key::Hex, SeqpacketBytes::toHex(decoded));
    packet.insert(Key::IsText, SeqpacketBytes::looksLikeText(decoded));
    packet.insert(Key::Size, qint64(data.size()));
    packet.insert(Key::OriginalSize, received.originalSize());
    packet.insert(Key::Truncated, received.isTruncated());
    packet.insert(Key::DescriptorCount, qint64(fds.size()));
    packet.insert(Key::DescriptorsTruncated, received.areFileDescriptorsTruncated());
    packet.insert(Key::Descriptors, SeqpacketInfo::describeDescriptors(fds, descriptorPreviewSize()));
    packet.insert(Key::Direction, direction);
    packet.insert(Key::Sequence, sequence);
    packet.insert(Key::Timestamp, timestamp);
    packet.insert(Key::Time, QDateTime::fromMSecsSinceEpoch(timestamp));
    if (direction == SeqpacketPacketDirection::In && receiveOptions()->senderProcesses()) {
        const SeqpacketInfo::SenderProcess sender = SeqpacketInfo::senderOf(received.processFileDescriptor().descriptor());
        packet.insert(Key::SenderPid, sender.pid);
        packet.insert(Key::SenderExecutable, sender.executable);
    }
    // Here, while the descriptors are open: a spilled frame is read from its memfd.
    if (receiveOptions()->decodeFrames()) {
        const QVariantMap frame = SeqpacketFrameInfo::describe(received, decode);
        if (!frame.isEmpty())
            packet.insert(Key::Frame, frame);
    }
    return packet;
}

SeqpacketChannel *SeqpacketSocket::channel() const
{
    return m_channel;
}

void SeqpacketSocket::setChannel(SeqpacketChannel *channel)
{
    if (m_channel == channel)
        return;
    m_channel = channel;
    // Packets that came while the channel read none (or that it left) are ours again.
    if (!channel)
        QMetaObject::invokeMethod(this, &SeqpacketSocket::onPacketReady, Qt::QueuedConnection);
}

void SeqpacketSocket::onPacketReady()
{
    // A channel reads the packets itself (it is connected to packetReady() too).
    if (m_channel)
        return;
    QPointer<SeqpacketSocket> guard(this);
    QElapsedTimer batch;
    batch.start();
    while (batch.nsecsElapsed() < BatchNanoseconds) {
        if (!guard || !m_socket || m_channel || !m_socket->hasPendingPackets())
            return;
        QSeqpacketPacket received = m_socket->receivePacket(receiveLimit());
        if (!received.isValid())
            return;
        const QByteArray data = received.data();
        const QList<QSeqpacketFileDescriptor> fds = received.fileDescriptors();
        ++m_packetsReceived;
        m_bytesReceived += data.size();
        m_descriptorsReceived += fds.size();
        const qint64 timestamp = received.receivedAt() > 0 ? received.receivedAt()
                                                          : QDateTime::currentMSecsSinceEpoch();
        const QVariantMap packet = describePacket(received, timestamp, SeqpacketPacketDirection::In,
                                                  m_packetsReceived);
        emit countersChanged();
        if (!guard)
            return;
        emit packetReceived(packet);
        if (!guard)
            return;
        const QVariantList descriptors = packet.value(SeqpacketPacketKey::Descriptors).toList();
        for (const QVariant &descriptor : descriptors) {
            emit descriptorReceived(descriptor.toMap(), packet);
            if (!guard)
                return;
        }
        // `received` and `fds` go out of scope here: the descriptors are closed.
    }
}

bool SeqpacketSocket::send(const QByteArray &data, const QList<QSeqpacketFileDescriptor> &fds)
{
    // Describe before sending: the descriptors stay ours, but what they show may change once
    // the peer has them.
    QVariantMap packet = describePacket(QSeqpacketPacket(data.isNull() ? QByteArray("") : data, fds),
                                        QDateTime::currentMSecsSinceEpoch(), SeqpacketPacketDirection::Out,
                                        m_packetsSent + 1);
    if (!m_socket->sendPacket(QByteArrayView(data), fds))
        return false; // errorOccurred() set the error
    ++m_packetsSent;
    m_bytesSent += data.size();
    m_descriptorsSent += fds.size();
    emit countersChanged();
    emit packetSent(packet);
    return true;
}

bool SeqpacketSocket::sendText(const QString &text)
{
    return send(text.toUtf8(), {});
}

bool SeqpacketSocket::sendHex(const QString &hex)
{
    QByteArray bytes;
    QString why;
    if (!SeqpacketHex::parse(hex, &bytes, &why)) {
        setError(InvalidDataError, QStringLiteral("sendHex: %1").arg(why));
        return false;
    }
    return send(bytes, {});
}

bool SeqpacketSocket::sendBytes(const QVariant &data)
{
    QByteArray bytes;
    if (!SeqpacketBytes::fromVariant(data, &bytes)) {
        setError(InvalidDataError,
                 QStringLiteral("sendBytes: expected an ArrayBuffer, a string or a list of byte values, not %1")
                         .arg(QString::fromLatin1(data.typeName())));
        return false;
    }
    return send(bytes, {});
}

bool SeqpacketSocket::sendFile(const QString &path, const QVariant &data)
{
    QByteArray bytes;
    if (!SeqpacketBytes::fromVariant(data, &bytes)) {
        setError(InvalidDataError, QStringLiteral("sendFile: the data is not bytes (%1)")
                                           .arg(QString::fromLatin1(data.typeName())));
        return false;
    }
    QString localPath = path;
    if (path.startsWith(QLatin1String("file:")))
        localPath = QUrl(path).toLocalFile();
    if (localPath.isEmpty()) {
        setError(InvalidDataError, QStringLiteral("sendFile: no file given"));
        return false;
    }
    const QByteArray native = QFile::encodeName(localPath);
    int fd;
    do {
        fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int errorNumber = errno;
        setError(InvalidDataError, QStringLiteral("sendFile: cannot open %1: %2")
                                           .arg(localPath, QString::fromLocal8Bit(::strerror(errorNumber))));
        return false;
    }
    const QSeqpacketFileDescriptor descriptor = QSeqpacketFileDescriptor::adopt(fd);
    return send(bytes, {descriptor});
}

bool SeqpacketSocket::sendMemfd(const QString &name, const QVariant &content, const QVariant &data)
{
    QByteArray bytes;
    QByteArray contentBytes;
    if (!SeqpacketBytes::fromVariant(data, &bytes)
        || !SeqpacketBytes::fromVariant(content, &contentBytes)) {
        setError(InvalidDataError, QStringLiteral("sendMemfd: the content or the data is not bytes"));
        return false;
    }
    const QByteArray memfdName = name.isEmpty() ? QByteArray("qseqpacket") : name.toUtf8();
    const int fd = ::memfd_create(memfdName.constData(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        const int errorNumber = errno;
        setError(QSeqpacketSocket::ResourceError, QStringLiteral("sendMemfd: memfd_create: %1")
                                        .arg(QString::fromLocal8Bit(::strerror(errorNumber))));
        return false;
    }
    const QSeqpacketFileDescriptor descriptor = QSeqpacketFileDescriptor::adopt(fd);
    qsizetype written = 0;
    while (written < contentBytes.size()) {
        const ssize_t n = ::write(fd, contentBytes.constData() + written, size_t(contentBytes.size() - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int errorNumber = errno;
            setError(QSeqpacketSocket::ResourceError, QStringLiteral("sendMemfd: write: %1")
                                            .arg(QString::fromLocal8Bit(::strerror(errorNumber))));
            return false;
        }
        written += n;
    }
    // The receiver gets a read-only view of fixed content.
    ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    return send(bytes, {descriptor});
}
