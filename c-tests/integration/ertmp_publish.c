/* Publishes an FLV file with RTMP_Write, for ertmp.sh: the file is handed to RTMP_Write in pieces
 * of changing sizes (1 byte up to 4 KiB), cut inside tag bodies and between whole tags, never
 * where librtmp's RTMP_Write cannot resume (a tag's 11-byte header and its first body byte
 * travel in one call, and a body's last byte with the 4-byte size that follows it: that is
 * RTMP_Write's contract since librtmp 2.3).
 *
 *   ertmp_publish FILE.flv URL
 *
 * Every RTMP_Write must return the size of its piece. Prints "pieces N bytes B tags T" on
 * success. Exit: 0 published, 1 connect/stream failed, 2 usage or bad file, 3 RTMP_SetupURL
 * failed, 4 an RTMP_Write returned something else than the piece's size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, k;
    unsigned char *buf = malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *b2 = realloc(buf, cap *= 2);
            if (!b2) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static unsigned be24(const unsigned char *p) { return (unsigned)p[0] << 16 | p[1] << 8 | p[2]; }

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    size_t len;
    unsigned char *flv = read_file(argv[1], &len);
    if (!flv || len < 13 || memcmp(flv, "FLV", 3) != 0) {
        fprintf(stderr, "%s: not an FLV file\n", argv[1]);
        return 2;
    }
    /* cut[i] != 0: a piece may end after byte i-1 (i = 1..len). */
    unsigned char *cut = calloc(len + 1, 1);
    size_t pos = 13;
    int tags = 0;
    while (pos + 11 <= len) {
        size_t body = pos + 11, n = be24(flv + pos + 1);
        if (body + n + 4 > len) {
            fprintf(stderr, "%s: truncated tag at %zu\n", argv[1], pos);
            return 2;
        }
        for (size_t i = body + 1; i < body + n; i++)
            cut[i] = 1;
        pos = body + n + 4;
        cut[pos] = 1;
        tags++;
    }
    if (pos != len) {
        fprintf(stderr, "%s: %zu bytes after the last tag\n", argv[1], len - pos);
        return 2;
    }

    char *url = strdup(argv[2]);
    RTMP_LogSetLevel(RTMP_LOGWARNING);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int rc = 0;
    if (!RTMP_SetupURL(r, url)) {
        rc = 3;
        goto out;
    }
    RTMP_EnableWrite(r);
    if (!RTMP_Connect(r, NULL) || !RTMP_ConnectStream(r, 0)) {
        fprintf(stderr, "connect failed\n");
        rc = 1;
        goto out;
    }
    static const size_t sizes[] = {1, 700, 13, 4096, 100, 2, 1500, 7, 300};
    size_t start = 0, pieces = 0;
    while (start < len) {
        size_t end = start + sizes[pieces % (sizeof sizes / sizeof sizes[0])];
        if (end > len)
            end = len;
        while (!cut[end])
            end++;
        int w = RTMP_Write(r, (const char *)flv + start, (int)(end - start));
        if (w != (int)(end - start)) {
            fprintf(stderr, "RTMP_Write of %zu bytes at %zu returned %d\n", end - start, start, w);
            rc = 4;
            goto out;
        }
        start = end;
        pieces++;
    }
    printf("pieces %zu bytes %zu tags %d\n", pieces, len, tags);
out:
    RTMP_Close(r);
    RTMP_Free(r);
    free(url);
    free(cut);
    free(flv);
    return rc;
}
