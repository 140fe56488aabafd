package zkrs

/*
#cgo LDFLAGS: -lzkrs
#include <stdlib.h>
#include "zkrs.h"
#include "shim.h"
*/
import "C"

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Config holds client settings by the string keys of zkrs_config_set: "hosts" (required, e.g.
// "127.0.0.1:2181,127.0.0.1:2182/chroot"), "session_timeout_ms", "connect_timeout_ms", "read_only",
// "auth", "tls.*", "sasl.*", "log_level", ... (see the README and include/zkrs.h). "dispatch" must stay
// "thread" (the default): the binding relies on zkrs's event thread to deliver results.
type Config map[string]string

// Client is a ZooKeeper client: one session, shared safely by any number of goroutines. Create it
// with NewClient and Start, or Connect; end it with Close.
type Client struct {
	// mu is held for reading by every call that uses ptr and for writing by Close when it frees ptr,
	// so a handle is never used after zkrs_client_free.
	mu     sync.RWMutex
	ptr    *C.zkrs_client
	events *callbackQueue
	closed sync.Once
	err    error
}

// NewClient makes a client from cfg without connecting (see Start).
func NewClient(cfg Config) (*Client, error) {
	if d, ok := cfg["dispatch"]; ok && strings.TrimSpace(d) != "thread" {
		return nil, &Error{Op: "new client", Code: ErrBadArguments, Detail: "the Go binding needs dispatch=thread"}
	}
	var conf *C.zkrs_config
	if err := callC("new client", "", func() C.zkrs_rc { return C.zkrs_config_new(&conf) }); err != nil {
		return nil, err
	}
	defer C.zkrs_config_free(conf)
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys) // so that a bad setting is reported the same way every time
	for _, k := range keys {
		ck, err := cString("config", k, k)
		if err != nil {
			return nil, err
		}
		cv, err := cString("config", k, cfg[k])
		if err != nil {
			C.free(unsafe.Pointer(ck))
			return nil, err
		}
		err = callC("config", k, func() C.zkrs_rc { return C.zkrs_config_set(conf, ck, cv) })
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
		if err != nil {
			return nil, err
		}
	}
	var ptr *C.zkrs_client
	if err := callC("new client", "", func() C.zkrs_rc { return C.zkrs_client_new(conf, &ptr) }); err != nil {
		return nil, err
	}
	c := &Client{ptr: ptr, events: newCallbackQueue()}
	go c.events.run()
	return c, nil
}

// Connect makes a client for hosts and waits up to timeout until it is connected; on failure the
// client is closed.
func Connect(hosts string, timeout time.Duration) (*Client, error) {
	c, err := NewClient(Config{"hosts": hosts})
	if err != nil {
		return nil, err
	}
	if err := c.Start(timeout); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Start starts the client's threads and waits up to timeout (negative: no limit, 0: no wait) until it
// is connected. On ErrTimeout the client goes on connecting in the background. This call holds its
// OS thread while it waits (once per client, so not worth a callback).
func (c *Client) Start(timeout time.Duration) error {
	return c.withClient("start", "", func(p *C.zkrs_client) C.zkrs_rc { return C.zkrs_client_start(p, millis(timeout)) })
}

// Close ends the session (the server deletes its ephemeral nodes): calls in flight fail with
// ErrClosing, every watch ends with EventClientClosed, later calls fail with ErrClosed. It releases
// the C client. Funcs (persistent watches, state listeners) whose events were queued before still
// run on the client's callback goroutine after Close returns, the last with a terminal event; Close
// does not wait for them, so it may be called from inside one. Closing again does nothing.
func (c *Client) Close() error {
	c.closed.Do(func() {
		c.mu.RLock()
		c.err = callC("close", "", func() C.zkrs_rc { return C.zkrs_client_close(c.ptr) })
		c.mu.RUnlock()
		c.mu.Lock()
		C.zkrs_client_free(c.ptr)
		c.ptr = nil
		c.mu.Unlock()
		c.events.close()
	})
	return c.err
}

// withClient runs one C call on the client handle, unless it was closed (ErrClosed).
func (c *Client) withClient(op, path string, f func(p *C.zkrs_client) C.zkrs_rc) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return &Error{Op: op, Path: path, Code: ErrClosed}
	}
	return callC(op, path, func() C.zkrs_rc { return f(c.ptr) })
}

// submit starts one async C call whose completion sends its reply on the returned channel.
func (c *Client) submit(op, path string, start func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc) (chan reply, error) {
	ch := make(chan reply, 1)
	h := newHandle(ch)
	if err := c.withClient(op, path, func(p *C.zkrs_client) C.zkrs_rc { return start(p, C.uintptr_t(h)) }); err != nil {
		deleteHandle(h) // the completion never runs when the call was refused
		return nil, err
	}
	return ch, nil
}

