/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-pt: tracepoints, in /sys/kernel/tracing/events/mdev_pt/.
 *
 * An instance is named by its UUID ("dev") and the PCI function it leases
 * by its address ("function").  Every event but the plugin calls is rare;
 * mdev_pt_plugin_call also fires for each trapped access and each chunk of
 * migration data, and mdev_pt_dirty_report for each range of each dirty
 * log report (several per migration iteration).
 *
 * Names are copied into fixed-size fields, which 6.1 and 6.12 lay out the
 * same way (their __assign_str() differ).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mdev_pt

#if !defined(_MDEV_PT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MDEV_PT_TRACE_H

#include <linux/pci.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "mdev_pt_priv.h"

/* An instance's UUID or a function's address, with the NUL. */
#define MDEV_PT_TRACE_DEV_LEN		40
/* "mdev_pt-" and a type's sysfs_name of at most 64 bytes, with the NUL. */
#define MDEV_PT_TRACE_TYPE_LEN		80
/* A plugin's name; longer ones are cut. */
#define MDEV_PT_TRACE_PLUGIN_LEN	32

/* The enum values, for user-space parsers of the events' formats. */
TRACE_DEFINE_ENUM(MDEV_PT_OP_PROBE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_REMOVE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_CONTROLLING_GONE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_CREATE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_DESTROY);
TRACE_DEFINE_ENUM(MDEV_PT_OP_OPEN);
TRACE_DEFINE_ENUM(MDEV_PT_OP_CLOSE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_TRAP_RW);
TRACE_DEFINE_ENUM(MDEV_PT_OP_DEBUGFS_INIT);
TRACE_DEFINE_ENUM(MDEV_PT_OP_REGION_RW);
TRACE_DEFINE_ENUM(MDEV_PT_OP_REGION_MMAP);
TRACE_DEFINE_ENUM(MDEV_PT_OP_QUIESCE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_UNQUIESCE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_STOP);
TRACE_DEFINE_ENUM(MDEV_PT_OP_RESUME);
TRACE_DEFINE_ENUM(MDEV_PT_OP_SAVE_BEGIN);
TRACE_DEFINE_ENUM(MDEV_PT_OP_SAVE_PENDING);
TRACE_DEFINE_ENUM(MDEV_PT_OP_SAVE);
TRACE_DEFINE_ENUM(MDEV_PT_OP_SAVE_END);
TRACE_DEFINE_ENUM(MDEV_PT_OP_LOAD_BEGIN);
TRACE_DEFINE_ENUM(MDEV_PT_OP_LOAD);
TRACE_DEFINE_ENUM(MDEV_PT_OP_LOAD_END);
TRACE_DEFINE_ENUM(MDEV_PT_OP_RESET);
TRACE_DEFINE_ENUM(MDEV_PT_OP_DIRTY_START);
TRACE_DEFINE_ENUM(MDEV_PT_OP_DIRTY_STOP);
TRACE_DEFINE_ENUM(MDEV_PT_OP_DIRTY_REPORT);
TRACE_DEFINE_ENUM(MDEV_PT_HEALTH_OK);
TRACE_DEFINE_ENUM(MDEV_PT_HEALTH_MIGRATION_FAILED);
TRACE_DEFINE_ENUM(MDEV_PT_HEALTH_DEVICE_ERROR);
TRACE_DEFINE_ENUM(MDEV_PT_HEALTH_CONTROLLING_GONE);
TRACE_DEFINE_ENUM(MDEV_PT_PCI_ERR_NONFATAL);
TRACE_DEFINE_ENUM(MDEV_PT_PCI_ERR_FATAL);
TRACE_DEFINE_ENUM(MDEV_PT_PCI_ERR_PERM_FAILURE);
TRACE_DEFINE_ENUM(VFIO_DEVICE_STATE_ERROR);
TRACE_DEFINE_ENUM(VFIO_DEVICE_STATE_STOP);
TRACE_DEFINE_ENUM(VFIO_DEVICE_STATE_RUNNING);
TRACE_DEFINE_ENUM(VFIO_DEVICE_STATE_STOP_COPY);
TRACE_DEFINE_ENUM(VFIO_DEVICE_STATE_RESUMING);
TRACE_DEFINE_ENUM(VFIO_DEVICE_STATE_RUNNING_P2P);

