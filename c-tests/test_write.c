/* RTMP_Write on our library: malformed and hostile FLV input never crashes and gives a clear
 * result; random splits of a valid stream send the same bytes as one whole write; the message
 * framing (channel 4, stream id, @setDataFrame, extended timestamps) is decoded back from the
 * wire; RTMP_SendPacket interleaves with RTMP_Write; RTMP_Close resets a partial message.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static int sv[2];
static unsigned char got[1 << 20];
static size_t got_len;
static pthread_t reader;

static void *collect(void *arg)
{
    (void)arg;
    for (;;) {
        ssize_t k = read(sv[1], got + got_len, sizeof got - got_len);
        if (k <= 0 || (got_len += (size_t)k) == sizeof got)
            break;
    }
    close(sv[1]);
    return NULL;
}

static RTMP *open_handle(int chunk)
{
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        exit(2);
    got_len = 0;
    pthread_create(&reader, NULL, collect, NULL);
    r->m_sb.sb_socket = sv[0];
    r->m_stream_id = 7;
    r->m_outChunkSize = chunk;
    r->Link.timeout = 5;
    return r;
}

static void close_handle(RTMP *r)
{
    RTMP_Close(r);
    CHECK(r->m_write.m_body == NULL && r->m_write.m_nBytesRead == 0, "m_write reset");
    pthread_join(reader, NULL);
    RTMP_Free(r);
}

static size_t tag(unsigned char *p, int type, uint32_t ts, size_t n, int fill)
{
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(n >> 16); p[2] = (unsigned char)(n >> 8); p[3] = (unsigned char)n;
    p[4] = (unsigned char)(ts >> 16); p[5] = (unsigned char)(ts >> 8); p[6] = (unsigned char)ts;
    p[7] = (unsigned char)(ts >> 24); p[8] = p[9] = p[10] = 0;
    memset(p + 11, fill, n);
    p[11 + n] = 0; p[12 + n] = (unsigned char)((n + 11) >> 16);
    p[13 + n] = (unsigned char)((n + 11) >> 8); p[14 + n] = (unsigned char)(n + 11);
    return n + 15;
}

static unsigned char flv[300000];
static size_t flv_len;

static void build(void)
{
    static const unsigned char hdr[13] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };
    uint32_t ts = 0xfffff000u; /* crosses 0xFFFFFFFF: 32-bit wraparound on the wire */
    int i;
    memcpy(flv, hdr, 13);
    flv_len = 13;
    for (i = 0; i < 200; i++, ts += 40) {
        flv_len += tag(flv + flv_len, i % 3 == 0 ? 8 : 9, ts, (size_t)(i * 37 % 1500) + 1, i);
        if (i % 50 == 0)
            flv_len += tag(flv + flv_len, 18, ts, 20, 0x05);
    }
}

/* Decodes the received chunk stream (fmt/csid/ts/len/type/sid, extended timestamps): number
 * of messages on channel 4 and whether every timestamp matches the source's (absolute for
 * type 0, deltas added otherwise, modulo 2^32). */
static int decode(size_t *nmsg, int chunk)
{
    size_t pos = 0, left = 0;
    uint32_t ts = 0, delta = 0, len = 0, expect = 0xfffff000u;
    int type = 0, i = 0, ok = 1;
    *nmsg = 0;
    while (pos < got_len) {
        int fmt = got[pos] >> 6, csid = got[pos] & 63;
        pos++;
        if (csid != 4)
            return -1; /* deleteStream on channel 3 at the end */
        if (left == 0) {
            uint32_t t = 0;
            if (fmt <= 2)
                t = (uint32_t)got[pos] << 16 | (uint32_t)got[pos + 1] << 8 | got[pos + 2];
            if (fmt <= 1) {
                len = (uint32_t)got[pos + 3] << 16 | (uint32_t)got[pos + 4] << 8 | got[pos + 5];
                type = got[pos + 6];
            }
            if (fmt == 0 && memcmp(got + pos + 7, "\x07\0\0\0", 4) != 0)
                ok = 0;
            pos += fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
            if (fmt <= 2 && t == 0xffffff) {
                t = (uint32_t)got[pos] << 24 | (uint32_t)got[pos + 1] << 16 |
                    (uint32_t)got[pos + 2] << 8 | got[pos + 3];
                pos += 4;
            } else if (fmt == 3 && delta >= 0xffffff)
                pos += 4;
            if (fmt == 0)
                ts = t;
            else {
                if (fmt <= 2)
                    delta = t;
                ts += delta;
            }
            if (fmt == 0)
                delta = t;
            left = len;
            (*nmsg)++;
            if (type == 18) {
                if (memcmp(got + pos, "\x02\x00\x0d@setDataFrame", 16) != 0)
                    ok = 0;
            } else {
                if (ts != expect)
                    ok = 0;
                expect += 40;
                i++;
            }
        } else if (fmt == 3 && delta >= 0xffffff)
            pos += 4;
        size_t k = left < (size_t)chunk ? left : (size_t)chunk;
        pos += k;
        left -= k;
    }
    return ok && i == 200;
}

