# Debian packages with CPack: `cpack -G DEB` in the build directory (or `cmake --build build
# --target package`) makes one package per install component:
#
#   libqseqpacket0          Runtime      the shared library
#   libqseqpacket-dev       Development  headers, the CMake package, the pkg-config file
#   qml6-module-qseqpacket  Qml          the QML module (import QSeqpacket) and its backing library
#   qseqpacket-inspector    Inspector    the Inspector, its demo peer, a desktop entry and icon
#
# Their dependencies on Debian's Qt come from dpkg-shlibdeps (the libraries they link) and, for
# what is loaded at run time and no linker sees (QML modules, the development headers), from
# the lists below. Install them with `apt-get install ./*.deb`, which takes the rest from Debian.

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "qseqpacket")
set(CPACK_PACKAGE_VENDOR "QSeqpacket")
set(CPACK_PACKAGE_CONTACT "QSeqpacket developers <dev@qseqpacket.invalid>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# CPack's own default summary: CPackDeb then takes each package's summary from the first line of
# its description below (any other summary it would put in front of every description).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Runtime Development)
if(QSEQPACKET_BUILD_QML)
    list(APPEND CPACK_COMPONENTS_ALL Qml)
    if(TARGET qseqpacket-inspector)
        list(APPEND CPACK_COMPONENTS_ALL Inspector)
    endif()
endif()

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Our own libraries, which dpkg-shlibdeps cannot find in any installed package yet.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/src;${PROJECT_BINARY_DIR}/qml")

set(_qseqpacket_exact "(= ${PROJECT_VERSION}-1)")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME "libqseqpacket0")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION "libs")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "AF_UNIX SOCK_SEQPACKET sockets for Qt 6 - library
QSeqpacket gives Qt programs Linux seqpacket sockets: packets with boundaries, file
descriptors and peer credentials, and message channels with requests and replies.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME "libqseqpacket-dev")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION "libdevel")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "libqseqpacket0 ${_qseqpacket_exact}, qt6-base-dev (>= 6.2)")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "AF_UNIX SOCK_SEQPACKET sockets for Qt 6 - development files
Headers, the CMake package (find_package(QSeqpacket)) and the pkg-config file (qseqpacket)
to build programs with QSeqpacket, with CMake, qmake or Meson.")

set(CPACK_DEBIAN_QML_PACKAGE_NAME "qml6-module-qseqpacket")
set(CPACK_DEBIAN_QML_PACKAGE_SECTION "libs")
set(CPACK_DEBIAN_QML_PACKAGE_DEPENDS "libqseqpacket0 ${_qseqpacket_exact}, qml6-module-qtqml")
set(CPACK_DEBIAN_QML_DESCRIPTION
    "AF_UNIX SOCK_SEQPACKET sockets for Qt 6 - QML module
The QML module QSeqpacket (import QSeqpacket): SeqpacketSocket, SeqpacketServer and the
message channel for QML applications.")

set(CPACK_DEBIAN_INSPECTOR_PACKAGE_NAME "qseqpacket-inspector")
set(CPACK_DEBIAN_INSPECTOR_PACKAGE_SECTION "devel")
# What the Inspector's QML imports at run time (no linker sees it), and a platform plugin.
set(CPACK_DEBIAN_INSPECTOR_PACKAGE_DEPENDS
    "qml6-module-qseqpacket ${_qseqpacket_exact}, qml6-module-qtquick, qml6-module-qtquick-window, qml6-module-qtquick-layouts, qml6-module-qtquick-controls, qml6-module-qtquick-templates, qml6-module-qtquick-dialogs, qml6-module-qtqml-workerscript, qml6-module-qt-labs-folderlistmodel, qt6-qpa-plugins")
set(CPACK_DEBIAN_INSPECTOR_DESCRIPTION
    "Inspector for AF_UNIX SOCK_SEQPACKET sockets
A Qt Quick tool to listen on or connect to a seqpacket socket and watch, send and inspect
packets, passed descriptors, peer credentials and message-channel frames.")

include(CPack)
