/* Differential test of log.h: the same calls must print the same bytes on our library and on
 * librtmp 2.4 (level prefixes, filtering, status-line newlines, hex dumps, truncation, the
 * callback's va_list). */
#include <stdarg.h>
#include <stdint.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static void callback(int level, const char *fmt, va_list ap)
{
    char text[4096];
    vsnprintf(text, sizeof text, fmt, ap);
    printf("callback level=%d fmt=[%s] text=[%s]\n", level, fmt, text);
}

static void all_levels(const char *what)
{
    int level;
    for (level = -1; level <= RTMP_LOGALL + 1; level++)
        RTMP_Log(level, "%s at %d: %s %.3f %x", what, level, "str", 1.5, 255u);
}

int main(void)
{
    uint8_t bytes[80];
    char big[3000];
    int i, lvl;
    unsigned long lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 80};

    for (i = 0; i < (int)sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 7 + 0x20);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;

    printf("initial level %d\n", RTMP_LogGetLevel());
    RTMP_LogSetOutput(stdout);

    for (lvl = RTMP_LOGCRIT; lvl <= RTMP_LOGALL + 1; lvl++) {
        RTMP_LogSetLevel(lvl);
        printf("-- level %d (get %d)\n", lvl, RTMP_LogGetLevel());
        all_levels("msg");
        RTMP_Log(RTMP_LOGCRIT, "Property: <Name: no-name. STRING: x>");
        RTMP_LogPrintf("printf %d\n", lvl);
        RTMP_LogPrintf("partial ");
        RTMP_LogPrintf("line\n");
        RTMP_LogStatus("status %d", lvl);
        RTMP_LogStatus("\rstatus again %d", lvl);
        RTMP_Log(RTMP_LOGCRIT, "after status");
        RTMP_LogStatus("status then printf");
        RTMP_LogPrintf("printf after status\n");
        for (i = 0; i < (int)(sizeof lens / sizeof lens[0]); i++) {
            RTMP_LogHex(RTMP_LOGWARNING, bytes, lens[i]);
            RTMP_LogHexString(RTMP_LOGWARNING, bytes, lens[i]);
        }
        RTMP_LogHexString(RTMP_LOGCRIT, NULL, 5);
    }

    RTMP_LogSetLevel(RTMP_LOGDEBUG);
    RTMP_Log(RTMP_LOGERROR, "%s", big);
    RTMP_LogPrintf("%s\n", big);
    RTMP_LogStatus("%s", big);
    RTMP_Log(RTMP_LOGERROR, "embedded\nnewline");

    /* the output stream can be switched (stderr is the default) */
    RTMP_LogSetOutput(stderr);
    all_levels("stderr");
    RTMP_LogHexString(RTMP_LOGERROR, bytes, 20);
    RTMP_LogStatus("status on stderr");
    RTMP_LogPrintf("printf on stderr\n");
    fflush(stderr);
    RTMP_LogSetOutput(stdout);

    /* the callback gets the caller's format and a live va_list, only for passing levels */
    RTMP_LogSetCallback(callback);
    all_levels("cb");
    RTMP_LogHex(RTMP_LOGINFO, bytes, 20);
    RTMP_LogHexString(RTMP_LOGINFO, bytes, 20);
    RTMP_LogHex(RTMP_LOGDEBUG2, bytes, 20);
    RTMP_LogPrintf("printf bypasses the callback\n");
    RTMP_LogStatus("status bypasses the callback");
    RTMP_LogPrintf("\n");

    /* RTMP_debuglevel is a plain variable */
    RTMP_debuglevel = RTMP_LOGWARNING;
    printf("get after direct write %d\n", RTMP_LogGetLevel());
    all_levels("direct");
    return 0;
}
