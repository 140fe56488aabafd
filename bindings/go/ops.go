package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"unsafe"
)

// Every operation takes a context: it bounds the wait for the reply. When the context ends first the
// call returns ctx.Err() at once, but the request is not withdrawn: the server may still apply it.
// Paths are relative to the client's chroot.

// withPath runs f with path copied into C memory.
func withPath(op, path string, f func(cpath *C.char) (reply, error)) (reply, error) {
	cpath, err := cString(op, path, path)
	if err != nil {
		return reply{}, err
	}
	defer C.free(unsafe.Pointer(cpath))
	return f(cpath)
}

// cCreateOptions converts opts; release() frees the C ACL it holds.
func cCreateOptions(op, path string, opts *CreateOptions) (o *C.zkrs_create_options, release func(), err error) {
	if opts == nil {
		return nil, func() {}, nil
	}
	o = &C.zkrs_create_options{mode: C.int32_t(opts.Mode), ttl_ms: C.int64_t(opts.TTL.Milliseconds()), makepath: C.bool(opts.MakePath)}
	if opts.ACL == nil {
		return o, func() {}, nil
	}
	acl, err := cACLList(op, path, opts.ACL)
	if err != nil {
		return nil, nil, err
	}
	o.acl = acl
	return o, func() { C.zkrs_acl_list_free(acl) }, nil
}

// Create makes a node with data and returns its path (with the sequence number for sequential modes)
// and its stat. opts may be nil (persistent, default ACL).
func (c *Client) Create(ctx context.Context, path string, data []byte, opts *CreateOptions) (string, *Stat, error) {
	r, err := withPath("create", path, func(cpath *C.char) (reply, error) {
		o, release, err := cCreateOptions("create", path, opts)
		if err != nil {
			return reply{}, err
		}
		defer release()
		ch, err := c.submit("create", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			d, n := cBytes(data)
			return C.gozk_create(p, cpath, d, n, o, h)
		})
		if err != nil {
			return reply{}, err
		}
		return await(ctx, "create", path, ch)
	})
	return r.path, r.stat, err
}

// Get returns a node's data and stat.
func (c *Client) Get(ctx context.Context, path string) ([]byte, *Stat, error) {
	r, err := c.getData(ctx, path, nil)
	return r.data, r.stat, err
}

// GetW is Get that also sets a one-shot watch: the channel receives one event (the data changed, the
// node was deleted, or a terminal event) and is then closed. On error no watch is set (nil channel).
func (c *Client) GetW(ctx context.Context, path string) ([]byte, *Stat, <-chan Event, error) {
	var r reply
	ch, err := c.watched(func(w *watchArg) error {
		var err error
		r, err = c.getData(ctx, path, w)
		return err
	})
	return r.data, r.stat, ch, err
}

func (c *Client) getData(ctx context.Context, path string, watch *watchArg) (reply, error) {
	return withPath("get", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "get", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc { return C.gozk_get_data(p, cpath, watch.handle(), h) })
	})
}

// watchArg is the one-shot watch of a read (nil: none).
type watchArg struct {
	h       cgo.Handle
	reached bool // the C call was made: from then on zkrs releases the handle (gozkRelease)
}

// handle passes the watch to C; call it inside the C call only.
func (w *watchArg) handle() C.uintptr_t {
	if w == nil {
		return 0
	}
	w.reached = true
	return C.uintptr_t(w.h)
}

// watched makes a one-shot watch for read. zkrs releases its handle once the C call was made, also
// when the call failed; only if the call never reached zkrs is it deleted here. A context that ends
// first leaves the watch set: it still ends with an event, which nobody may read.
func (c *Client) watched(read func(w *watchArg) error) (<-chan Event, error) {
	sink := &oneShot{ch: make(chan Event, 1)}
	w := &watchArg{h: newHandle(sink)}
	if err := read(w); err != nil {
		if !w.reached {
			deleteHandle(w.h)
		}
		return nil, err
	}
	return sink.ch, nil
}

// Set replaces a node's data if its version is version (AnyVersion: any) and returns the new stat.
func (c *Client) Set(ctx context.Context, path string, data []byte, version int32) (*Stat, error) {
	r, err := withPath("set", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "set", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			d, n := cBytes(data)
			return C.gozk_set_data(p, cpath, d, n, C.int32_t(version), h)
		})
	})
	return r.stat, err
}

// Exists tells whether a node exists, with its stat if it does.
func (c *Client) Exists(ctx context.Context, path string) (bool, *Stat, error) {
	r, err := c.exists(ctx, path, nil)
	return r.exists, r.stat, err
}

