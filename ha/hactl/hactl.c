/* SPDX-License-Identifier: MIT */
/*
 * hactl, the operator's CLI for tandemd: options, the command table and its matching. Words
 * may be abbreviated to any unique prefix ("hactl sh conf"), as on the routers the seeds
 * describe. Every command takes --json.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha/hactl/hactl_cmds.h"

#define HACTL_DEFAULT_CTL     "/run/tandem/ctl.sock"
#define HACTL_DEFAULT_TIMEOUT 5000
#define HACTL_MAX_WORDS       4

struct hactl_cmd {
	const char *words[HACTL_MAX_WORDS]; /* NULL-terminated command words */
	const char *args;                   /* argument synopsis */
	const char *help;
	hactl_cmd_fn fn;
};

static const struct hactl_cmd hactl_cmds[] = {
        {{"status", NULL}, "", "node, role, uptime, configuration digest", hactl_cmd_status},
        {{"show", "configuration", NULL},
         "[verbose]",
         "the running configuration in canonical form, keys masked",
         hactl_cmd_show_config},
        {{"show", "tunnel", NULL},
         "[NAME]",
         "tunnels: state, endpoints, SAs, engine group",
         hactl_cmd_show_tunnels},
        {{"show", "ike-sa", NULL},
         "[[tunnel] NAME]",
         "IKE SAs: SPIs, peer, identities, algorithms, lifetimes, message IDs, RFC 6311",
         hactl_cmd_show_ike_sa},
        {{"show", "ipsec-sa", NULL},
         "[[tunnel] NAME]",
         "IPsec (Child) SAs: SPIs, selectors, algorithms, traffic, sequence leases",
         hactl_cmd_show_ipsec_sa},
        {{"show", "statistics", NULL},
         "",
         "IKE counters, rejected IKE and dropped ESP by reason",
         hactl_cmd_show_statistics},
        {{"clear", "ike", "sa", NULL},
         "tunnel NAME",
         "delete the tunnel's IKE SA and renegotiate",
         hactl_cmd_clear_ike_sa},
        {{"clear", "ipsec", "sa", NULL},
         "tunnel NAME",
         "delete the tunnel's IPsec SAs and renegotiate them",
         hactl_cmd_clear_ipsec_sa},
        {{"rekey", "ike-sa", NULL},
         "tunnel NAME",
         "start a rekey of the tunnel's IKE SA",
         hactl_cmd_rekey_ike_sa},
        {{"rekey", "ipsec-sa", NULL},
         "tunnel NAME",
         "start a rekey of the tunnel's IPsec SAs",
         hactl_cmd_rekey_ipsec_sa},
        {{"show", "engines", NULL},
         "[GROUP]",
         "crypto engines: state, pid, restarts, failure detection time, SA counters, drops",
         hactl_cmd_show_engines},
        {{"show", "cluster", NULL},
         "",
         "cluster nodes: role, membership, quorum, configuration digest (mismatch), eligibility",
         hactl_cmd_show_cluster},
        {{"show", "replication", NULL},
         "",
         "replication: traffic, refused messages by reason, store, latency, snapshots",
         hactl_cmd_show_replication},
        {{"switchover", NULL},
         "[--to NODE]",
         "planned move: the active node hands the cluster to NODE (default: the best standby)",
         hactl_cmd_switchover},
        {{"show", "routes", NULL},
         "",
         "routes by cost: installed or withdrawn and why, which tunnel carries each prefix; VIPs",
         hactl_cmd_show_routes},
        {{"show", "redundancy", NULL},
         "",
         "per protected prefix: preferred and backup tunnels, which carries it, since when, why",
         hactl_cmd_show_redundancy},
        {{"monitor", NULL},
         "[count N] [for SECONDS]",
         "live events: tunnels, routes, SAs, role, failover, engines (until interrupted)",
         hactl_cmd_monitor},
};
#define HACTL_NCMDS (sizeof(hactl_cmds) / sizeof(hactl_cmds[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: hactl [--ctl PATH] [--json] [--timeout MS] COMMAND [ARGS]\n\n"
	           "  --ctl PATH     tandemd's control socket (default $TANDEM_CTL "
	           "or " HACTL_DEFAULT_CTL ")\n"
	           "  --json         machine-readable output (schema: docs/hactl.md)\n"
	           "  --timeout MS   give up after MS milliseconds (default 5000)\n\n"
	           "commands (words may be abbreviated):\n");
	for (size_t i = 0; i < HACTL_NCMDS; i++) {
		char line[128] = "";

		for (int w = 0; hactl_cmds[i].words[w]; w++) {
			strncat(line, w ? " " : "", sizeof(line) - strlen(line) - 1);
			strncat(line, hactl_cmds[i].words[w], sizeof(line) - strlen(line) - 1);
		}
		if (*hactl_cmds[i].args) {
			strncat(line, " ", sizeof(line) - strlen(line) - 1);
			strncat(line, hactl_cmds[i].args, sizeof(line) - strlen(line) - 1);
		}
		fprintf(f, "  %-36s %s\n", line, hactl_cmds[i].help);
	}
	fprintf(f, "\nexit status: 0 ok, 1 tandemd reported an error, 2 usage, 3 tandemd "
	           "unreachable, 4 timeout or bad reply\n");
}

