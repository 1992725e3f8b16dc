// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_pt_failnth: a fail-nth fault-injection sweep over one mdev-pt
 * operation, as the kernel's iommufd_fail_nth selftest does.
 *
 * For N = 1, 2, ...: write N to /proc/thread-self/fail-nth, run the
 * operation (one syscall), read fail-nth back.  0 means the N-th fault
 * site of this task fired (failslab or fail_page_alloc): the operation
 * must then have either failed with an errno and left no state behind,
 * or succeeded (the failed allocation was optional).  A non-zero value
 * means the operation ran through without reaching an N-th site: it must
 * have succeeded, and the sweep ends.  The sweep fails if it needs more
 * than MDEVPT_FAILNTH_MAX (400) iterations.
 *
 *   mdev_pt_failnth bind BDF          write BDF to drivers/mdev_pt/bind
 *                                     (driver_override already mdev_pt)
 *   mdev_pt_failnth create BDF TYPE   write a new UUID to TYPE's create
 *   mdev_pt_failnth open UUID         VFIO_GROUP_GET_DEVICE_FD
 *   mdev_pt_failnth irq UUID INDEX    VFIO_DEVICE_SET_IRQS, one eventfd
 *                                     trigger on INDEX ("custom": the
 *                                     first index past the PCI ones)
 *   mdev_pt_failnth mig UUID          MIG_DEVICE_STATE RUNNING -> STOP_COPY
 *   mdev_pt_failnth mig-v1 UUID       v1 region device_state := _SAVING
 *
 * What "no state behind" means per operation is checked after every
 * iteration, without injection: after a failed bind the function is
 * unbound, after a bind it offers its types (once its plugin autoload, if
 * on, is done: the parent registers from a work item then, beyond the
 * task's fault sites); after a failed create the
 * instance does not exist and available_instances is what it was; after
 * a failed open the device opens again; after a failed SET_IRQS the
 * trigger can be set and cleared; after a failed migration arc the device
 * is in a valid state and returns to RUNNING.
 *
 * Before each iteration a "mdevpt-test: failnth OP N=n" line goes to
 * /dev/kmsg, so a splat in the kernel log names its N.  It prints one line
 * per failing N ("# N=n: errno"), a summary ("# OP: n iterations, ...")
 * and exits 0, 1 on a violation, 4 if the kernel has no fail-nth.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/vfio.h>

#include "../lib/sysfs_util.h"
#include "../migration/mig_state.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"

static const char *op_name;
static int nth_fd = -1, kmsg_fd = -1;
static unsigned int errno_count[256];
static unsigned int nr_consumed_ok;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL %s: ", op_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void mark(unsigned int n)
{
	char buf[96];
	int len;

	if (kmsg_fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "mdevpt-test: failnth %s N=%u\n",
		       op_name, n);
	if (write(kmsg_fd, buf, len) < 0)
		kmsg_fd = -1;
}

/* Arm the N-th fault site: the last syscall before the operation. */
static void nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		die("arm fail-nth %u: %m", n);
}

/* Disarm; true if the armed fault fired. */
static bool nth_disarm(void)
{
	char buf[16] = "";
	ssize_t len;

	len = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (len < 1)
		die("read fail-nth: %m");
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		die("disarm fail-nth: %m");
	return strtoul(buf, NULL, 10) == 0;
}

/*
 * One sweep: @op runs the operation (0 or -errno), @check verifies the
 * state after it (@ret its result) and undoes a success.
 */
