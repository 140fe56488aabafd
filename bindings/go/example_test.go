package zkrs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"zkrs.dev/zkrs"
)

// The README's quick start.
func Example() {
	c, err := zkrs.Connect(os.Getenv("ZK_HOSTS"), 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	app := unique("example")
	if _, _, err := c.Create(ctx, app, []byte("v1"), nil); err != nil && !errors.Is(err, zkrs.ErrNodeExists) {
		log.Fatal(err)
	}
	data, stat, changed, err := c.GetW(ctx, app) // changed: one event, then closed
	fmt.Println(string(data), stat.Version, err)
	c.Set(ctx, app, []byte("v2"), stat.Version)
	fmt.Println((<-changed).Type) // NODE_DATA_CHANGED
	c.Delete(ctx, app, zkrs.AnyVersion)
	// Output:
	// v1 0 <nil>
	// NODE_DATA_CHANGED
}
