/* Differential test of RTMP_Write: a synthetic FLV (file header, onMetaData, audio/video tags
 * with timestamps 0, small, past 0xFFFFFF and near the 32-bit wrap, bodies larger than the chunk
 * size, an unusual tag type) goes through RTMP_Write on a handle whose socket is one end of a
 * socketpair; a thread collects what arrives on the other end until EOF. Fields are set directly
 * (m_sb.sb_socket, m_stream_id, m_outChunkSize, write mode), as a consumer that opens the socket
 * itself does. Printed: the return value of every call, then the received bytes (length, hash,
 * hex of the start), including what RTMP_Close sends (FCUnpublish/deleteStream in write mode).
 *
 * Splits that librtmp 2.4 cannot handle (a tag header or a PreviousTagSize cut across calls:
 * behavior.md §11, §16 d; calls shorter than 11 bytes return 0) are run only on our library,
 * which must then send exactly what the whole-file write sent; both sides print the same line.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static unsigned char flv[64 * 1024];
static size_t flv_len;
static size_t tag_off[64]; /* start of each tag (after the file header) */
static size_t ntags;

static void put_tag(int type, uint32_t ts, const unsigned char *body, size_t n)
{
    unsigned char *p = flv + flv_len;
    tag_off[ntags++] = flv_len;
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(n >> 16); p[2] = (unsigned char)(n >> 8); p[3] = (unsigned char)n;
    p[4] = (unsigned char)(ts >> 16); p[5] = (unsigned char)(ts >> 8); p[6] = (unsigned char)ts;
    p[7] = (unsigned char)(ts >> 24);
    p[8] = p[9] = p[10] = 0;
    memcpy(p + 11, body, n);
    uint32_t prev = (uint32_t)(n + 11);
    p[11 + n] = (unsigned char)(prev >> 24); p[12 + n] = (unsigned char)(prev >> 16);
    p[13 + n] = (unsigned char)(prev >> 8); p[14 + n] = (unsigned char)prev;
    flv_len += n + 15;
}

static void build_flv(void)
{
    static const unsigned char hdr[13] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };
    static const unsigned char meta[] = "\x02\x00\x0aonMetaData\x08\x00\x00\x00\x01"
                                        "\x00\x08duration\x00\x40\x14\x00\x00\x00\x00\x00\x00"
                                        "\x00\x00\x09";
    unsigned char body[6000];
    size_t i;
    memcpy(flv, hdr, sizeof hdr);
    flv_len = sizeof hdr;
    for (i = 0; i < sizeof body; i++)
        body[i] = (unsigned char)(i * 7 + 3);
    put_tag(18, 0, meta, sizeof meta - 1);
    body[0] = 0x17; put_tag(9, 0, body, 300);          /* video, ts 0: LARGE */
    body[0] = 0xaf; put_tag(8, 0, body, 4);            /* audio, ts 0: LARGE */
    body[0] = 0x27; put_tag(9, 40, body, 5000);        /* MEDIUM, many chunks */
    body[0] = 0xaf; put_tag(8, 23, body, 200);
    body[0] = 0xaf; put_tag(8, 46, body, 200);         /* same size/type: SMALL */
    body[0] = 0xaf; put_tag(8, 69, body, 200);
    body[0] = 0x27; put_tag(9, 80, body, 129);
    put_tag(18, 100, meta, sizeof meta - 1);           /* data tag later on */
    body[0] = 0x27; put_tag(9, 0x00fffff0, body, 700); /* around the 24-bit field limit */
    body[0] = 0x27; put_tag(9, 0x01000010, body, 300); /* extended timestamps */
    body[0] = 0xaf; put_tag(8, 0x01000020, body, 10);
    body[0] = 0x27; put_tag(9, 0xfffffff0u, body, 260);/* just below the 32-bit wrap */
    body[0] = 0x27; put_tag(9, 0x00000010, body, 260);/* wrapped */
    body[0] = 0x01; put_tag(0x0f, 0x30, body, 33);     /* not audio/video/data: MEDIUM */
    body[0] = 0x27; put_tag(9, 0x40, body, 3000);
}

/* ---------------------------------------------------------------------------------------- */

static int sv[2];
static unsigned char got[256 * 1024];
static size_t got_len;

static void *collect(void *arg)
{
    (void)arg;
    for (;;) {
        ssize_t k = read(sv[1], got + got_len, sizeof got - got_len);
        if (k <= 0)
            break;
        got_len += (size_t)k;
        if (got_len == sizeof got)
            break;
    }
    close(sv[1]);
    return NULL;
}

static uint64_t fnv(const unsigned char *b, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    while (n--) {
        h ^= *b++;
        h *= 1099511628211ull;
    }
    return h;
}

struct run {
    size_t len;
    uint64_t hash;
};

/* Writes flv[] in the pieces cut[0..ncut) (end offsets), prints every return value when
 * `print`, closes, returns what the peer received. */