static void sweep(int (*op)(void *), void (*check)(void *, int), void *arg)
{
	unsigned int n, max = 400, i;
	const char *env = getenv("MDEVPT_FAILNTH_MAX");
	bool fired;
	int ret;

	if (env && *env)
		max = strtoul(env, NULL, 0);
	for (n = 1; ; n++) {
		if (n > max)
			die("no success without an injected fault within %u iterations",
			    max);
		mark(n);
		nth_arm(n);
		ret = op(arg);
		fired = nth_disarm();
		if (!fired && ret)
			die("N=%u: failed (%s) with no fault injected", n,
			    strerror(-ret));
		if (ret) {
			if (-ret >= 256)
				die("N=%u: errno %d out of range", n, -ret);
			errno_count[-ret]++;
			printf("# N=%u: %s\n", n, strerror(-ret));
		} else if (fired) {
			nr_consumed_ok++;
		}
		check(arg, ret);
		if (!fired)
			break;
	}
	printf("# %s: %u iterations (%u injected faults: %u succeeded anyway",
	       op_name, n, n - 1, nr_consumed_ok);
	for (i = 0; i < 256; i++)
		if (errno_count[i])
			printf(", %u %s", errno_count[i], strerror(i));
	printf(")\n");
}

/* --- sysfs ---------------------------------------------------------------- */

static bool exists(const char *fmt, const char *a, const char *b)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), fmt, a, b);
	return !stat(path, &st);
}

static long available(const char *bdf, const char *type)
{
	long n = type_available(bdf, type);

	if (n < 0)
		die("available_instances of %s on %s: %s", type, bdf,
		    strerror(-n));
	return n;
}

static void fresh_uuid(char *buf, size_t len)
{
	int ret = new_uuid(buf, len);

	if (ret)
		die("new uuid: %s", strerror(-ret));
}

/* --- bind ----------------------------------------------------------------- */

struct bind_arg {
	const char *bdf;
	int fd;				/* drivers/mdev_pt/bind */
	int unbind_fd;			/* drivers/mdev_pt/unbind */
};

static int bind_op(void *p)
{
	struct bind_arg *a = p;

	return write(a->fd, a->bdf, strlen(a->bdf)) < 0 ? -errno : 0;
}

/* Wait (up to 30 s) until the parent of @bdf registered, if it is to. */
static void autoload_settle(const char *bdf)
{
	int ret = pt_autoload_wait(bdf, 30000);

	if (ret)
		die("plugin autoload of %s: %s", bdf, strerror(-ret));
}

static void bind_check(void *p, int ret)
{
	struct bind_arg *a = p;
	bool bound = exists(PCI_SYSFS_PATH "/%s/driver%s", a->bdf, "");

	if (ret) {
		if (bound)
			die("bind failed (%s) but the function has a driver",
			    strerror(-ret));
		return;
	}
	if (!bound)
		die("bind succeeded but the function has no driver");
	autoload_settle(a->bdf);
	if (!exists(PCI_SYSFS_PATH "/%s/mdev_supported_types/%s", a->bdf,
		    "mdev_pt-passthrough"))
		die("bound without the mdev_pt-passthrough type");
	if (write(a->unbind_fd, a->bdf, strlen(a->bdf)) < 0)
		die("unbind: %m");
}

static void run_bind(const char *bdf)
{
	struct bind_arg a = { .bdf = bdf };
	int ret;

	if (exists(PCI_SYSFS_PATH "/%s/driver%s", bdf, ""))
		die("%s has a driver already", bdf);
	a.fd = open("/sys/bus/pci/drivers/mdev_pt/bind", O_WRONLY);
	a.unbind_fd = open("/sys/bus/pci/drivers/mdev_pt/unbind", O_WRONLY);
	if (a.fd < 0 || a.unbind_fd < 0)
		die("drivers/mdev_pt/{bind,unbind}: %m");
	sweep(bind_op, bind_check, &a);
	/* Leave it bound: the caller checks that the function is usable. */
	ret = sysfs_write("/sys/bus/pci/drivers/mdev_pt/bind", bdf);
	if (ret)
		die("final bind: %s", strerror(-ret));
	autoload_settle(bdf);
	close(a.fd);
	close(a.unbind_fd);
}

/* --- create --------------------------------------------------------------- */

struct create_arg {
	const char *bdf, *type;
	int fd;				/* the type's create */
	char uuid[40];
	long avail;
};

