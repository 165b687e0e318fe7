// Command etcd is etcd's own server entry point, built from its Go module at the version
// the testbed's Kubernetes release pins.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
