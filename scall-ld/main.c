/* SPDX-License-Identifier: MIT */
/*
 * scall-ld - validate the scall records of a linked ELF file against its
 * machine code and write the sorted, validated site table in place.
 * Exit codes: 0 valid, 1 validation failures, 2 usage, 3 I/O error or
 * malformed ELF.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "writer.h"

#ifndef SCALL_VERSION
#define SCALL_VERSION "0"
#endif

static void usage(FILE *f)
{
	fputs("usage: scall-ld [options] FILE\n"
	      "Check every scall site and branch record of a linked ELF64 x86-64\n"
	      "executable or shared object against its machine code, then write\n"
	      "the site table sorted and marked validated (in place, or to -o OUT).\n"
	      "\n"
	      "  -o OUT      write the result to OUT, leave FILE alone\n"
	      "  --check     validate only, write nothing\n"
	      "  --report    print keys, trampolines, sites and branch records (stdout)\n"
	      "  --json      the same as JSON (stdout)\n"
	      "  --strict    treat warnings (unrecorded sites) as errors\n"
	      "  --no-prebind  leave every site as the compiler emitted it (and\n"
	      "              put back the ones an earlier run pre-bound)\n"
	      "  -v          verbose\n"
	      "  --version   print the version\n"
	      "  -h, --help  this help\n"
	      "\n"
	      "Exit status: 0 valid, 1 validation failures, 2 usage error,\n"
	      "3 I/O error or malformed ELF.  On any error FILE is unchanged.\n",
	      f);
}

static int read_file(const char *path, uint8_t **buf, size_t *len,
		     struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	*buf = NULL;
	if (fd < 0 || fstat(fd, st)) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	if (!S_ISREG(st->st_mode)) {
		fprintf(stderr, "%s: not a regular file\n", path);
		close(fd);
		return 3;
	}
	*buf = malloc(st->st_size ? (size_t)st->st_size : 1);
	if (!*buf) {
		fprintf(stderr, "%s: out of memory\n", path);
		close(fd);
		return 3;
	}
	while (got < (size_t)st->st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st->st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: read error: %s\n", path,
				n ? strerror(errno) : "file shrank");
			close(fd);
			free(*buf);
			*buf = NULL;
			return 3;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_CHECK = 256, O_REPORT, O_JSON, O_STRICT, O_VERSION, O_NO_PREBIND };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, O_CHECK },
		{ "report", no_argument, NULL, O_REPORT },
		{ "json", no_argument, NULL, O_JSON },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "no-prebind", no_argument, NULL, O_NO_PREBIND },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct ld_opts o = { 0 };
	const char *out = NULL, *path;
	char *real = NULL;
	uint8_t *buf, *patched = NULL;
	struct stat st;
	size_t len;
	int check = 0, c, rc;

	while ((c = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case O_CHECK: check = 1; break;
		case O_REPORT: o.report = 1; break;
		case O_JSON: o.json = 1; break;
		case O_STRICT: o.strict = 1; break;
		case O_NO_PREBIND: o.no_prebind = 1; break;
		case O_VERSION: printf("scall-ld %s\n", SCALL_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (check && out)) {
		fprintf(stderr, "scall-ld: %s\n",
			optind == argc ? "no input file" :
			optind < argc - 1 ? "exactly one input file" :
					    "--check and -o exclude each other");
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	rc = read_file(path, &buf, &len, &st);
	if (rc)
		return rc;
	fflush(stdout);
	rc = ld_process(buf, len, path, &o, stderr, stdout, &patched);
	if (rc == 0 && !check) {
		if (out) {
			rc = ld_write_file(out, patched ? patched : buf, len, &st, 0);
		} else if (patched) {
			real = realpath(path, NULL); /* replace a symlink's target */
			rc = ld_write_file(real ? real : path, patched, len, &st, 1);
		}
		if (rc == 0 && o.verbose)
			fprintf(stderr, "%s: %s\n", out ? out : path,
				patched ? "table written" : "already up to date");
	}
	if (fflush(stdout) && rc == 0) {
		fprintf(stderr, "scall-ld: stdout: %s\n", strerror(errno));
		rc = 3;
	}
	free(real);
	free(patched);
	free(buf);
	return rc;
}
