/* Tiny helpers shared by the C tests. */
#ifndef LIBRTMP_RS_TEST_COMMON_H
#define LIBRTMP_RS_TEST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

/* CHECK(cond, fmt, ...): counts a check; prints and records a failure when cond is false. */
#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        test_checks++;                                                                   \
        if (!(cond)) {                                                                   \
            test_failures++;                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

/* Prints the summary line and returns the process exit status. */
static inline int test_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

/* "ours" or "ref" in differential tests (set by run-diffs.sh). */
static inline int on_reference(void)
{
    const char *side = getenv("DIFF_SIDE");
    return side && strcmp(side, "ref") == 0;
}

#endif
