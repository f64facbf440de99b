/* Helpers of the chunk-layer tests. free_chunk_state frees the per-channel state and the
 * method-call queue that the chunk layer keeps in a handle
 * (both libraries allocate it with libc malloc). Tests of the chunk layer alone use it where a
 * full session would call RTMP_Close, which also closes the socket. */
#ifndef LIBRTMP_RS_TEST_CHUNK_STATE_H
#define LIBRTMP_RS_TEST_CHUNK_STATE_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/rtmp.h>

static inline void free_chunk_state(RTMP *r)
{
    int i;
    for (i = 0; i < r->m_channelsAllocatedIn; i++) {
        RTMPPacket *c = r->m_vecChannelsIn[i];
        if (c) {
            if (c->m_body)
                free(c->m_body - RTMP_MAX_HEADER_SIZE);
            free(c);
        }
    }
    for (i = 0; i < r->m_channelsAllocatedOut; i++)
        free(r->m_vecChannelsOut[i]);
    for (i = 0; i < r->m_numCalls; i++)
        free(r->m_methodCalls[i].name.av_val);
    free(r->m_vecChannelsIn);
    free(r->m_vecChannelsOut);
    free(r->m_channelTimestamp);
    free(r->m_methodCalls);
    r->m_vecChannelsIn = r->m_vecChannelsOut = NULL;
    r->m_channelTimestamp = NULL;
    r->m_methodCalls = NULL;
    r->m_channelsAllocatedIn = r->m_channelsAllocatedOut = r->m_numCalls = 0;
}

/* A thread body that writes `buf` into one end of a socketpair, then shuts it for writing:
 * the peer of what RTMP_ReadPacket reads in the chunk tests. */
struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static inline void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t off = 0;
    while (off < f->len) {
        ssize_t n = write(f->fd, f->buf + off, f->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    shutdown(f->fd, SHUT_WR);
    return NULL;
}

#endif
