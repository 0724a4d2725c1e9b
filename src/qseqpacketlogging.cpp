// SPDX-License-Identifier: MIT
#include "qseqpacketlogging_p.h"

// Silent by default apart from warnings, as the contract asks; QT_LOGGING_RULES turns them on
// ("qseqpacket*=true"). Not "qt.": Qt keeps names that start with it for its own modules.
Q_LOGGING_CATEGORY(lcSeqpacket, "qseqpacket", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSeqpacketSocket, "qseqpacket.socket", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSeqpacketServer, "qseqpacket.server", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSeqpacketChannel, "qseqpacket.channel", QtWarningMsg)