static int create_op(void *p)
{
	struct create_arg *a = p;

	return write(a->fd, a->uuid, strlen(a->uuid)) < 0 ? -errno : 0;
}

static void create_check(void *p, int ret)
{
	struct create_arg *a = p;
	long avail = available(a->bdf, a->type);
	bool there = exists(MDEV_SYSFS_PATH "/%s%s", a->uuid, "");

	if (ret) {
		if (there)
			die("create failed (%s) but %s exists", strerror(-ret),
			    a->uuid);
		if (avail != a->avail)
			die("create failed (%s): available_instances %ld, was %ld",
			    strerror(-ret), avail, a->avail);
	} else {
		if (!there)
			die("create succeeded but %s does not exist", a->uuid);
		if (avail != a->avail - 1)
			die("created: available_instances %ld, was %ld", avail,
			    a->avail);
		ret = mdev_remove(a->uuid);
		if (ret)
			die("remove %s: %s", a->uuid, strerror(-ret));
		if (available(a->bdf, a->type) != a->avail)
			die("removed: available_instances %ld, was %ld",
			    available(a->bdf, a->type), a->avail);
	}
	fresh_uuid(a->uuid, sizeof(a->uuid));
}

static void run_create(const char *bdf, const char *type)
{
	struct create_arg a = { .bdf = bdf, .type = type };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_SYSFS_PATH "/%s/mdev_supported_types/%s/create",
		 bdf, type);
	a.fd = open(path, O_WRONLY);
	if (a.fd < 0)
		die("%s: %m", path);
	a.avail = available(bdf, type);
	if (a.avail < 1)
		die("%s: no instance available", type);
	fresh_uuid(a.uuid, sizeof(a.uuid));
	sweep(create_op, create_check, &a);
	close(a.fd);
}

/* --- open ----------------------------------------------------------------- */

struct dev {
	const char *uuid;
	int container, group, fd;
	struct vfio_device_info info;
};

/* Container, group, TYPE1v2 (not swept: vfio's own paths). */
static void dev_group(struct dev *d, const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	d->uuid = uuid;
	d->fd = -1;
	snprintf(path, sizeof(path), MDEV_SYSFS_PATH "/%s/iommu_group", uuid);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		die("%s: %m", path);
	link[len] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	d->container = open("/dev/vfio/vfio", O_RDWR);
	d->group = open(path, O_RDWR);
	if (d->container < 0 || d->group < 0)
		die("open %s or /dev/vfio/vfio: %m", path);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) ||
	    ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("container setup: %m");
}

static int dev_open(struct dev *d)
{
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->uuid);
	return d->fd < 0 ? -errno : 0;
}

static void dev_open_checked(struct dev *d)
{
	if (dev_open(d))
		die("VFIO_GROUP_GET_DEVICE_FD(%s): %m", d->uuid);
	d->info.argsz = sizeof(d->info);
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &d->info))
		die("VFIO_DEVICE_GET_INFO: %m");
}

static int open_op(void *p)
{
	return dev_open(p);
}

static void open_check(void *p, int ret)
{
	struct dev *d = p;

	if (ret)
		dev_open_checked(d);	/* opens again */
	close(d->fd);
	d->fd = -1;
}

static void run_open(const char *uuid)
{
	struct dev d;

	dev_group(&d, uuid);
	sweep(open_op, open_check, &d);
}

/* --- SET_IRQS ------------------------------------------------------------- */

struct irq_arg {
	struct dev d;
	unsigned int index;
	int efd;
};

static int set_trigger(struct irq_arg *a, bool on)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} buf = {
		.s = {
			.argsz = sizeof(buf),
			.flags = (on ? VFIO_IRQ_SET_DATA_EVENTFD :
				  VFIO_IRQ_SET_DATA_NONE) |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = a->index,
			.start = 0,
			.count = on ? 1 : 0,
		},
		.fd = a->efd,
	};

	return ioctl(a->d.fd, VFIO_DEVICE_SET_IRQS, &buf) ? -errno : 0;
}

