// SPDX-License-Identifier: MIT
#ifndef INSPECTOR_INSPECTOR_H
#define INSPECTOR_INSPECTOR_H

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qsize.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>
#include <QtQml/qqmlengine.h>

class QProcess;
class QQmlApplicationEngine;
class QQuickWindow;

/*! What the command line asked for. */
struct InspectorOptions
{
    QString mode;          //!< "listen", "connect" or empty (nothing started)
    QString address;       //!< for mode
    QString theme = QStringLiteral("auto"); //!< "auto", "light" or "dark"
    QString screenshot;    //!< save a PNG of the window to this file, then quit
    int screenshotDelay = 2500;
    int quitAfter = -1;    //!< quit after this many ms (-1: never)
    int selectEntry = 0;   //!< select this log entry (1-based) of the first connection once it arrives; 0: none
    bool demo = false;     //!< listen and start demo peers
    QSize size = QSize(1280, 800);
    QStringList importPaths; //!< more QML import paths (the tests give the build tree's)
};

/*!
 * The Inspector's C++ side for QML (singleton "Inspector"): the command line, the theme, the
 * monospace font, hex and size formatting, and the demo peers.
 */
class Inspector : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    Q_PROPERTY(bool dark READ isDark NOTIFY darkChanged)
    Q_PROPERTY(bool systemDark READ isSystemDark NOTIFY darkChanged)
    Q_PROPERTY(QString themeMode READ themeMode WRITE setThemeMode NOTIFY darkChanged)
    Q_PROPERTY(QString startMode READ startMode CONSTANT)
    Q_PROPERTY(QString startAddress READ startAddress CONSTANT)
    Q_PROPERTY(QString defaultAddress READ defaultAddress CONSTANT)
    Q_PROPERTY(bool demo READ isDemo CONSTANT)
    Q_PROPERTY(int startSelection READ startSelection CONSTANT)
    Q_PROPERTY(QString monospaceFamily READ monospaceFamily CONSTANT)
    Q_PROPERTY(QString version READ version CONSTANT)
    Q_PROPERTY(int demoPeerCount READ demoPeerCount NOTIFY demoPeersChanged)

public:
    static Inspector *instance();
    static Inspector *create(QQmlEngine *, QJSEngine *);

    void setOptions(const InspectorOptions &options);
    const InspectorOptions &options() const { return m_options; }

    bool isDark() const;
    bool isSystemDark() const { return m_systemDark; }
    QString themeMode() const { return m_themeMode; }
    void setThemeMode(const QString &mode);
    QString startMode() const { return m_options.mode; }
    QString startAddress() const { return m_options.address; }
    QString defaultAddress() const;
    bool isDemo() const { return m_options.demo; }
    int startSelection() const { return m_options.selectEntry; }
    QString monospaceFamily() const;
    QString version() const;
    int demoPeerCount() const { return int(m_demoPeers.size()); }

    /*! A hex dump of at most \a maxBytes of \a data: offset, 16 bytes in hex, and ASCII. */
    Q_INVOKABLE static QString hexDump(const QByteArray &data, int maxBytes = 65536);
    /*! True when \a text is hex that sendHex() takes. */
    Q_INVOKABLE static bool isValidHex(const QString &text);
    /*! The bytes written as hex in \a text (an ArrayBuffer in QML), or undefined when invalid. */
    Q_INVOKABLE static QVariant hexToBytes(const QString &text);
    /*! "512 B", "1.5 KiB", "3.2 MiB". */
    Q_INVOKABLE static QString formatBytes(double bytes);
    /*! "0", "12", "1.2k", "3.4M" (a rate per second). */
    Q_INVOKABLE static QString formatCount(double count);
    /*! The local path of \a pathOrUrl (a file: URL or a path). */
    Q_INVOKABLE static QString localPath(const QVariant &pathOrUrl);
    /*! The file name part of \a path. */
    Q_INVOKABLE static QString fileName(const QString &path);

    /*! Starts the demo peers (qseqpacket-demo-peer --connect \a address), when demo is on. */
    Q_INVOKABLE void startDemoPeers(const QString &address);
    Q_INVOKABLE void stopDemoPeers();

    /*! Re-reads the system's light or dark preference. */
    void updateSystemTheme();

Q_SIGNALS:
    void darkChanged();
    void demoPeersChanged();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    explicit Inspector(QObject *parent = nullptr);
    ~Inspector() override;

    InspectorOptions m_options;
    QString m_themeMode = QStringLiteral("auto");
    bool m_systemDark = false;
    bool m_askedDesktop = false;
    bool m_desktopDark = false;
    QList<QProcess *> m_demoPeers;
};

/*! Parses the command line of \a arguments; false with \a error set on a bad one. */
bool parseInspectorOptions(const QStringList &arguments, InspectorOptions *options, QString *error);

/*! Before the QGuiApplication: style and attributes the Inspector uses. */
void prepareInspectorApplication();

/*!
 * Sets up \a engine (import paths, the Inspector singleton's options) and loads the Inspector's
 * window. Returns the window, or null when it did not load.
 */
QQuickWindow *loadInspector(QQmlApplicationEngine *engine, const InspectorOptions &options);

#endif // INSPECTOR_INSPECTOR_H