static struct run write_pieces(const size_t *cut, size_t ncut, int write_mode, int chunk,
                               int print)
{
    RTMP *r = RTMP_Alloc();
    pthread_t t;
    size_t i, from = 0;
    struct run res;
    RTMP_Init(r);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        exit(2);
    }
    got_len = 0;
    pthread_create(&t, NULL, collect, NULL);
    r->m_sb.sb_socket = sv[0];
    r->m_stream_id = 1;
    r->Link.timeout = 5;
    if (chunk)
        r->m_outChunkSize = chunk;
    if (write_mode)
        RTMP_EnableWrite(r);
    for (i = 0; i < ncut; i++) {
        int n = (int)(cut[i] - from);
        char *copy = malloc(n ? (size_t)n : 1); /* exact-size heap buffer, like a GstBuffer */
        memcpy(copy, flv + from, (size_t)n);
        int ret = RTMP_Write(r, copy, n);
        free(copy);
        if (print)
            printf("  write [%zu, %zu) -> %d\n", from, cut[i], ret);
        from = cut[i];
    }
    RTMP_Close(r);
    pthread_join(t, NULL);
    RTMP_Free(r);
    res.len = got_len;
    res.hash = fnv(got, got_len);
    return res;
}

static void print_run(const char *name, struct run x)
{
    size_t i;
    printf("%s: received %zu bytes, hash %016llx\n", name, x.len, (unsigned long long)x.hash);
    for (i = 0; i < x.len && i < 96; i++)
        printf("%s%02x%s", i % 32 == 0 ? "    " : " ", got[i],
               i % 32 == 31 || i + 1 == x.len || i == 95 ? "\n" : "");
}

static size_t cuts[70000];

int main(void)
{
    size_t i, n;
    struct run whole;
    int ref = on_reference();
    int wm, chunk;

    RTMP_LogSetLevel(RTMP_LOGERROR);
    build_flv();
    printf("flv: %zu bytes, %zu tags\n", flv_len, ntags);

    for (wm = 0; wm <= 1; wm++)
        for (chunk = 0; chunk <= 4096; chunk += 4096) {
            char name[96];
            snprintf(name, sizeof name, "%s mode, out chunk %d", wm ? "write" : "play",
                     chunk ? chunk : 128);
            printf("== %s\n", name);

            /* 1. the whole file in one call */
            cuts[0] = flv_len;
            whole = write_pieces(cuts, 1, wm, chunk, 1);
            print_run("whole file", whole);

            /* 2. one call per tag, the file header with the first tag */
            for (i = 1; i < ntags; i++)
                cuts[i - 1] = tag_off[i];
            cuts[ntags - 1] = flv_len;
            {
                struct run x = write_pieces(cuts, ntags, wm, chunk, 1);
                print_run("per tag", x);
            }

            /* 3. per tag, tag bodies cut in two (headers whole) */
            n = 0;
            for (i = 0; i < ntags; i++) {
                size_t start = tag_off[i], end = i + 1 < ntags ? tag_off[i + 1] : flv_len;
                size_t body = end - start - 15;
                if (body > 1)
                    cuts[n++] = start + 11 + body / 2;
                cuts[n++] = end;
            }
            {
                struct run x = write_pieces(cuts, n, wm, chunk, 1);
                print_run("bodies split", x);
            }

            /* 4. splits librtmp 2.4 cannot take: ours must send what the whole file sent */
            static const size_t sizes[] = { 1, 2, 3, 5, 7, 10, 11, 12, 13, 14, 100, 4096 };
            for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                size_t k = 0, off;
                for (off = sizes[i]; off < flv_len; off += sizes[i])
                    cuts[k++] = off;
                cuts[k++] = flv_len;
                if (ref) {
                    printf("pieces of %zu: same bytes as the whole file\n", sizes[i]);
                    continue;
                }
                struct run x = write_pieces(cuts, k, wm, chunk, 0);
                if (x.len == whole.len && x.hash == whole.hash)
                    printf("pieces of %zu: same bytes as the whole file\n", sizes[i]);
                else
                    printf("pieces of %zu: DIFFERENT (%zu bytes)\n", sizes[i], x.len);
            }
            /* every two-piece cut (tag headers and PreviousTagSize fields cut too); every
             * 29th in the other configurations (valgrind runs this program too) */
            {
                size_t bad = 0, step = wm == 0 && chunk == 0 ? 1 : 29;
                if (!ref)
                    for (i = 1; i < flv_len; i += step) {
                        cuts[0] = i;
                        cuts[1] = flv_len;
                        struct run x = write_pieces(cuts, 2, wm, chunk, 0);
                        if (x.len != whole.len || x.hash != whole.hash)
                            bad++;
                    }
                printf("every two-piece cut: %zu differ from the whole file\n", bad);
            }
        }
    return 0;
}
