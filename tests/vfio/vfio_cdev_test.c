// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO device cdev (/dev/vfio/devices/vfioN, CONFIG_VFIO_DEVICE_CDEV) of
 * an mdev-pt instance, used through iommufd as QEMU's iommufd backend uses
 * it with sysfsdev=/sys/bus/mdev/devices/<uuid>:
 *  - the instance's vfio-dev/ directory holds one link, vfioN, to the
 *    function's vfio device, whose dev attribute names the char device;
 *  - VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_ALLOC,
 *    VFIO_DEVICE_ATTACH_IOMMUFD_PT and IOMMU_IOAS_MAP, then an edu DMA
 *    round trip through that IOAS;
 *  - the bind fails without an instance (ENODEV) and while the group path
 *    has the group open (EBUSY); the group does not open while the cdev is
 *    bound (EBUSY);
 *  - the VF token: the bind of the supported kernels carries none, so a
 *    bind that would need one fails (EACCES): a VF's whose PF is on
 *    mdev_pt, and the PF's while one of its VFs is open.
 *
 * Environment: MDEVPT_UUID, an instance on an edu device (fixture "cdev");
 * MDEVPT_PF_UUID and MDEVPT_VF_UUID, instances on an SR-IOV PF bound to
 * mdev_pt and on one of its VFs (fixture "token").  Every test SKIPs on a
 * kernel without the VFIO cdev, such as Debian's 6.1 and 6.12.
 *
 * Careful: QEMU 7.2 aborts the whole VM on an edu DMA whose device-side
 * range leaves 0x40000..0x40ffe, so the transfers stay inside it.
 */

#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vfio_test_util.h"
#include "edu_regs.h"
#include "../lib/sysfs_util.h"

/* The iommufd uAPI (6.6 and later), from the 6.12 source: see tests.mk. */
#include <linux/iommufd.h>

#define DMA_TIMEOUT_MS		10000
#define IOVA_SRC		0x300000ULL	/* below the 28-bit DMA mask */
#define IOVA_DST		0x400000ULL

/* snprintf() into array @buf, asserting that it fits. */
#define FMT(buf, ...) \
	ASSERT_GT((int)sizeof(buf), snprintf(buf, sizeof(buf), __VA_ARGS__))

static bool have_cdev(void)
{
	return access("/dev/vfio/devices", F_OK) == 0;
}

/*
 * The char device of the VFIO device under sysfs directory @dir, found the
 * way QEMU's iommufd backend finds it: the first entry named vfio* in
 * @dir/vfio-dev, whose "dev" attribute holds MAJOR:MINOR, and
 * /dev/vfio/devices/ of the same name.  0 or -errno.
 */
static int cdev_lookup(const char *dir, char *node, size_t len, dev_t *devt)
{
	char path[PATH_MAX], val[32];
	unsigned int maj, min;
	struct dirent *d;
	int ret = -ENOENT;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/vfio-dev", dir);
	dp = opendir(path);
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "%s/vfio-dev/%s/dev", dir,
			 d->d_name);
		ret = sysfs_read(path, val, sizeof(val));
		if (!ret && sscanf(val, "%u:%u", &maj, &min) != 2)
			ret = -EINVAL;
		if (!ret) {
			*devt = makedev(maj, min);
			snprintf(node, len, "/dev/vfio/devices/%s", d->d_name);
		}
		break;
	}
	closedir(dp);
	return ret;
}

/* Bind the cdev fd @fd to @iommufd: 0 or -errno. */
static int cdev_bind(int fd, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	return ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ? -errno : 0;
}

/* Open the cdev of instance @uuid and bind it: the fd, or -errno. */
static int cdev_open_bind(const char *uuid, int iommufd)
{
	char dir[PATH_MAX], node[PATH_MAX];
	dev_t devt;
	int fd, ret;

	snprintf(dir, sizeof(dir), "%s/%s", MDEV_SYSFS_PATH, uuid);
	ret = cdev_lookup(dir, node, sizeof(node), &devt);
	if (ret)
		return ret;
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = cdev_bind(fd, iommufd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static void region(struct __test_metadata *_metadata, int fd, uint32_t index,
		   struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info))
		TH_LOG("GET_REGION_INFO(%u): %m", index);
}

