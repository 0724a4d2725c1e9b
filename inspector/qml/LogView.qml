// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacketInspector

// The live packet log of the selected connection: filter, pause, clear; one row per packet.
Rectangle {
    id: root
    property var session: null
    readonly property var log: session ? session.log : null
    // The selected row's entry (PacketLog.get()), or null.
    property var currentEntry: null
    property bool follow: true
    // --select: the entry (1-based) to select once the log has it; 0 when done or not asked for.
    property int pendingSelection: Inspector.startSelection

    color: Theme.surface

    function followTail() {
        follow = true
        list.positionViewAtEnd()
    }

    function selectRow(row) {
        list.currentIndex = row
        currentEntry = row >= 0 ? filter.get(row) : null
    }

    // Selects the entry numbered \a number (a request's reply, a reply's request) where the
    // filter shows it; false where it does not (dropped, cleared, filtered out).
    function selectNumber(number) {
        if (!root.log)
            return false
        const row = filter.rowOf(root.log.rowOfNumber(number))
        if (row < 0)
            return false
        follow = false
        selectRow(row)
        list.positionViewAtIndex(row, ListView.Contain)
        return true
    }

    function applyPendingSelection() {
        if (pendingSelection <= 0 || list.count < pendingSelection)
            return
        selectRow(pendingSelection - 1)
        if (currentEntry && currentEntry.row !== undefined)
            pendingSelection = 0
    }

    onSessionChanged: {
        currentEntry = null
        list.currentIndex = -1
        follow = true
        Qt.callLater(() => list.positionViewAtEnd())
    }

    Shortcut {
        sequence: StandardKey.Find
        onActivated: filterField.forceActiveFocus()
    }

    PacketFilter {
        id: filter
        objectName: "packetFilter"
        sourceModel: root.log
        text: filterField.text
        direction: directionSwitch.value
        descriptorsOnly: fdsOnly.checked
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        SectionHeader {
            text: "Packets"
            detail: root.session ? root.session.title : ""
        }

        // Filter and pause.
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 46
            color: Theme.surface
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 10
                anchors.rightMargin: 10
                spacing: 8

                TextField {
                    id: filterField
                    objectName: "logFilterField"
                    Layout.fillWidth: true
                    Layout.maximumWidth: 320
                    placeholderText: "Filter: text or hex…  (Ctrl+F)"
                    selectByMouse: true
                    Keys.onEscapePressed: text = ""
                }
                Segmented {
                    id: directionSwitch
                    objectName: "directionFilter"
                    options: [
                        { value: "all", text: "All", objectName: "directionAll" },
                        { value: "in", text: "▼ In", objectName: "directionIn" },
                        { value: "out", text: "▲ Out", objectName: "directionOut" }
                    ]
                }
                CheckBox {
                    id: fdsOnly
                    objectName: "descriptorsOnly"
                    text: "With descriptors"
                }
                Item { Layout.fillWidth: true }
                Text {
                    objectName: "logCount"
                    color: Theme.textMuted
                    font.pixelSize: Theme.smallFontSize + 1
                    text: root.log ? (filter.count === root.log.count ? root.log.count + " entries"
                                                                       : filter.count + " of " + root.log.count)
                                   : ""
                }
                Button {
                    id: pauseButton
                    objectName: "pauseButton"
                    enabled: root.log !== null
                    checkable: true
                    checked: root.log ? root.log.paused : false
                    text: root.log && root.log.paused ? "Resume" + (root.log.pendingCount > 0 ? " (" + root.log.pendingCount + " new)" : "")
                                                      : "Pause"
                    onToggled: if (root.log) root.log.paused = checked
                }
                Button {
                    objectName: "clearButton"
                    text: "Clear"
                    enabled: root.log !== null && root.log.count > 0
                    onClicked: {
                        root.selectRow(-1)
                        root.log.clear()
                    }
                }
            }
        }

        // Column titles.
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 26
            color: Theme.surfaceAlt
            Rectangle { anchors.top: parent.top; width: parent.width; height: 1; color: Theme.border }
            Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }
            LogRowLayout {
                anchors.fill: parent
                header: true
            }
        }

        ListView {
            id: list
            objectName: "packetLogView"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: filter
            currentIndex: -1
            boundsBehavior: Flickable.StopAtBounds
            highlightMoveDuration: 0
            keyNavigationEnabled: true
            focus: true
            ScrollBar.vertical: ScrollBar { id: vbar }

            Connections {
                target: filter
                // Also when the log is full and drops as many old rows as new ones come.
                function onRowsInserted() {
                    if (root.follow)
                        Qt.callLater(list.positionViewAtEnd)
                    if (root.pendingSelection > 0)
                        Qt.callLater(root.applyPendingSelection) // once the view has the new rows
                }
                function onModelReset() { if (root.follow) Qt.callLater(list.positionViewAtEnd) }
                // The selected request's reply came: the details show it.
                function onDataChanged(topLeft, bottomRight) {
                    if (list.currentIndex >= topLeft.row && list.currentIndex <= bottomRight.row)
                        root.currentEntry = filter.get(list.currentIndex)
                }
            }
            onMovementStarted: root.follow = false
            onMovementEnded: root.follow = atYEnd
            onCurrentIndexChanged: root.currentEntry = currentIndex >= 0 ? filter.get(currentIndex) : null

            Connections {
                target: vbar
                function onPressedChanged() { if (!vbar.pressed) root.follow = list.atYEnd; else root.follow = false }
            }

            delegate: Rectangle {
                id: row
                required property int index
                required property string kind
                required property int number
                required property string time
                required property var size
                required property var originalSize
                required property bool truncated
                required property int descriptorCount
                required property bool descriptorsTruncated
                required property bool isText
                required property string preview
                required property string frameType
                required property string frameText
                required property int answers
                required property int answeredBy
                required property int answerDelay

                objectName: "logRow_" + index
                width: ListView.view.width
                height: Theme.rowHeight
                color: ListView.isCurrentItem ? Theme.selection
                                              : (hover.hovered ? Theme.hover : (index % 2 ? Theme.surfaceAlt : Theme.surface))

                HoverHandler { id: hover }
                TapHandler {
                    onTapped: {
                        list.currentIndex = row.index
                        list.forceActiveFocus()
                    }
                }

                LogRowLayout {
                    anchors.fill: parent
                    entry: row
                    onEntryLinkActivated: number => root.selectNumber(number)
                }
            }

            Text {
                anchors.centerIn: parent
                visible: list.count === 0
                color: Theme.textMuted
                text: !root.session ? "Select a peer to see its packets"
                                    : (root.log && root.log.count > 0 ? "No packet matches the filter" : "No packets yet")
            }
        }

        // Back to the newest packets once scrolled away.
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 28
            visible: !root.follow && list.count > 0
            color: Theme.accentSoft
            Text {
                anchors.centerIn: parent
                color: Theme.accent
                font.pixelSize: Theme.smallFontSize + 1
                text: "Scrolled back · click to follow new packets"
            }
            TapHandler { onTapped: root.followTail() }
        }
    }
}
