package memory_test

import (
	"testing"

	"openfront/internal/cache"
	"openfront/internal/cache/cachetest"
	"openfront/internal/cache/memory"
)

func TestConformance(t *testing.T) {
	cachetest.Run(t, func(t testing.TB, maxBytes int64) cache.Storage {
		s, err := memory.New(maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