#define show_mdev_pt_op(op)						\
	__print_symbolic(op,						\
			 { MDEV_PT_OP_PROBE,		"probe" },	\
			 { MDEV_PT_OP_REMOVE,		"remove" },	\
			 { MDEV_PT_OP_CONTROLLING_GONE,	"controlling_gone" }, \
			 { MDEV_PT_OP_CREATE,		"create" },	\
			 { MDEV_PT_OP_DESTROY,		"destroy" },	\
			 { MDEV_PT_OP_OPEN,		"open" },	\
			 { MDEV_PT_OP_CLOSE,		"close" },	\
			 { MDEV_PT_OP_TRAP_RW,		"trap_rw" },	\
			 { MDEV_PT_OP_DEBUGFS_INIT,	"debugfs_init" }, \
			 { MDEV_PT_OP_REGION_RW,	"region_rw" },	\
			 { MDEV_PT_OP_REGION_MMAP,	"region_mmap" }, \
			 { MDEV_PT_OP_QUIESCE,		"quiesce" },	\
			 { MDEV_PT_OP_UNQUIESCE,	"unquiesce" },	\
			 { MDEV_PT_OP_STOP,		"stop" },	\
			 { MDEV_PT_OP_RESUME,		"resume" },	\
			 { MDEV_PT_OP_SAVE_BEGIN,	"save_begin" },	\
			 { MDEV_PT_OP_SAVE_PENDING,	"save_pending" }, \
			 { MDEV_PT_OP_SAVE,		"save" },	\
			 { MDEV_PT_OP_SAVE_END,		"save_end" },	\
			 { MDEV_PT_OP_LOAD_BEGIN,	"load_begin" },	\
			 { MDEV_PT_OP_LOAD,		"load" },	\
			 { MDEV_PT_OP_LOAD_END,		"load_end" },	\
			 { MDEV_PT_OP_RESET,		"reset" },	\
			 { MDEV_PT_OP_DIRTY_START,	"dirty_start" }, \
			 { MDEV_PT_OP_DIRTY_STOP,	"dirty_stop" },	\
			 { MDEV_PT_OP_DIRTY_REPORT,	"dirty_report" })

#define show_mdev_pt_health(state)					\
	__print_symbolic(state,						\
			 { MDEV_PT_HEALTH_OK,		"ok" },		\
			 { MDEV_PT_HEALTH_MIGRATION_FAILED, "migration-failed" }, \
			 { MDEV_PT_HEALTH_DEVICE_ERROR,	"device-error" }, \
			 { MDEV_PT_HEALTH_CONTROLLING_GONE, "controlling-function-lost" })

#define show_mdev_pt_pci_error(kind)					\
	__print_symbolic(kind,						\
			 { MDEV_PT_PCI_ERR_NONFATAL,	"nonfatal" },	\
			 { MDEV_PT_PCI_ERR_FATAL,	"fatal" },	\
			 { MDEV_PT_PCI_ERR_PERM_FAILURE, "perm_failure" })

/*
 * The v2 uAPI's states.  The PRE_COPY ones exist from 6.3 on (compat.h
 * gives 6.1 their values), and are uAPI: 6 and 7.
 */
#define show_mdev_pt_mig_state(state)					\
	__print_symbolic(state,						\
			 { VFIO_DEVICE_STATE_ERROR,	"ERROR" },	\
			 { VFIO_DEVICE_STATE_STOP,	"STOP" },	\
			 { VFIO_DEVICE_STATE_RUNNING,	"RUNNING" },	\
			 { VFIO_DEVICE_STATE_STOP_COPY,	"STOP_COPY" },	\
			 { VFIO_DEVICE_STATE_RESUMING,	"RESUMING" },	\
			 { VFIO_DEVICE_STATE_RUNNING_P2P, "RUNNING_P2P" }, \
			 { 6,				"PRE_COPY" },	\
			 { 7,				"PRE_COPY_P2P" })

DECLARE_EVENT_CLASS(mdev_pt_instance_result,
		    TP_PROTO(struct mdev_pt_instance *inst, int ret),
		    TP_ARGS(inst, ret),
		    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
				     __array(char, function, MDEV_PT_TRACE_DEV_LEN)
				     __array(char, type, MDEV_PT_TRACE_TYPE_LEN)
				     __field(int, ret)),
		    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
					   sizeof(__entry->dev));
				   strscpy(__entry->function,
					   pci_name(mdev_pt_pdev(inst->fn)),
					   sizeof(__entry->function));
				   strscpy(__entry->type,
					   mdev_pt_inst_type_name(inst),
					   sizeof(__entry->type));
				   __entry->ret = ret;),
		    TP_printk("%s on %s type %s: %d", __entry->dev,
			      __entry->function, __entry->type, __entry->ret)
);

