/* The publishing client of the session fuzzer: connects to URL (with its options, e.g.
 * "rtmp://127.0.0.1:1935/live/s timeout=2"), publishes the FLV file FILE with RTMP_Write in
 * pieces of 4,000 bytes, then closes.
 *
 *   fuzz_publish URL FILE
 *
 * Exit status: 0 the whole file was written, 1 setup or connect failed, 2 a write failed,
 * 3 usage or file errors. The library's log goes to stderr at the default level (ERROR and
 * WARNING lines), as rtmpdump's does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s URL FILE\n", argv[0]);
        return 3;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 3;
    }
    static char flv[8 << 20];
    size_t len = fread(flv, 1, sizeof flv, f);
    fclose(f);

    RTMP *r = RTMP_Alloc();
    if (!r)
        return 3;
    RTMP_Init(r);
    char *url = strdup(argv[1]);
    int rc = 0;
    if (!url || !RTMP_SetupURL(r, url)) {
        rc = 1;
        goto out;
    }
    RTMP_EnableWrite(r);
    if (!RTMP_Connect(r, NULL) || !RTMP_ConnectStream(r, 0)) {
        rc = 1;
        goto out;
    }
    for (size_t off = 0; off < len;) {
        int n = len - off < 4000 ? (int)(len - off) : 4000;
        int w = RTMP_Write(r, flv + off, n);
        if (w <= 0) {
            RTMP_Log(RTMP_LOGERROR, "fuzz_publish: RTMP_Write returned %d at byte %zu of %zu", w, off,
                     len);
            rc = 2;
            break;
        }
        off += (size_t)w;
    }
out:
    RTMP_Close(r);
    RTMP_Free(r);
    free(url);
    if (rc == 0)
        fprintf(stderr, "fuzz_publish: published %zu bytes\n", len);
    return rc;
}
