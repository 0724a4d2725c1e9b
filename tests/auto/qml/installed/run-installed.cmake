# Installs the build tree into PREFIX and runs TEST_QML with qmltestrunner from a directory outside
# the build tree, the module found only through QML_IMPORT_PATH=PREFIX/QMLDIR.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
    RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
if(NOT EXISTS "${PREFIX}/${QMLDIR}/QSeqpacket/qmldir")
    message(FATAL_ERROR "no ${PREFIX}/${QMLDIR}/QSeqpacket/qmldir after the install")
endif()
set(workdir "${PREFIX}/run")
file(MAKE_DIRECTORY "${workdir}")
file(COPY "${TEST_QML}" DESTINATION "${workdir}")
get_filename_component(name "${TEST_QML}" NAME)
execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "QML_IMPORT_PATH=${PREFIX}/${QMLDIR}" QT_QPA_PLATFORM=offscreen
            --unset=LD_LIBRARY_PATH
            "${RUNNER}" -input "${workdir}/${name}"
    WORKING_DIRECTORY "${workdir}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the installed module failed its test: ${rc}")
endif()

# The installed Inspector finds the installed module relative to itself (no QML_IMPORT_PATH).
if(EXISTS "${PREFIX}/bin/qseqpacket-inspector")
    string(RANDOM LENGTH 8 tag)
    execute_process(
        COMMAND "${CMAKE_COMMAND}" -E env QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software
                --unset=QML_IMPORT_PATH --unset=LD_LIBRARY_PATH
                "${PREFIX}/bin/qseqpacket-inspector" --listen "@qseqpacket-installed-${tag}"
                --screenshot "${workdir}/installed-inspector.png" --screenshot-delay 500
        WORKING_DIRECTORY "${workdir}"
        RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR NOT EXISTS "${workdir}/installed-inspector.png")
        message(FATAL_ERROR "the installed Inspector did not start: ${rc}")
    endif()
endif()
