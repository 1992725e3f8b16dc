/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sysfs and procfs helpers of the mdev-pt test programs that need no test
 * harness: attribute reads and writes, new UUIDs, instances made and
 * removed through the mdev sysfs interface, where a task sleeps.  The
 * functions return 0 (or the value asked for) or -errno, and leave
 * reporting to their caller.
 */
#ifndef MDEVPT_SYSFS_UTIL_H
#define MDEVPT_SYSFS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef MDEV_SYSFS_PATH
#define MDEV_SYSFS_PATH	"/sys/bus/mdev/devices"
#endif
#ifndef PCI_SYSFS_PATH
#define PCI_SYSFS_PATH	"/sys/bus/pci/devices"
#endif

/* Write @val to @path in one write(2): 0, -errno, or -EIO if it was short. */
static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t len = strlen(val), ret;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	ret = write(fd, val, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret == len ? 0 : ret < 0 ? (int)ret : -EIO;
}

/* Read @path (first line, no newline) into @buf of @len bytes. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A new random UUID from the kernel into @buf (at least 37 bytes). */
static inline int new_uuid(char *buf, size_t len)
{
	int ret = len < 37 ? -EINVAL :
		  sysfs_read("/proc/sys/kernel/random/uuid", buf, len);

	if (!ret && strlen(buf) != 36)
		ret = -EIO;
	if (ret && len)
		buf[0] = '\0';
	return ret;
}

static inline int mdev_attr_write(const char *uuid, const char *attr,
				  const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", MDEV_SYSFS_PATH, uuid, attr);
	return sysfs_write(path, val);
}

static inline int mdev_attr_str(const char *uuid, const char *attr,
				char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", MDEV_SYSFS_PATH, uuid, attr);
	return sysfs_read(path, buf, len);
}

static inline int mdev_remove(const char *uuid)
{
	return mdev_attr_write(uuid, "remove", "1");
}

static inline bool mdev_exists(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", MDEV_SYSFS_PATH, uuid);
	return access(path, F_OK) == 0;
}

/*
 * Create an instance @uuid of @type on PCI function @bdf.  The mdev core
 * frees a removed instance's UUID only when the device is released, which
 * a kernel with CONFIG_DEBUG_KOBJECT_RELEASE (the debug kernel) delays by
 * up to 4 s: a UUID that was just removed, EEXIST without its sysfs
 * directory, is tried again for up to 8 s.
 */
static inline int mdev_create(const char *bdf, const char *type,
			      const char *uuid)
{
	char path[PATH_MAX];
	int ret, i;

	snprintf(path, sizeof(path), "%s/%s/mdev_supported_types/%s/create",
		 PCI_SYSFS_PATH, bdf, type);
	for (i = 0; i < 80; i++) {
		ret = sysfs_write(path, uuid);
		if (ret != -EEXIST || mdev_exists(uuid))
			break;
		usleep(100000);
	}
	return ret;
}

/*
 * Wait up to @timeout_ms until the plugin autoload of @bdf, bound to
 * mdev_pt, is no longer "pending": its plugin request ran, what it loaded
 * is attached and the parent registered (see mdev_pt_autoload in
 * Documentation/ABI/testing/sysfs-driver-mdev_pt).  0, -ETIMEDOUT, or
 * -errno (-ENOENT: no such attribute, the function is not bound to
 * mdev_pt).
 */
static inline int pt_autoload_wait(const char *bdf, unsigned int timeout_ms)
{
	char path[PATH_MAX], state[16];
	struct timespec now, end;
	struct pollfd pfd;
	ssize_t len;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s/mdev_pt_autoload", PCI_SYSFS_PATH,
		 bdf);
	pfd.fd = open(path, O_RDONLY);
	if (pfd.fd < 0)
		return -errno;
	pfd.events = POLLPRI | POLLERR;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (timeout_ms % 1000) * 1000000L;
	for (;;) {
		len = pread(pfd.fd, state, sizeof(state) - 1, 0);
		if (len < 0) {
			ret = -errno;
			break;
		}
		state[len] = '\0';
		if (strcmp(state, "pending\n"))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec * 1000000000LL + now.tv_nsec >=
		    end.tv_sec * 1000000000LL + end.tv_nsec) {
			ret = -ETIMEDOUT;
			break;
		}
		/* sysfs_notify() wakes poll() up; re-read at least every 100 ms. */
		poll(&pfd, 1, 100);
	}
	close(pfd.fd);
	return ret;
}

/* available_instances of @type on @bdf. */
static inline long type_available(const char *bdf, const char *type)
{
	char path[PATH_MAX], buf[32], *end;
	long val;
	int ret;

	snprintf(path, sizeof(path),
		 "%s/%s/mdev_supported_types/%s/available_instances",
		 PCI_SYSFS_PATH, bdf, type);
	ret = sysfs_read(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	val = strtol(buf, &end, 10);
	if (errno || end == buf || *end || val < 0)
		return -EINVAL;
	return val;
}

/*
 * Whether the top frame of a kernel stack (/proc/PID/stack or
 * /proc/self/task/TID/stack, @path) is a function whose name starts with
 * @prefix.  The stack leaves out the scheduling functions (mutex_lock(),
 * down_write()...), so for a sleeping task it names the function waiting.
 */
static inline bool proc_stack_top_in(const char *path, const char *prefix)
{
	char buf[256];

	/* sysfs_read() keeps the first line: the top frame. */
	return !sysfs_read(path, buf, sizeof(buf)) && strstr(buf, prefix);
}

/*
 * Whether any frame of a kernel stack (@path as for proc_stack_top_in())
 * is the function @func: for a task waiting deeper than its top frame
 * shows, e.g. in synchronize_srcu().
 */
static inline bool proc_stack_has(const char *path, const char *func)
{
	char line[256];
	bool found = false;
	size_t len = strlen(func);
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = strchr(line, ' ');

		/* "[<0>] name+0x12/0x34" */
		found = p && !strncmp(p + 1, func, len) && p[1 + len] == '+';
	}
	fclose(f);
	return found;
}

#endif /* MDEVPT_SYSFS_UTIL_H */