static uint32_t rd(struct __test_metadata *_metadata, int fd, uint64_t off,
		   unsigned int size)
{
	uint32_t val = 0;

	ASSERT_EQ((ssize_t)size, pread(fd, &val, size, off))
		TH_LOG("read of %u bytes at 0x%llx: %m", size,
		       (unsigned long long)off);
	return val;
}

static void wr(struct __test_metadata *_metadata, int fd, uint64_t off,
	       unsigned int size, uint32_t val)
{
	ASSERT_EQ((ssize_t)size, pwrite(fd, &val, size, off))
		TH_LOG("write of %u bytes at 0x%llx: %m", size,
		       (unsigned long long)off);
}

/* Wait until the DMA start bit of the edu at BAR0 offset @bar0 clears. */
static bool edu_dma_idle(struct __test_metadata *_metadata, int fd,
			 uint64_t bar0)
{
	uint64_t deadline = now_ms() + DMA_TIMEOUT_MS;

	do {
		if (!(rd(_metadata, fd, bar0 + EDU_REG_DMA_CMD, 4) &
		      EDU_DMA_START))
			return true;
		usleep(1000);
	} while (now_ms() < deadline);
	return false;
}

static void edu_dma(struct __test_metadata *_metadata, int fd, uint64_t bar0,
		    uint64_t src, uint64_t dst, uint32_t count, uint32_t cmd)
{
	ASSERT_TRUE(edu_dma_idle(_metadata, fd, bar0));
	wr(_metadata, fd, bar0 + EDU_REG_DMA_SRC, 4, (uint32_t)src);
	wr(_metadata, fd, bar0 + EDU_REG_DMA_DST, 4, (uint32_t)dst);
	wr(_metadata, fd, bar0 + EDU_REG_DMA_COUNT, 4, count);
	wr(_metadata, fd, bar0 + EDU_REG_DMA_CMD, 4, cmd | EDU_DMA_START);
	ASSERT_TRUE(edu_dma_idle(_metadata, fd, bar0))
		TH_LOG("DMA not done after %d ms", DMA_TIMEOUT_MS);
}

static void ioas_map(struct __test_metadata *_metadata, int iommufd,
		     uint32_t ioas, void *va, size_t len, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	ASSERT_EQ(0, ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		TH_LOG("IOAS_MAP at 0x%llx: %m", (unsigned long long)iova);
	ASSERT_EQ(iova, map.iova);
}

static void ioas_unmap(struct __test_metadata *_metadata, int iommufd,
		       uint32_t ioas, size_t len, uint64_t iova)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	ASSERT_EQ(0, ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
		TH_LOG("IOAS_UNMAP at 0x%llx: %m", (unsigned long long)iova);
	ASSERT_EQ((uint64_t)len, unmap.length);
}

FIXTURE(cdev) {
	struct vfio_test_device grp;	/* the group path, when a test uses it */
	char type[NAME_MAX + 1];	/* the instance's type, to create it again */
	char node[PATH_MAX];
	dev_t devt;
	int iommufd;
	int fd;
};

FIXTURE_SETUP(cdev)
{
	char path[PATH_MAX], real[PATH_MAX];
	int ret;

	self->iommufd = -1;
	self->fd = -1;
	vfio_test_device_init(&self->grp);
	if (!have_cdev())
		SKIP(return, "no /dev/vfio/devices: the kernel has no VFIO cdev");
	if (!vfio_test_get_target(_metadata, &self->grp.target) ||
	    !self->grp.target.is_mdev)
		SKIP(return, "set MDEVPT_UUID to an instance on an edu device");

	FMT(path, "%s/mdev_type", self->grp.target.sysfs);
	ASSERT_NE(NULL, realpath(path, real)) TH_LOG("%s: %m", path);
	str_set(_metadata, self->type, sizeof(self->type), basename(real));

	ret = cdev_lookup(self->grp.target.sysfs, self->node,
			  sizeof(self->node), &self->devt);
	ASSERT_EQ(0, ret)
		TH_LOG("no vfio-dev/vfio* with a dev attribute under %s: %s",
		       self->grp.target.sysfs, strerror(-ret));

	self->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->iommufd) TH_LOG("/dev/iommu: %m");
}

