// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module: registers "count" plugins (default 20) that all match the
 * same function (by default QEMU's edu device), each with one type
 * "many-NN", so that tests can check that a function bound to mdev_pt is
 * offered to every matching plugin, however many there are.
 */

#include <linux/mdev_pt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

static unsigned int count = 20;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "how many plugins to register (1-100, default 20)");

static ushort vendor = 0x1234;
module_param(vendor, ushort, 0444);
MODULE_PARM_DESC(vendor, "PCI vendor ID the plugins match (default 0x1234, edu)");

static ushort device = 0x11e8;
module_param(device, ushort, 0444);
MODULE_PARM_DESC(device, "PCI device ID the plugins match (default 0x11e8, edu)");

struct many_plugin {
	struct mdev_pt_plugin plugin;
	struct mdev_pt_type type;
	struct pci_device_id ids[2];
	char name[16];
};

static struct many_plugin *many;
static unsigned int registered;

static void many_unregister(void)
{
	while (registered)
		mdev_pt_unregister_plugin(&many[--registered].plugin);
	kfree(many);
	many = NULL;
}

static int __init many_init(void)
{
	struct many_plugin *p;
	unsigned int i;
	int ret;

	if (!count || count > 100)
		return -EINVAL;
	many = kcalloc(count, sizeof(*many), GFP_KERNEL);
	if (!many)
		return -ENOMEM;

	for (i = 0; i < count; i++) {
		p = &many[i];
		snprintf(p->name, sizeof(p->name), "many-%02u", i);
		p->ids[0].vendor = vendor;
		p->ids[0].device = device;
		p->ids[0].subvendor = PCI_ANY_ID;
		p->ids[0].subdevice = PCI_ANY_ID;
		p->type.sysfs_name = p->name;
		p->type.pretty_name = p->name;
		p->plugin.name = p->name;
		p->plugin.owner = THIS_MODULE;
		p->plugin.id_table = p->ids;
		p->plugin.types = &p->type;
		p->plugin.num_types = 1;
		ret = mdev_pt_register_plugin(&p->plugin);
		if (ret) {
			many_unregister();
			return ret;
		}
		registered++;
	}
	return 0;
}

static void __exit many_exit(void)
{
	many_unregister();
}

module_init(many_init);
module_exit(many_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev-pt test: many plugins matching one function");
