// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import QSeqpacketInspector

// The title line of a panel: an upper-case caption and optional items on the right.
Item {
    id: header
    property alias text: caption.text
    property alias detail: detailText.text
    default property alias actions: actionRow.data

    implicitHeight: 34
    Layout.fillWidth: true

    Rectangle {
        anchors.fill: parent
        color: Theme.surfaceAlt
    }
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 8
        spacing: 8
        Text {
            id: caption
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize
            font.bold: true
            font.letterSpacing: 0.8
            font.capitalization: Font.AllUppercase
        }
        Text {
            id: detailText
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
        Row {
            id: actionRow
            spacing: 6
            Layout.alignment: Qt.AlignVCenter
        }
    }
}
