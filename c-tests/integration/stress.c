/* Many handles at once and long-running loops in one process, against a real server.
 *
 *   stress threads URL SECONDS PLAYERS PUBLISHERS CYCLERS
 *       PLAYERS threads play URL/vod/clip.flv with RTMP_Read to its end, PUBLISHERS threads
 *       publish clip.flv (the file given by $STRESS_FLV) to URL/live/tN_M with RTMP_Write, and
 *       CYCLERS threads connect (RTMP_Connect + RTMP_ConnectStream) and close, each with its own
 *       RTMP handle, again and again for SECONDS; meanwhile one more thread keeps changing the
 *       log level (RTMP_LogSetLevel) and the log callback (RTMP_LogSetCallback). Prints the
 *       sessions of each kind; exits 1 when a session failed or a kind had none. With
 *       STRESS_RACY_LEVEL set, the level is written straight into RTMP_debuglevel instead (a
 *       race that ThreadSanitizer must report: the checker's self-test).
 *   stress soak URL SECONDS CYCLES
 *       One thread: publish -> play loops for SECONDS, then CYCLES connect/close cycles.
 *       Samples resident memory (/proc/self/statm) and open descriptors (/proc/self/fd)
 *       after the warm-up (the first 5 loops), then every loop; prints first / last / peak of
 *       each phase; exits 1 when a session failed, the descriptors at the end differ from the
 *       first sample, or resident memory grew by more than STRESS_RSS_SLACK_KB (default 2048).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

static const char *base_url;
static char *flv;
static size_t flv_len;
static double stop_at;
static int stopping;

static long played, published, cycled, failed;
static long log_lines[2];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int time_up(void)
{
    return __atomic_load_n(&stopping, __ATOMIC_RELAXED) || now() >= stop_at;
}

static void count(long *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void cb_a(int level, const char *fmt, va_list ap)
{
    char line[256];
    (void)level;
    vsnprintf(line, sizeof line, fmt, ap);
    count(&log_lines[0]);
}

static void cb_b(int level, const char *fmt, va_list ap)
{
    char line[256];
    (void)level;
    vsnprintf(line, sizeof line, fmt, ap);
    count(&log_lines[1]);
}

/* A connected handle for URL/PATH (publishing when `write`), or NULL. */
static RTMP *open_session(const char *path, int write)
{
    char url[512];
    snprintf(url, sizeof url, "%s/%s timeout=10", base_url, path);
    RTMP *r = RTMP_Alloc();
    if (!r)
        return NULL;
    RTMP_Init(r);
    if (!RTMP_SetupURL(r, url)) {
        RTMP_Free(r);
        return NULL;
    }
    if (write)
        RTMP_EnableWrite(r);
    if (!RTMP_Connect(r, NULL) || !RTMP_ConnectStream(r, 0)) {
        RTMP_Close(r);
        RTMP_Free(r);
        return NULL;
    }
    return r;
}

static void close_session(RTMP *r)
{
    RTMP_Close(r);
    RTMP_Free(r);
}

/* Plays the clip to its end; 1 when it arrived whole (the server's end, more than the header). */
static int play_once(void)
{
    RTMP *r = open_session("vod/clip.flv", 0);
    if (!r)
        return 0;
    char buf[16384];
    long total = 0;
    int n;
    while ((n = RTMP_Read(r, buf, sizeof buf)) > 0)
        total += n;
    int ok = n == 0 && r->m_read.status == RTMP_READ_COMPLETE && total > (long)flv_len / 2;
    if (!ok)
        fprintf(stderr, "stress: play ended with %d, status %d, %ld bytes\n", n, r->m_read.status, total);
    close_session(r);
    return ok;
}

/* Publishes to live/t<id>_<n>: a new name each time, so that the server need not have ended
 * the previous session of the name first. */
static int publish_once(int id)
{
    static __thread long n;
    char path[64];
    snprintf(path, sizeof path, "live/t%d_%ld", id, n++);
    RTMP *r = open_session(path, 1);
    if (!r)
        return 0;
    int ok = 1;
    for (size_t off = 0; off < flv_len && ok;) {
        int n = flv_len - off < 4000 ? (int)(flv_len - off) : 4000;
        if (RTMP_Write(r, flv + off, n) != n)
            ok = 0;
        off += (size_t)n;
    }
    if (!ok)
        fprintf(stderr, "stress: publish to %s failed\n", path);
    close_session(r);
    return ok;
}

static int cycle_once(void)
{
    RTMP *r = open_session("vod/clip.flv", 0);
    if (!r)
        return 0;
    close_session(r);
    return 1;
}

static void *player(void *arg)
{
    (void)arg;
    while (!time_up())
        count(play_once() ? &played : &failed);
    return NULL;
}

static void *publisher(void *arg)
{
    int id = (int)(long)arg;
    while (!time_up())
        count(publish_once(id) ? &published : &failed);
    return NULL;
}

