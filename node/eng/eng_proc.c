/* SPDX-License-Identifier: MIT */
/*
 * The engine process: fork and exec with the channel as descriptor 3 and every other
 * descriptor above 2 closed at exec, default signal dispositions and an empty signal mask,
 * death with tandemd (PR_SET_PDEATHSIG) and a scheduling priority above ordinary processes. A
 * close-on-exec pipe reports a failed exec at once. The parent gets a pidfd: pollable for the exit,
 * and a kill that never hits a recycled PID.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/eng/eng_int.h"

#define ENG_CHAN_FD 3

static int
eng_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* In the child: never returns. Only async-signal-safe calls (tandemd is single-threaded). */
static void
eng_proc_child(const char *path, int chan, int errfd, pid_t parent, int nice_val)
{
	char *const argv[] = {(char *)(uintptr_t) "tandem-engine", NULL};
	sigset_t none;
	int e;

	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL); /* fails for SIGKILL/SIGSTOP and RT signals: fine */
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* tandemd died between fork and prctl */
	/* best effort (needs CAP_SYS_NICE to go below 0); every thread the engine makes inherits */
	if (nice_val)
		(void)setpriority(PRIO_PROCESS, 0, nice_val);
	if (chan == ENG_CHAN_FD) {
		if (fcntl(chan, F_SETFD, 0) != 0)
			goto fail;
	} else if (dup2(chan, ENG_CHAN_FD) != ENG_CHAN_FD) {
		goto fail;
	}
	/* everything above the channel goes at exec, whatever tandemd inherited or opened */
	if (syscall(SYS_close_range, ENG_CHAN_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		for (int fd = ENG_CHAN_FD + 1; fd < 65536; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	execv(path, argv);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

int
eng_proc_spawn(const char *path, int chan_child, int nice_val, pid_t *pid_out, int *pidfd_out)
{
	pid_t parent = getpid(), pid;
	int errp[2], e = 0, errfd, status, pidfd;
	ssize_t n;

	if (pipe2(errp, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(errp[0]);
		close(errp[1]);
		return -e;
	}
	if (pid == 0) {
		/* the error pipe must not land on descriptor 3 */
		errfd = fcntl(errp[1], F_DUPFD_CLOEXEC, ENG_CHAN_FD + 1);
		eng_proc_child(path, chan_child, errfd < 0 ? errp[1] : errfd, parent, nice_val);
	}
	close(errp[1]);
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(e)) {
		(void)waitpid(pid, &status, 0);
		return -e;
	}
	pidfd = eng_pidfd_open(pid);
	if (pidfd < 0) {
		e = errno;
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		return -e;
	}
	(void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	*pid_out = pid;
	*pidfd_out = pidfd;
	return 0;
}

int
eng_proc_kill(pid_t pid, int pidfd, int sig)
{
	if (pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
			return 0;
		return errno == ESRCH ? 0 : -errno; /* ESRCH: exited already */
	}
	if (pid > 0 && kill(pid, sig) != 0 && errno != ESRCH)
		return -errno;
	return 0;
}

int
eng_proc_reap(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == pid ? 1 : 0;
}

void
eng_proc_status_str(int status, char *out, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(out, cap, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, cap, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, cap, "wait status 0x%x", (unsigned)status);
}
