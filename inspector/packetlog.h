// SPDX-License-Identifier: MIT
#ifndef INSPECTOR_PACKETLOG_H
#define INSPECTOR_PACKETLOG_H

#include "seqpacketsocket.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qpointer.h>
#include <QtCore/qsortfilterproxymodel.h>
#include <QtCore/qtimer.h>
#include <QtCore/qvariant.h>
#include <QtQml/qqmlengine.h>

#include <deque>

/*!
 * The packets of one connection, newest last: what a SeqpacketSocket sent and received (its
 * packetSent / packetReceived maps) and events (connected, disconnected, errors).
 *
 * Packets that carry a frame of the message protocol (the socket's receiveOptions.decodeFrames)
 * are shown as frames ("request #7 add [2, 3]"), and a reply or error reply is matched to the
 * request it answers, the last one with its id that went the other way and waits: the reply's
 * entry names the request's (answers), the request's names the reply's and how long it took
 * (answeredBy, answerDelay).
 *
 * Set source to a SeqpacketSocket to log it; append() takes packets from anywhere else. While
 * paused, new entries wait (pendingCount) and appear on resume; totals and rates keep counting.
 */
class PacketLog : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(SeqpacketSocket *source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(bool paused READ isPaused WRITE setPaused NOTIFY pausedChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY pendingCountChanged)
    Q_PROPERTY(int maxEntries READ maxEntries WRITE setMaxEntries NOTIFY maxEntriesChanged)
    Q_PROPERTY(qint64 packetsIn READ packetsIn NOTIFY totalsChanged)
    Q_PROPERTY(qint64 packetsOut READ packetsOut NOTIFY totalsChanged)
    Q_PROPERTY(qint64 bytesIn READ bytesIn NOTIFY totalsChanged)
    Q_PROPERTY(qint64 bytesOut READ bytesOut NOTIFY totalsChanged)
    Q_PROPERTY(qint64 descriptorsIn READ descriptorsIn NOTIFY totalsChanged)
    Q_PROPERTY(double packetRateIn READ packetRateIn NOTIFY ratesChanged)
    Q_PROPERTY(double packetRateOut READ packetRateOut NOTIFY ratesChanged)
    Q_PROPERTY(double byteRateIn READ byteRateIn NOTIFY ratesChanged)
    Q_PROPERTY(double byteRateOut READ byteRateOut NOTIFY ratesChanged)

public:
    enum Role {
        KindRole = Qt::UserRole + 1, //!< "in", "out" or "event"
        NumberRole,                  //!< 1, 2, ... over the whole log
        SequenceRole,                //!< the packet's sequence number in its direction
        TimeRole,                    //!< "HH:mm:ss.zzz"
        TimestampRole,               //!< ms since the epoch
        SizeRole,
        OriginalSizeRole,
        TruncatedRole,
        DescriptorCountRole,
        DescriptorsTruncatedRole,
        IsTextRole,
        PreviewRole,                 //!< one line: the text, or the first bytes in hex
        TextRole,                    //!< an event's message
        PacketRole,                  //!< the whole packet map (data, descriptors, ...)
        FrameTypeRole,               //!< "message", "request", "reply", "error", "invalid" (tries and fails), or ""
        FrameTextRole,               //!< a frame's "#id name body" (the preview without the type)
        AnswersRole,                 //!< a reply's: the number of the request's entry; 0 unknown
        AnsweredByRole,              //!< a request's: the number of its reply's entry; 0 not (yet)
        AnswerDelayRole              //!< a request's: ms until the reply; -1 not (yet)
    };
    Q_ENUM(Role)

    explicit PacketLog(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    SeqpacketSocket *source() const { return m_source; }
    void setSource(SeqpacketSocket *source);
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);
    int count() const { return int(m_entries.size()); }
    int pendingCount() const { return int(m_pending.size()); }
    int maxEntries() const { return m_maxEntries; }
    void setMaxEntries(int max);
    qint64 packetsIn() const { return m_packetsIn; }
    qint64 packetsOut() const { return m_packetsOut; }
    qint64 bytesIn() const { return m_bytesIn; }
    qint64 bytesOut() const { return m_bytesOut; }
    qint64 descriptorsIn() const { return m_descriptorsIn; }
    double packetRateIn() const { return m_packetRateIn; }
    double packetRateOut() const { return m_packetRateOut; }
    double byteRateIn() const { return m_byteRateIn; }
    double byteRateOut() const { return m_byteRateOut; }

    /*! Logs \a packet, a map as SeqpacketSocket delivers it; its "direction" says which way. */
    Q_INVOKABLE void append(const QVariantMap &packet);
    /*! Logs an event line ("connected", an error, ...). */
    Q_INVOKABLE void addEvent(const QString &text);
    Q_INVOKABLE void clear();
    /*! Everything about row \a row: the roles by name, and "packet" with the whole map. */
    Q_INVOKABLE QVariantMap get(int row) const;
    /*! The row of the entry numbered \a number, or -1 (dropped, cleared, or still to come). */
    Q_INVOKABLE int rowOfNumber(qint64 number) const;

Q_SIGNALS:
    void sourceChanged();
    void pausedChanged();
    void countChanged();
    void pendingCountChanged();
    void maxEntriesChanged();
    void totalsChanged();
    void ratesChanged();
    /*! A packet or event was logged (also while paused). */
    void logged();

private:
    void onConnected();
    void onErrorOccurred(int error, const QString &errorString);

    struct Entry
    {
        QString kind;
        qint64 number = 0;
        qint64 sequence = 0;
        qint64 timestamp = 0;
        qint64 size = 0;
        qint64 originalSize = 0;
        bool truncated = false;
        int descriptorCount = 0;
        bool descriptorsTruncated = false;
        bool isText = false;
        QString preview;
        QString text;
        QVariantMap packet;
        QString frameType;
        QString frameText;
        qint64 answers = 0;
        qint64 answeredBy = 0;
        qint64 answerDelay = -1;
    };
    void describeFrame(Entry &entry);
    void matchReply(Entry &reply, quint64 id);
    Entry *findEntry(qint64 number, int *row);
    void forgetRequestsBefore(qint64 number);
    void add(Entry &&entry);
    void flush();
    void insertEntries(std::vector<Entry> &&entries);
    void countTraffic(const Entry &entry);
    void updateRates();

    QPointer<SeqpacketSocket> m_source;
    std::deque<Entry> m_entries;
    std::vector<Entry> m_pending;   // held back while paused
    std::vector<Entry> m_incoming;  // logged since the last flush
    QTimer m_flushTimer;
    bool m_totalsDirty = false;
    bool m_paused = false;
    int m_maxEntries = 20000;
    qint64 m_nextNumber = 1;
    // Requests that wait for a reply, by direction ("in", "out"): id -> entry number.
    QHash<QString, QHash<quint64, qint64>> m_waitingRequests;

    qint64 m_packetsIn = 0;
    qint64 m_packetsOut = 0;
    qint64 m_bytesIn = 0;
    qint64 m_bytesOut = 0;
    qint64 m_descriptorsIn = 0;

    // Rates: traffic counted since the last tick of a timer that runs only while there is some.
    QTimer m_rateTimer;
    QElapsedTimer m_rateClock;
    qint64 m_windowPacketsIn = 0;
    qint64 m_windowPacketsOut = 0;
    qint64 m_windowBytesIn = 0;
    qint64 m_windowBytesOut = 0;
    int m_idleTicks = 0;
    double m_packetRateIn = 0;
    double m_packetRateOut = 0;
    double m_byteRateIn = 0;
    double m_byteRateOut = 0;
};

