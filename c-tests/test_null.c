/* The NULL-pointer policy: every export given a NULL handle or packet returns librtmp's failure
 * value and logs an error instead of crashing (librtmp itself would dereference it). */
#include <stdarg.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static int errors;

static void count(int level, const char *fmt, va_list ap)
{
    (void)fmt;
    (void)ap;
    if (level == RTMP_LOGERROR)
        errors++;
}

int main(void)
{
    RTMP_LogSetCallback(count);

    RTMP_Init(NULL);
    CHECK(errors == 1, "RTMP_Init(NULL) logs (%d)", errors);
    CHECK(RTMP_IsConnected(NULL) == 0, "IsConnected");
    CHECK(RTMP_Socket(NULL) == -1, "Socket");
    CHECK(RTMP_IsTimedout(NULL) == 0, "IsTimedout");
    CHECK(RTMP_GetDuration(NULL) == 0.0, "GetDuration");
    RTMP_SetBufferMS(NULL, 5);
    RTMP_EnableWrite(NULL);
    RTMP_Free(NULL);
    CHECK(RTMPPacket_Alloc(NULL, 10) == 0, "Packet_Alloc");
    RTMPPacket_Free(NULL);
    RTMPPacket_Reset(NULL);
    RTMPPacket_Dump(NULL);
    CHECK(errors == 10, "each NULL call logged an error (%d)", errors);

    RTMP_LogSetCallback(NULL); /* falls back to the default sink instead of crashing later */
    RTMP_LogSetOutput(stdout);
    RTMP_Log(RTMP_LOGERROR, "default sink restored");
    RTMP_LogPrintf("%s", "");
    return test_summary("null");
}
