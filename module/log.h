/*!
 * \file
 * \brief A log sink the pure stages write to, so that only lain.c knows knotd.
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

/*! \brief Where log lines go: knotd's log in the module, a buffer in tests. */
typedef struct {
	void (*write)(void *arg, int priority, const char *line); /*!< Sink. */
	void *arg;                                                  /*!< Its argument. */
} lain_log_t;

/*! \brief Formats and writes one line (cut at 512 bytes, as knotd does). */
__attribute__((format(printf, 3, 4)))
static inline void lain_log(const lain_log_t *log, int priority, const char *fmt, ...)
{
	if (log == NULL || log->write == NULL) {
		return;
	}
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log->write(log->arg, priority, line);
}
