// SPDX-License-Identifier: MIT
#include "packetlog.h"

#include "seqpacketpacketkeys.h"

#include <QtCore/qdatetime.h>

#include <algorithm>

namespace {

namespace Key = SeqpacketPacketKey;

constexpr int PreviewChars = 240;
constexpr int PreviewBytes = 48;

QString makePreview(const QVariantMap &packet, bool isText)
{
    const qint64 size = packet.value(Key::Size).toLongLong();
    if (size == 0)
        return QStringLiteral("(empty packet)");
    if (isText) {
        QString text = packet.value(Key::Text).toString().left(PreviewChars);
        text.replace(QLatin1Char('\n'), QChar(0x21b5)); // ↵
        text.replace(QLatin1Char('\r'), QString());
        text.replace(QLatin1Char('\t'), QChar(0x2192)); // →
        if (size > PreviewChars)
            text += QChar(0x2026);
        return text;
    }
    const QString hex = packet.value(Key::Hex).toString();
    QString out;
    const int bytes = int(qMin<qsizetype>(hex.size() / 2, PreviewBytes));
    out.reserve(bytes * 3);
    for (int i = 0; i < bytes; ++i) {
        if (i)
            out += QLatin1Char(' ');
        out += hex.mid(i * 2, 2);
    }
    if (size > bytes)
        out += QStringLiteral(" ") + QChar(0x2026);
    return out;
}

QString oneLine(QString text)
{
    text.replace(QLatin1Char('\n'), QChar(0x21b5));
    return text;
}

} // namespace

PacketLog::PacketLog(QObject *parent)
    : QAbstractListModel(parent)
{
    // Entries reach the model in batches, a few times a frame at most: a flood of packets costs
    // one model change per batch instead of one per packet.
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(10);
    connect(&m_flushTimer, &QTimer::timeout, this, &PacketLog::flush);
    m_rateTimer.setInterval(1000);
    connect(&m_rateTimer, &QTimer::timeout, this, &PacketLog::updateRates);
}

int PacketLog::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant PacketLog::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() < 0 || size_t(index.row()) >= m_entries.size())
        return {};
    const Entry &e = m_entries[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case PreviewRole:
        return e.kind == QLatin1String("event") ? e.text : e.preview;
    case KindRole:
        return e.kind;
    case NumberRole:
        return e.number;
    case SequenceRole:
        return e.sequence;
    case TimeRole:
        return QDateTime::fromMSecsSinceEpoch(e.timestamp).toString(QStringLiteral("HH:mm:ss.zzz"));
    case TimestampRole:
        return e.timestamp;
    case SizeRole:
        return e.size;
    case OriginalSizeRole:
        return e.originalSize;
    case TruncatedRole:
        return e.truncated;
    case DescriptorCountRole:
        return e.descriptorCount;
    case DescriptorsTruncatedRole:
        return e.descriptorsTruncated;
    case IsTextRole:
        return e.isText;
    case TextRole:
        return e.text;
    case PacketRole:
        return e.packet;
    case FrameTypeRole:
        return e.frameType;
    case FrameTextRole:
        return e.frameText;
    case AnswersRole:
        return e.answers;
    case AnsweredByRole:
        return e.answeredBy;
    case AnswerDelayRole:
        return e.answerDelay;
    default:
        return {};
    }
}

QHash<int, QByteArray> PacketLog::roleNames() const
{
    return {
        {KindRole, "kind"},
        {NumberRole, "number"},
        {SequenceRole, "sequence"},
        {TimeRole, "time"},
        {TimestampRole, "timestamp"},
        {SizeRole, "size"},
        {OriginalSizeRole, "originalSize"},
        {TruncatedRole, "truncated"},
        {DescriptorCountRole, "descriptorCount"},
        {DescriptorsTruncatedRole, "descriptorsTruncated"},
        {IsTextRole, "isText"},
        {PreviewRole, "preview"},
        {TextRole, "text"},
        {PacketRole, "packet"},
        {FrameTypeRole, "frameType"},
        {FrameTextRole, "frameText"},
        {AnswersRole, "answers"},
        {AnsweredByRole, "answeredBy"},
        {AnswerDelayRole, "answerDelay"},
    };
}

