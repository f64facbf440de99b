/* Chunk layer benchmark. Linked to -lrtmp; bench-chunk.sh runs it alternately with our library
 * and the system librtmp (LD_LIBRARY_PATH) and reports medians and ratios.
 *   bench_chunk send-mixed CHUNK   video-like: 200 KB keyframe every 60 messages, 8 KB otherwise
 *   bench_chunk send-1m CHUNK      1 MiB messages
 *   bench_chunk read CHUNK         RTMP_ReadPacket of a pre-chunked mixed stream (socketpair)
 * Sends go over TCP loopback to a sink thread. Prints one line:
 *   RESULT <mode> <chunk> <lib path> <MB/s> <CPU-s per GB> <messages/s> <messages> <bytes>
 * CPU is the benchmarked thread's (getrusage RUSAGE_THREAD), so the sink/feeder is excluded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "bench_common.h"

static void *sink(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static char buf[1 << 18];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    return NULL;
}

static uint32_t msg_size(const char *mode, int i)
{
    if (strcmp(mode, "send-1m") == 0)
        return 1u << 20;
    return i % 60 == 0 ? 200 * 1024 : 8 * 1024;
}

static int nmsgs(const char *mode)
{
    return strcmp(mode, "send-1m") == 0 ? 100 : strcmp(mode, "read") == 0 ? 12000 : 6000;
}

static void tcp_pair(int *client, int *server)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &al)) {
        perror("listen");
        exit(2);
    }
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*client, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        exit(2);
    }
    *server = accept(l, NULL, NULL);
    close(l);
}

static void report(const char *mode, int chunk, double bytes, double wall, double cpu, int n)
{
    Dl_info info;
    const char *lib = "?";
    if (dladdr((void *)RTMP_SendPacket, &info) && info.dli_fname)
        lib = info.dli_fname;
    printf("RESULT %s %d %s %.1f %.3f %.0f %d %.0f\n", mode, chunk, lib, bytes / wall / 1e6,
           cpu / (bytes / 1e9), n / wall, n, bytes);
}

static int bench_send(const char *mode, int chunk)
{
    int c, s;
    tcp_pair(&c, &s);
    pthread_t th;
    pthread_create(&th, NULL, sink, (void *)(intptr_t)s);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = c;
    r->m_outChunkSize = chunk;
    static char mem[RTMP_MAX_HEADER_SIZE + (1 << 20)];
    memset(mem, 0x5a, sizeof mem);
    int n = nmsgs(mode);
    double bytes = 0;
    double t0 = now(), c0 = cpu_seconds(RUSAGE_THREAD);
    for (int i = 0; i < n; i++) {
        RTMPPacket p;
        memset(&p, 0, sizeof p);
        p.m_nChannel = 6;
        p.m_headerType = i == 0 ? RTMP_PACKET_SIZE_LARGE : RTMP_PACKET_SIZE_MEDIUM;
        p.m_packetType = RTMP_PACKET_TYPE_VIDEO;
        p.m_nTimeStamp = (uint32_t)i * 33;
        p.m_nInfoField2 = 1;
        p.m_nBodySize = msg_size(mode, i);
        p.m_body = mem + RTMP_MAX_HEADER_SIZE;
        if (!RTMP_SendPacket(r, &p, FALSE)) {
            fprintf(stderr, "send failed at %d\n", i);
            return 1;
        }
        bytes += p.m_nBodySize;
    }
    double wall = now() - t0, cpu = cpu_seconds(RUSAGE_THREAD) - c0;
    shutdown(c, SHUT_WR);
    pthread_join(th, NULL);
    close(c);
    close(s);
    report(mode, chunk, bytes, wall, cpu, n);
    return 0;
}

/* ---- read: a pre-chunked stream of mixed video (spec form, like librtmp writes it) ---- */

static unsigned char *stream;
static size_t slen;

static void build_stream(int chunk, int n)
{
    size_t cap = 0;
    for (int i = 0; i < n; i++)
        cap += msg_size("send-mixed", i) + 12 + msg_size("send-mixed", i) / (size_t)chunk + 1;
    stream = malloc(cap);
    slen = 0;
    for (int i = 0; i < n; i++) {
        uint32_t size = msg_size("send-mixed", i);
        unsigned char *h = stream + slen;
        if (i == 0) {
            unsigned char l[12] = {0x06, 0, 0, 0, (uint8_t)(size >> 16), (uint8_t)(size >> 8),
                                   (uint8_t)size, 9, 1, 0, 0, 0};
            memcpy(h, l, 12);
            slen += 12;
        } else {
            unsigned char m[8] = {0x46, 0, 0, 33, (uint8_t)(size >> 16), (uint8_t)(size >> 8),
                                  (uint8_t)size, 9};
            memcpy(h, m, 8);
            slen += 8;
        }
        for (uint32_t off = 0; off < size; off += (uint32_t)chunk) {
            if (off)
                stream[slen++] = 0xc6;
            uint32_t k = size - off < (uint32_t)chunk ? size - off : (uint32_t)chunk;
            memset(stream + slen, (int)(i & 0xff), k);
            slen += k;
        }
    }
}

static void *feeder(void *arg)
{
    int fd = (int)(intptr_t)arg;
    size_t off = 0;
    while (off < slen) {
        ssize_t k = write(fd, stream + off, slen - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    shutdown(fd, SHUT_WR);
    return NULL;
}

static int bench_read(int chunk)
{
    int n = nmsgs("read");
    build_stream(chunk, n);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    /* A deep socket buffer, so that the feeder is rarely the one the reader waits for: the
     * point is the reader's speed (the kernel caps it at net.core.wmem_max). */
    int deep = 8 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &deep, sizeof deep);
    pthread_t th;
    pthread_create(&th, NULL, feeder, (void *)(intptr_t)sv[0]);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[1];
    r->m_inChunkSize = chunk;
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    double bytes = 0;
    int got = 0;
    double t0 = now(), c0 = cpu_seconds(RUSAGE_THREAD);
    while (got < n) {
        if (!RTMP_ReadPacket(r, &p)) {
            fprintf(stderr, "read failed after %d\n", got);
            return 1;
        }
        if (RTMPPacket_IsReady(&p)) {
            bytes += p.m_nBodySize;
            got++;
            RTMPPacket_Free(&p);
        }
    }
    double wall = now() - t0, cpu = cpu_seconds(RUSAGE_THREAD) - c0;
    pthread_join(th, NULL);
    report("read", chunk, bytes, wall, cpu, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s send-mixed|send-1m|read CHUNK\n", argv[0]);
        return 2;
    }
    int chunk = atoi(argv[2]);
    if (strcmp(argv[1], "read") == 0)
        return bench_read(chunk);
    return bench_send(argv[1], chunk);
}
