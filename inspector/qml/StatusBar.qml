// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import QSeqpacketInspector

// The last message (errors in red) and the totals of every connection.
Rectangle {
    id: bar
    property string message: ""
    property bool isError: false

    function show(text, error) {
        message = text
        isError = error
        clearTimer.restart()
    }

    implicitHeight: 26
    color: Theme.surfaceAlt
    Rectangle { anchors.top: parent.top; width: parent.width; height: 1; color: Theme.border }

    Timer {
        id: clearTimer
        interval: 15000
        onTriggered: if (!bar.isError) bar.message = ""
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 14
        anchors.rightMargin: 14
        spacing: 12
        Text {
            objectName: "statusMessage"
            Layout.fillWidth: true
            elide: Text.ElideRight
            color: bar.isError ? Theme.error : Theme.textMuted
            font.pixelSize: Theme.smallFontSize + 1
            text: bar.message
        }
        Text {
            objectName: "totals"
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize + 1
            text: {
                let inPackets = 0, outPackets = 0, inBytes = 0, outBytes = 0, fds = 0
                for (const s of window.sessions) {
                    inPackets += s.log.packetsIn
                    outPackets += s.log.packetsOut
                    inBytes += s.log.bytesIn
                    outBytes += s.log.bytesOut
                    fds += s.log.descriptorsIn
                }
                return "Received " + inPackets + " packets (" + Inspector.formatBytes(inBytes) + ", " + fds + " descriptors)"
                        + "  ·  sent " + outPackets + " (" + Inspector.formatBytes(outBytes) + ")"
            }
        }
        Rectangle { width: 1; height: 14; color: Theme.border }
        // Theme: auto (follows the system), light, dark.
        Text {
            id: themeButton
            objectName: "themeButton"
            color: themeHover.hovered ? Theme.accent : Theme.textMuted
            font.pixelSize: Theme.smallFontSize + 1
            text: (Inspector.themeMode === "auto" ? "◐ Theme: auto (" + (Inspector.systemDark ? "dark" : "light") + ")"
                                                  : (Inspector.themeMode === "dark" ? "● Theme: dark" : "○ Theme: light"))
            HoverHandler { id: themeHover; cursorShape: Qt.PointingHandCursor }
            TapHandler {
                onTapped: Inspector.themeMode = Inspector.themeMode === "auto" ? "light"
                                              : (Inspector.themeMode === "light" ? "dark" : "auto")
            }
        }
        Text {
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize
            text: "v" + Inspector.version
        }
    }
}
