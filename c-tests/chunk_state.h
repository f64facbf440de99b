/* Frees the per-channel state and the method-call queue that the chunk layer keeps in a handle
 * (both libraries allocate it with libc malloc). Tests of the chunk layer alone use it where a
 * full session would call RTMP_Close, which also closes the socket. */
#ifndef LIBRTMP_RS_TEST_CHUNK_STATE_H
#define LIBRTMP_RS_TEST_CHUNK_STATE_H

#include <stdlib.h>

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

#endif