int main(void)
{
    RTMP *r;
    size_t i, whole_len, n;
    static unsigned char whole[1 << 20];
    unsigned seed = 12345;
    int round;

    RTMP_LogSetLevel(RTMP_LOGCRIT);
    build();

    /* framing decoded back from the wire, two chunk sizes */
    for (round = 0; round < 2; round++) {
        int chunk = round ? 4096 : 128;
        r = open_handle(chunk);
        CHECK(RTMP_Write(r, (char *)flv, (int)flv_len) == (int)flv_len, "whole write");
        r->m_stream_id = -1; /* no deleteStream: only media on the wire */
        close_handle(r);
        CHECK(decode(&n, chunk) == 1, "timestamps/stream id/@setDataFrame (chunk %d)", chunk);
        CHECK(n == 204, "%zu messages", n);
    }
    whole_len = got_len;
    memcpy(whole, got, got_len);

    /* random splits, 20 rounds */
    for (round = 0; round < 20; round++) {
        size_t off = 0;
        r = open_handle(4096);
        while (off < flv_len) {
            seed = seed * 1103515245u + 12345u;
            size_t k = 1 + (seed >> 8) % (round % 2 ? 20 : 3000);
            if (k > flv_len - off)
                k = flv_len - off;
            CHECK(RTMP_Write(r, (char *)flv + off, (int)k) == (int)k, "split write");
            off += k;
        }
        r->m_stream_id = -1;
        close_handle(r);
        CHECK(got_len == whole_len && memcmp(got, whole, got_len) == 0, "split round %d", round);
    }

    /* RTMP_SendPacket between tags */
    {
        RTMPPacket p;
        char body[RTMP_MAX_HEADER_SIZE + 4];
        r = open_handle(4096);
        CHECK(RTMP_Write(r, (char *)flv, 100) == 100, "partial");
        memset(&p, 0, sizeof p);
        p.m_nChannel = 5; p.m_headerType = RTMP_PACKET_SIZE_LARGE; p.m_packetType = 8;
        p.m_nBodySize = 4; p.m_body = body + RTMP_MAX_HEADER_SIZE;
        memcpy(p.m_body, "\xaf\x01\x02\x03", 4);
        CHECK(RTMP_SendPacket(r, &p, FALSE) == TRUE, "SendPacket");
        CHECK(RTMP_Write(r, (char *)flv + 100, (int)flv_len - 100) == (int)flv_len - 100, "rest");
        r->m_stream_id = -1;
        close_handle(r);
        CHECK(got_len == whole_len + 12 + 4, "%zu bytes received", got_len);
    }

    /* hostile input: never a crash; complete tags sent, the rest buffered */
    {
        static unsigned char junk[70000];
        for (i = 0; i < sizeof junk; i++) {
            seed = seed * 1103515245u + 12345u;
            junk[i] = (unsigned char)(seed >> 16);
        }
        for (round = 0; round < 50; round++) {
            r = open_handle(round % 2 ? 1 : 4096);
            size_t off = 0;
            while (off < sizeof junk) {
                seed = seed * 1103515245u + 12345u;
                size_t k = 1 + (seed >> 8) % 5000;
                if (k > sizeof junk - off)
                    k = sizeof junk - off;
                int ret = RTMP_Write(r, (char *)junk + off, (int)k);
                CHECK(ret == (int)k || ret == -1, "junk write ret %d", ret);
                off += k;
                /* vary the data */
                junk[off % sizeof junk] ^= (unsigned char)round;
            }
            close_handle(r);
        }
    }

    /* a data tag too large for one message: -1 once complete */
    {
        static unsigned char big[0xfffff0 + 15];
        size_t k = tag(big, 18, 0, 0xfffff0, 1);
        r = open_handle(60000);
        CHECK(RTMP_Write(r, (char *)big, (int)k) == -1, "oversized data tag");
        close_handle(r);
    }

    /* arguments and a closed handle */
    r = RTMP_Alloc();
    RTMP_Init(r);
    CHECK(RTMP_Write(r, (char *)flv, 0) == 0, "size 0");
    CHECK(RTMP_Write(r, (char *)flv, -5) == -1, "negative size");
    CHECK(RTMP_Write(r, NULL, 5) == -1, "NULL buffer");
    CHECK(RTMP_Write(NULL, (char *)flv, 5) == -1, "NULL handle");
    CHECK(RTMP_Write(r, (char *)flv, 20) == 20, "header bytes buffered");
    CHECK(RTMP_Write(r, (char *)flv + 20, (int)flv_len - 20) == -1, "not connected");
    RTMP_Close(r);
    CHECK(r->m_write.m_body == NULL, "reset");
    RTMP_Free(r);

    return test_summary("test_write");
}