void PacketLog::setSource(SeqpacketSocket *source)
{
    if (m_source == source)
        return;
    if (m_source)
        m_source->disconnect(this);
    m_source = source;
    if (source) {
        // Both maps carry their direction.
        connect(source, &SeqpacketSocket::packetReceived, this, &PacketLog::append);
        connect(source, &SeqpacketSocket::packetSent, this, &PacketLog::append);
        connect(source, &SeqpacketSocket::connected, this, &PacketLog::onConnected);
        connect(source, &SeqpacketSocket::disconnected, this, [this] { addEvent(QStringLiteral("disconnected")); });
        connect(source, &SeqpacketSocket::errorOccurred, this, &PacketLog::onErrorOccurred);
    }
    emit sourceChanged();
}

void PacketLog::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    flush(); // what came before the switch goes where it belongs
    m_paused = paused;
    if (!paused && !m_pending.empty()) {
        std::vector<Entry> pending;
        pending.swap(m_pending);
        insertEntries(std::move(pending));
        emit pendingCountChanged();
    }
    emit pausedChanged();
}

void PacketLog::setMaxEntries(int max)
{
    max = qMax(100, max);
    if (m_maxEntries == max)
        return;
    m_maxEntries = max;
    emit maxEntriesChanged();
}

void PacketLog::onConnected()
{
    const QString peer = m_source ? m_source->peerAddress() : QString();
    const qint64 pid = m_source ? m_source->peerPid() : -1;
    QString text = QStringLiteral("connected");
    if (pid > 0)
        text += QStringLiteral(" to pid %1").arg(pid);
    if (!peer.isEmpty())
        text += QStringLiteral(" at %1").arg(peer);
    addEvent(text);
}

void PacketLog::onErrorOccurred(int, const QString &errorString)
{
    addEvent(QStringLiteral("error: %1").arg(errorString));
}

void PacketLog::append(const QVariantMap &packet)
{
    Entry e;
    e.kind = packet.value(Key::Direction).toString() == SeqpacketPacketDirection::Out
            ? SeqpacketPacketDirection::Out : SeqpacketPacketDirection::In;
    e.sequence = packet.value(Key::Sequence).toLongLong();
    e.timestamp = packet.value(Key::Timestamp).toLongLong();
    if (e.timestamp <= 0)
        e.timestamp = QDateTime::currentMSecsSinceEpoch();
    e.size = packet.value(Key::Size).toLongLong();
    e.originalSize = packet.value(Key::OriginalSize, e.size).toLongLong();
    e.truncated = packet.value(Key::Truncated).toBool();
    e.descriptorCount = packet.value(Key::DescriptorCount).toInt();
    e.descriptorsTruncated = packet.value(Key::DescriptorsTruncated).toBool();
    e.isText = packet.value(Key::IsText).toBool();
    e.preview = makePreview(packet, e.isText);
    e.packet = packet;
    e.number = m_nextNumber++;
    describeFrame(e);
    countTraffic(e);
    add(std::move(e));
}

void PacketLog::describeFrame(Entry &e)
{
    namespace FrameKey = SeqpacketFrameKey;
    const QVariantMap frame = e.packet.value(Key::Frame).toMap();
    if (frame.isEmpty())
        return;
    if (!frame.value(FrameKey::Valid).toBool()) {
        e.frameType = QStringLiteral("invalid");
        return;
    }
    e.frameType = frame.value(FrameKey::TypeName).toString();
    const quint64 id = frame.value(FrameKey::Id).toULongLong();
    const QString name = frame.value(FrameKey::Name).toString();
    const int type = frame.value(FrameKey::Type).toInt();
    QStringList parts;
    if (type != 0) // a message's id says nothing
        parts << QStringLiteral("#%1").arg(id);
    if (!name.isEmpty())
        parts << name;
    QString body = oneLine(frame.value(FrameKey::Body).toString().left(PreviewChars));
    if (body.size() == PreviewChars || frame.value(FrameKey::BodyTruncated).toBool())
        body += QChar(0x2026);
    parts << body;
    e.frameText = parts.join(QLatin1Char(' '));
    e.preview = e.frameType + QLatin1Char(' ') + e.frameText;

    if (type == 1) {
        m_waitingRequests[e.kind].insert(id, e.number);
    } else if (type == 2 || type == 3) {
        matchReply(e, id);
    }
}

void PacketLog::matchReply(Entry &reply, quint64 id)
{
    // A reply answers a request that went the other way.
    const QString other = reply.kind == SeqpacketPacketDirection::In ? SeqpacketPacketDirection::Out
                                                                    : SeqpacketPacketDirection::In;
    QHash<quint64, qint64> &waiting = m_waitingRequests[other];
    const auto found = waiting.find(id);
    if (found == waiting.end())
        return;
    reply.answers = found.value();
    waiting.erase(found);
    int row = -1;
    Entry *request = findEntry(reply.answers, &row);
    if (!request)
        return;
    request->answeredBy = reply.number;
    request->answerDelay = qMax<qint64>(0, reply.timestamp - request->timestamp);
    if (row >= 0)
        emit dataChanged(index(row), index(row), {AnsweredByRole, AnswerDelayRole});
}

