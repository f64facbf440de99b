/* Differential test of HTTP_get and RTMP_HashSWF against a canned HTTP server (a forked child
 * on a free loopback port): request bytes, results, status, sizes, dates, delivered bodies,
 * SWF hashes (plain and zlib-compressed players) and the ~/.swfinfo cache must match librtmp. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <librtmp/http.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

#define NRESP 8
static char responses[NRESP][8192];
static size_t response_len[NRESP];
static int port;

static size_t add_response(int i, const char *head, const unsigned char *body, size_t n)
{
    size_t h = strlen(head);
    memcpy(responses[i], head, h);
    memcpy(responses[i] + h, body, n);
    response_len[i] = h + n;
    return response_len[i];
}

/* Serves responses[0..NRESP) to successive connections, printing each request (with the port
 * number masked, it differs between runs) to stdout. */
static void serve(int ls)
{
    int i;
    for (i = 0; i < NRESP; i++) {
        char req[4096], portstr[16], *p;
        size_t got = 0;
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            _exit(1);
        while (got < sizeof req - 1) {
            ssize_t n = recv(c, req + got, sizeof req - 1 - got, 0);
            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = 0;
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[got] = 0;
        snprintf(portstr, sizeof portstr, "%d", port);
        while ((p = strstr(req, portstr)) != NULL)
            memcpy(p, "PORT\0\0\0\0\0\0", strlen(portstr) > 4 ? 4 : strlen(portstr)),
                memmove(p + 4, p + strlen(portstr), strlen(p + strlen(portstr)) + 1);
        if (i == 7) { /* only our side gets here (see main) */
            send(c, responses[i], response_len[i], 0);
            close(c);
            continue;
        }
        printf("request %d: ", i);
        for (p = req; *p; p++)
            if (*p == '\r')
                printf("\\r");
            else if (*p == '\n')
                printf("\\n");
            else
                putchar(*p);
        printf("\n");
        fflush(stdout);
        send(c, responses[i], response_len[i], 0);
        close(c);
    }
    _exit(0);
}

static unsigned long body_sum;
static size_t on_body(void *ptr, size_t size, size_t nmemb, void *stream)
{
    size_t i;
    for (i = 0; i < size * nmemb; i++)
        body_sum = body_sum * 31 + ((unsigned char *)ptr)[i];
    printf("  body piece, stream=%s\n", stream == (void *)&body_sum ? "ok" : "wrong");
    return size * nmemb;
}

static void get(const char *path, const char *since)
{
    char url[256], date[64];
    struct HTTP_ctx h;
    int r;
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    snprintf(date, sizeof date, "%s", since);
    h.date = date;
    h.size = 7;
    h.status = 123;
    h.data = &body_sum;
    body_sum = 0;
    r = HTTP_get(&h, url, on_body);
    printf("HTTP_get(%s) = %d status=%d size=%d date=[%s] sum=%lu\n", path, r, h.status, h.size,
           date, body_sum);
}

static void hash_swf(const char *path, int age)
{
    char url[256];
    unsigned int size = 0;
    unsigned char hash[32];
    int r, i;
    memset(hash, 0, sizeof hash);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    r = RTMP_HashSWF(url, &size, hash, age);
    printf("RTMP_HashSWF(%s, age %d) = %d size=%u hash=", path, age, r, size);
    for (i = 0; i < 32; i++)
        printf("%02x", hash[i]);
    printf("\n");
}

static void show_cache(const char *home)
{
    char path[512], line[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/.swfinfo", home);
    f = fopen(path, "r");
    printf(".swfinfo:\n");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *p;
        if (strncmp(line, "ctim: ", 6) == 0)
            continue; /* the time of the run */
        if ((p = strstr(line, "127.0.0.1:")) != NULL) {
            char *digits = p + 10, *rest = digits + strspn(digits, "0123456789");
            memmove(digits, rest, strlen(rest) + 1); /* drop the port: it differs per run */
        }
        printf("  %s", line);
    }
    fclose(f);
}

int main(void)
{
    unsigned char swf[4000], packed[4200];
    uLongf packed_len = sizeof packed;
    char head[512], home[] = "/tmp/rtmprs-http-XXXXXX";
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int ls, i;
    pid_t child;

    for (i = 0; i < (int)sizeof swf; i++)
        swf[i] = (unsigned char)(i * 7 + i / 13);
    memcpy(swf, "FWS\x0a", 4);
    memcpy(swf + 4, "\xa0\x0f\0\0", 4);
    compress2(packed + 8, &packed_len, swf + 8, sizeof swf - 8, 9);
    memcpy(packed, "CWS\x0a\xa0\x0f\0\0", 8);

    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nLast-Modified: Tue, 01 Jan 2019 00:00:00 GMT\r\nContent-Length: %zu\r\n\r\n", sizeof swf);
    add_response(0, head, swf, sizeof swf);                       /* HTTP_get */
    add_response(1, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n", (const unsigned char *)"no!", 3);
    add_response(2, "HTTP/1.1 302 Found\r\nContent-Length: 2\r\n\r\n", (const unsigned char *)"mv", 2);
    add_response(3, "HTTP/1.0 500 Oops\r\n\r\n", (const unsigned char *)"", 0);
    add_response(4, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", (const unsigned char *)"short", 5);
    add_response(5, head, swf, sizeof swf);                       /* HashSWF, plain */
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nLast-Modified: Wed, 02 Jan 2019 00:00:00 GMT\r\nContent-Length: %lu\r\n\r\n", (unsigned long)packed_len + 8);
    add_response(6, head, packed, packed_len + 8);                /* HashSWF, compressed */
    add_response(7, "HTTP/1.1 304 Not Modified\r\n\r\n", (const unsigned char *)"", 0);

    ls = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 8) ||
        getsockname(ls, (struct sockaddr *)&sa, &sl))
        return 2;
    port = ntohs(sa.sin_port);
    fflush(stdout);
    child = fork();
    if (child == 0)
        serve(ls);
    close(ls);

    if (!mkdtemp(home))
        return 2;
    setenv("HOME", home, 1);
    RTMP_LogSetOutput(stdout);
    RTMP_LogSetLevel(RTMP_LOGERROR);

    get("/dir/player.swf?x=1", "");
    get("/missing.swf", "Mon, 01 Jan 2018 00:00:00 GMT");
    get("/moved", "");
    get("/error", "");
    get("/short", "");
    hash_swf("/p/plain.swf?query=1", 0);
    show_cache(home);
    hash_swf("/p/packed.swf", 0);
    if (on_reference()) {
        /* librtmp 2.4 hangs re-reading a cache it wrote in this run (no request ever leaves):
         * the cache round trip is only checked on our side, with the same printed result. */
        kill(child, SIGKILL);
        printf("request 7: (cache revalidation)\ncache: 304 keeps the hash, a fresh entry needs no request\n");
    } else {
        unsigned int s1 = 0, s2 = 0;
        unsigned char h1[32], h2[32];
        char url[256];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/p/packed.swf", port);
        RTMP_HashSWF(url, &s1, h1, 0);  /* cached date sent as If-Modified-Since; answer 304 */
        fflush(stdout);
        waitpid(child, NULL, 0);         /* the server is gone now: */
        RTMP_HashSWF(url, &s2, h2, 30); /* a fresh entry must not need a request */
        printf("request 7: (cache revalidation)\n");
        if (s1 == 4000 && s2 == 4000 && memcmp(h1, h2, 32) == 0)
            printf("cache: 304 keeps the hash, a fresh entry needs no request\n");
        else
            printf("cache: broken (%u %u)\n", s1, s2);
    }
    fflush(stdout);
    waitpid(child, NULL, 0);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", home);
        if (system(cmd) != 0)
            return 2;
    }
    return 0;
}
