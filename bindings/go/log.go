package zkrs

/*
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// LogLevel is how verbose zkrs's log is (ZKRS_LOG_*): each level includes the ones before it.
type LogLevel int32

// The log levels.
const (
	LogError LogLevel = C.ZKRS_LOG_ERROR
	LogWarn  LogLevel = C.ZKRS_LOG_WARN
	LogInfo  LogLevel = C.ZKRS_LOG_INFO
	LogDebug LogLevel = C.ZKRS_LOG_DEBUG
	LogTrace LogLevel = C.ZKRS_LOG_TRACE
)

// SetLogLevel sets the most verbose level zkrs logs, process-wide (default LogWarn, or the environment
// variable ZKRS_LOG_LEVEL). Lines above it are not produced at all.
func SetLogLevel(level LogLevel) error {
	return callC("set log level", "", func() C.zkrs_rc { return C.zkrs_set_log_level(C.int32_t(level)) })
}

// CurrentLogLevel is the most verbose level zkrs logs now.
func CurrentLogLevel() LogLevel { return LogLevel(C.zkrs_log_level()) }

// SetLogger sends zkrs's log lines (of every client, process-wide) to fn instead of stderr; nil sends
// them to stderr again. fn may run on any zkrs thread, also the one doing a client's network I/O, and
// while other goroutines call zkrs: it must be quick, must not block, and must not call zkrs. Once
// SetLogger returns with another fn, a replaced fn gets at most the lines already being delivered.
func SetLogger(fn func(level LogLevel, message string)) error {
	if fn == nil {
		return callC("set logger", "", func() C.zkrs_rc { return C.gozk_set_log_callback(0) })
	}
	h := newHandle(logger(fn))
	// Once called, zkrs owns the handle, also on failure: it is deleted by gozkRelease.
	return callC("set logger", "", func() C.zkrs_rc { return C.gozk_set_log_callback(C.uintptr_t(h)) })
}

// logger is a SetLogger registration; its handle is deleted by gozkRelease after its last line.
type logger func(LogLevel, string)

func (logger) released() {}

//export gozkLog
func gozkLog(ud unsafe.Pointer, level C.int32_t, message *C.char) {
	cgo.Handle(uintptr(ud)).Value().(logger)(LogLevel(level), C.GoString(message))
}
