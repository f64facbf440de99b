/* Differential test of the handle lifecycle and trivial API: RTMP_Init must leave exactly the
 * same 17088 bytes as librtmp 2.4 (and touch nothing beyond them), RTMP_Alloc returns zeroed
 * memory, and the accessors and RTMPPacket_* functions behave the same. */
#include <stdint.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

#define GUARD 64

static void dump_nonzero(const char *what, const unsigned char *p, size_t n)
{
    size_t i;
    printf("%s: sizeof(RTMP)=%zu non-zero bytes:", what, n);
    for (i = 0; i < n; i++)
        if (p[i])
            printf(" %zu=%02x", i, p[i]);
    printf("\n");
}

int main(void)
{
    static unsigned char mem[sizeof(RTMP) + 2 * GUARD];
    RTMP *r = (RTMP *)(mem + GUARD);
    RTMP *h;
    RTMPPacket p;
    size_t i;
    int fill, ok;
    uint32_t t0, t1;

    RTMP_LogSetOutput(stdout);
    for (fill = 0; fill < 256; fill += 0x55) {
        memset(mem, fill, sizeof mem);
        RTMP_Init(r);
        dump_nonzero("after RTMP_Init", (unsigned char *)r, sizeof(RTMP));
        for (i = 0; i < GUARD; i++)
            if (mem[i] != fill || mem[GUARD + sizeof(RTMP) + i] != fill)
                printf("RTMP_Init wrote outside the struct at %zu\n", i);
    }
    /* Init again on a used handle: same result */
    r->m_inChunkSize = 4096;
    r->Link.protocol = RTMP_PROTOCOL_RTMPE;
    RTMP_Init(r);
    dump_nonzero("re-Init", (unsigned char *)r, sizeof(RTMP));

    printf("IsConnected=%d Socket=%d IsTimedout=%d Duration=%.3f LibVersion=0x%06x\n",
           RTMP_IsConnected(r), RTMP_Socket(r), RTMP_IsTimedout(r), RTMP_GetDuration(r),
           RTMP_LibVersion());
    r->m_sb.sb_socket = 7;
    r->m_sb.sb_timedout = 1;
    r->m_fDuration = 12.5;
    printf("IsConnected=%d Socket=%d IsTimedout=%d Duration=%.3f\n", RTMP_IsConnected(r),
           RTMP_Socket(r), RTMP_IsTimedout(r), RTMP_GetDuration(r));
    r->m_sb.sb_socket = -1;
    RTMP_SetBufferMS(r, 3600 * 1000);
    RTMP_EnableWrite(r);
    RTMP_EnableWrite(r);
    printf("bufferMS=%d protocol=0x%x\n", r->m_nBufferMS, r->Link.protocol);

    printf("ctrlC before=%d\n", RTMP_ctrlC);
    RTMP_UserInterrupt();
    printf("ctrlC after=%d\n", RTMP_ctrlC);
    RTMP_ctrlC = 0;

    t0 = RTMP_GetTime();
    t1 = RTMP_GetTime();
    printf("GetTime monotonic within a second: %d\n", (uint32_t)(t1 - t0) < 1000);

    h = RTMP_Alloc();
    for (i = 0, ok = 1; i < sizeof(RTMP); i++)
        ok &= ((unsigned char *)h)[i] == 0;
    printf("RTMP_Alloc zeroed: %d\n", ok);
    RTMP_Init(h);
    dump_nonzero("Alloc+Init", (unsigned char *)h, sizeof(RTMP));
    RTMP_Free(h);
    RTMP_Free(NULL);

    /* packets */
    RTMP_LogSetLevel(RTMP_LOGDEBUG);
    memset(&p, 0x55, sizeof p);
    p.m_body = NULL;
    RTMPPacket_Dump(&p);
    ok = RTMPPacket_Alloc(&p, 1000);
    printf("Alloc=%d bytesRead=%u headerType=%u\n", ok, p.m_nBytesRead, p.m_headerType);
    for (i = 0, ok = 1; i < 1000 + RTMP_MAX_HEADER_SIZE; i++)
        ok &= p.m_body[(long)i - RTMP_MAX_HEADER_SIZE] == 0;
    printf("body and header room zeroed: %d\n", ok);
    p.m_body[0] = (char)0xfe;
    p.m_nChannel = 300;
    p.m_nTimeStamp = 0xfffffff0u;
    p.m_nInfoField2 = -3;
    p.m_packetType = 0x14;
    p.m_nBodySize = 1000;
    RTMPPacket_Dump(&p);
    RTMPPacket_Reset(&p);
    printf("after Reset: %u %u %d %u %d %u %u %u body kept %d\n", p.m_headerType,
           p.m_packetType, p.m_nChannel, p.m_nTimeStamp, p.m_nInfoField2, p.m_hasAbsTimestamp,
           p.m_nBodySize, p.m_nBytesRead, p.m_body != NULL);
    RTMPPacket_Dump(&p);
    RTMPPacket_Free(&p);
    printf("after Free: body %s\n", p.m_body ? "set" : "NULL");
    RTMPPacket_Free(&p);
    ok = RTMPPacket_Alloc(&p, 0);
    printf("Alloc(0)=%d body %s\n", ok, p.m_body ? "set" : "NULL");
    /* a consumer may free the block itself */
    free(p.m_body - RTMP_MAX_HEADER_SIZE);
    return 0;
}