/* The end of an instance's creation, successful (0) or not. */
DEFINE_EVENT(mdev_pt_instance_result, mdev_pt_create,
	     TP_PROTO(struct mdev_pt_instance *inst, int ret),
	     TP_ARGS(inst, ret)
);

/* User space opened the instance's device, or failed to. */
DEFINE_EVENT(mdev_pt_instance_result, mdev_pt_open,
	     TP_PROTO(struct mdev_pt_instance *inst, int ret),
	     TP_ARGS(inst, ret)
);

DECLARE_EVENT_CLASS(mdev_pt_instance,
		    TP_PROTO(struct mdev_pt_instance *inst),
		    TP_ARGS(inst),
		    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
				     __array(char, function, MDEV_PT_TRACE_DEV_LEN)
				     __array(char, type, MDEV_PT_TRACE_TYPE_LEN)),
		    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
					   sizeof(__entry->dev));
				   strscpy(__entry->function,
					   pci_name(mdev_pt_pdev(inst->fn)),
					   sizeof(__entry->function));
				   strscpy(__entry->type,
					   mdev_pt_inst_type_name(inst),
					   sizeof(__entry->type));),
		    TP_printk("%s on %s type %s", __entry->dev,
			      __entry->function, __entry->type)
);

/* The instance is gone: its lease is released. */
DEFINE_EVENT(mdev_pt_instance, mdev_pt_remove,
	     TP_PROTO(struct mdev_pt_instance *inst),
	     TP_ARGS(inst)
);

/* The last user closed the instance's device. */
DEFINE_EVENT(mdev_pt_instance, mdev_pt_close,
	     TP_PROTO(struct mdev_pt_instance *inst),
	     TP_ARGS(inst)
);

/*
 * One arc of the migration state machine (v2 uAPI or v1 region): @bytes
 * of the stream moved through the data file in the state it leaves (read
 * from a save file, written into a resume file), and the arc's own
 * duration.  A failed arc (@ret) leaves the device in ERROR.
 */
TRACE_EVENT(mdev_pt_mig_arc,
	    TP_PROTO(struct mdev_pt_instance *inst, u32 from, u32 to, int ret,
		     u64 bytes, u64 duration_ns),
	    TP_ARGS(inst, from, to, ret, bytes, duration_ns),
	    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
			     __field(u32, from)
			     __field(u32, to)
			     __field(int, ret)
			     __field(u64, bytes)
			     __field(u64, duration_ns)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));
			   __entry->from = from;
			   __entry->to = to;
			   __entry->ret = ret;
			   __entry->bytes = bytes;
			   __entry->duration_ns = duration_ns;),
	    TP_printk("%s %s -> %s: %d bytes=%llu duration_ns=%llu",
		      __entry->dev, show_mdev_pt_mig_state(__entry->from),
		      show_mdev_pt_mig_state(__entry->to), __entry->ret,
		      __entry->bytes, __entry->duration_ns)
);

/* A reset of the function or the close put the state back to RUNNING. */
TRACE_EVENT(mdev_pt_mig_reset,
	    TP_PROTO(struct mdev_pt_instance *inst, u32 from),
	    TP_ARGS(inst, from),
	    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
			     __field(u32, from)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));
			   __entry->from = from;),
	    TP_printk("%s %s -> RUNNING", __entry->dev,
		      show_mdev_pt_mig_state(__entry->from))
);

/*
 * A call into the plugin of an instance and its result: 0 or a negative
 * errno, a byte count for trap_rw, region_rw and save, 0 for the
 * callbacks that return nothing.
 */
TRACE_EVENT(mdev_pt_plugin_call,
	    TP_PROTO(struct mdev_pt_instance *inst, enum mdev_pt_plugin_op op,
		     long ret),
	    TP_ARGS(inst, op, ret),
	    TP_STRUCT__entry(__array(char, plugin, MDEV_PT_TRACE_PLUGIN_LEN)
			     __array(char, dev, MDEV_PT_TRACE_DEV_LEN)
			     __field(int, op)
			     __field(long, ret)),
	    TP_fast_assign(strscpy(__entry->plugin,
				   mdev_pt_inst_plugin(inst)->name,
				   sizeof(__entry->plugin));
			   strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));
			   __entry->op = op;
			   __entry->ret = ret;),
	    TP_printk("%s %s %s: %ld", __entry->plugin, __entry->dev,
		      show_mdev_pt_op(__entry->op), __entry->ret)
);

