/* Session benchmark against a real server (nginx-rtmp). Linked to -lrtmp; bench-session.sh runs
 * it alternately with our library and the system librtmp (LD_LIBRARY_PATH).
 *   bench_session read URL [OUT]        RTMP_SetupURL, RTMP_Connect, RTMP_ConnectStream, then
 *                                       RTMP_Read into a 64 KiB buffer until <= 0 (OUT: also
 *                                       write the received FLV there, for the content check)
 *   bench_session write URL FILE CHUNK  publish FILE (an FLV, read into memory first) with
 *                                       RTMP_EnableWrite + RTMP_Write in 64 KiB pieces, unpaced.
 *                                       CHUNK: "default" = whatever the library does;
 *                                       a number N = after RTMP_ConnectStream, if the library's
 *                                       out chunk size is not N, send Set Chunk Size N (type 1
 *                                       on chunk stream 2) and use it, so both libraries split
 *                                       the media at N bytes.
 * Timing: read, the whole session (RTMP_Connect .. the last RTMP_Read); write, the data phase
 * (the first RTMP_Write .. RTMP_Close, after the connect and any Set Chunk Size). CPU is the
 * process's own (getrusage RUSAGE_SELF, user + sys; the program has a single thread). Prints:
 *   RESULT <mode> <chunk cfg> <lib path> <bytes> <wall s> <cpu s> <MB/s> <CPU-s per GB> <out chunk>
 * Exit 3: set-up or session failure (connect, short write, lost connection). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/amf.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "bench_common.h"

#define PIECE (64 * 1024)

static const char *loaded_lib(void)
{
    Dl_info info;
    if (dladdr((void *)RTMP_Read, &info) && info.dli_fname)
        return info.dli_fname;
    return "?";
}

static void report(const char *mode, const char *cfg, double bytes, double wall, double cpu,
                   int out_chunk)
{
    printf("RESULT %s %s %s %.0f %.6f %.6f %.2f %.4f %d\n", mode, cfg, loaded_lib(), bytes, wall,
           cpu, bytes / wall / 1e6, cpu / (bytes / 1e9), out_chunk);
}

static int fail(RTMP *r, const char *what)
{
    fprintf(stderr, "bench_session (%s): %s failed\n", loaded_lib(), what);
    if (r) {
        RTMP_Close(r);
        RTMP_Free(r);
    }
    return 3;
}

static int bench_read(char *url, const char *out_path)
{
    static char buf[PIECE];
    FILE *out = NULL;
    if (out_path && !(out = fopen(out_path, "wb"))) {
        perror(out_path);
        return 3;
    }
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    if (!RTMP_SetupURL(r, url))
        return fail(r, "RTMP_SetupURL");
    /* rtmpdump's 10 hours: nginx-rtmp sends as fast as it can instead of pacing the part of the
     * file beyond the client's buffer (librtmp's default is 30 s) in real time. */
    RTMP_SetBufferMS(r, 10 * 3600 * 1000);
    double t0 = now(), c0 = cpu_seconds(RUSAGE_SELF);
    if (!RTMP_Connect(r, NULL))
        return fail(r, "RTMP_Connect");
    if (!RTMP_ConnectStream(r, 0))
        return fail(r, "RTMP_ConnectStream");
    double bytes = 0;
    int n;
    while ((n = RTMP_Read(r, buf, sizeof buf)) > 0) {
        bytes += n;
        if (out && fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
            perror(out_path);
            return 3;
        }
    }
    double wall = now() - t0, cpu = cpu_seconds(RUSAGE_SELF) - c0;
    int chunk = r->m_inChunkSize;
    RTMP_Close(r);
    RTMP_Free(r);
    if (out)
        fclose(out);
    if (bytes < 1e6) {
        fprintf(stderr, "bench_session (%s): RTMP_Read delivered only %.0f bytes\n", loaded_lib(),
                bytes);
        return 3;
    }
    report("read", "-", bytes, wall, cpu, chunk);
    return 0;
}

static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) || (*len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
        perror(path);
        exit(3);
    }
    char *mem = malloc((size_t)*len);
    if (!mem || fread(mem, 1, (size_t)*len, f) != (size_t)*len) {
        perror(path);
        exit(3);
    }
    fclose(f);
    return mem;
}

/* Set Chunk Size, the way a caller of either library can send it. */
static int set_chunk_size(RTMP *r, int size)
{
    char pbuf[RTMP_MAX_HEADER_SIZE + 4];
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    p.m_nChannel = 0x02;
    p.m_headerType = RTMP_PACKET_SIZE_LARGE;
    p.m_packetType = RTMP_PACKET_TYPE_CHUNK_SIZE;
    p.m_body = pbuf + RTMP_MAX_HEADER_SIZE;
    p.m_nBodySize = 4;
    AMF_EncodeInt32(p.m_body, p.m_body + 4, size);
    if (!RTMP_SendPacket(r, &p, FALSE))
        return 0;
    r->m_outChunkSize = size;
    return 1;
}

static int bench_write(char *url, const char *path, const char *cfg)
{
    long len;
    char *mem = slurp(path, &len);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    if (!RTMP_SetupURL(r, url))
        return fail(r, "RTMP_SetupURL");
    RTMP_EnableWrite(r);
    if (!RTMP_Connect(r, NULL))
        return fail(r, "RTMP_Connect");
    if (!RTMP_ConnectStream(r, 0))
        return fail(r, "RTMP_ConnectStream");
    if (strcmp(cfg, "default") != 0) {
        int want = atoi(cfg);
        if (want <= 0) {
            fprintf(stderr, "bad chunk size %s\n", cfg);
            return fail(r, "argument check");
        }
        if (r->m_outChunkSize != want) {
            if (!set_chunk_size(r, want))
                return fail(r, "sending Set Chunk Size");
            /* nginx-rtmp garbles data that arrives in the same read as a Set Chunk Size that
             * lowers the size ("RTMP in chunk stream too big"): let it take the message alone. */
            usleep(100 * 1000);
        }
    }
    int chunk = r->m_outChunkSize;
    double t0 = now(), c0 = cpu_seconds(RUSAGE_SELF);
    for (long off = 0; off < len; off += PIECE) {
        int n = len - off < PIECE ? (int)(len - off) : PIECE;
        int w = RTMP_Write(r, mem + off, n);
        if (w != n) {
            fprintf(stderr, "bench_session (%s): RTMP_Write returned %d of %d at offset %ld\n",
                    loaded_lib(), w, n, off);
            return fail(r, "RTMP_Write");
        }
    }
    if (!RTMP_IsConnected(r))
        return fail(r, "staying connected (RTMP_IsConnected after the last RTMP_Write)");
    RTMP_Close(r);
    double wall = now() - t0, cpu = cpu_seconds(RUSAGE_SELF) - c0;
    RTMP_Free(r);
    free(mem);
    report("write", cfg, (double)len, wall, cpu, chunk);
    return 0;
}

int main(int argc, char **argv)
{
    RTMP_LogSetLevel(RTMP_LOGERROR);
    signal(SIGPIPE, SIG_IGN); /* a dropped connection is a failed write (exit 3), not a signal */
    if (argc >= 3 && strcmp(argv[1], "read") == 0)
        return bench_read(argv[2], argc > 3 ? argv[3] : NULL);
    if (argc == 5 && strcmp(argv[1], "write") == 0)
        return bench_write(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: %s read URL [OUT] | write URL FILE default|CHUNK\n", argv[0]);
    return 2;
}