// ExistsW is Exists that also sets a one-shot watch, also when the node does not exist (it then fires
// on its creation).
func (c *Client) ExistsW(ctx context.Context, path string) (bool, *Stat, <-chan Event, error) {
	var r reply
	ch, err := c.watched(func(w *watchArg) error {
		var err error
		r, err = c.exists(ctx, path, w)
		return err
	})
	return r.exists, r.stat, ch, err
}

func (c *Client) exists(ctx context.Context, path string, watch *watchArg) (reply, error) {
	return withPath("exists", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "exists", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc { return C.gozk_exists(p, cpath, watch.handle(), h) })
	})
}

// Delete removes a node if its version is version (AnyVersion: any).
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	_, err := withPath("delete", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "delete", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_delete(p, cpath, C.int32_t(version), h)
		})
	})
	return err
}

// DeleteRecursive removes a node and everything below it; a missing node is not an error.
func (c *Client) DeleteRecursive(ctx context.Context, path string) error {
	_, err := withPath("delete recursive", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "delete recursive", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_delete_recursive(p, cpath, h)
		})
	})
	return err
}

// Children returns the names of a node's children and its stat.
func (c *Client) Children(ctx context.Context, path string) ([]string, *Stat, error) {
	r, err := c.children(ctx, path, nil)
	return r.list, r.stat, err
}

// ChildrenW is Children that also sets a one-shot watch on the children (or the node's deletion).
func (c *Client) ChildrenW(ctx context.Context, path string) ([]string, *Stat, <-chan Event, error) {
	var r reply
	ch, err := c.watched(func(w *watchArg) error {
		var err error
		r, err = c.children(ctx, path, w)
		return err
	})
	return r.list, r.stat, ch, err
}

func (c *Client) children(ctx context.Context, path string, watch *watchArg) (reply, error) {
	return withPath("children", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "children", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_get_children(p, cpath, watch.handle(), h)
		})
	})
}

// GetACL returns a node's ACL and stat.
func (c *Client) GetACL(ctx context.Context, path string) ([]ACL, *Stat, error) {
	r, err := withPath("get acl", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "get acl", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc { return C.gozk_get_acl(p, cpath, h) })
	})
	return r.acl, r.stat, err
}

// SetACL replaces a node's ACL if its ACL version is version (AnyVersion: any).
func (c *Client) SetACL(ctx context.Context, path string, acl []ACL, version int32) (*Stat, error) {
	r, err := withPath("set acl", path, func(cpath *C.char) (reply, error) {
		l, err := cACLList("set acl", path, acl)
		if err != nil {
			return reply{}, err
		}
		defer C.zkrs_acl_list_free(l)
		return c.call(ctx, "set acl", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_set_acl(p, cpath, l, C.int32_t(version), h)
		})
	})
	return r.stat, err
}

// Sync makes the server the client is connected to catch up with the leader for path.
func (c *Client) Sync(ctx context.Context, path string) error {
	_, err := withPath("sync", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "sync", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc { return C.gozk_sync(p, cpath, h) })
	})
	return err
}

// EnsurePath creates path and its missing parents (persistent, default ACL); existing ones are fine.
func (c *Client) EnsurePath(ctx context.Context, path string) error {
	_, err := withPath("ensure path", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "ensure path", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_ensure_path(p, cpath, h)
		})
	})
	return err
}

// AddAuth adds credentials to the session, e.g. ("digest", []byte("user:password")).
func (c *Client) AddAuth(ctx context.Context, scheme string, credentials []byte) error {
	_, err := withPath("add auth", scheme, func(cscheme *C.char) (reply, error) {
		return c.call(ctx, "add auth", "", func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			d, n := cBytes(credentials)
			return C.gozk_add_auth(p, cscheme, d, n, h)
		})
	})
	return err
}

// Ephemerals returns the paths of this session's ephemeral nodes under prefix ("/" for all).
func (c *Client) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	r, err := withPath("ephemerals", prefix, func(cprefix *C.char) (reply, error) {
		return c.call(ctx, "ephemerals", prefix, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_get_ephemerals(p, cprefix, h)
		})
	})
	return r.list, err
}

// AllChildrenNumber counts every node below path.
func (c *Client) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	r, err := withPath("all children number", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "all children number", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_get_all_children_number(p, cpath, h)
		})
	})
	return r.count, err
}

// WhoAmI returns the identities the server knows the session by.
func (c *Client) WhoAmI(ctx context.Context) ([]ClientInfo, error) {
	r, err := c.call(ctx, "whoami", "", func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc { return C.gozk_whoami(p, h) })
	return r.infos, err
}

