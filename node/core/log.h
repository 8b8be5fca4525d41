/* SPDX-License-Identifier: MIT */
/*
 * Logging for every tandem process, in the OpenBSD daemon style (log_warn appends strerror,
 * log_warnx does not). Lines carry a subsystem tag: a file defines LOG_SUBSYS before it
 * includes this header. Peer-triggerable messages go through a struct log_rl rate limiter.
 */
#ifndef TANDEM_NODE_CORE_LOG_H
#define TANDEM_NODE_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef LOG_SUBSYS
#define LOG_SUBSYS "tandem"
#endif

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

enum log_dest {
	LOG_DEST_STDERR = 0, /* foreground: one line per message on stderr (journald reads it) */
	LOG_DEST_SYSLOG = 1, /* daemonised: syslog(3) with LOG_DAEMON */
	LOG_DEST_NONE = 2,   /* only the sink, if any (tests, fuzzers) */
};

/*
 * A sink sees every message at or below the current level after formatting, in addition to
 * the destination. Tests use it to assert the exact reason logged; tandemd uses it to feed
 * the live event stream. Called synchronously from the logging thread.
 */
typedef void (*log_sink_fn)(enum log_level lvl, const char *subsys, const char *msg, void *arg);

void log_init(const char *ident, enum log_dest dest, enum log_level lvl);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_set_sink(log_sink_fn fn, void *arg);
/* Parses "error", "warning", "info" or "debug"; returns -EINVAL for anything else. */
int log_level_parse(const char *s, enum log_level *out);

void log_emit(enum log_level lvl, const char *subsys, bool with_errno, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void log_vemit(enum log_level lvl, const char *subsys, bool with_errno, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
_Noreturn void log_fatal(const char *subsys, bool with_errno, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_err(...)   log_emit(LOG_LVL_ERR, LOG_SUBSYS, false, __VA_ARGS__)
#define log_warn(...)  log_emit(LOG_LVL_WARN, LOG_SUBSYS, true, __VA_ARGS__)
#define log_warnx(...) log_emit(LOG_LVL_WARN, LOG_SUBSYS, false, __VA_ARGS__)
#define log_info(...)  log_emit(LOG_LVL_INFO, LOG_SUBSYS, false, __VA_ARGS__)
#define log_debug(...) log_emit(LOG_LVL_DEBUG, LOG_SUBSYS, false, __VA_ARGS__)
#define fatal(...)     log_fatal(LOG_SUBSYS, true, __VA_ARGS__)
#define fatalx(...)    log_fatal(LOG_SUBSYS, false, __VA_ARGS__)

/*
 * Rate limiter for one reason: at most `burst` lines per `interval_ms`; when a new interval
 * starts after suppression, the next allowed line reports how many were dropped. Embed one
 * per reason (keepalived's per-reason flags, done with counts).
 */
struct log_rl {
	uint64_t rl_start_ms;
	uint32_t rl_burst;
	uint32_t rl_interval_ms;
	uint32_t rl_count;
	uint32_t rl_suppressed;
};

void log_rl_init(struct log_rl *rl, uint32_t burst, uint32_t interval_ms);
/*
 * Returns true when a line may be logged now; *suppressed is set to the number of lines
 * dropped since the last allowed one (0 if none) so the caller can mention it.
 */
bool log_rl_allow(struct log_rl *rl, uint64_t now_ms, uint32_t *suppressed);

#endif
