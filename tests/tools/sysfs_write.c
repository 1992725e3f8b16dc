// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs_write FILE VALUE: write VALUE to FILE in one write(2) and report
 * the result as "OK" or the errno's symbolic name (e.g. "EEXIST"), so
 * shell tests can assert the exact errno of a sysfs store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	ssize_t ret;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE VALUE\n", argv[0]);
		return 2;
	}

	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}

	ret = write(fd, argv[2], strlen(argv[2]));
	if (ret < 0) {
		printf("%s\n", strerrorname_np(errno));
		close(fd);
		return 1;
	}
	close(fd);

	printf("OK\n");
	return 0;
}
