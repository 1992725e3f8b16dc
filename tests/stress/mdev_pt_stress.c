// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_pt_stress: the concurrent phase of tests/stress/stress.sh.
 *
 * Forks worker processes that, until the time is up, race on the given PCI
 * functions (bound to mdev_pt):
 *   create  - create an instance of a random type, maybe open and close it
 *             (a config space read in between), remove it;
 *   open    - a child opens a random existing instance with its REQ IRQ
 *             armed, holds it for a random time (closing early on a
 *             release request) and exits, or is killed with SIGKILL;
 *   unbind  - unbind a random function from mdev_pt and bind it again;
 *   modules - unbind the functions a random plugin module serves, unload
 *             it, load it again (modprobe, or autoload by binding) and
 *             bind them again.
 * Each worker uses its own seed derived from MDEVPT_STRESS_SEED, so a run's
 * choices (not its interleaving) repeat.
 *
 * Environment: MDEVPT_STRESS_FUNCS (BDFs, space separated, required),
 * MDEVPT_STRESS_PLUGINS (MODULE:PCI_VENDOR_ID ..., the plugins and the
 * functions they serve), MDEVPT_STRESS_SECONDS (20),
 * MDEVPT_STRESS_SEED (default from the clock), MDEVPT_STRESS_WORKERS
 * ("create=3 open=2 unbind=1 modules=1").
 *
 * Prints the seed, each worker's step count and its results as
 * "RESULT=count" (OK or errno names), and "stuck PID ROLE WCHAN" for a
 * worker still running 60 s after the end.  Exit status 0 when every
 * worker ended in time, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/vfio.h>

#include "../lib/sysfs_util.h"

#define MAX_FUNCS	16
#define MAX_WORKERS	32
#define MAX_NAMES	16
#define GRACE_S		60

static char *funcs[MAX_FUNCS], *plugins[MAX_FUNCS];
static unsigned int nr_funcs, nr_plugins;
static uint64_t rng;
static time_t deadline;

/* Results of one worker, by errno (0: OK). */
static unsigned long results[256];
static unsigned long steps;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static void note(int err)
{
	results[err > 0 && err < 256 ? err : 0]++;
}

/* A UUID from the seeded generator, so that a run replays. */
static void seeded_uuid(char *buf)
{
	snprintf(buf, 37, "%08x-%04x-4%03x-8%03x-%012llx",
		 (unsigned int)rnd(), below(0x10000), below(0x1000),
		 below(0x1000), (unsigned long long)(rnd() & 0xffffffffffffull));
}

/* A random entry of @dir (not "."/".."), into @buf; false if none. */
static bool pick_entry(const char *dir, char *buf, size_t len)
{
	char names[MAX_NAMES][256];
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while ((de = readdir(d)) && n < MAX_NAMES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	}
	closedir(d);
	if (!n)
		return false;
	snprintf(buf, len, "%s", names[below(n)]);
	return true;
}

/*
 * Open instance @uuid as QEMU does; returns the device fd (the group and
 * container fds in *@group and *@container) or -errno.
 */
static int open_instance(const char *uuid, int *group, int *container)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;
	int fd, err;

	*group = *container = -1;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	*container = open("/dev/vfio/vfio", O_RDWR);
	*group = open(path, O_RDWR);
	if (*container < 0 || *group < 0)
		goto fail;
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, container) ||
	    ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto fail;
	fd = ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (fd >= 0)
		return fd;
fail:
	err = errno;
	if (*group >= 0)
		close(*group);
	if (*container >= 0)
		close(*container);
	*group = *container = -1;
	return -err;
}

static void close_instance(int fd, int group, int container)
{
	close(fd);
	close(group);
	close(container);
}

