// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VF token through mdev-pt instances, with vfio-pci's rules: a PF bound
 * to mdev_pt with SR-IOV enabled (its VFs bound to mdev_pt too), one
 * instance on the PF (MDEVPT_PF_UUID) and one on a VF (MDEVPT_VF_UUID).
 * Devices are opened by VFIO_GROUP_GET_DEVICE_FD with "UUID" or
 * "UUID vf_token=<uuid>":
 *  - a VF needs the token the PF's user set (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN
 *    or the PF's own open name); missing or wrong: EACCES;
 *  - malformed or unknown options: EINVAL; anything but a space after the
 *    UUID does not name the device: ENODEV;
 *  - while a VF is open, the PF can be opened again only with the token.
 */

#include "harness.h"

#include "vfio_test_util.h"
#include "../lib/sysfs_util.h"

/* A group attached to a container of its own. */
struct token_group {
	int container;
	int group;
};

static void token_group_open(struct __test_metadata *_metadata,
			     struct token_group *tg, const char *uuid)
{
	char dir[PATH_MAX], path[64];
	int id;

	snprintf(dir, sizeof(dir), "%s/%s", MDEV_SYSFS_PATH, uuid);
	id = sysfs_iommu_group(dir);
	ASSERT_LE(0, id) TH_LOG("%s/iommu_group: %s", dir, strerror(-id));

