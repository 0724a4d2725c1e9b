// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QSeqpacketInspector

// A row of mutually exclusive choices: [Listen | Connect], [All | In | Out], [Text | Hex].
Rectangle {
    id: control
    property var options: []            // [{ value, text, objectName }]
    property string value: options.length > 0 ? options[0].value : ""
    property bool enabledChoices: true
    signal activated(string value)

    implicitWidth: row.implicitWidth + 4
    implicitHeight: 30
    radius: Theme.radius
    color: Theme.raised
    border.color: Theme.border
    opacity: enabledChoices ? 1 : 0.6

    Row {
        id: row
        anchors.centerIn: parent
        spacing: 2
        Repeater {
            model: control.options
            delegate: Rectangle {
                id: choice
                required property var modelData
                readonly property bool selected: control.value === modelData.value
                objectName: modelData.objectName || ""
                width: choiceText.implicitWidth + 22
                height: control.height - 4
                radius: Theme.radius - 2
                color: selected ? Theme.surface : (mouse.containsMouse ? Theme.hover : "transparent")
                border.color: selected ? Theme.border : "transparent"

                Text {
                    id: choiceText
                    anchors.centerIn: parent
                    text: choice.modelData.text
                    color: choice.selected ? Theme.text : Theme.textMuted
                    font.pixelSize: Theme.fontSize - 1
                    font.bold: choice.selected
                }
                MouseArea {
                    id: mouse
                    anchors.fill: parent
                    hoverEnabled: true
                    enabled: control.enabledChoices
                    cursorShape: Qt.PointingHandCursor
                    onClicked: choice.activate()
                }
                function activate() {
                    if (control.value !== modelData.value) {
                        control.value = modelData.value
                        control.activated(modelData.value)
                    }
                }
            }
        }
    }
}
