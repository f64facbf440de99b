/* The exported data objects through copy relocations. Built twice: as a normal (PIE) program
 * and as a non-PIE one (globals_nopie), where the linker gives the executable its own copies
 * of RTMP_debuglevel, RTMP_ctrlC, ... (R_X86_64_COPY) exactly as in Debian's rtmpdump: the
 * library must read and write those copies, never a private one. */
#include <stdarg.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static int seen_level = -1;
static char seen_text[256];

static void capture(int level, const char *fmt, va_list ap)
{
    seen_level = level;
    vsnprintf(seen_text, sizeof seen_text, fmt, ap);
}

int main(void)
{
    RTMP r;

    CHECK(RTMP_debuglevel == RTMP_LOGERROR, "initial level %d", (int)RTMP_debuglevel);
    CHECK(RTMP_ctrlC == 0, "initial ctrlC %d", RTMP_ctrlC);
    CHECK(RTMP_DefaultFlashVer.av_len == 14, "flashver len %d", RTMP_DefaultFlashVer.av_len);
    CHECK(memcmp(RTMP_DefaultFlashVer.av_val, "LNX 10,0,32,18", 15) == 0, "flashver text");
    CHECK(strcmp(RTMPProtocolStringsLower[RTMP_PROTOCOL_RTMPTE], "rtmpte") == 0, "lower[3]");
    CHECK(strcmp(RTMPProtocolStringsLower[RTMP_PROTOCOL_RTMFP], "rtmfp") == 0, "lower[8]");
    CHECK(RTMPProtocolStringsLower[6][0] == 0, "lower[6] empty");

    /* a write by the program must be what the library reads */
    RTMP_debuglevel = RTMP_LOGDEBUG;
    CHECK(RTMP_LogGetLevel() == RTMP_LOGDEBUG, "library sees level %d", RTMP_LogGetLevel());
    RTMP_LogSetCallback(capture);
    RTMP_Log(RTMP_LOGDEBUG, "debug %d", 42);
    CHECK(seen_level == RTMP_LOGDEBUG && strcmp(seen_text, "debug 42") == 0, "debug passed");
    seen_level = -1;
    RTMP_debuglevel = RTMP_LOGWARNING;
    RTMP_Log(RTMP_LOGINFO, "filtered");
    CHECK(seen_level == -1, "INFO filtered at WARNING");

    /* and a write by the library must be what the program reads */
    RTMP_LogSetLevel(RTMP_LOGDEBUG2);
    CHECK(RTMP_debuglevel == RTMP_LOGDEBUG2, "program sees level %d", (int)RTMP_debuglevel);
    RTMP_UserInterrupt();
    CHECK(RTMP_ctrlC == 1, "program sees ctrlC %d", RTMP_ctrlC);
    RTMP_ctrlC = 0;

    /* RTMP_Init creates the TLS context on first use */
    memset(&r, 0x5a, sizeof r);
    RTMP_Init(&r);
    CHECK(RTMP_Socket(&r) == -1, "socket after init");
    return test_summary("globals");
}