	tg->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, tg->container) TH_LOG("/dev/vfio/vfio: %m");
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	tg->group = open(path, O_RDWR);
	ASSERT_LE(0, tg->group) TH_LOG("%s: %m", path);
	ASSERT_EQ(0, ioctl(tg->group, VFIO_GROUP_SET_CONTAINER, &tg->container));
	ASSERT_EQ(0, ioctl(tg->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
}

static void token_group_close(struct token_group *tg)
{
	if (tg->group >= 0)
		close(tg->group);
	if (tg->container >= 0)
		close(tg->container);
}

/* The device fd for "@uuid@opts", or -errno. */
static int get_fd(struct token_group *tg, const char *uuid, const char *opts)
{
	char name[256];
	int fd;

	snprintf(name, sizeof(name), "%s%s", uuid, opts);
	fd = ioctl(tg->group, VFIO_GROUP_GET_DEVICE_FD, name);
	return fd < 0 ? -errno : fd;
}

/* The vendor ID in config space, through the device fd. */
static int read_vendor(int fd)
{
	struct vfio_region_info reg = {
		.argsz = sizeof(reg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t vendor;

	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	if (pread(fd, &vendor, sizeof(vendor), reg.offset) != sizeof(vendor))
		return -errno;
	return vendor;
}

FIXTURE(token) {
	const char *pf_uuid, *vf_uuid;
	struct token_group pf, vf;
	int pf_fd;
	char token[40], other[40], opt[64], bad_opt[64];
};

FIXTURE_SETUP(token)
{
	self->pf.group = self->pf.container = -1;
	self->vf.group = self->vf.container = -1;
	self->pf_fd = -1;
	self->pf_uuid = getenv("MDEVPT_PF_UUID");
	self->vf_uuid = getenv("MDEVPT_VF_UUID");
	if (!self->pf_uuid || !self->vf_uuid)
		SKIP(return, "set MDEVPT_PF_UUID and MDEVPT_VF_UUID");

	ASSERT_EQ(0, new_uuid(self->token, sizeof(self->token)));
	ASSERT_EQ(0, new_uuid(self->other, sizeof(self->other)));
	snprintf(self->opt, sizeof(self->opt), " vf_token=%s", self->token);
	snprintf(self->bad_opt, sizeof(self->bad_opt), " vf_token=%s",
		 self->other);

	token_group_open(_metadata, &self->pf, self->pf_uuid);
	token_group_open(_metadata, &self->vf, self->vf_uuid);

	/* No VF is in use: the PF opens without a token and sets one. */
	self->pf_fd = get_fd(&self->pf, self->pf_uuid, "");
	ASSERT_LE(0, self->pf_fd) TH_LOG("open PF: %s", strerror(-self->pf_fd));
	ASSERT_EQ(0, vfio_test_set_vf_token(self->pf_fd, self->token));
}

FIXTURE_TEARDOWN(token)
{
	if (self->pf_fd >= 0)
		close(self->pf_fd);
	token_group_close(&self->vf);
	token_group_close(&self->pf);
}

TEST_F(token, vf_without_token_refused)
{
	ASSERT_EQ(-EACCES, get_fd(&self->vf, self->vf_uuid, ""));
}

TEST_F(token, vf_with_wrong_token_refused)
{
	ASSERT_EQ(-EACCES, get_fd(&self->vf, self->vf_uuid, self->bad_opt));
}

TEST_F(token, vf_bad_options_refused)
{
	char opt[128];

	ASSERT_EQ(-EINVAL, get_fd(&self->vf, self->vf_uuid,
				  " vf_token=not-a-uuid-at-all-not-a-uuid-at"));
	ASSERT_EQ(-EINVAL, get_fd(&self->vf, self->vf_uuid, " vf_token=1234"));
	ASSERT_EQ(-EINVAL, get_fd(&self->vf, self->vf_uuid, " foo=bar"));
	snprintf(opt, sizeof(opt), "%s%s", self->opt, self->opt);
	ASSERT_EQ(-EINVAL, get_fd(&self->vf, self->vf_uuid, opt));
	/* Not separated by a space: some other name. */
	ASSERT_EQ(-ENODEV, get_fd(&self->vf, self->vf_uuid, "vf_token=x"));
}

TEST_F(token, vf_with_token_opens)
{
	char opt[128];
	int fd;

	fd = get_fd(&self->vf, self->vf_uuid, self->opt);
	ASSERT_LE(0, fd) TH_LOG("open VF with the token: %s", strerror(-fd));
	ASSERT_EQ(0x1b36, read_vendor(fd));
	close(fd);

	/* Extra spaces are allowed, as with vfio-pci. */
	snprintf(opt, sizeof(opt), "  vf_token=%s ", self->token);
	fd = get_fd(&self->vf, self->vf_uuid, opt);
	ASSERT_LE(0, fd) TH_LOG("open VF with spaces: %s", strerror(-fd));
	close(fd);
}

/* A new token set by the PF's user takes effect at once. */
TEST_F(token, vf_follows_new_token)
{
	int fd;

	ASSERT_EQ(0, vfio_test_set_vf_token(self->pf_fd, self->other));
	ASSERT_EQ(-EACCES, get_fd(&self->vf, self->vf_uuid, self->opt));
	fd = get_fd(&self->vf, self->vf_uuid, self->bad_opt);
	ASSERT_LE(0, fd) TH_LOG("open VF with the new token: %s",
				strerror(-fd));
	close(fd);
}

/* While a VF is in use, a new PF user must prove it knows the token. */
TEST_F(token, pf_reopen_needs_token_while_vf_open)
{
	int vf_fd, fd;

	vf_fd = get_fd(&self->vf, self->vf_uuid, self->opt);
	ASSERT_LE(0, vf_fd) TH_LOG("open VF: %s", strerror(-vf_fd));
	close(self->pf_fd);
	self->pf_fd = -1;

	ASSERT_EQ(-EACCES, get_fd(&self->pf, self->pf_uuid, ""));
	ASSERT_EQ(-EACCES, get_fd(&self->pf, self->pf_uuid, self->bad_opt));
	fd = get_fd(&self->pf, self->pf_uuid, self->opt);
	ASSERT_LE(0, fd) TH_LOG("reopen PF with the token: %s", strerror(-fd));
	ASSERT_EQ(0x1b36, read_vendor(fd));
	close(fd);
	close(vf_fd);

	/* No VF in use any more: no token needed. */
	fd = get_fd(&self->pf, self->pf_uuid, "");
	ASSERT_LE(0, fd) TH_LOG("reopen PF: %s", strerror(-fd));
	close(fd);
}

/* With no VF in use, the token in the PF's open name sets the token. */
TEST_F(token, pf_open_name_sets_token)
{
	int fd;

	close(self->pf_fd);
	fd = get_fd(&self->pf, self->pf_uuid, self->bad_opt);
	self->pf_fd = fd;
	ASSERT_LE(0, fd) TH_LOG("open PF with a token: %s", strerror(-fd));

	ASSERT_EQ(-EACCES, get_fd(&self->vf, self->vf_uuid, self->opt));
	fd = get_fd(&self->vf, self->vf_uuid, self->bad_opt);
	ASSERT_LE(0, fd) TH_LOG("open VF with the PF's new token: %s",
				strerror(-fd));
	close(fd);
}

/* The token can be set but never read back (it may be another user's). */
TEST_F(token, token_is_write_only)
{
	struct {
		struct vfio_device_feature hdr;
		unsigned char uuid[16];
	} feat = {
		.hdr.argsz = sizeof(feat),
		.hdr.flags = VFIO_DEVICE_FEATURE_PROBE |
			     VFIO_DEVICE_FEATURE_SET |
			     VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
	};

	ASSERT_EQ(0, ioctl(self->pf_fd, VFIO_DEVICE_FEATURE, &feat));
	feat.hdr.flags = VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	ASSERT_EQ(-1, ioctl(self->pf_fd, VFIO_DEVICE_FEATURE, &feat));
	ASSERT_EQ(EINVAL, errno);
}

/* The PF's name with the token, as vfio-pci would take it, is no name here. */
TEST_F(token, bdf_names_refused)
{
	char opt[128];
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/..", MDEV_SYSFS_PATH, self->vf_uuid);
	ASSERT_NE(NULL, realpath(path, real));
	snprintf(opt, sizeof(opt), "%s", self->opt);
	ASSERT_EQ(-ENODEV, get_fd(&self->vf, basename(real), opt));
}

TEST_HARNESS_MAIN