static void *cycler(void *arg)
{
    (void)arg;
    while (!time_up())
        count(cycle_once() ? &cycled : &failed);
    return NULL;
}

static void *logger(void *arg)
{
    static const RTMP_LogLevel levels[] = {RTMP_LOGERROR, RTMP_LOGWARNING, RTMP_LOGINFO, RTMP_LOGDEBUG};
    long changes = 0;
    /* The checker's self-test: a plain store to the exported level, unsynchronised with the
     * library's reads on the other threads, must be reported as a data race. */
    int racy = getenv("STRESS_RACY_LEVEL") != NULL;
    while (!time_up()) {
        if (racy)
            RTMP_debuglevel = levels[changes % 4];
        else
            RTMP_LogSetLevel(levels[changes % 4]);
        RTMP_LogSetCallback(changes % 2 ? cb_a : cb_b);
        changes++;
        usleep(500);
    }
    RTMP_LogSetLevel(RTMP_LOGERROR);
    *(long *)arg = changes;
    return NULL;
}

static int load_flv(void)
{
    const char *path = getenv("STRESS_FLV");
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        fprintf(stderr, "stress: STRESS_FLV must name the clip\n");
        return 0;
    }
    flv = malloc(64 << 20);
    flv_len = flv ? fread(flv, 1, 64 << 20, f) : 0;
    fclose(f);
    return flv_len > 13;
}

static int run_threads(int argc, char **argv)
{
    if (argc != 7)
        return 2;
    base_url = argv[2];
    int seconds = atoi(argv[3]), np = atoi(argv[4]), nw = atoi(argv[5]), nc = atoi(argv[6]);
    int n = np + nw + nc;
    pthread_t *t = calloc((size_t)n + 1, sizeof *t);
    if (!t)
        return 2;
    stop_at = now() + seconds;
    long changes = 0;
    pthread_t lg;
    pthread_create(&lg, NULL, logger, &changes);
    for (int i = 0; i < n; i++) {
        void *(*fn)(void *) = i < np ? player : i < np + nw ? publisher : cycler;
        if (pthread_create(&t[i], NULL, fn, (void *)(long)i) != 0) {
            fprintf(stderr, "stress: pthread_create failed\n");
            return 2;
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_join(lg, NULL);
    free(t);
    printf("%d threads (%d play, %d publish, %d connect/close) for %d s: %ld played, %ld published, "
           "%ld connect/close cycles, %ld failed; %ld log level/callback changes, %ld + %ld lines "
           "through the two callbacks\n",
           n, np, nw, nc, seconds, played, published, cycled, failed, changes, log_lines[0], log_lines[1]);
    return failed || (np && !played) || (nw && !published) || (nc && !cycled);
}

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own descriptor */
}

struct series {
    long first, last, peak;
    int samples;
};

static void sample(struct series *s, long v)
{
    if (!s->samples++)
        s->first = s->peak = v;
    s->last = v;
    if (v > s->peak)
        s->peak = v;
}

static int run_soak(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    base_url = argv[2];
    int seconds = atoi(argv[3]), cycles = atoi(argv[4]);
    long slack = getenv("STRESS_RSS_SLACK_KB") ? atol(getenv("STRESS_RSS_SLACK_KB")) : 2048;
    struct series rss[2] = {{0}}, fds[2] = {{0}};
    long loops = 0;
    stop_at = now() + seconds;
    while (!time_up()) {
        count(publish_once(0) ? &published : &failed);
        count(play_once() ? &played : &failed);
        if (++loops > 5) {
            sample(&rss[0], rss_kb());
            sample(&fds[0], open_fds());
        }
    }
    for (int i = 0; i < cycles; i++) {
        count(cycle_once() ? &cycled : &failed);
        if (i >= 5) {
            sample(&rss[1], rss_kb());
            sample(&fds[1], open_fds());
        }
    }
    const char *names[2] = {"publish -> play loops", "connect/close cycles"};
    long done[2] = {loops, cycles};
    int bad = failed != 0;
    for (int k = 0; k < 2; k++) {
        char span[32] = "";
        if (k == 0)
            snprintf(span, sizeof span, " in %d s", seconds);
        printf("%s: %ld%s; resident memory KiB first %ld last %ld peak %ld; open descriptors first %ld "
               "last %ld peak %ld\n",
               names[k], done[k], span, rss[k].first, rss[k].last, rss[k].peak, fds[k].first,
               fds[k].last, fds[k].peak);
        if (rss[k].samples && (fds[k].last != fds[k].first || rss[k].last - rss[k].first > slack))
            bad = 1;
    }
    printf("sessions: %ld played, %ld published, %ld cycles, %ld failed\n", played, published, cycled,
           failed);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !load_flv()) {
        fprintf(stderr, "usage: see the header of stress.c\n");
        return 2;
    }
    if (!strcmp(argv[1], "threads"))
        return run_threads(argc, argv);
    if (!strcmp(argv[1], "soak"))
        return run_soak(argc, argv);
    return 2;
}
