// SPDX-License-Identifier: MIT
import QtQuick
import QSeqpacketInspector

// A small rounded label: a direction, a descriptor count, "truncated".
Rectangle {
    id: badge
    property alias text: label.text
    property color foreground: Theme.textMuted
    property color background: Theme.raised
    property bool bold: true
    property int fontSize: Theme.smallFontSize

    implicitWidth: label.implicitWidth + 12
    implicitHeight: label.implicitHeight + 4
    radius: height / 2
    color: background

    Text {
        id: label
        anchors.centerIn: parent
        color: badge.foreground
        font.pixelSize: badge.fontSize
        font.bold: badge.bold
    }
}
