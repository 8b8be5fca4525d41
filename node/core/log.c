/* SPDX-License-Identifier: MIT */
/*
 * Logging back end: stderr or syslog, an optional sink for tests and the event stream, and
 * the per-reason rate limiter.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum log_dest log_dest = LOG_DEST_STDERR;
static enum log_level log_level = LOG_LVL_INFO;
static log_sink_fn log_sink;
static void *log_sink_arg;
static char log_ident[32] = "tandem";

static const char *const log_level_names[] = {
        [LOG_LVL_ERR] = "error",
        [LOG_LVL_WARN] = "warning",
        [LOG_LVL_INFO] = "info",
        [LOG_LVL_DEBUG] = "debug",
};

void
log_init(const char *ident, enum log_dest dest, enum log_level lvl)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_dest = dest;
	log_level = lvl;
	if (dest == LOG_DEST_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
log_vemit(enum log_level lvl, const char *subsys, bool with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024];
	int n;

	if (lvl > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(unformattable message)");
	if (with_errno && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(saved));

	if (log_sink)
		log_sink(lvl, subsys, msg, log_sink_arg);
	switch (log_dest) {
	case LOG_DEST_STDERR: {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s %s[%s]: %s\n", when, ts.tv_nsec / 1000000,
		        log_level_names[lvl], log_ident, subsys, msg);
		break;
	}
	case LOG_DEST_SYSLOG: {
		static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

		syslog(prio[lvl], "[%s] %s", subsys, msg);
		break;
	}
	case LOG_DEST_NONE:
		break;
	}
	errno = saved;
}

void
log_emit(enum log_level lvl, const char *subsys, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(lvl, subsys, with_errno, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *subsys, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERR, subsys, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_rl_init(struct log_rl *rl, uint32_t burst, uint32_t interval_ms)
{
	memset(rl, 0, sizeof(*rl));
	rl->rl_burst = burst;
	rl->rl_interval_ms = interval_ms;
}

bool
log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint32_t *suppressed)
{
	*suppressed = 0;
	if (rl->rl_count == 0 || now_ms - rl->rl_start_ms >= rl->rl_interval_ms) {
		rl->rl_start_ms = now_ms;
		rl->rl_count = 0;
	}
	if (rl->rl_count >= rl->rl_burst) {
		rl->rl_suppressed++;
		return false;
	}
	rl->rl_count++;
	*suppressed = rl->rl_suppressed;
	rl->rl_suppressed = 0;
	return true;
}