FIXTURE_TEARDOWN(cdev)
{
	const struct vfio_test_target *t = &self->grp.target;

	if (self->fd >= 0)
		close(self->fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	vfio_test_close(&self->grp);
	/* A test that failed with the instance removed puts it back. */
	if (self->type[0] && !mdev_exists(t->name))
		mdev_create(t->pci_bdf, self->type, t->name);
}

/* The instance leads to the function's vfio device and its char device. */
TEST_F(cdev, sysfs_entry)
{
	const char *name = strrchr(self->node, '/') + 1;
	char dir[PATH_MAX], path[PATH_MAX];
	char mine[PATH_MAX], fns[PATH_MAX];
	struct dirent *d;
	struct stat st;
	int entries = 0;
	DIR *dp;

	FMT(dir, "%s/vfio-dev", self->grp.target.sysfs);
	dp = opendir(dir);
	ASSERT_NE(NULL, dp) TH_LOG("%s: %m", dir);
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.')
			entries++;
	closedir(dp);
	ASSERT_EQ(1, entries) TH_LOG("%s has %d entries", dir, entries);

	FMT(path, "%s/%s", dir, name);
	ASSERT_NE(NULL, realpath(path, mine)) TH_LOG("%s: %m", path);
	FMT(path, "%s/%s/vfio-dev/%s", PCI_SYSFS_PATH,
	    self->grp.target.pci_bdf, name);
	ASSERT_NE(NULL, realpath(path, fns)) TH_LOG("%s: %m", path);
	ASSERT_STREQ(fns, mine);

	ASSERT_EQ(0, stat(self->node, &st)) TH_LOG("%s: %m", self->node);
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(self->devt, st.st_rdev);
}

/* What QEMU's iommufd backend does, then a DMA through the IOAS. */
TEST_F_TIMEOUT(cdev, bind_attach_dma, 90)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info cfg, bar0;
	size_t len = getpagesize();
	uint8_t *src, *dst;
	unsigned int i, seed;
	uint16_t cmd;

	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %m", self->node);
	/* Nothing but the bind works before the bind. */
	ASSERT_NE(0, ioctl(self->fd, VFIO_DEVICE_GET_INFO, &info));

	ASSERT_EQ(0, cdev_bind(self->fd, self->iommufd))
		TH_LOG("BIND_IOMMUFD: %m");
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		TH_LOG("IOAS_ALLOC: %m");
	attach.pt_id = alloc.out_ioas_id;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		TH_LOG("ATTACH_IOMMUFD_PT: %m");

	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_FLAGS(info.flags, VFIO_DEVICE_FLAGS_PCI);
	region(_metadata, self->fd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	/* Never program DMA into something that is not an edu. */
	ASSERT_EQ(EDU_VENDOR_ID | EDU_DEVICE_ID << 16,
		  rd(_metadata, self->fd, cfg.offset + PCI_VENDOR_ID, 4));
	region(_metadata, self->fd, VFIO_PCI_BAR0_REGION_INDEX, &bar0);
	ASSERT_EQ(EDU_BAR0_SIZE, bar0.size);

	ASSERT_LE((size_t)EDU_DMA_MAX + 1, len);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	seed = (unsigned int)(now_ms() ^ getpid());
	srand(seed);
	for (i = 0; i < len; i++) {
		src[i] = rand();
		dst[i] = ~src[i];
	}
	ioas_map(_metadata, self->iommufd, alloc.out_ioas_id, src, len,
		 IOVA_SRC);
	ioas_map(_metadata, self->iommufd, alloc.out_ioas_id, dst, len,
		 IOVA_DST);

	cmd = rd(_metadata, self->fd, cfg.offset + PCI_COMMAND, 2);
	wr(_metadata, self->fd, cfg.offset + PCI_COMMAND, 2,
	   cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(EDU_ID_VALUE,
		  rd(_metadata, self->fd, bar0.offset + EDU_REG_ID, 4));

	/* RAM -> device buffer, then device buffer -> the other page. */
	edu_dma(_metadata, self->fd, bar0.offset, IOVA_SRC, EDU_DMA_BUF,
		EDU_DMA_MAX, 0);
	edu_dma(_metadata, self->fd, bar0.offset, EDU_DMA_BUF, IOVA_DST,
		EDU_DMA_MAX, EDU_DMA_TO_RAM);
	for (i = 0; i < EDU_DMA_MAX; i++)
		if (dst[i] != src[i])
			break;
	ASSERT_EQ(EDU_DMA_MAX, i)
		TH_LOG("seed %u: byte %u is 0x%02x, expected 0x%02x",
		       seed, i, dst[i], src[i]);
	ASSERT_EQ((uint8_t)~src[EDU_DMA_MAX], dst[EDU_DMA_MAX]);

	wr(_metadata, self->fd, cfg.offset + PCI_COMMAND, 2, cmd);
	ioas_unmap(_metadata, self->iommufd, alloc.out_ioas_id, len, IOVA_SRC);
	ioas_unmap(_metadata, self->iommufd, alloc.out_ioas_id, len, IOVA_DST);
	munmap(src, len);
	munmap(dst, len);
}

/*
 * The cdev is the function's and stays, but only an instance lets it be
 * bound; the instance created again links it again.
 */
TEST_F_TIMEOUT(cdev, bind_needs_instance, 60)
{
	const struct vfio_test_target *t = &self->grp.target;
	char node[PATH_MAX];
	dev_t devt;

	ASSERT_EQ(0, mdev_remove(t->name));
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %m", self->node);
	ASSERT_EQ(-ENODEV, cdev_bind(self->fd, self->iommufd));
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, mdev_create(t->pci_bdf, self->type, t->name));
	ASSERT_EQ(0, cdev_lookup(t->sysfs, node, sizeof(node), &devt));
	ASSERT_STREQ(self->node, node);
	ASSERT_EQ(self->devt, devt);
	self->fd = cdev_open_bind(t->name, self->iommufd);
	ASSERT_LE(0, self->fd) TH_LOG("bind: %s", strerror(-self->fd));
}

/* The group path holds the group: no cdev bind until it lets go. */
TEST_F(cdev, group_excludes_cdev)
{
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %m", self->node);

	vfio_test_open(_metadata, &self->grp);
	ASSERT_EQ(-EBUSY, cdev_bind(self->fd, self->iommufd));

	/* The group open without the device is enough. */
	close(self->grp.fd);
	self->grp.fd = -1;
	ASSERT_EQ(-EBUSY, cdev_bind(self->fd, self->iommufd));

	vfio_test_close(&self->grp);
	ASSERT_EQ(0, cdev_bind(self->fd, self->iommufd)) TH_LOG("%m");
}

/* A bound cdev holds the group: it does not open until the cdev closes. */
TEST_F(cdev, cdev_excludes_group)
{
	char path[64];
	int fd;

	self->fd = cdev_open_bind(self->grp.target.name, self->iommufd);
	ASSERT_LE(0, self->fd) TH_LOG("bind: %s", strerror(-self->fd));

	snprintf(path, sizeof(path), "/dev/vfio/%d", self->grp.target.group_id);
	fd = open(path, O_RDWR);
	ASSERT_GT(0, fd) TH_LOG("%s opened while the cdev is bound", path);
	ASSERT_EQ(EBUSY, errno);

	close(self->fd);
	self->fd = -1;
	vfio_test_open(_metadata, &self->grp);
}

/* The VF token: an SR-IOV PF bound to mdev_pt and one of its VFs. */

/* A group of its own container, as vfio_vf_token_test opens one. */
static int token_group(struct __test_metadata *_metadata, const char *uuid,
		       int *container)
{
	char dir[PATH_MAX], path[64];
	int id, group;

	snprintf(dir, sizeof(dir), "%s/%s", MDEV_SYSFS_PATH, uuid);
	id = sysfs_iommu_group(dir);
	ASSERT_LE(0, id) TH_LOG("%s/iommu_group: %s", dir, strerror(-id));
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	group = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, group) TH_LOG("%s: %m", path);
	*container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, *container) TH_LOG("/dev/vfio/vfio: %m");
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_SET_CONTAINER, container));
	ASSERT_EQ(0, ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	return group;
}

