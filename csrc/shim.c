/* librtmp-rs C shim.
 *
 * Only what stable Rust cannot express lives here: the C-variadic logging entry points
 * (RTMP_Log, RTMP_LogPrintf, RTMP_LogStatus), the default log sink that consumes a va_list,
 * and the exported data objects, which must be plain C globals with exact sizes so that
 * executables can copy-relocate them (the library reaches them through the GOT, being
 * compiled with -fPIC and default visibility). Everything else is Rust (src/).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "librtmp/log.h"
#include "librtmp/rtmp.h"

/* ---- exported data (sizes: see abi/symbols.txt) ------------------------------------------- */

int RTMP_ctrlC = 0;
RTMP_LogLevel RTMP_debuglevel = RTMP_LOGERROR;
const AVal RTMP_DefaultFlashVer = {(char *)"LNX 10,0,32,18", 14};
const char RTMPProtocolStrings[][7] = {"RTMP", "RTMPT", "RTMPE", "RTMPTE", "RTMPS",
                                       "RTMPTS", "", "", "RTMFP"};
const char RTMPProtocolStringsLower[][7] = {"rtmp", "rtmpt", "rtmpe", "rtmpte", "rtmps",
                                            "rtmpts", "", "", "rtmfp"};
void *RTMP_TLS_ctx = NULL;

/* ---- logging ---------------------------------------------------------------------------------- */

/* librtmp formats every message into 2048 bytes but lets vsnprintf use only 2047 of them, so at
 * most 2046 characters of a message survive; we truncate at the same place. */
#define LOG_LINE_MAX 2048
#define LOG_TEXT_MAX (LOG_LINE_MAX - 1)

/* The logger's state is shared by every thread of the host: it is only accessed atomically
 * (GCC's __atomic builtins), so a thread that changes the level, the callback or the output
 * while others log is no data race. RTMP_debuglevel is a plain int in the ABI (consumers may
 * write it directly); the library itself reads and writes it atomically. */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define LEVEL() ((int)__atomic_load_n(&RTMP_debuglevel, __ATOMIC_RELAXED))

static FILE *log_out;         /* NULL means stderr */
static int owe_newline;       /* a status line was printed without its newline */

static const char *level_name(int level)
{
    static const char *const names[] = {"CRIT", "ERROR", "WARNING", "INFO", "DEBUG", "DEBUG2"};
    /* librtmp 2.4 indexes its name table without a bound; past DEBUG2 it prints "(null)" for
     * RTMP_LOGALL and beyond. We print the same text for every level above DEBUG2. */
    if (level >= 0 && level < (int)(sizeof names / sizeof names[0]))
        return names[level];
    return "(null)";
}

static FILE *sink(void)
{
    FILE *f = LOAD(log_out);
    return f ? f : stderr;
}

static void pay_newline(FILE *f)
{
    if (__atomic_exchange_n(&owe_newline, 0, __ATOMIC_ACQ_REL))
        putc('\n', f);
}

static void default_sink(int level, const char *format, va_list args)
{
    char text[LOG_LINE_MAX];
    FILE *f;

    vsnprintf(text, LOG_TEXT_MAX, format, args);
    /* unnamed AMF properties are only shown at the most verbose level */
    if ((unsigned)LEVEL() < RTMP_LOGALL && strstr(text, "no-name") != NULL)
        return;
    f = sink();
    pay_newline(f);
    fprintf(f, "%s: %s\n", level_name(level), text);
}

static RTMP_LogCallback *log_callback = default_sink;

void RTMP_LogSetCallback(RTMP_LogCallback *cb)
{
    /* librtmp stores NULL as is and crashes at the next message; we fall back to the default */
    STORE(log_callback, cb ? cb : default_sink);
}

void RTMP_LogSetOutput(FILE *file)
{
    STORE(log_out, file);
}

void RTMP_Log(int level, const char *format, ...)
{
    va_list args;

    /* the level is compared as unsigned, like the reference: negative levels never pass */
    if ((unsigned)level > (unsigned)LEVEL() || format == NULL)
        return;
    va_start(args, format);
    LOAD(log_callback)(level, format, args);
    va_end(args);
}

/* Shared by RTMP_LogPrintf and RTMP_LogStatus: raw text, no prefix, no callback. */
static void raw_print(int status, const char *format, va_list args)
{
    char text[LOG_LINE_MAX];
    int len;
    FILE *f;

    len = vsnprintf(text, LOG_TEXT_MAX, format, args);
    if (LEVEL() == RTMP_LOGCRIT)
        return;
    if (len < 0)
        return;
    if (len > LOG_TEXT_MAX - 1)
        len = LOG_TEXT_MAX - 1;
    f = sink();
    if (!status)
        pay_newline(f);
    fputs(text, f);
    if (status) {
        fflush(f);
        STORE(owe_newline, 1);
    } else if (len > 0 && text[len - 1] == '\n') {
        fflush(f);
    }
}

void RTMP_LogPrintf(const char *format, ...)
{
    va_list args;

    if (format == NULL)
        return;
    va_start(args, format);
    raw_print(0, format, args);
    va_end(args);
}

void RTMP_LogStatus(const char *format, ...)
{
    va_list args;

    if (format == NULL)
        return;
    va_start(args, format);
    raw_print(1, format, args);
    va_end(args);
}