// GetConfig returns the ensemble's dynamic configuration (/zookeeper/config) and its stat.
func (c *Client) GetConfig(ctx context.Context) ([]byte, *Stat, error) {
	r, err := c.call(ctx, "get config", "", func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc { return C.gozk_get_config(p, 0, h) })
	return r.data, r.stat, err
}

// Reconfig changes the ensemble's membership (incremental: joining/leaving, or newMembers) if its
// configuration version is fromConfig (-1: any) and returns the new configuration.
func (c *Client) Reconfig(ctx context.Context, joining, leaving, newMembers string, fromConfig int64) ([]byte, *Stat, error) {
	var cs [3]*C.char
	for i, s := range []string{joining, leaving, newMembers} {
		if s == "" {
			continue
		}
		p, err := cString("reconfig", "", s)
		if err != nil {
			return nil, nil, err
		}
		defer C.free(unsafe.Pointer(p))
		cs[i] = p
	}
	r, err := c.call(ctx, "reconfig", "", func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
		return C.gozk_reconfig(p, cs[0], cs[1], cs[2], C.int64_t(fromConfig), h)
	})
	return r.data, r.stat, err
}

// ReadKind is the kind of one read of MultiRead.
type ReadKind int32

// The kinds of reads.
const (
	ReadData     ReadKind = C.ZKRS_READ_GET_DATA
	ReadChildren ReadKind = C.ZKRS_READ_GET_CHILDREN
)

// ReadOp is one read of MultiRead.
type ReadOp struct {
	Kind ReadKind
	Path string
}

// ReadResult is the result of one read of MultiRead: Data and Stat for ReadData, Children for
// ReadChildren, or its own Err (e.g. ErrNoNode: one missing node fails only its read).
type ReadResult struct {
	Data     []byte
	Stat     *Stat
	Children []string
	Err      error
}

// MultiRead runs the reads in one round trip (ZooKeeper 3.6+).
func (c *Client) MultiRead(ctx context.Context, ops []ReadOp) ([]ReadResult, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	// The array holds C pointers only, in C memory, so nothing of Go's is handed to C.
	arr := (*C.zkrs_read_op)(C.calloc(C.size_t(len(ops)), C.size_t(unsafe.Sizeof(C.zkrs_read_op{}))))
	defer C.free(unsafe.Pointer(arr))
	cops := unsafe.Slice(arr, len(ops))
	for i, op := range ops {
		p, err := cString("multi read", op.Path, op.Path)
		if err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(p))
		cops[i] = C.zkrs_read_op{kind: C.int32_t(op.Kind), path: p}
	}
	r, err := c.call(ctx, "multi read", "", func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
		return C.gozk_multi_read(p, arr, C.size_t(len(ops)), h)
	})
	return r.reads, err
}

func goReadResults(r *C.zkrs_read_results) []ReadResult {
	n := int(C.zkrs_read_results_len(r))
	out := make([]ReadResult, n)
	for i := 0; i < n; i++ {
		var data *C.uint8_t
		var len C.size_t
		var stat C.zkrs_stat
		rc := C.zkrs_read_results_get_data(r, C.size_t(i), &data, &len, &stat)
		if rc == C.ZKRS_RC_BAD_ARGUMENTS { // not a data read
			var children *C.zkrs_string_list
			rc = C.zkrs_read_results_get_children(r, C.size_t(i), &children)
			if rc == C.ZKRS_RC_OK {
				out[i].Children = goStrings(children)
			}
		} else if rc == C.ZKRS_RC_OK {
			out[i].Data, out[i].Stat = C.GoBytes(unsafe.Pointer(data), C.int(len)), goStat(&stat)
		}
		out[i].Err = codeError("multi read", "", rc, "")
	}
	return out
}

// RemoveWatches removes this client's watches of kind on path; each ends with its terminal event.
// With local, only on this client (works while disconnected). ErrNoWatcher if there is none.
func (c *Client) RemoveWatches(ctx context.Context, path string, kind WatcherKind, local bool) error {
	_, err := withPath("remove watches", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "remove watches", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_remove_watches(p, cpath, C.int32_t(kind), C.bool(local), h)
		})
	})
	return err
}

// CheckWatches tells (nil or ErrNoWatcher) whether this client has watches of kind on path that the
// server knows.
func (c *Client) CheckWatches(ctx context.Context, path string, kind WatcherKind) error {
	_, err := withPath("check watches", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "check watches", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			return C.gozk_check_watches(p, cpath, C.int32_t(kind), h)
		})
	})
	return err
}
