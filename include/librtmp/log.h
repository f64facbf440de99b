/*
 * librtmp/log.h - diagnostic logging API of librtmp-rs.
 *
 * librtmp-rs is an independent Rust implementation of the librtmp 2.4 C
 * interface.  This header was written for librtmp-rs; it exposes the same
 * names, types and values as librtmp 2.4.  Licence: MIT (see Cargo.toml).
 *
 * RTMP_Log() messages whose level is at or below the threshold
 * RTMP_debuglevel are handed to the current callback; the built-in one
 * prints them to stderr or to the stream chosen with RTMP_LogSetOutput().
 */
#ifndef __RTMP_LOG_H__
#define __RTMP_LOG_H__

#include <stdarg.h>   /* va_list in RTMP_LogCallback */
#include <stdint.h>   /* uint8_t */
#include <stdio.h>    /* FILE */

/* As with librtmp 2.4, a build with _DEBUG defined cancels NODEBUG. */
#if defined(_DEBUG) && defined(NODEBUG)
#undef NODEBUG
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Verbosity levels, most severe first. */
typedef enum {
    RTMP_LOGCRIT = 0,
    RTMP_LOGERROR = 1,
    RTMP_LOGWARNING = 2,
    RTMP_LOGINFO = 3,
    RTMP_LOGDEBUG = 4,
    RTMP_LOGDEBUG2 = 5,
    RTMP_LOGALL = 6
} RTMP_LogLevel;

/* Current threshold; programs may assign it directly (default RTMP_LOGERROR). */
extern RTMP_LogLevel RTMP_debuglevel;

void RTMP_LogSetLevel(RTMP_LogLevel level);
RTMP_LogLevel RTMP_LogGetLevel(void);

/* RTMP_LogCallback is a function type (not a pointer type): the setter takes
 * a pointer to such a function, which must consume the va_list itself.  The
 * stream set by RTMP_LogSetOutput is used by the built-in callback and by
 * RTMP_LogPrintf / RTMP_LogStatus. */
typedef void (RTMP_LogCallback)(int level, const char *format, va_list args);
void RTMP_LogSetCallback(RTMP_LogCallback *callback);
void RTMP_LogSetOutput(FILE *stream);

#if defined(__GNUC__)
#define LIBRTMP_RS_PRINTF_CHECK_(fmt_idx, arg_idx) \
    __attribute__((__format__(__printf__, fmt_idx, arg_idx)))
#else
#define LIBRTMP_RS_PRINTF_CHECK_(fmt_idx, arg_idx)
#endif

/* printf-style message at the given level. */
void RTMP_Log(int level, const char *format, ...)
    LIBRTMP_RS_PRINTF_CHECK_(2, 3);
/* Raw text without a level prefix (suppressed only at RTMP_LOGCRIT). */
void RTMP_LogPrintf(const char *format, ...)
    LIBRTMP_RS_PRINTF_CHECK_(1, 2);
/* Like RTMP_LogPrintf, for progress lines that a later message ends. */
void RTMP_LogStatus(const char *format, ...)
    LIBRTMP_RS_PRINTF_CHECK_(1, 2);

#undef LIBRTMP_RS_PRINTF_CHECK_

/* Hex dumps of a byte range: plain, or with offsets and an ASCII column. */
void RTMP_LogHex(int level, const uint8_t *bytes, unsigned long count);
void RTMP_LogHexString(int level, const uint8_t *bytes, unsigned long count);

#ifdef __cplusplus
}
#endif

#endif /* __RTMP_LOG_H__ */
