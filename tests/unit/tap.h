/*!
 * \file
 * \brief A minimal TAP producer for the unit tests (Automake's tap-driver reads it).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_count;
static int tap_failed;

/*! \brief Reports one test point; returns the condition. */
__attribute__((format(printf, 2, 3)))
static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!cond) {
		tap_failed++;
	}
	fflush(stdout);
	return cond;
}

/*! \brief A diagnostic line. */
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/*! \brief Ends the run: prints the plan, returns the exit code. */
static int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}