/* A call into a plugin for a function: probe, remove, controlling_gone. */
TRACE_EVENT(mdev_pt_plugin_fn_call,
	    TP_PROTO(const struct mdev_pt_plugin *plugin,
		     struct mdev_pt_function *fn, enum mdev_pt_plugin_op op,
		     long ret),
	    TP_ARGS(plugin, fn, op, ret),
	    TP_STRUCT__entry(__array(char, plugin, MDEV_PT_TRACE_PLUGIN_LEN)
			     __array(char, function, MDEV_PT_TRACE_DEV_LEN)
			     __field(int, op)
			     __field(long, ret)),
	    TP_fast_assign(strscpy(__entry->plugin, plugin->name,
				   sizeof(__entry->plugin));
			   strscpy(__entry->function, pci_name(mdev_pt_pdev(fn)),
				   sizeof(__entry->function));
			   __entry->op = op;
			   __entry->ret = ret;),
	    TP_printk("%s %s %s: %ld", __entry->plugin, __entry->function,
		      show_mdev_pt_op(__entry->op), __entry->ret)
);

/* The health an instance shows changed (with a KOBJ_CHANGE uevent). */
TRACE_EVENT(mdev_pt_health,
	    TP_PROTO(struct mdev_pt_instance *inst,
		     enum mdev_pt_health_state old,
		     enum mdev_pt_health_state new),
	    TP_ARGS(inst, old, new),
	    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
			     __field(int, old)
			     __field(int, new)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));
			   __entry->old = old;
			   __entry->new = new;),
	    TP_printk("%s %s -> %s", __entry->dev,
		      show_mdev_pt_health(__entry->old),
		      show_mdev_pt_health(__entry->new))
);

/* The PCI core reported an error of the function (error_detected()). */
TRACE_EVENT(mdev_pt_pci_error,
	    TP_PROTO(struct mdev_pt_function *fn, enum mdev_pt_pci_error kind),
	    TP_ARGS(fn, kind),
	    TP_STRUCT__entry(__array(char, function, MDEV_PT_TRACE_DEV_LEN)
			     __field(int, kind)),
	    TP_fast_assign(strscpy(__entry->function, pci_name(mdev_pt_pdev(fn)),
				   sizeof(__entry->function));
			   __entry->kind = kind;),
	    TP_printk("%s %s", __entry->function,
		      show_mdev_pt_pci_error(__entry->kind))
);

/*
 * Dirty logging started (@ret 0) or was refused: @nr ranges as user space
 * asked for them, @page_size the logging page size.
 */
TRACE_EVENT(mdev_pt_dirty_start,
	    TP_PROTO(struct mdev_pt_instance *inst, u32 nr, u64 page_size,
		     int ret),
	    TP_ARGS(inst, nr, page_size, ret),
	    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
			     __field(u32, nr)
			     __field(u64, page_size)
			     __field(int, ret)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));
			   __entry->nr = nr;
			   __entry->page_size = page_size;
			   __entry->ret = ret;),
	    TP_printk("%s ranges=%u page_size=%llu: %d", __entry->dev,
		      __entry->nr, __entry->page_size, __entry->ret)
);

/* Dirty logging stopped: by user space, a reset, the close or removal. */
TRACE_EVENT(mdev_pt_dirty_stop,
	    TP_PROTO(struct mdev_pt_instance *inst),
	    TP_ARGS(inst),
	    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));),
	    TP_printk("%s", __entry->dev)
);

/*
 * One range of a dirty log report, as the plugin saw it: @pages pages of
 * the logging page size reported dirty, or @ret the plugin's error.
 */
TRACE_EVENT(mdev_pt_dirty_report,
	    TP_PROTO(struct mdev_pt_instance *inst, u64 iova, u64 length,
		     u64 pages, int ret),
	    TP_ARGS(inst, iova, length, pages, ret),
	    TP_STRUCT__entry(__array(char, dev, MDEV_PT_TRACE_DEV_LEN)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u64, pages)
			     __field(int, ret)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(&inst->mdev->dev),
				   sizeof(__entry->dev));
			   __entry->iova = iova;
			   __entry->length = length;
			   __entry->pages = pages;
			   __entry->ret = ret;),
	    TP_printk("%s iova=0x%llx length=0x%llx pages=%llu: %d",
		      __entry->dev, __entry->iova, __entry->length,
		      __entry->pages, __entry->ret)
);

#endif /* _MDEV_PT_TRACE_H */

/* Out of the kernel's include/trace/events/: found from this directory. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mdev_pt_trace
#include <trace/define_trace.h>
