/* SPDX-License-Identifier: MIT */
/*
 * tandemd's entry point: command line, --check-config, daemonising and the pid file. All
 * paths come from the command line so several nodes can run side by side on one machine.
 */
#define LOG_SUBSYS "main"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "node/config/cfg.h"
#include "node/core/buf.h"
#include "node/core/hex.h"
#include "node/core/log.h"
#include "node/tandemd.h"

#define DEFAULT_CTL    "/run/tandem/ctl.sock"
#define DEFAULT_STATE  "/var/lib/tandem"
#define DEFAULT_CONFIG "/etc/tandem/tandem.conf"

static void
usage(FILE *f)
{
	fprintf(f, "usage: tandemd --config FILE --node NAME [--ctl PATH] [--state-dir DIR]\n"
	           "               [--pid-file PATH] [--master-key PATH] [--engine PATH]\n"
	           "               [--foreground]\n"
	           "               [--log-level error|warning|info|debug]\n"
	           "       tandemd --check-config --config FILE [--node NAME] [--master-key PATH]\n"
	           "       tandemd --version\n"
	           "\n"
	           "  --config FILE      configuration (default " DEFAULT_CONFIG ")\n"
	           "  --node NAME        this node's name in the configuration's cluster block\n"
	           "  --ctl PATH         control socket for hactl (default " DEFAULT_CTL ")\n"
	           "  --state-dir DIR    state directory (default " DEFAULT_STATE ")\n"
	           "  --pid-file PATH    write and lock a pid file (default: none)\n"
	           "  --master-key PATH  key that masks secrets (default STATE_DIR/master.key;\n"
	           "                     created when missing)\n"
	           "  --engine PATH      the tandem-engine binary (default: next to tandemd,\n"
	           "                     then engine/tandem-engine there, then $PATH)\n"
	           "  --foreground       do not daemonise; log to stderr\n"
	           "  --check-config     check the configuration, print errors and warnings, exit\n"
	           "                     1 if it has errors\n");
}

/* --check-config: diagnostics on stderr, a one-line verdict on stdout. */
static int
check_config(const struct tandemd_opts *o)
{
	struct cfg_mask_key mk;
	const struct cfg_mask_key *mkp = NULL;
	struct cfg_diags dg;
	struct cfg *cfg = NULL;
	struct buf out;
	char path[4096];
	uint8_t dig[32];
	char hex[65] = "";
	int rc, bad = 0;

	snprintf(path, sizeof(path), "%s%s", o->master_key_path ? o->master_key_path : o->state_dir,
	         o->master_key_path ? "" : "/master.key");
	if (cfg_mask_key_load(path, &mk) == 0)
		mkp = &mk;
	cfg_diags_init(&dg);
	rc = cfg_load_file(o->config_path, mkp, &cfg, &dg);
	buf_init(&out, false);
	cfg_diags_print(&dg, &out);
	if (out.b_len)
		fwrite(out.b_data, 1, out.b_len, stderr);
	buf_fini(&out);
	if (rc == 0 && o->node && cfg->cluster.present && !cfg_find_node(cfg, o->node)) {
		fprintf(stderr, "%s: error: node '%s' is not in cluster '%s'\n", o->config_path,
		        o->node, cfg->cluster.name);
		bad = 1;
	}
	if (rc == 0 && cfg_digest(cfg, mkp, dig) == 0)
		hex_encode(dig, sizeof(dig), hex);
	if (rc == 0 && !bad)
		printf("%s: OK: %u tunnel(s), %zu warning(s), digest %.16s%s\n", o->config_path,
		       cfg_count_tunnels(cfg), dg.nwarnings, hex,
		       mkp ? "" : " (no master key: secrets not covered)");
	else
		printf("%s: %zu error(s), %zu warning(s)\n", o->config_path,
		       dg.nerrors + (size_t)bad, dg.nwarnings);
	cfg_free(cfg);
	cfg_diags_fini(&dg);
	if (mkp)
		cfg_mask_key_wipe(&mk);
	return (rc == 0 && !bad) ? 0 : 1;
}

