package app

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileCPU starts the --cpu-profile of a run; stop ends it and closes
// the file. The profile is what Go's profile-guided optimisation reads:
// bench/pgo.sh records one under load and keeps it as
// cmd/openfront/default.pgo, which go build then uses.
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
