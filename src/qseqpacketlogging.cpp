// SPDX-License-Identifier: MIT
#include "qseqpacketlogging_p.h"

// Silent by default apart from warnings, as the contract asks; QT_LOGGING_RULES turns them on.
Q_LOGGING_CATEGORY(lcSeqpacket, "qt.seqpacket", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSeqpacketSocket, "qt.seqpacket.socket", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSeqpacketServer, "qt.seqpacket.server", QtWarningMsg)