static void step_create(void)
{
	const char *f = funcs[below(nr_funcs)];
	char dir[256], type[256], uuid[40], path[600];
	int err, fd, group, container;
	uint32_t val;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/mdev_supported_types", f);
	if (!pick_entry(dir, type, sizeof(type))) {
		note(ENOENT);
		usleep(10000);
		return;
	}
	seeded_uuid(uuid);
	snprintf(path, sizeof(path), "%s/%s/create", dir, type);
	err = -sysfs_write(path, uuid);
	note(err);
	if (err)
		return;
	if (below(2)) {
		fd = open_instance(uuid, &group, &container);
		note(fd < 0 ? -fd : 0);
		if (fd >= 0) {
			/* vfio-pci's region layout: index << 40 */
			if (pread(fd, &val, 4, (off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) < 0)
				note(errno);
			close_instance(fd, group, container);
		}
	}
	if (!below(4))
		usleep(below(200000));
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	note(-sysfs_write(path, "1"));
}

/* The child of step_open: hold @uuid until a release request or @ms. */
static void __attribute__((noreturn)) hold(const char *uuid, int ms)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set.argsz = sizeof(irq),
		.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		.set.index = VFIO_PCI_REQ_IRQ_INDEX,
		.set.count = 1,
	};
	struct pollfd pfd = { .events = POLLIN };
	int fd, group, container;

	fd = open_instance(uuid, &group, &container);
	if (fd < 0)
		_exit(-fd);
	irq.fd = eventfd(0, 0);
	pfd.fd = irq.fd;
	if (irq.fd >= 0)
		ioctl(fd, VFIO_DEVICE_SET_IRQS, &irq);
	poll(&pfd, 1, ms);
	close_instance(fd, group, container);
	_exit(0);
}

static void step_open(void)
{
	char uuid[256];
	int status;
	pid_t pid;

	if (!pick_entry("/sys/bus/mdev/devices", uuid, sizeof(uuid))) {
		usleep(10000);
		return;
	}
	pid = fork();
	if (pid < 0) {
		note(errno);
		return;
	}
	if (!pid)
		hold(uuid, below(500));
	usleep(below(400000));
	if (below(2))
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	note(WIFEXITED(status) ? WEXITSTATUS(status) : 0);
}

static void step_unbind(void)
{
	const char *f = funcs[below(nr_funcs)];

	note(-sysfs_write("/sys/bus/pci/drivers/mdev_pt/unbind", f));
	usleep(below(300000));
	note(-sysfs_write("/sys/bus/pci/drivers/mdev_pt/bind", f));
}