// await waits for a reply or for ctx. When ctx ends first the operation still completes in zkrs (and
// may have been applied on the server); its reply is dropped.
func await(ctx context.Context, op, path string, ch chan reply) (reply, error) {
	select {
	case r := <-ch:
		return r, codeError(op, path, r.rc, r.detail)
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// call is submit followed by await.
func (c *Client) call(ctx context.Context, op, path string, start func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc) (reply, error) {
	ch, err := c.submit(op, path, start)
	if err != nil {
		return reply{}, err
	}
	return await(ctx, op, path, ch)
}

// State is the client's server-level state.
func (c *Client) State() (State, error) {
	var s C.int32_t
	err := c.withClient("state", "", func(p *C.zkrs_client) C.zkrs_rc { return C.zkrs_client_state(p, &s) })
	return State(s), err
}

// KazooState is kazoo's view of the client's state.
func (c *Client) KazooState() (KazooState, error) {
	var s C.int32_t
	err := c.withClient("kazoo state", "", func(p *C.zkrs_client) C.zkrs_rc { return C.zkrs_client_kazoo_state(p, &s) })
	return KazooState(s), err
}

// SessionID is the id of the session (0 before the first one).
func (c *Client) SessionID() (int64, error) {
	var id C.int64_t
	err := c.withClient("session id", "", func(p *C.zkrs_client) C.zkrs_rc { return C.zkrs_client_session_id(p, &id) })
	return int64(id), err
}

// NegotiatedTimeout is the session timeout the server granted (0 before the first connection).
func (c *Client) NegotiatedTimeout() (time.Duration, error) {
	var ms C.int32_t
	err := c.withClient("negotiated timeout", "", func(p *C.zkrs_client) C.zkrs_rc {
		return C.zkrs_client_negotiated_timeout(p, &ms)
	})
	return time.Duration(ms) * time.Millisecond, err
}

// ClientID is the session as the text the config key "client_id" takes, to resume it elsewhere.
func (c *Client) ClientID() (string, error) {
	return c.bufResult("client id", func(p *C.zkrs_client, out **C.zkrs_buf) C.zkrs_rc { return C.zkrs_client_id_string(p, out) })
}

// CurrentServer is the server the client is (or was last) connected to, as host:port.
func (c *Client) CurrentServer() (string, error) {
	return c.bufResult("current server", func(p *C.zkrs_client, out **C.zkrs_buf) C.zkrs_rc {
		return C.zkrs_client_current_server(p, out)
	})
}

// Command sends a four-letter word ("ruok", "srvr", "mntr", ...) to the current server and returns its
// reply. It blocks its OS thread for at most the session timeout.
func (c *Client) Command(cmd string) (string, error) {
	ccmd, err := cString("command", "", cmd)
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(ccmd))
	return c.bufResult("command", func(p *C.zkrs_client, out **C.zkrs_buf) C.zkrs_rc { return C.zkrs_client_command(p, ccmd, out) })
}

// ServerVersion is the version of the current server, e.g. "3.8.4" (blocks like Command).
func (c *Client) ServerVersion() (string, error) {
	return c.bufResult("server version", func(p *C.zkrs_client, out **C.zkrs_buf) C.zkrs_rc {
		return C.zkrs_client_server_version(p, out)
	})
}

// SetHosts replaces the list of servers (the chroot cannot change); the current connection is kept
// if its server is still listed.
func (c *Client) SetHosts(hosts string) error {
	ch, err := cString("set hosts", "", hosts)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(ch))
	return c.withClient("set hosts", "", func(p *C.zkrs_client) C.zkrs_rc { return C.zkrs_client_set_hosts(p, ch) })
}

func (c *Client) bufResult(op string, f func(p *C.zkrs_client, out **C.zkrs_buf) C.zkrs_rc) (string, error) {
	var b *C.zkrs_buf
	if err := c.withClient(op, "", func(p *C.zkrs_client) C.zkrs_rc { return f(p, &b) }); err != nil {
		return "", err
	}
	defer C.zkrs_buf_free(b)
	return C.GoStringN((*C.char)(unsafe.Pointer(C.zkrs_buf_data(b))), C.int(C.zkrs_buf_len(b))), nil
}

// ListenerID identifies a state listener for RemoveStateListener.
type ListenerID uint64

// AddStateListener calls fn on every state change of the client, in order, on the client's callback
// goroutine (see Client.Close), until RemoveStateListener or Close.
func (c *Client) AddStateListener(fn func(StateEvent)) (ListenerID, error) {
	sink := &funcSink{q: c.events, onState: fn, done: make(chan struct{})}
	h := newHandle(sink)
	var id C.uint64_t
	called := false
	err := c.withClient("add state listener", "", func(p *C.zkrs_client) C.zkrs_rc {
		called = true
		return C.gozk_add_state_listener(p, C.uintptr_t(h), &id)
	})
	if err != nil {
		if !called { // once called, zkrs released the userdata itself (gozkRelease)
			deleteHandle(h)
		}
		return 0, err
	}
	return ListenerID(id), nil
}

// RemoveStateListener stops a listener; fn is not called again once pending calls ran.
func (c *Client) RemoveStateListener(id ListenerID) error {
	return c.withClient("remove state listener", "", func(p *C.zkrs_client) C.zkrs_rc {
		return C.zkrs_client_remove_state_listener(p, C.uint64_t(id))
	})
}

// millis converts a timeout for zkrs: negative means no limit (-1).
func millis(d time.Duration) C.int32_t {
	if d < 0 {
		return -1
	}
	ms := d.Milliseconds()
	if ms > 1<<31-1 {
		ms = 1<<31 - 1
	}
	return C.int32_t(ms)
}

// cString copies s into C memory (release it with C.free); a NUL byte inside would silently cut it
// there, so it is refused.
func cString(op, path, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Op: op, Path: path, Code: ErrBadArguments, Detail: "text contains a NUL byte"}
	}
	return C.CString(s), nil
}

// cBytes points C at the bytes of b for the duration of one call (zkrs copies them).
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// Version is the version of the zkrs library in use, e.g. "0.1.0".
func Version() string { return C.GoString(C.zkrs_version()) }