FIXTURE(token) {
	const char *pf_uuid, *vf_uuid;
	char token[40];
	int iommufd;
	int pf_fd, vf_fd;		/* cdev or group path device fds */
	int vf_group, vf_container;
};

FIXTURE_SETUP(token)
{
	self->iommufd = -1;
	self->pf_fd = self->vf_fd = -1;
	self->vf_group = self->vf_container = -1;
	if (!have_cdev())
		SKIP(return, "no /dev/vfio/devices: the kernel has no VFIO cdev");
	self->pf_uuid = getenv("MDEVPT_PF_UUID");
	self->vf_uuid = getenv("MDEVPT_VF_UUID");
	if (!self->pf_uuid || !self->vf_uuid)
		SKIP(return, "set MDEVPT_PF_UUID and MDEVPT_VF_UUID");
	ASSERT_EQ(0, new_uuid(self->token, sizeof(self->token)));
	self->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->iommufd) TH_LOG("/dev/iommu: %m");
}

FIXTURE_TEARDOWN(token)
{
	if (self->vf_fd >= 0)
		close(self->vf_fd);
	if (self->vf_group >= 0)
		close(self->vf_group);
	if (self->vf_container >= 0)
		close(self->vf_container);
	if (self->pf_fd >= 0)
		close(self->pf_fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

/* A VF whose PF is on mdev_pt needs a token: its cdev bind has none. */
TEST_F(token, vf_bind_refused)
{
	ASSERT_EQ(-EACCES, cdev_open_bind(self->vf_uuid, self->iommufd));
}

/*
 * The PF's user may use the cdev and set the token there; the VF then
 * opens through its group with that token.
 */
TEST_F(token, pf_cdev_sets_token)
{
	char name[128];

	self->pf_fd = cdev_open_bind(self->pf_uuid, self->iommufd);
	ASSERT_LE(0, self->pf_fd) TH_LOG("PF bind: %s", strerror(-self->pf_fd));
	ASSERT_EQ(0, vfio_test_set_vf_token(self->pf_fd, self->token));

	self->vf_group = token_group(_metadata, self->vf_uuid,
				     &self->vf_container);
	snprintf(name, sizeof(name), "%s vf_token=%s", self->vf_uuid,
		 self->token);
	self->vf_fd = ioctl(self->vf_group, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, self->vf_fd) TH_LOG("VF open with the token: %m");
}

/*
 * While a VF is open, the group path opens the PF only with the token;
 * the cdev, which cannot pass one, not at all until the VF is closed.
 */
TEST_F(token, pf_bind_refused_while_vf_open)
{
	char name[128];
	int container, group;

	group = token_group(_metadata, self->pf_uuid, &container);
	self->pf_fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, self->pf_uuid);
	ASSERT_LE(0, self->pf_fd) TH_LOG("PF open: %m");
	ASSERT_EQ(0, vfio_test_set_vf_token(self->pf_fd, self->token));

	self->vf_group = token_group(_metadata, self->vf_uuid,
				     &self->vf_container);
	snprintf(name, sizeof(name), "%s vf_token=%s", self->vf_uuid,
		 self->token);
	self->vf_fd = ioctl(self->vf_group, VFIO_GROUP_GET_DEVICE_FD, name);
	ASSERT_LE(0, self->vf_fd) TH_LOG("VF open with the token: %m");

	close(self->pf_fd);
	self->pf_fd = -1;
	close(group);
	close(container);

	ASSERT_EQ(-EACCES, cdev_open_bind(self->pf_uuid, self->iommufd));

	close(self->vf_fd);
	self->vf_fd = -1;
	self->pf_fd = cdev_open_bind(self->pf_uuid, self->iommufd);
	ASSERT_LE(0, self->pf_fd)
		TH_LOG("PF bind with no VF open: %s", strerror(-self->pf_fd));
}

TEST_HARNESS_MAIN
