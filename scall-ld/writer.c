/* SPDX-License-Identifier: MIT */
/* writer.c - applies a plan of edits and writes the result (writer.h). */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint8_t *ld_apply(const struct img *img, const struct ld_plan *p, FILE *err)
{
	uint8_t *out = malloc(img->len ? img->len : 1);
	size_t i;

	if (!out) {
		if (err)
			fprintf(err, "%s: out of memory\n", img->path);
		return NULL;
	}
	memcpy(out, img->buf, img->len);
	for (i = 0; i < p->n; i++) {
		const struct ld_edit *e = &p->edits[i];

		/* the planner only plans inside sections it read; an edit
		 * anywhere else is a bug, and the file is not written */
		if (e->len > LD_EDIT_MAX || e->off > img->len ||
		    e->len > img->len - e->off) {
			if (err)
				fprintf(err, "%s: internal error: edit of %u bytes "
					     "at offset 0x%llx lies outside the "
					     "file\n", img->path, e->len,
					(unsigned long long)e->off);
			free(out);
			return NULL;
		}
		memcpy(out + e->off, e->bytes, e->len);
	}
	return out;
}

int ld_write_file(const char *target, const uint8_t *data, size_t len,
		  const struct stat *st, int in_place)
{
	char *dup = strdup(target), *dup2 = strdup(target), *tmp = NULL;
	const char *dir, *base;
	size_t off = 0;
	int fd = -1, dfd = -1, rc = 3;
	struct stat now;

	if (!dup || !dup2)
		goto out;
	dir = dirname(dup);
	base = basename(dup2);
	tmp = malloc(strlen(dir) + strlen(base) + 32);
	if (!tmp)
		goto out;
	sprintf(tmp, "%s/.%s.scall-ld.XXXXXX", dir, base);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create a temporary file in %s: %s\n",
			target, dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: write error: %s\n", tmp,
				strerror(n ? errno : ENOSPC));
			goto out;
		}
		off += (size_t)n;
	}
	if (in_place && fchown(fd, st->st_uid, st->st_gid)) {
		fprintf(stderr, "%s: cannot keep the owner %u:%u: %s\n", target,
			(unsigned)st->st_uid, (unsigned)st->st_gid, strerror(errno));
		goto out;
	}
	if (fchmod(fd, st->st_mode & 07777) || fsync(fd)) {
		fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (in_place && (stat(target, &now) || now.st_ino != st->st_ino ||
			 now.st_dev != st->st_dev || now.st_size != st->st_size ||
			 now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
			 now.st_mtim.tv_nsec != st->st_mtim.tv_nsec)) {
		fprintf(stderr, "%s: changed while scall-ld ran; run it again\n",
			target);
		goto out;
	}
	if (rename(tmp, target)) {
		fprintf(stderr, "%s: cannot replace: %s\n", target, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dup);
	free(dup2);
	return rc;
}

