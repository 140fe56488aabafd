package zkrs_test

import (
	"strings"
	"sync"
	"testing"

	"zkrs.dev/zkrs"
)

func TestLoggerGetsTheLinesOfTheLevelSet(t *testing.T) {
	before := zkrs.CurrentLogLevel()
	handles := zkrs.LiveHandles()
	defer zkrs.SetLogLevel(before)

	var mu sync.Mutex
	var lines []string
	var levels []zkrs.LogLevel
	must(t, zkrs.SetLogger(func(level zkrs.LogLevel, message string) {
		mu.Lock()
		defer mu.Unlock()
		levels = append(levels, level)
		lines = append(lines, message)
	}), "set logger")
	must(t, zkrs.SetLogLevel(zkrs.LogDebug), "set log level")
	if got := zkrs.CurrentLogLevel(); got != zkrs.LogDebug {
		t.Fatalf("log level %d, want %d", got, zkrs.LogDebug)
	}
	c := connect(t) // logs "connected to <host>, session 0x..." at debug level
	c.Close()

	must(t, zkrs.SetLogger(nil), "back to stderr")
	mu.Lock()
	defer mu.Unlock()
	connected := false
	for i, line := range lines {
		connected = connected || strings.HasPrefix(line, "connected to ")
		if levels[i] < zkrs.LogError || levels[i] > zkrs.LogDebug {
			t.Fatalf("line %q at level %d, above the level set", line, levels[i])
		}
	}
	if !connected {
		t.Fatalf("no \"connected to\" line among %q", lines)
	}
	if got := zkrs.LiveHandles(); got != handles {
		t.Fatalf("%d handles live after the logger was replaced, %d before", got, handles)
	}
	if err := zkrs.SetLogLevel(zkrs.LogLevel(42)); err == nil {
		t.Fatal("log level 42 accepted")
	}
}
