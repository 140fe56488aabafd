package zkrs_test

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

// TestReconfigOnAStandaloneServerIsRefused: the shared server has no dynamic membership to change.
func TestReconfigOnAStandaloneServerIsRefused(t *testing.T) {
	c := connect(t)
	if _, _, err := c.Reconfig(ctx(t), "", "2", "", -1); !errors.Is(err, zkrs.ErrReconfigDisabled) {
		t.Fatalf("reconfig on a standalone server: %v", err)
	}
}

// TestGetConfigAndReconfig runs against the reconfigurable 3-member ensemble tests/binding_go.rs starts:
// ZK_RECONFIG_HOSTS is one member, ZK_RECONFIG_VICTIM the id of a follower that member is not.
func TestGetConfigAndReconfig(t *testing.T) {
	victim, err := strconv.Atoi(os.Getenv("ZK_RECONFIG_VICTIM"))
	if err != nil || os.Getenv("ZK_RECONFIG_HOSTS") == "" {
		t.Fatal("ZK_RECONFIG_HOSTS and ZK_RECONFIG_VICTIM are not set: run `cargo test --test binding_go`")
	}
	c, err := zkrs.Connect(os.Getenv("ZK_RECONFIG_HOSTS"), wait)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close()
	has := func(config []byte, id int) bool {
		return regexp.MustCompile(`(?m)^server\.` + strconv.Itoa(id) + `=`).Match(config)
	}

	config, stat, err := c.GetConfig(ctx(t))
	must(t, err, "get config")
	if !has(config, 1) || !has(config, 2) || !has(config, 3) || !regexp.MustCompile(`(?m)^version=`).Match(config) {
		t.Fatalf("config: %q", config)
	}

	changed, newStat, err := c.Reconfig(ctx(t), "", strconv.Itoa(victim), "", -1)
	must(t, err, "reconfig")
	if has(changed, victim) || !has(changed, 1) || newStat.Mzxid <= stat.Mzxid {
		t.Fatalf("after removing server %d: %q (mzxid %d, was %d)", victim, changed, newStat.Mzxid, stat.Mzxid)
	}
	again, _, err := c.GetConfig(ctx(t))
	must(t, err, "get config again")
	if string(again) != string(changed) {
		t.Fatalf("get config after reconfig: %q, reconfig returned %q", again, changed)
	}

	// A stale expected version is refused; the membership change may cut connections for a moment.
	for try := 0; try < 50; try++ {
		_, _, err = c.Reconfig(ctx(t), "", "1", "", 1)
		if !errors.Is(err, zkrs.ErrConnectionLoss) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !errors.Is(err, zkrs.ErrBadVersion) {
		t.Fatalf("reconfig from a stale version: %v", err)
	}
}
