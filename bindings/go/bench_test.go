package zkrs_test

import (
	"context"
	"testing"
)

// Benchmarks (go test -bench . -run '^$'; not run by the test suite): one Get at a time, and Gets
// from many goroutines sharing one client (pipelined on its session).
func BenchmarkGet(b *testing.B) {
	c := connect(b)
	ctx := context.Background()
	path := unique("bench")
	if _, _, err := c.Create(ctx, path, []byte("value"), nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.Get(ctx, path); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	c.Delete(ctx, path, -1)
}

func BenchmarkGetParallel(b *testing.B) {
	c := connect(b)
	ctx := context.Background()
	path := unique("bench")
	if _, _, err := c.Create(ctx, path, []byte("value"), nil); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.Get(ctx, path); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	c.Delete(ctx, path, -1)
}