/*!
 * A filtered view of a PacketLog: by direction ("all", "in", "out"), by text (in the preview,
 * the decoded text or the hex of the packet), and to packets that carried descriptors.
 */
class PacketFilter : public QSortFilterProxyModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString text READ text WRITE setText NOTIFY filterChanged)
    Q_PROPERTY(QString direction READ direction WRITE setDirection NOTIFY filterChanged)
    Q_PROPERTY(bool descriptorsOnly READ descriptorsOnly WRITE setDescriptorsOnly NOTIFY filterChanged)
    Q_PROPERTY(bool showEvents READ showEvents WRITE setShowEvents NOTIFY filterChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    explicit PacketFilter(QObject *parent = nullptr);

    QString text() const { return m_text; }
    void setText(const QString &text);
    QString direction() const { return m_direction; }
    void setDirection(const QString &direction);
    bool descriptorsOnly() const { return m_descriptorsOnly; }
    void setDescriptorsOnly(bool only);
    bool showEvents() const { return m_showEvents; }
    void setShowEvents(bool show);
    int count() const { return rowCount(); }

    /*! The row of the source model behind \a row here, or -1. */
    Q_INVOKABLE int sourceRow(int row) const;
    /*! The row here that shows \a sourceRow of the source model, or -1. */
    Q_INVOKABLE int rowOf(int sourceRow) const;
    /*! As PacketLog::get() for row \a row of the filtered view. */
    Q_INVOKABLE QVariantMap get(int row) const;

Q_SIGNALS:
    void filterChanged();
    void countChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    QString m_direction = QStringLiteral("all");
    bool m_descriptorsOnly = false;
    bool m_showEvents = true;
};

#endif // INSPECTOR_PACKETLOG_H
