// SPDX-License-Identifier: MIT
// Looks at a socket file the instant bind() has created it, before the caller can change its mode.
// bindprobe.cpp defines bind() in the test executable, which interposes on the C library's for
// the library under test too; unarmed, it only forwards the call.
#ifndef QSEQPACKET_TST_SERVER_BINDPROBE_H
#define QSEQPACKET_TST_SERVER_BINDPROBE_H

#include <QtCore/QByteArray>

#include <sys/types.h>

namespace BindProbe {

/*! From now on, record the mode of \a path each time a bind() to that path succeeds. */
void arm(const QByteArray &path);
void disarm();
/*! How many successful bind() calls to the armed path were seen. */
int observations();
/*! The union of the permission bits (07777) the file had right after those bind() calls. */
mode_t modesSeen();

} // namespace BindProbe

#endif
