/* A small C program built against our headers and linked to our librtmp.so.1: it prints what
 * the foundation provides (version, defaults after RTMP_Init, logging, packets). */
#include <stdio.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

static void show(int level, const char *fmt, va_list ap)
{
    printf("  [log callback, level %d] ", level);
    vprintf(fmt, ap);
    printf("\n");
}

int main(void)
{
    RTMP *r = RTMP_Alloc();
    RTMPPacket p = {0};

    RTMP_Init(r);
    printf("librtmp version 0x%06x, sizeof(RTMP) = %zu\n", RTMP_LibVersion(), sizeof(RTMP));
    printf("after RTMP_Init: chunk %d/%d, buffer %d ms, timeout %d s, connected %d\n",
           r->m_inChunkSize, r->m_outChunkSize, r->m_nBufferMS, r->Link.timeout,
           RTMP_IsConnected(r));
    printf("default flashVer \"%.*s\", schemes %s %s %s\n", RTMP_DefaultFlashVer.av_len,
           RTMP_DefaultFlashVer.av_val, RTMPProtocolStringsLower[0],
           RTMPProtocolStringsLower[RTMP_PROTOCOL_RTMPE], RTMPProtocolStringsLower[RTMP_PROTOCOL_RTMPS]);

    RTMP_debuglevel = RTMP_LOGDEBUG; /* written directly, as rtmpdump does */
    RTMP_LogSetCallback(show);
    RTMPPacket_Alloc(&p, 64);
    p.m_packetType = RTMP_PACKET_TYPE_INVOKE;
    p.m_nChannel = 3;
    p.m_nBodySize = 64;
    RTMPPacket_Dump(&p);
    RTMPPacket_Free(&p);
    RTMP_LogHex(RTMP_LOGINFO, (const uint8_t *)"librtmp-rs", 10);
    RTMP_Free(r);
    return 0;
}
