/* SPDX-License-Identifier: MIT */
/*
 * Reads a configuration file and hands its bytes to the pure parser. The only file access of
 * the configuration module besides the master key file (cfg_mask.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

static void
load_error(struct cfg_diags *d, const char *path, const char *what)
{
	char msg[sizeof(d->v[0].msg)];

	snprintf(d->file, sizeof(d->file), "%s", path);
	snprintf(msg, sizeof(msg), "in 'file': %s", what);
	if (cfg_diags_push(d, CFG_DIAG_ERROR, 1, 1, msg) == 0)
		d->nerrors++;
}

/* Frees a buffer that held configuration text (it holds keys in clear). */
static void
text_free(char *b, size_t cap)
{
	if (b)
		OPENSSL_cleanse(b, cap);
	free(b);
}

/* Doubles the buffer, wiping the old one (realloc would free it with keys in it). */
static char *
text_grow(char *b, size_t n, size_t *cap)
{
	size_t ncap = *cap * 2 > (size_t)CFG_FILE_MAX + 1 ? (size_t)CFG_FILE_MAX + 1 : *cap * 2;
	char *nb = malloc(ncap);

	if (nb)
		memcpy(nb, b, n);
	text_free(b, *cap);
	*cap = ncap;
	return nb;
}

/* Reads at most CFG_FILE_MAX + 1 bytes (one more tells that the file is too long). */
static int
read_fd(int fd, char **out, size_t *len, size_t *cap_out)
{
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);

	while (b && n < (size_t)CFG_FILE_MAX + 1) {
		ssize_t r;

		if (n == cap) {
			b = text_grow(b, n, &cap);
			continue;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int rc = -errno;

			text_free(b, cap);
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!b)
		return -ENOMEM;
	*out = b;
	*len = n;
	*cap_out = cap;
	return 0;
}

int
cfg_load_file(const char *path, const struct cfg_mask_key *mk, struct cfg **out,
              struct cfg_diags *diags)
{
	char *text = NULL, what[300];
	size_t len = 0, cap = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(what, sizeof(what), "cannot open the file: %s", strerror(-rc));
		load_error(diags, path, what);
		return rc;
	}
	rc = read_fd(fd, &text, &len, &cap);
	close(fd);
	if (rc) {
		snprintf(what, sizeof(what), "cannot read the file: %s", strerror(-rc));
		load_error(diags, path, what);
		return rc;
	}
	if (len > CFG_FILE_MAX) {
		snprintf(what, sizeof(what), "the file is longer than %u bytes", CFG_FILE_MAX);
		load_error(diags, path, what);
		text_free(text, cap);
		return -EFBIG;
	}
	rc = cfg_parse(path, text, len, mk, out, diags);
	text_free(text, cap);
	return rc;
}
