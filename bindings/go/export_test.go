package zkrs

import "sync/atomic"

// Internals the tests look at.
var (
	CodeTable = codeTable
	GoCodes   = goCodes
)

// LiveHandles is the number of cgo handles zkrs has not released yet.
func LiveHandles() int64 { return atomic.LoadInt64(&liveHandles) }
