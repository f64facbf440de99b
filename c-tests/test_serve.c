/* RTMP_Serve (server handshake) against a client on the other end of a socketpair: our client
 * and librtmp 2.4's (loaded with dlopen), plain and with the FP9 digest handshake (a client
 * with a SWF hash uses it); after the handshake the server reads the client's connect command. */
#include <dlfcn.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "chunk_state.h"
#include "common.h"

#define REF_PATH "/usr/lib/x86_64-linux-gnu/librtmp.so.1"

struct client_lib {
    const char *name;
    RTMP *(*Alloc)(void);
    void (*Init)(RTMP *);
    int (*Connect1)(RTMP *, RTMPPacket *);
    void (*Close)(RTMP *);
    void (*Free)(RTMP *);
};

struct job {
    struct client_lib *lib;
    int fd;
    int digest;
    int ok;
};

static void *run_client(void *arg)
{
    struct job *j = arg;
    RTMP *r = j->lib->Alloc();
    static char host[] = "localhost", app[] = "live";
    j->lib->Init(r);
    r->m_sb.sb_socket = j->fd;
    r->Link.hostname.av_val = host;
    r->Link.hostname.av_len = 9;
    r->Link.app.av_val = app;
    r->Link.app.av_len = 4;
    if (j->digest) { /* a SWF hash switches librtmp's client to the FP9 handshake */
        r->Link.SWFSize = 1234;
        memset(r->Link.SWFHash, 7, sizeof r->Link.SWFHash);
    }
    j->ok = j->lib->Connect1(r, NULL);
    /* the server closes first; then ours tidies up */
    j->lib->Close(r);
    j->lib->Free(r);
    return NULL;
}

static void serve_one(struct client_lib *lib, int digest)
{
    int sv[2];
    pthread_t th;
    struct job j;
    RTMP *r = RTMP_Alloc();
    RTMPPacket p;
    int served, got_connect = 0;

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    j.lib = lib;
    j.fd = sv[0];
    j.digest = digest;
    j.ok = 0;
    pthread_create(&th, NULL, run_client, &j);
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[1];
    served = RTMP_Serve(r);
    memset(&p, 0, sizeof p);
    while (served && RTMP_ReadPacket(r, &p)) {
        if (RTMPPacket_IsReady(&p)) {
            got_connect = p.m_packetType == RTMP_PACKET_TYPE_INVOKE && p.m_nBodySize > 10 &&
                          memcmp(p.m_body + 3, "connect", 7) == 0;
            RTMPPacket_Free(&p);
            break;
        }
    }
    RTMPPacket_Free(&p);
    shutdown(sv[1], SHUT_RDWR);
    pthread_join(th, NULL);
    CHECK(served, "%s client, digest %d: RTMP_Serve failed", lib->name, digest);
    CHECK(j.ok, "%s client, digest %d: client handshake/connect failed", lib->name, digest);
    CHECK(got_connect, "%s client, digest %d: no connect command after the handshake", lib->name,
          digest);
    close(sv[1]);
    free_chunk_state(r);
    RTMP_Free(r);
}

int main(void)
{
    struct client_lib ours = {"our", RTMP_Alloc, RTMP_Init, RTMP_Connect1, RTMP_Close, RTMP_Free};
    struct client_lib ref = {"librtmp", 0, 0, 0, 0, 0};
    void *h = NULL;

    RTMP_LogSetLevel(RTMP_LOGCRIT);
    serve_one(&ours, 0);
    serve_one(&ours, 1);
#if !defined(__SANITIZE_ADDRESS__) /* the sanitizer runtime refuses RTLD_DEEPBIND */
    h = dlopen(REF_PATH, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
    if (h) {
        int *lvl = dlsym(h, "RTMP_debuglevel");
        *(void **)&ref.Alloc = dlsym(h, "RTMP_Alloc");
        *(void **)&ref.Init = dlsym(h, "RTMP_Init");
        *(void **)&ref.Connect1 = dlsym(h, "RTMP_Connect1");
        *(void **)&ref.Close = dlsym(h, "RTMP_Close");
        *(void **)&ref.Free = dlsym(h, "RTMP_Free");
        if (lvl)
            *lvl = RTMP_LOGCRIT;
        serve_one(&ref, 0);
        serve_one(&ref, 1);
    }
    return test_summary("serve");
}