static int irq_op(void *p)
{
	return set_trigger(p, true);
}

static void irq_check(void *p, int ret)
{
	struct irq_arg *a = p;

	if (ret && set_trigger(a, true))
		die("SET_IRQS %u after a failed one: %m", a->index);
	if (set_trigger(a, false))
		die("SET_IRQS %u disable: %m", a->index);
}

static void run_irq(const char *uuid, const char *index)
{
	struct vfio_irq_info info = { .argsz = sizeof(info) };
	struct irq_arg a = {};

	dev_group(&a.d, uuid);
	dev_open_checked(&a.d);
	if (!strcmp(index, "custom")) {
		for (a.index = VFIO_PCI_NUM_IRQS; a.index < a.d.info.num_irqs;
		     a.index++) {
			info.index = a.index;
			if (!ioctl(a.d.fd, VFIO_DEVICE_GET_IRQ_INFO, &info) &&
			    info.count && (info.flags & VFIO_IRQ_INFO_EVENTFD))
				break;
		}
		if (a.index >= a.d.info.num_irqs)
			die("%s has no custom IRQ", uuid);
	} else {
		a.index = strtoul(index, NULL, 0);
	}
	a.efd = eventfd(0, EFD_CLOEXEC);
	if (a.efd < 0)
		die("eventfd: %m");
	sweep(irq_op, irq_check, &a);
	close(a.efd);
	close(a.d.fd);
}

/* --- migration ------------------------------------------------------------ */

struct mig_arg {
	struct dev d;
	int data_fd;
	/* v1 */
	uint64_t v1_state_off;
};

/* The v2 state; an error ends the sweep. */
static int mig_state(struct mig_arg *a)
{
	int state = mig_get(a->d.fd);

	if (state < 0)
		die("MIG_DEVICE_STATE get: %s", strerror(-state));
	return state;
}

static int mig_op(void *p)
{
	struct mig_arg *a = p;

	return mig_set(a->d.fd, VFIO_DEVICE_STATE_STOP_COPY, &a->data_fd);
}

static void mig_check(void *p, int ret)
{
	struct mig_arg *a = p;
	int state, err;

	if (!ret && a->data_fd < 0)
		die("STOP_COPY without a data fd");
	if (a->data_fd >= 0)
		close(a->data_fd);
	state = mig_state(a);
	if (ret && state != VFIO_DEVICE_STATE_RUNNING &&
	    state != VFIO_DEVICE_STATE_STOP && state != VFIO_DEVICE_STATE_ERROR)
		die("failed arc (%s) left state %d", strerror(-ret), state);
	if (!ret && state != VFIO_DEVICE_STATE_STOP_COPY)
		die("STOP_COPY succeeded, state is %d", state);
	if (state == VFIO_DEVICE_STATE_ERROR) {
		if (ioctl(a->d.fd, VFIO_DEVICE_RESET))
			die("reset from ERROR: %m");
	} else {
		err = mig_set(a->d.fd, VFIO_DEVICE_STATE_RUNNING, NULL);
		if (err)
			die("back to RUNNING: %s", strerror(-err));
	}
	if (mig_state(a) != VFIO_DEVICE_STATE_RUNNING)
		die("not RUNNING after recovery");
}

static void run_mig(const char *uuid)
{
	struct mig_arg a = {};

	dev_group(&a.d, uuid);
	dev_open_checked(&a.d);
	if (mig_state(&a) != VFIO_DEVICE_STATE_RUNNING)
		die("not RUNNING at open");
	sweep(mig_op, mig_check, &a);
	close(a.d.fd);
}

/* The v1 region: device_state is its first field. */
#define V1_RUNNING	VFIO_DEVICE_STATE_V1_RUNNING
#define V1_SAVING	VFIO_DEVICE_STATE_V1_SAVING

static int v1_rw(struct mig_arg *a, uint32_t *state, bool is_write)
{
	ssize_t n = is_write ? pwrite(a->d.fd, state, 4, a->v1_state_off) :
			       pread(a->d.fd, state, 4, a->v1_state_off);

	return n == 4 ? 0 : n < 0 ? -errno : -EIO;
}