static int
hactl_nwords(const struct hactl_cmd *c)
{
	int n = 0;

	while (n < HACTL_MAX_WORDS && c->words[n])
		n++;
	return n;
}

/* Prints the distinct words at position w of the commands in set, for an error message. */
static void
hactl_list_words(const bool *set, int w)
{
	const char *seen[HACTL_NCMDS];
	size_t nseen = 0;

	for (size_t i = 0; i < HACTL_NCMDS; i++) {
		const char *word = set[i] ? hactl_cmds[i].words[w] : NULL;
		bool dup = false;

		for (size_t j = 0; word && j < nseen; j++)
			dup |= strcmp(seen[j], word) == 0;
		if (word && !dup) {
			fprintf(stderr, "%s%s", nseen ? ", " : "", word);
			seen[nseen++] = word;
		}
	}
	fprintf(stderr, "\n");
}

/*
 * Narrows the candidate set by the user's word at position w. A word equal to a command word
 * wins over longer words it is a prefix of; otherwise it must be the prefix of exactly one
 * distinct word. Returns false (after saying why) when nothing or several things match.
 */
static bool
hactl_narrow(bool *set, int w, const char *word)
{
	const char *pick = NULL;
	bool exact = false, ambiguous = false;

	for (size_t i = 0; i < HACTL_NCMDS; i++) {
		const char *cw = set[i] ? hactl_cmds[i].words[w] : NULL;

		if (!cw || !*word || strncmp(cw, word, strlen(word)) != 0)
			continue;
		if (strcmp(cw, word) == 0) {
			pick = cw;
			exact = true;
		} else if (!exact && pick && strcmp(pick, cw) != 0) {
			ambiguous = true;
		} else if (!exact) {
			pick = cw;
		}
	}
	if (!pick || (ambiguous && !exact)) {
		fprintf(stderr, "hactl: %s '%s'; expected one of: ", pick ? "ambiguous" : "unknown",
		        word);
		hactl_list_words(set, w);
		return false;
	}
	for (size_t i = 0; i < HACTL_NCMDS; i++)
		set[i] = set[i] && hactl_cmds[i].words[w] &&
		         strcmp(hactl_cmds[i].words[w], pick) == 0;
	return true;
}

static int
hactl_dispatch(const struct hactl_ctx *ctx, int argc, char **argv)
{
	bool set[HACTL_NCMDS];

	for (size_t i = 0; i < HACTL_NCMDS; i++)
		set[i] = true;
	for (int w = 0; w < HACTL_MAX_WORDS; w++) {
		/* a command whose words are all matched takes the rest as its arguments */
		for (size_t i = 0; i < HACTL_NCMDS; i++)
			if (set[i] && hactl_nwords(&hactl_cmds[i]) == w)
				return hactl_cmds[i].fn(ctx, argc - w, argv + w);
		if (w == argc) {
			fprintf(stderr, "hactl: incomplete command; expected one of: ");
			hactl_list_words(set, w);
			return HACTL_EXIT_USAGE;
		}
		if (!hactl_narrow(set, w, argv[w]))
			return HACTL_EXIT_USAGE;
	}
	return HACTL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"ctl", required_argument, NULL, 's'},
	        {"json", no_argument, NULL, 'j'},
	        {"timeout", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct hactl_ctx ctx = {
	        .ctl_path = getenv("TANDEM_CTL") ? getenv("TANDEM_CTL") : HACTL_DEFAULT_CTL,
	        .timeout_ms = HACTL_DEFAULT_TIMEOUT,
	};
	int ch;
	char *end;

	/* "+": stop at the first command word, so command arguments are not options */
	while ((ch = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			ctx.ctl_path = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 't':
			ctx.timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || ctx.timeout_ms <= 0) {
				fprintf(stderr, "hactl: --timeout needs milliseconds > 0\n");
				return HACTL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return HACTL_EXIT_OK;
		default:
			usage(stderr);
			return HACTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return HACTL_EXIT_USAGE;
	}
	return hactl_dispatch(&ctx, argc - optind, argv + optind);
}
