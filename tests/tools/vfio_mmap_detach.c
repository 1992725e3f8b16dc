// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mmap_detach GROUP NAME SRIOV_NUMVFS: mmap() of an instance whose
 * controlling function is going away must not deadlock.  Regression test
 * for a lock inversion lockdep found on the debug kernel: mmap() waited for
 * the function's detach_sem (now the plugin gate, which never blocks its
 * users) while holding the caller's mmap_lock, and the other device calls
 * hold it across faults on user memory, which need mmap_lock.
 *
 * NAME is an instance of a plugin that depends on its PF (the sample
 * plugin), SRIOV_NUMVFS the PF's sriov_numvfs.  The program
 *  1. opens NAME in GROUP and starts VFIO_DEVICE_GET_INFO from a thread
 *     with its argument on a userfaultfd page: the call stops in the
 *     driver's copy_from_user(), inside the device call ("blocked");
 *  2. forks a child that writes 0 to SRIOV_NUMVFS and waits until the
 *     child sits in mdev_pt_gate_close() (a frame of /proc/PID/stack),
 *     waiting for the in-flight call ("writer");
 *  3. calls mmap() on the device from another thread and prints its result
 *     ("mmap ENOTCONN" expected; "mmap blocked" if it does not return
 *     within 20 s, the deadlock);
 *  4. resolves the fault and prints the GET_INFO result ("get_info OK"),
 *     closes the device ("closed") and prints the child's result
 *     ("numvfs OK").
 * Errors print the failed step and errno.  Exit status 0 when every step
 * ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/userfaultfd.h>
#include <linux/vfio.h>

#include "vfio_tool.h"
#include "../lib/sysfs_util.h"

static int device = -1;
static void *uffd_page;
static int ioctl_ret, ioctl_errno;
static int mmap_errno, mmap_pipe[2];

static void *ioctl_thread(void *arg)
{
	(void)arg;
	ioctl_ret = ioctl(device, VFIO_DEVICE_GET_INFO, uffd_page);
	ioctl_errno = errno;
	return NULL;
}

static void *mmap_thread(void *arg)
{
	void *p;

	(void)arg;
	/*
	 * Any region: the core decides about a detached instance before the
	 * region is looked at.
	 */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, device, 0);
	mmap_errno = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED)
		munmap(p, 4096);
	if (write(mmap_pipe[1], "x", 1) != 1)
		abort();
	return NULL;
}

/*
 * The child writing sriov_numvfs must not hold the device open: the VF's
 * removal waits for every file of it to be closed.
 */
static pid_t disable_sriov(const char *numvfs, const int *fds, int nfds)
{
	pid_t child = fork();
	int fd, i;

	if (child)
		return child;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	fd = open(numvfs, O_WRONLY);
	_exit(fd < 0 || write(fd, "0", 1) != 1 ? 1 : 0);
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct vfio_device_info *info;
	struct uffdio_copy copy = {};
	pthread_t ioctl_tid, mmap_tid;
	struct vfio_tool_dev d;
	const char *step;
	int uffd, i, status;
	struct pollfd pfd;
	struct uffd_msg msg;
	char path[64];
	void *src;
	pid_t child;

	if (argc != 4) {
		fprintf(stderr, "usage: %s GROUP NAME SRIOV_NUMVFS\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	step = vfio_tool_open(&d, argv[1], argv[2]);
	if (step)
		return vfio_tool_fail(step);
	device = d.device;

	/* 1. A device call stopped inside the driver. */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return vfio_tool_fail("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		return vfio_tool_fail("uffdio_api");
	uffd_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (uffd_page == MAP_FAILED)
		return vfio_tool_fail("mmap_uffd_page");
	reg.range.start = (unsigned long)uffd_page;
	reg.range.len = 4096;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return vfio_tool_fail("uffdio_register");
	if (pthread_create(&ioctl_tid, NULL, ioctl_thread, NULL))
		return vfio_tool_fail("ioctl_thread");
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	if (poll(&pfd, 1, 30000) != 1 || read(uffd, &msg, sizeof(msg)) !=
	    sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
		return vfio_tool_fail("no_fault");
	printf("blocked\n");

	/* 2. The controlling function goes; its notice waits for the call. */
	child = disable_sriov(argv[3],
			      (int[]){ d.device, d.group, d.container, uffd }, 4);
	if (child < 0)
		return vfio_tool_fail("fork");
	/*
	 * It waits in mdev_pt_gate_close() (under synchronize_srcu()) for
	 * the call in flight to leave the plugin gate.
	 */
	snprintf(path, sizeof(path), "/proc/%d/stack", child);
	for (i = 0; i < 600 && !proc_stack_has(path, "mdev_pt_gate_close");
	     i++)
		usleep(100000);
	if (i == 600) {
		printf("writer not seen in %s\n", path);
		return 1;
	}
	printf("writer\n");

	/* 3. mmap() must not wait. */
	if (pipe(mmap_pipe))
		return vfio_tool_fail("pipe");
	if (pthread_create(&mmap_tid, NULL, mmap_thread, NULL))
		return vfio_tool_fail("mmap_thread");
	pfd = (struct pollfd){ .fd = mmap_pipe[0], .events = POLLIN };
	if (poll(&pfd, 1, 20000) != 1) {
		/* Deadlocked: nothing below could finish. */
		printf("mmap blocked\n");
		return 1;
	}
	pthread_join(mmap_tid, NULL);
	printf("mmap %s\n", mmap_errno ? strerrorname_np(mmap_errno) : "OK");

	/* 4. Let the call finish, close, and the PF's VFs go. */
	src = aligned_alloc(4096, 4096);
	if (!src)
		return vfio_tool_fail("alloc");
	memset(src, 0, 4096);
	info = src;
	info->argsz = sizeof(*info);
	copy.dst = (unsigned long)uffd_page;
	copy.src = (unsigned long)src;
	copy.len = 4096;
	if (ioctl(uffd, UFFDIO_COPY, &copy))
		return vfio_tool_fail("uffdio_copy");
	pthread_join(ioctl_tid, NULL);
	printf("get_info %s\n",
	       ioctl_ret ? strerrorname_np(ioctl_errno) : "OK");
	vfio_tool_close(&d);
	printf("closed\n");
	if (waitpid(child, &status, 0) != child)
		return vfio_tool_fail("waitpid");
	printf("numvfs %s\n", WIFEXITED(status) && !WEXITSTATUS(status) ?
	       "OK" : "failed");
	return 0;
}
