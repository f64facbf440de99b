/* Hostile TLS peers: the play client over rtmps:// (RTMP_SetupURL, RTMP_Connect,
 * RTMP_ConnectStream, an RTMP_Read loop, RTMP_Close/RTMP_Free) against a peer that breaks TLS:
 * garbage instead of a ServerHello, a stall in the handshake, a fatal alert, a record cut
 * short, a close without close_notify during play, a record header announcing 0xffff bytes.
 * Two positive controls (TLS 1.3 and TLS 1.2: the handshakes succeed and RTMP_Connect returns
 * TRUE) make sure the hostile scenarios do not "pass" only because rtmps does not work at all.
 *
 * The peer is c-tests/tls_peer.py (python3, standard library only), started per scenario with
 * fork+exec; it inherits a listening socket on a free loopback port from us, tells us through a
 * pipe when it runs, serves one connection and exits with 0 when its script ran as intended.
 * Its certificate (a CA and a leaf for 127.0.0.1 signed by it) is made here with the openssl
 * command in a mkdtemp directory; the client does not verify it (" tlsVerify=0": certificate
 * verification is tested elsewhere).
 *
 * Per scenario: the expected failure value at the expected step, not connected at the end, at
 * least one ERROR line logged (RTMP_LogSetCallback), no file descriptor leaked (/proc/self/fd
 * before the scenario and after RTMP_Close+RTMP_Free), every wait bounded (Link.timeout = 2 s,
 * SIGALRM watchdog). It also runs under valgrind and ASan+UBSan (c-tests/Makefile), where a
 * huge allocation or a bad access would show.
 *
 * Under valgrind (detected by its preload library in LD_PRELOAD) the peer negotiates only
 * ChaCha20-Poly1305: valgrind 3.19 reports "uninitialised" bytes inside ring's AES-GCM assembly
 * (the origin is stale stack memory that the assembly reads; the records it produces are
 * correct, the peer authenticates and decrypts them), which is not what this test is about.
 * TLS_HOSTILE_CIPHERS=default|chacha overrides the choice. The normal and ASan runs use the
 * peer's default, AES-GCM.
 *
 * The script is found through $TLS_PEER_SCRIPT, else next to this source file (__FILE__), else
 * in the working directory (the Makefile runs tests in c-tests/), else relative to the
 * executable (build/c-tests/NAME or build/c-tests/asan/NAME -> c-tests/). TLS_HOSTILE_VERBOSE=1
 * prints every scenario's log and the peer's progress.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"
#include "play_scenario.h"

#define LINK_TIMEOUT_S 2       /* r->Link.timeout */
#define MARGIN_S 3.0           /* a failure must come within Link.timeout + this */
#define WATCHDOG_S 25          /* alarm() per scenario: a hang kills the test with a message */
#define PEER_READY_MS 10000    /* python3 must be running by then */
#define PEER_EXIT_MS 6000      /* the peer ends when the client closes; killed after this */
#define MAX_FD 4096

/* ---------------------------------------------------------------------------------------- */
/* small helpers (the log capture, the watchdog, the peer's socket and reaping, the RTMP_Read   */
/* loop: play_scenario.h; log_bad counts the ERROR lines here)                                */

/* Marks the open file descriptors of this process (the directory's own descriptor excluded). */
static int open_fds(unsigned char *set)
{
    memset(set, 0, MAX_FD);
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int self = dirfd(d), n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == self)
            continue;
        n++;
        if (fd >= 0 && fd < MAX_FD)
            set[fd] = 1;
    }
    closedir(d);
    return n;
}

