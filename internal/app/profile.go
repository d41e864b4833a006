package app

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileCPU starts the --cpu-profile of a run; stop ends it and closes
// the file. It is for operators finding where a server's CPU goes under
// their own traffic (go tool pprof FILE), and for Go's profile-guided
// optimisation (go build -pgo=FILE), which did not pay on the hit path
// (bench/EPOLL-RESULTS.md).
func profileCPU(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("serve: --cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("serve: --cpu-profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
