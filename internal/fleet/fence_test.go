package fleet_test

import (
	"testing"
	"time"

	"openfront/internal/fleet"
)

func TestFence_CountUntil(t *testing.T) {
	f := fleet.NewFence()
	now := time.Now()
	if f.Counted(now) {
		t.Fatal("a new fence counts its edge")
	}
	f.CountUntil(now.Add(time.Second))
	if !f.Counted(now) || !f.Counted(now.Add(999*time.Millisecond)) {
		t.Error("not counted before the deadline")
	}
	if f.Counted(now.Add(time.Second)) || f.Counted(now.Add(time.Hour)) {
		t.Error("counted at or after the deadline")
	}
	f.Drop()
	if f.Counted(now) {
		t.Error("counted after Drop")
	}
}