PacketLog::Entry *PacketLog::findEntry(qint64 number, int *row)
{
    *row = rowOfNumber(number);
    if (*row >= 0)
        return &m_entries[size_t(*row)];
    // Not in the model yet: paused, or in the batch that waits for the next flush.
    for (std::vector<Entry> *held : {&m_pending, &m_incoming}) {
        for (Entry &e : *held) {
            if (e.number == number)
                return &e;
        }
    }
    return nullptr;
}

int PacketLog::rowOfNumber(qint64 number) const
{
    // Numbers grow along the log: a binary search.
    const auto it = std::lower_bound(m_entries.begin(), m_entries.end(), number,
                                     [](const Entry &e, qint64 n) { return e.number < n; });
    return it != m_entries.end() && it->number == number ? int(it - m_entries.begin()) : -1;
}

void PacketLog::forgetRequestsBefore(qint64 number)
{
    // Requests whose entries left the log are not matched any more: the table stays as small as the log.
    for (QHash<quint64, qint64> &waiting : m_waitingRequests)
        waiting.removeIf([number](const auto &it) { return it.value() < number; });
}

void PacketLog::addEvent(const QString &text)
{
    Entry e;
    e.kind = QStringLiteral("event");
    e.timestamp = QDateTime::currentMSecsSinceEpoch();
    e.text = text;
    add(std::move(e));
}

void PacketLog::countTraffic(const Entry &e)
{
    if (e.kind == SeqpacketPacketDirection::In) {
        ++m_packetsIn;
        m_bytesIn += e.originalSize;
        m_descriptorsIn += e.descriptorCount;
        ++m_windowPacketsIn;
        m_windowBytesIn += e.originalSize;
    } else {
        ++m_packetsOut;
        m_bytesOut += e.size;
        ++m_windowPacketsOut;
        m_windowBytesOut += e.size;
    }
    m_totalsDirty = true;
    if (!m_rateTimer.isActive()) {
        m_rateClock.start();
        m_idleTicks = 0;
        m_rateTimer.start();
    }
}

void PacketLog::updateRates()
{
    const double seconds = qMax<qint64>(1, m_rateClock.restart()) / 1000.0;
    const bool idle = m_windowPacketsIn == 0 && m_windowPacketsOut == 0;
    m_packetRateIn = m_windowPacketsIn / seconds;
    m_packetRateOut = m_windowPacketsOut / seconds;
    m_byteRateIn = m_windowBytesIn / seconds;
    m_byteRateOut = m_windowBytesOut / seconds;
    m_windowPacketsIn = m_windowPacketsOut = m_windowBytesIn = m_windowBytesOut = 0;
    emit ratesChanged();
    // An idle log uses no timer: it stops after a quiet tick and starts with the next packet.
    if (idle && ++m_idleTicks >= 1)
        m_rateTimer.stop();
}