/*
 * Forks into the background. The parent waits until the child reports that it serves
 * requests (one byte on a pipe) and exits 0, or 1 when the child failed: the shell that
 * started tandemd learns about a startup failure.
 */
static int
daemonise(int *notify_fd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") != 0)
		return -errno;
	*notify_fd = p[1];
	return 0;
}

static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Writes and locks the pid file; the lock lives as long as the process. */
static int
write_pid_file(const char *path)
{
	char line[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int n;

	if (fd < 0) {
		log_warn("cannot open pid file %s", path);
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)read(fd, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		log_err("pid file %s is locked: tandemd already runs (pid %s)", path,
		        strtok(line, "\n") ? line : "?");
		close(fd);
		return -EEXIST;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, line, (size_t)n) != n) {
		log_warn("cannot write pid file %s", path);
		close(fd);
		return -EIO;
	}
	return 0; /* fd stays open: it holds the lock */
}

static int
parse_args(int argc, char **argv, struct tandemd_opts *o, bool *check)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"node", required_argument, NULL, 'n'},
	        {"ctl", required_argument, NULL, 's'},
	        {"state-dir", required_argument, NULL, 'S'},
	        {"pid-file", required_argument, NULL, 'p'},
	        {"master-key", required_argument, NULL, 'k'},
	        {"engine", required_argument, NULL, 'E'},
	        {"foreground", no_argument, NULL, 'f'},
	        {"check-config", no_argument, NULL, 'C'},
	        {"log-level", required_argument, NULL, 'l'},
	        {"version", no_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:n:s:S:p:k:E:fCl:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'n':
			o->node = optarg;
			break;
		case 's':
			o->ctl_path = optarg;
			break;
		case 'S':
			o->state_dir = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'k':
			o->master_key_path = optarg;
			break;
		case 'E':
			o->engine_path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'C':
			*check = true;
			break;
		case 'l':
			if (log_level_parse(optarg, &o->log_level) < 0) {
				fprintf(stderr,
				        "tandemd: unknown log level '%s' (expected error, "
				        "warning, info or debug)\n",
				        optarg);
				return 2;
			}
			break;
		case 'V':
			printf("tandemd %s\n", TANDEM_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tandemd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!*check && !o->node) {
		fprintf(stderr, "tandemd: --node NAME is required (the node's name in the "
		                "cluster block, or any name when running alone)\n");
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tandemd_opts o = {
	        .config_path = DEFAULT_CONFIG,
	        .ctl_path = DEFAULT_CTL,
	        .state_dir = DEFAULT_STATE,
	        .log_level = LOG_LVL_INFO,
	};
	struct tandemd *d = NULL;
	bool check = false;
	int notify_fd = -1, rc;

	rc = parse_args(argc, argv, &o, &check);
	if (rc)
		return rc;
	if (check)
		return check_config(&o);

	log_init("tandemd", o.foreground ? LOG_DEST_STDERR : LOG_DEST_SYSLOG, o.log_level);
	if (tandemd_new(&o, &d) < 0)
		return 1;
	if (!o.foreground && daemonise(&notify_fd) < 0)
		fatal("cannot daemonise");
	if (o.pid_file && write_pid_file(o.pid_file) < 0) {
		tandemd_free(d);
		return 1;
	}
	if (tandemd_start(d) < 0) {
		tandemd_free(d);
		return 1;
	}
	if (notify_fd >= 0) {
		detach_stdio();
		(void)!write(notify_fd, "1", 1); /* the parent exits 0 either way it reads */
		close(notify_fd);
	}
	tandemd_loop(d);
	tandemd_free(d);
	if (o.pid_file)
		unlink(o.pid_file);
	log_info("stopped");
	return 0;
}