static int v1_op(void *p)
{
	uint32_t state = V1_SAVING;

	return v1_rw(p, &state, true);
}

static void v1_check(void *p, int ret)
{
	struct mig_arg *a = p;
	uint32_t state;

	if (v1_rw(a, &state, false))
		die("v1 state read: %m");
	if (!ret && state != V1_SAVING)
		die("_SAVING written, state reads %#x", state);
	if (ret && state != V1_RUNNING && state != V1_SAVING &&
	    state != 0 && !VFIO_DEVICE_STATE_IS_ERROR(state))
		die("failed write (%s) left state %#x", strerror(-ret), state);
	if (VFIO_DEVICE_STATE_IS_ERROR(state) &&
	    ioctl(a->d.fd, VFIO_DEVICE_RESET))
		die("reset from the v1 error state: %m");
	state = V1_RUNNING;
	if (v1_rw(a, &state, true) || v1_rw(a, &state, false) ||
	    state != V1_RUNNING)
		die("v1 back to _RUNNING: %m (state %#x)", state);
}

static void run_mig_v1(const char *uuid)
{
	struct vfio_region_info_cap_type *type;
	struct vfio_info_cap_header *cap;
	struct mig_arg a = {};
	struct vfio_region_info *info;
	char buf[4096];
	unsigned int i, off;
	uint32_t state;

	dev_group(&a.d, uuid);
	dev_open_checked(&a.d);
	for (i = VFIO_PCI_NUM_REGIONS; i < a.d.info.num_regions; i++) {
		info = (struct vfio_region_info *)buf;
		memset(buf, 0, sizeof(buf));
		info->argsz = sizeof(buf);
		info->index = i;
		if (ioctl(a.d.fd, VFIO_DEVICE_GET_REGION_INFO, info) ||
		    !(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		type = NULL;
		for (off = info->cap_offset; off && off + sizeof(*type) <= sizeof(buf);
		     off = cap->next) {
			cap = (struct vfio_info_cap_header *)(buf + off);
			if (cap->id == VFIO_REGION_INFO_CAP_TYPE) {
				type = (struct vfio_region_info_cap_type *)cap;
				break;
			}
		}
		if (type && type->type == VFIO_REGION_TYPE_MIGRATION_DEPRECATED &&
		    type->subtype == VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED) {
			a.v1_state_off = info->offset;
			break;
		}
	}
	if (i >= a.d.info.num_regions)
		die("%s has no v1 migration region", uuid);
	if (v1_rw(&a, &state, false) || state != V1_RUNNING)
		die("v1 state at open: %#x", state);
	sweep(v1_op, v1_check, &a);
	close(a.d.fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s bind BDF | create BDF TYPE | open UUID | irq UUID INDEX|custom | mig UUID | mig-v1 UUID\n",
			argv[0]);
		return 2;
	}
	op_name = argv[1];
	nth_fd = open(FAIL_NTH, O_RDWR);
	if (nth_fd < 0) {
		printf("# %s: %m: the kernel has no CONFIG_FAULT_INJECTION\n",
		       FAIL_NTH);
		return 4;
	}
	kmsg_fd = open("/dev/kmsg", O_WRONLY);

	if (!strcmp(op_name, "bind"))
		run_bind(argv[2]);
	else if (!strcmp(op_name, "create") && argc > 3)
		run_create(argv[2], argv[3]);
	else if (!strcmp(op_name, "open"))
		run_open(argv[2]);
	else if (!strcmp(op_name, "irq") && argc > 3)
		run_irq(argv[2], argv[3]);
	else if (!strcmp(op_name, "mig"))
		run_mig(argv[2]);
	else if (!strcmp(op_name, "mig-v1"))
		run_mig_v1(argv[2]);
	else
		die("unknown operation or missing argument");
	return 0;
}