void PacketLog::add(Entry &&entry)
{
    if (entry.number == 0)
        entry.number = m_nextNumber++;
    m_incoming.push_back(std::move(entry));
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void PacketLog::flush()
{
    if (m_totalsDirty) {
        m_totalsDirty = false;
        emit totalsChanged();
    }
    if (m_incoming.empty())
        return;
    std::vector<Entry> batch;
    batch.swap(m_incoming);
    if (m_paused) {
        for (Entry &e : batch)
            m_pending.push_back(std::move(e));
        if (m_pending.size() > size_t(m_maxEntries))
            m_pending.erase(m_pending.begin(), m_pending.begin() + qsizetype(m_pending.size() - size_t(m_maxEntries)));
        emit pendingCountChanged();
    } else {
        insertEntries(std::move(batch));
    }
    emit logged();
}

void PacketLog::insertEntries(std::vector<Entry> &&entries)
{
    if (entries.empty())
        return;
    // Drop the oldest to stay within maxEntries; a tenth more at once, so that a flood drops rows
    // now and then rather than with every batch.
    const size_t incoming = std::min(entries.size(), size_t(m_maxEntries));
    size_t keep = size_t(m_maxEntries) - incoming;
    if (m_entries.size() > keep) {
        keep = keep > size_t(m_maxEntries / 10) ? keep - size_t(m_maxEntries / 10) : 0;
        const int drop = int(m_entries.size() - keep);
        beginRemoveRows(QModelIndex(), 0, drop - 1);
        m_entries.erase(m_entries.begin(), m_entries.begin() + drop);
        endRemoveRows();
        forgetRequestsBefore(m_entries.empty() ? entries[entries.size() - incoming].number : m_entries.front().number);
    }
    const int first = int(m_entries.size());
    beginInsertRows(QModelIndex(), first, first + int(incoming) - 1);
    for (size_t i = entries.size() - incoming; i < entries.size(); ++i)
        m_entries.push_back(std::move(entries[i]));
    endInsertRows();
    emit countChanged();
}

void PacketLog::clear()
{
    flush();
    beginResetModel();
    m_entries.clear();
    endResetModel();
    const bool hadPending = !m_pending.empty();
    m_pending.clear();
    m_waitingRequests.clear();
    emit countChanged();
    if (hadPending)
        emit pendingCountChanged();
}


QVariantMap PacketLog::get(int row) const
{
    QVariantMap result;
    if (row < 0 || size_t(row) >= m_entries.size())
        return result;
    const QModelIndex idx = index(row);
    const QHash<int, QByteArray> roles = roleNames();
    for (auto it = roles.constBegin(); it != roles.constEnd(); ++it)
        result.insert(QString::fromLatin1(it.value()), data(idx, it.key()));
    result.insert(QStringLiteral("row"), row);
    return result;
}

// ---- PacketFilter ---------------------------------------------------------------------------

PacketFilter::PacketFilter(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    connect(this, &QAbstractItemModel::rowsInserted, this, &PacketFilter::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &PacketFilter::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &PacketFilter::countChanged);
    connect(this, &QAbstractItemModel::layoutChanged, this, &PacketFilter::countChanged);
}

void PacketFilter::setText(const QString &text)
{
    if (m_text == text)
        return;
    m_text = text;
    invalidateRowsFilter();
    emit filterChanged();
    emit countChanged();
}

void PacketFilter::setDirection(const QString &direction)
{
    if (m_direction == direction)
        return;
    m_direction = direction;
    invalidateRowsFilter();
    emit filterChanged();
    emit countChanged();
}

void PacketFilter::setDescriptorsOnly(bool only)
{
    if (m_descriptorsOnly == only)
        return;
    m_descriptorsOnly = only;
    invalidateRowsFilter();
    emit filterChanged();
    emit countChanged();
}

void PacketFilter::setShowEvents(bool show)
{
    if (m_showEvents == show)
        return;
    m_showEvents = show;
    invalidateRowsFilter();
    emit filterChanged();
    emit countChanged();
}

bool PacketFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    const QString kind = idx.data(PacketLog::KindRole).toString();
    const bool event = kind == QLatin1String("event");
    if (event) {
        if (!m_showEvents || m_descriptorsOnly)
            return false;
    } else {
        if (m_direction != QLatin1String("all") && !m_direction.isEmpty() && kind != m_direction)
            return false;
        if (m_descriptorsOnly && idx.data(PacketLog::DescriptorCountRole).toInt() == 0)
            return false;
    }
    if (m_text.isEmpty())
        return true;
    if (idx.data(PacketLog::PreviewRole).toString().contains(m_text, Qt::CaseInsensitive))
        return true;
    if (event)
        return false;
    const QVariantMap packet = idx.data(PacketLog::PacketRole).toMap();
    // A frame's whole body, beyond what the preview shows.
    if (packet.value(Key::Frame).toMap().value(SeqpacketFrameKey::Body).toString().contains(m_text, Qt::CaseInsensitive))
        return true;
    if (packet.value(Key::Text).toString().contains(m_text, Qt::CaseInsensitive))
        return true;
    QString needle = m_text;
    needle.remove(QLatin1Char(' '));
    return !needle.isEmpty()
            && packet.value(Key::Hex).toString().contains(needle, Qt::CaseInsensitive);
}

int PacketFilter::sourceRow(int row) const
{
    const QModelIndex source = mapToSource(index(row, 0));
    return source.isValid() ? source.row() : -1;
}

int PacketFilter::rowOf(int sourceRow) const
{
    if (!sourceModel())
        return -1;
    const QModelIndex proxy = mapFromSource(sourceModel()->index(sourceRow, 0));
    return proxy.isValid() ? proxy.row() : -1;
}

QVariantMap PacketFilter::get(int row) const
{
    auto *log = qobject_cast<PacketLog *>(sourceModel());
    const int source = sourceRow(row);
    return log && source >= 0 ? log->get(source) : QVariantMap();
}