/* Runs a shell command quietly; 1 when it exited with 0. */
static int run_quiet(const char *cmd)
{
    char full[4096];
    snprintf(full, sizeof full, "(%s) >/dev/null 2>&1", cmd);
    int st = system(full);
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the certificate and the peer script                                                      */

static char tmpdir[] = "/tmp/tls_hostile.XXXXXX";
static int have_tmpdir;
static char cert_path[PATH_MAX], key_path[PATH_MAX], script_path[PATH_MAX];
static char conf_path[PATH_MAX];
static const char *tmp_files[] = { "ca.key", "ca.pem", "ca.srl", "leaf.key", "leaf.csr",
                                   "leaf.pem", "leaf.ext", "chacha.cnf" };
static int use_chacha;         /* the peer offers only ChaCha20-Poly1305 (see the top) */

static void remove_tmpdir(void)
{
    if (!have_tmpdir)
        return;
    char p[PATH_MAX];
    for (size_t i = 0; i < sizeof tmp_files / sizeof tmp_files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, tmp_files[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    have_tmpdir = 0;
}

/* Runs the openssl command line CMD in tmpdir, quietly; says which WHAT it could not make. */
static int openssl_in_tmpdir(const char *what, const char *cmd)
{
    char full[3 * PATH_MAX];
    snprintf(full, sizeof full, "cd '%s' && %s", tmpdir, cmd);
    if (run_quiet(full))
        return 1;
    fprintf(stderr, "openssl could not make the %s (%s)\n", what, full);
    return 0;
}

/* A CA (EC P-256) and a leaf for IP 127.0.0.1 signed by it. */
static int make_certificate(void)
{
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 0;
    }
    have_tmpdir = 1;
    char ext[PATH_MAX];
    snprintf(ext, sizeof ext, "%s/leaf.ext", tmpdir);
    FILE *f = fopen(ext, "w");
    if (!f)
        return 0;
    fputs("basicConstraints=critical,CA:FALSE\n"
          "keyUsage=critical,digitalSignature\n"
          "extendedKeyUsage=serverAuth\n"
          "subjectAltName=IP:127.0.0.1\n", f);
    fclose(f);
    /* OpenSSL configuration for the peer's TLS 1.3 suites when use_chacha (OPENSSL_CONF) */
    snprintf(conf_path, sizeof conf_path, "%s/chacha.cnf", tmpdir);
    f = fopen(conf_path, "w");
    if (!f)
        return 0;
    fputs("openssl_conf = tls_hostile_init\n"
          "[tls_hostile_init]\n"
          "ssl_conf = tls_hostile_ssl\n"
          "[tls_hostile_ssl]\n"
          "system_default = tls_hostile_system\n"
          "[tls_hostile_system]\n"
          "Ciphersuites = TLS_CHACHA20_POLY1305_SHA256\n", f);
    fclose(f);
    snprintf(cert_path, sizeof cert_path, "%s/leaf.pem", tmpdir);
    snprintf(key_path, sizeof key_path, "%s/leaf.key", tmpdir);

    return openssl_in_tmpdir("CA certificate",
                             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                             "-nodes -keyout ca.key -out ca.pem -days 2 "
                             "-subj '/CN=tls hostile test CA' "
                             "-addext basicConstraints=critical,CA:TRUE "
                             "-addext keyUsage=critical,keyCertSign,cRLSign") &&
           openssl_in_tmpdir("leaf certificate",
                             "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                             "-nodes -keyout leaf.key -out leaf.csr -subj /CN=127.0.0.1 && "
                             "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key "
                             "-set_serial 2 -days 2 -extfile leaf.ext -out leaf.pem");
}

static int readable(const char *p)
{
    return access(p, R_OK) == 0;
}

static int find_script(void)
{
    const char *env = getenv("TLS_PEER_SCRIPT");
    if (env && *env) {
        snprintf(script_path, sizeof script_path, "%s", env);
        return readable(script_path);
    }
    /* next to the source file, when it was compiled with a directory in its name */
    const char *slash = strrchr(__FILE__, '/');
    if (slash) {
        snprintf(script_path, sizeof script_path, "%.*s/tls_peer.py", (int)(slash - __FILE__),
                 __FILE__);
        if (readable(script_path))
            return 1;
    }
    /* the working directory: make runs the tests in c-tests/ */
    snprintf(script_path, sizeof script_path, "tls_peer.py");
    if (readable(script_path))
        return 1;
    /* relative to the executable: build/c-tests/NAME, build/c-tests/asan/NAME */
    char exe[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *s = strrchr(exe, '/');
        if (s)
            *s = 0;
        static const char *ups[] = { "/../../c-tests/tls_peer.py",
                                     "/../../../c-tests/tls_peer.py" };
        for (size_t i = 0; i < 2; i++) {
            snprintf(script_path, sizeof script_path, "%s%s", exe, ups[i]);
            if (readable(script_path))
                return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the peer process                                                                         */

/* Starts tls_peer.py in MODE on a free loopback port and waits until it runs. Returns its pid
 * (and the port) or -1 with a reason in why. */
static pid_t start_peer(const char *mode, int tls12, int *port, char *why, size_t why_len)
{
    const char *what = "";
    int ls = listen_loopback(port, &what);
    if (ls < 0) {
        snprintf(why, why_len, "%s: %s", what, strerror(errno));
        return -1;
    }
    int rp[2];
    if (pipe(rp) < 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        close(ls);
        return -1;
    }
    /* everything the child needs is prepared before the fork */
    char lfd[16], rfd[16];
    snprintf(lfd, sizeof lfd, "%d", ls);
    snprintf(rfd, sizeof rfd, "%d", rp[1]);
    char *argv[16];
    int k = 0;
    argv[k++] = (char *)"python3";
    argv[k++] = script_path;
    argv[k++] = (char *)"--listen-fd";
    argv[k++] = lfd;
    argv[k++] = (char *)"--ready-fd";
    argv[k++] = rfd;
    argv[k++] = (char *)"--cert";
    argv[k++] = cert_path;
    argv[k++] = (char *)"--key";
    argv[k++] = key_path;
    argv[k++] = (char *)"--mode";
    argv[k++] = (char *)mode;
    if (tls12)
        argv[k++] = (char *)"--tls12";
    if (use_chacha)
        argv[k++] = (char *)"--chacha";
    argv[k] = NULL;

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        close(ls);
        close(rp[0]);
        close(rp[1]);
        return -1;
    }
    if (pid == 0) {
        close(rp[0]);
        signal(SIGALRM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        if (use_chacha) /* single-threaded parent: setenv after fork is fine */
            setenv("OPENSSL_CONF", conf_path, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(ls);
    close(rp[1]);
    char c = 0;
    struct pollfd p = { rp[0], POLLIN, 0 };
    int ready = 0;
    double end = now_s() + PEER_READY_MS / 1000.0;
    for (;;) {
        int left = (int)((end - now_s()) * 1000);
        if (left <= 0)
            break;
        int n = poll(&p, 1, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            ready = read(rp[0], &c, 1) == 1 && c == 'R';
        break;
    }
    close(rp[0]);
    if (!ready) {
        int st = 0;
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        snprintf(why, why_len, "python3 %s did not start (exit status %d)", script_path,
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return pid;
}

static const char *peer_status_text(int st)
{
    switch (st) {
    case 0: return "ran as intended";
    case 1: return "the client went away or sent something unexpected too early";
    case 2: return "a deadline passed";
    case 3: return "exception";
    case 4: return "no client connected";
    case 5: return "--chacha asked for, another cipher negotiated";
    case 64: return "bad usage";
    case 127: return "python3 could not be run";
    case -2: return "did not end, killed";
    default: return "?";
    }
}

/* ---------------------------------------------------------------------------------------- */
/* scenarios                                                                                */

enum expect {
    OK_CONNECT,        /* positive control: RTMP_Connect TRUE, no ERROR */
    FAIL_CONNECT,      /* RTMP_Connect FALSE, caused by the peer's data, not by the timeout */
    FAIL_CONNECT_TIMEOUT, /* RTMP_Connect FALSE after about Link.timeout */
    FAIL_STREAM,       /* RTMP_Connect TRUE, RTMP_ConnectStream FALSE, not by the timeout */
    FAIL_READ,         /* play starts, FLV bytes arrive, then the RTMP_Read loop ends <= 0 */
};

struct scenario {
    const char *name;
    const char *mode;  /* tls_peer.py --mode */
    int tls12;
    enum expect expect;
};

static const struct scenario scenarios[] = {
    { "positive control: TLS 1.3 + RTMP handshake, connect sent", "control", 0, OK_CONNECT },
    { "positive control: TLS 1.2 + RTMP handshake, connect sent", "control", 1, OK_CONNECT },
    { "garbage instead of a ServerHello", "garbage", 0, FAIL_CONNECT },
    { "stall in the TLS handshake", "stall", 0, FAIL_CONNECT_TIMEOUT },
    { "fatal handshake_failure alert", "alert", 0, FAIL_CONNECT },
    { "record cut in half, then EOF", "cut", 0, FAIL_STREAM },
    { "record cut in half, then EOF (TLS 1.2)", "cut", 1, FAIL_STREAM },
    { "play, then TCP close without close_notify", "nonotify", 0, FAIL_READ },
    { "record header announcing 0xffff bytes", "hugerecord", 0, FAIL_CONNECT },
    { "record header announcing 0xffff bytes (TLS 1.2)", "hugerecord", 1, FAIL_CONNECT },
};

static int run(const struct scenario *sc)
{
    int failures_before = test_failures;
    log_reset();
    cur_name = sc->name;

    static unsigned char fds_before[MAX_FD], fds_after[MAX_FD];
    int nfd_before = open_fds(fds_before);

    char why[PATH_MAX + 128];
    int port = 0;
    pid_t peer = start_peer(sc->mode, sc->tls12, &port, why, sizeof why);
    CHECK(peer > 0, "%s: cannot start the peer: %s", sc->name, why);
    if (peer <= 0)
        return 0;
    cur_peer = peer;
    alarm(WATCHDOG_S);

    char url[128];
    snprintf(url, sizeof url, "rtmps://127.0.0.1:%d/app/stream tlsVerify=0", port);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int setup = RTMP_SetupURL(r, url);
    r->Link.timeout = LINK_TIMEOUT_S;

    double t0 = now_s();
    int connected = setup ? RTMP_Connect(r, NULL) : 0;
    double connect_s = now_s() - t0;
    int connected_after_connect = RTMP_IsConnected(r);
    int streaming = 0;
    struct download dl = { 0, 0, 0, 0, 0 };
    if (connected && sc->expect != OK_CONNECT)
        streaming = RTMP_ConnectStream(r, 0);
    if (streaming)
        download_loop(r, &dl);
    double elapsed = now_s() - t0;
    int still_connected = RTMP_IsConnected(r);
    int timed_out = RTMP_IsTimedout(r);
    int errors_before_close = log_bad;
    RTMP_Close(r);
    RTMP_Free(r);
    alarm(0);

    if (!setup) /* the client never connected: do not wait for the peer's accept deadline */
        kill(peer, SIGKILL);
    int peer_status = reap_peer(peer, PEER_EXIT_MS / 1000.0);
    cur_peer = -1;
    int nfd_after = open_fds(fds_after);

    CHECK(setup, "%s: RTMP_SetupURL(%s) failed", sc->name, url);
    switch (sc->expect) {
    case OK_CONNECT:
        CHECK(connected, "%s: RTMP_Connect returned FALSE", sc->name);
        CHECK(connected_after_connect, "%s: RTMP_IsConnected is false after RTMP_Connect",
              sc->name);
        CHECK(errors_before_close == 0, "%s: %d ERROR lines logged", sc->name,
              errors_before_close);
        break;
    case FAIL_CONNECT:
        CHECK(!connected, "%s: RTMP_Connect returned TRUE", sc->name);
        CHECK(!timed_out, "%s: RTMP_IsTimedout: failed by the timeout, not by the peer's data",
              sc->name);
        CHECK(connect_s < LINK_TIMEOUT_S,
              "%s: RTMP_Connect took %.2f s: it waited for the %d s timeout instead of "
              "rejecting the peer's data", sc->name, connect_s, LINK_TIMEOUT_S);
        break;
    case FAIL_CONNECT_TIMEOUT:
        CHECK(!connected, "%s: RTMP_Connect returned TRUE", sc->name);
        CHECK(connect_s >= LINK_TIMEOUT_S * 0.5,
              "%s: RTMP_Connect failed after %.2f s, before the %d s timeout could fire",
              sc->name, connect_s, LINK_TIMEOUT_S);
        CHECK(connect_s <= LINK_TIMEOUT_S + MARGIN_S,
              "%s: RTMP_Connect returned after %.2f s, Link.timeout is %d s", sc->name,
              connect_s, LINK_TIMEOUT_S);
        break;
    case FAIL_STREAM:
        CHECK(connected, "%s: RTMP_Connect returned FALSE, expected TRUE", sc->name);
        CHECK(!streaming, "%s: RTMP_ConnectStream returned TRUE", sc->name);
        CHECK(!timed_out, "%s: RTMP_IsTimedout: failed by the timeout, not by the cut record",
              sc->name);
        break;
    case FAIL_READ:
        CHECK(connected && streaming, "%s: play did not start (Connect %d, ConnectStream %d)",
              sc->name, connected, streaming);
        CHECK(dl.rounds < 10000, "%s: RTMP_Read loop did not end (%d rounds)", sc->name,
              dl.rounds);
        CHECK(dl.last <= 0, "%s: the RTMP_Read loop ended with %d", sc->name, dl.last);
        CHECK(dl.again <= 0, "%s: RTMP_Read after the failure returned %d", sc->name, dl.again);
        CHECK(dl.status < 0 && dl.status != RTMP_READ_COMPLETE,
              "%s: m_read.status is %d at the end, not EOF/ERROR", sc->name, dl.status);
        CHECK(dl.total >= 13, "%s: only %ld FLV bytes before the failure", sc->name, dl.total);
        CHECK(!timed_out, "%s: RTMP_IsTimedout: ended by the timeout, not by the close",
              sc->name);
        break;
    }
    if (sc->expect != OK_CONNECT) {
        CHECK(!still_connected, "%s: still connected at the end", sc->name);
        CHECK(errors_before_close > 0, "%s: no ERROR line logged", sc->name);
    }
    CHECK(elapsed <= LINK_TIMEOUT_S + MARGIN_S, "%s: took %.2f s (Link.timeout %d s)", sc->name,
          elapsed, LINK_TIMEOUT_S);
    CHECK(nfd_after == nfd_before, "%s: %d file descriptors open before, %d after", sc->name,
          nfd_before, nfd_after);
    for (int fd = 0; fd < MAX_FD; fd++) {
        if (fds_after[fd] && !fds_before[fd]) {
            char link[64], target[PATH_MAX];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, target, sizeof target - 1);
            target[n > 0 ? n : 0] = 0;
            CHECK(0, "%s: file descriptor %d leaked (%s)", sc->name, fd, target);
        }
    }
    CHECK(peer_status == 0, "%s: the peer script (--mode %s%s) did not complete: status %d, %s",
          sc->name, sc->mode, sc->tls12 ? " --tls12" : "", peer_status,
          peer_status_text(peer_status));

    int ok = test_failures == failures_before;
    printf("%s %s (%.2f s)\n", ok ? "ok  " : "FAIL", sc->name, elapsed);
    fflush(stdout);
    if (!ok || log_verbose) {
        fprintf(stderr, "  scenario \"%s\": connect %d (%.2f s), stream %d, read %d rounds "
                "%ld bytes, last %d, again %d, status %d, connected %d, timedout %d, peer %d; "
                "log:\n%s", sc->name, connected, connect_s, streaming, dl.rounds, dl.total, dl.last,
                dl.again, dl.status, still_connected, timed_out, peer_status, log_text);
    }
    cur_name = NULL;
    return ok;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, watchdog);
    log_verbose = getenv("TLS_HOSTILE_VERBOSE") != NULL;

    if (!run_quiet("command -v python3")) {
        printf("tls hostile: python3 is missing (needed for the TLS peer c-tests/tls_peer.py)\n");
        return 1;
    }
    if (!run_quiet("command -v openssl")) {
        printf("tls hostile: the openssl command is missing (needed to make the certificate)\n");
        return 1;
    }
    if (!find_script()) {
        printf("tls hostile: tls_peer.py not found (last tried %s; set TLS_PEER_SCRIPT)\n",
               script_path);
        return 1;
    }
    if (!make_certificate()) {
        remove_tmpdir();
        printf("tls hostile: could not make the test certificate with openssl\n");
        return 1;
    }

    const char *ciphers = getenv("TLS_HOSTILE_CIPHERS");
    const char *preload = getenv("LD_PRELOAD");
    if (ciphers && *ciphers)
        use_chacha = strcmp(ciphers, "chacha") == 0;
    else
        use_chacha = preload && strstr(preload, "vgpreload") != NULL;
    if (use_chacha)
        printf("note: the peer negotiates only ChaCha20-Poly1305 (%s)\n",
               ciphers && *ciphers ? "TLS_HOSTILE_CIPHERS=chacha"
                                   : "valgrind: false positives in ring's AES-GCM assembly");

    RTMP_LogSetCallback(log_cb);
    RTMP_LogSetLevel(log_verbose ? RTMP_LOGDEBUG : RTMP_LOGWARNING);

    int n = (int)(sizeof scenarios / sizeof scenarios[0]), passed = 0;
    for (int i = 0; i < n; i++)
        passed += run(&scenarios[i]);
    remove_tmpdir();

    printf("tls hostile: %d scenarios, %d passed, %d failed\n", n, passed, n - passed);
    return passed == n && test_failures == 0 ? 0 : 1;
}