/* The PCI vendor ID of @bdf, or 0. */
static unsigned int pci_vendor(const char *bdf)
{
	char path[PATH_MAX];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%x", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/*
 * A plugin module can only go while no function uses it: unbind the
 * functions it serves (MODULE:VENDOR in MDEVPT_STRESS_PLUGINS), unload it
 * (delete_module(2); another worker may have bound one again), then load
 * it with modprobe or let binding autoload it, and bind them again.
 */
static void step_modules(void)
{
	char *spec, name[64];
	unsigned int vendor = 0, i;
	int status;
	pid_t pid;

	if (!nr_plugins) {
		usleep(100000);
		return;
	}
	spec = plugins[below(nr_plugins)];
	snprintf(name, sizeof(name), "%s", spec);
	if (strchr(name, ':')) {
		vendor = strtoul(strchr(name, ':') + 1, NULL, 0);
		*strchr(name, ':') = '\0';
	}
	for (i = 0; i < nr_funcs; i++)
		if (pci_vendor(funcs[i]) == vendor)
			note(-sysfs_write("/sys/bus/pci/drivers/mdev_pt/unbind", funcs[i]));
	note(syscall(SYS_delete_module, name, O_NONBLOCK) ? errno : 0);
	usleep(below(300000));
	if (below(2)) {
		pid = fork();
		if (!pid) {
			execlp("modprobe", "modprobe", "-q", name, (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid)
			note(WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : EIO);
	}
	for (i = 0; i < nr_funcs; i++)
		if (pci_vendor(funcs[i]) == vendor)
			note(-sysfs_write("/sys/bus/pci/drivers/mdev_pt/bind", funcs[i]));
}

static const struct role {
	const char *name;
	void (*step)(void);
} roles[] = {
	{ "create", step_create },
	{ "open", step_open },
	{ "unbind", step_unbind },
	{ "modules", step_modules },
};

static void __attribute__((noreturn)) worker(const struct role *role, int n,
					     uint64_t seed)
{
	unsigned int e;

	rng = seed;
	while (time(NULL) < deadline) {
		role->step();
		steps++;
	}
	printf("# %s%d: %lu steps:", role->name, n, steps);
	for (e = 0; e < 256; e++)
		if (results[e])
			printf(" %s=%lu", e ? strerrorname_np(e) : "OK", results[e]);
	printf("\n");
	fflush(stdout);
	_exit(0);
}

static unsigned int split(char *s, char **out, unsigned int max)
{
	unsigned int n = 0;
	char *tok, *save;

	for (tok = strtok_r(s, " \t\n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t\n", &save))
		out[n++] = tok;
	return n;
}

int main(void)
{
	char *spec = getenv("MDEVPT_STRESS_WORKERS"), *s;
	char defspec[] = "create=3 open=2 unbind=1 modules=1";
	const char *role_of[MAX_WORKERS];
	pid_t pids[MAX_WORKERS];
	unsigned int nr = 0, i, r, count, alive;
	char *words[MAX_WORKERS];
	unsigned int seconds;
	uint64_t seed;
	time_t end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = getenv("MDEVPT_STRESS_FUNCS");
	if (!s || !(nr_funcs = split(strdup(s), funcs, MAX_FUNCS))) {
		printf("# set MDEVPT_STRESS_FUNCS\n");
		return 1;
	}
	s = getenv("MDEVPT_STRESS_PLUGINS");
	if (s)
		nr_plugins = split(strdup(s), plugins, MAX_FUNCS);
	s = getenv("MDEVPT_STRESS_SECONDS");
	seconds = s && *s ? atoi(s) : 20;
	s = getenv("MDEVPT_STRESS_SEED");
	seed = s && *s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
	printf("# mdev_pt_stress: MDEVPT_STRESS_SEED=%" PRIu64 " MDEVPT_STRESS_SECONDS=%u\n",
	       seed, seconds);

	deadline = time(NULL) + seconds;
	for (i = 0, count = split(spec ? strdup(spec) : defspec, words, MAX_WORKERS);
	     i < count; i++) {
		char *eq = strchr(words[i], '=');
		unsigned int n = eq ? atoi(eq + 1) : 1, k;

		if (eq)
			*eq = '\0';
		for (r = 0; r < sizeof(roles) / sizeof(roles[0]); r++)
			if (!strcmp(roles[r].name, words[i]))
				break;
		if (r == sizeof(roles) / sizeof(roles[0])) {
			printf("# unknown worker %s\n", words[i]);
			return 1;
		}
		for (k = 0; k < n && nr < MAX_WORKERS; k++, nr++) {
			role_of[nr] = roles[r].name;
			pids[nr] = fork();
			if (pids[nr] < 0) {
				printf("# fork: %m\n");
				return 1;
			}
			if (!pids[nr])
				worker(&roles[r], k, seed + nr);
		}
	}

	end = deadline + GRACE_S;
	do {
		alive = 0;
		for (i = 0; i < nr; i++) {
			if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i])
				pids[i] = 0;
			alive += pids[i] > 0;
		}
		if (alive)
			usleep(200000);
	} while (alive && time(NULL) < end);
	printf("# workers done %ld s after the end\n", (long)(time(NULL) - deadline));
	for (i = 0; i < nr; i++) {
		char path[64], wchan[128] = "";
		FILE *f;

		if (pids[i] <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/wchan", pids[i]);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = '\0';
			fclose(f);
		}
		printf("stuck %d %s %s\n", pids[i], role_of[i], wchan);
	}
	return alive ? 1 : 0;
}
