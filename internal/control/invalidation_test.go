package control_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"openfront/internal/control"
)

var invalIDPattern = regexp.MustCompile(`^I[A-Z0-9]{13}$`)

// TestCreateInvalidation_paths encodes the path rules of "What you need to
// know when invalidating paths" (Amazon CloudFront Developer Guide) and
// the 4,000-character limit OpenFront chose, as control applies them:
// a leading "/", at most 4,000 characters, "*" only as the last character;
// a bad path is InvalidArgument and nothing is written.
func TestCreateInvalidation_paths(t *testing.T) {
	e := newEnvQuotas(t, control.Quotas{
		Distributions: 10, StreamingDistributions: 1, AliasesPerDistribution: 1, Origins: 1, CacheBehaviors: 1, OAIs: 1,
		InvalidationPaths: 1000, InvalidationWildcards: 1000, PathsPerBatch: 1000, TagsPerResource: 1,
	})
	d := e.create(distConfig("ref-1"))
	for i, tc := range []struct {
		path string
		ok   bool
	}{
		{"/", true},
		{"/index.html", true},
		{"/*", true},
		{"/images/*", true},
		{"/images/a*", true},
		{"/a%20b", true},
		{"/" + strings.Repeat("a", 3999), true},
		{"/" + strings.Repeat("a", 4000), false},
		{"", false},
		{"index.html", false},
		{"*", false},
		{"/a*b", false},
		{"/*/x", false},
		{"/a**", false},
	} {
		rev := e.revision()
		inv, _, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-"+strconv.Itoa(i), []string{tc.path})
		if tc.ok {
			if err != nil {
				t.Errorf("path %.20q: %v", tc.path, err)
			} else if inv.Paths[0] != tc.path {
				t.Errorf("path %.20q stored as %.20q", tc.path, inv.Paths[0])
			}
			continue
		}
		wantCode(t, err, "InvalidArgument")
		if e.revision() != rev {
			t.Errorf("path %.20q: refused batch wrote to the store", tc.path)
		}
	}
}

func TestCreateInvalidation(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	e.c.SetClock(func() time.Time { return at })
	d := e.create(distConfig("ref-1"))
	paths := []string{"/b", "/a%20c", "/img/*"}
	inv, created, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-1", paths)
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if !invalIDPattern.MatchString(inv.ID) || inv.Status != "InProgress" || !inv.CreateTime.Equal(at) ||
		inv.CallerReference != "inv-1" || inv.DistributionID != d.ID || !slices.Equal(inv.Paths, paths) {
		t.Errorf("invalidation = %+v", inv)
	}
	if got := e.get(d.ID).InProgressInvalidationBatches; got != 1 {
		t.Errorf("InProgressInvalidationBatches = %d, want 1", got)
	}
	e.deploy()
	got, err := e.c.GetInvalidation(e.ctx, d.ID, inv.ID)
	if err != nil || got.Status != "Completed" {
		t.Fatalf("after the edge reported: %+v, %v", got, err)
	}
	if n := e.get(d.ID).InProgressInvalidationBatches; n != 0 {
		t.Errorf("InProgressInvalidationBatches after completion = %d", n)
	}

	t.Run("caller reference", func(t *testing.T) {
		rev := e.revision()
		again, created, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-1", paths)
		if err != nil || created || again.ID != inv.ID {
			t.Fatalf("retry: id %s created=%v err=%v", again.ID, created, err)
		}
		if e.revision() != rev {
			t.Error("a retry wrote to the store")
		}
		_, _, err = e.c.CreateInvalidation(e.ctx, d.ID, "inv-1", []string{"/other"})
		wantCode(t, err, "InvalidationBatchAlreadyExists")
		// Reordered paths are another batch.
		_, _, err = e.c.CreateInvalidation(e.ctx, d.ID, "inv-1", []string{"/a%20c", "/b", "/img/*"})
		wantCode(t, err, "InvalidationBatchAlreadyExists")
		// References are per distribution.
		d2 := e.create(distConfig("ref-2"))
		other, created, err := e.c.CreateInvalidation(e.ctx, d2.ID, "inv-1", []string{"/other"})
		if err != nil || !created || other.ID == inv.ID {
			t.Fatalf("same reference on another distribution: %+v created=%v err=%v", other, created, err)
		}
		_, err = e.c.GetInvalidation(e.ctx, d2.ID, inv.ID)
		wantCode(t, err, "NoSuchInvalidation")
	})

	t.Run("errors", func(t *testing.T) {
		rev := e.revision()
		for _, tc := range []struct {
			name, dist string
			paths      []string
			want       string
		}{
			{"unknown distribution", "ENOSUCHDIST000", []string{"/a"}, "NoSuchDistribution"},
			{"no paths", d.ID, nil, "InvalidArgument"},
			{"relative path", d.ID, []string{"/a", "b"}, "InvalidArgument"},
			{"inner wildcard", d.ID, []string{"/a*/b"}, "InvalidArgument"},
		} {
			_, _, err := e.c.CreateInvalidation(e.ctx, tc.dist, "ref-"+tc.name, tc.paths)
			wantCode(t, err, tc.want)
		}
		_, err := e.c.GetInvalidation(e.ctx, "ENOSUCHDIST000", inv.ID)
		wantCode(t, err, "NoSuchDistribution")
		_, err = e.c.GetInvalidation(e.ctx, d.ID, "INOSUCHINVAL00")
		wantCode(t, err, "NoSuchInvalidation")
		_, _, err = e.c.ListInvalidations(e.ctx, "ENOSUCHDIST000", control.ListOptions{MaxItems: 10})
		wantCode(t, err, "NoSuchDistribution")
		if e.revision() != rev {
			t.Error("a refused invalidation wrote to the store")
		}
	})

	t.Run("disabled distribution", func(t *testing.T) {
		e.mustUpdate(d.ID, func(c map[string]any) { c["Enabled"] = "false" })
		if _, _, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-disabled", []string{"/x"}); err != nil {
			t.Errorf("invalidation of a disabled distribution: %v", err)
		}
	})
}

// TestCreateInvalidation_quotas: at most InvalidationPaths individual and
// InvalidationWildcards wildcard paths in progress per distribution,
// counted independently and including the new batch; at most PathsPerBatch
// in one batch (BatchTooLarge). Completed batches stop counting.
func TestCreateInvalidation_quotas(t *testing.T) {
	e := newEnvQuotas(t, testQuotas) // 5 paths, 2 wildcards, 6 per batch
	d := e.create(distConfig("ref-1"))
	n := 0
	create := func(paths ...string) error {
		n++
		_, _, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-"+strconv.Itoa(n), paths)
		return err
	}
	pathsN := func(prefix string, k int) []string {
		var ps []string
		for i := range k {
			ps = append(ps, prefix+strconv.Itoa(i))
		}
		return ps
	}

	wantCode(t, create(pathsN("/big", 7)...), "BatchTooLarge")
	if err := create(pathsN("/f", 4)...); err != nil {
		t.Fatal(err)
	}
	wantCode(t, create("/g1", "/g2"), "TooManyInvalidationsInProgress")
	if err := create("/g1"); err != nil {
		t.Fatalf("fifth path: %v", err)
	}
	wantCode(t, create("/g2"), "TooManyInvalidationsInProgress")

	// Wildcards have their own budget.
	if err := create("/w1/*", "/w2/*"); err != nil {
		t.Fatalf("wildcards next to 5 paths in progress: %v", err)
	}
	wantCode(t, create("/w3/*"), "TooManyInvalidationsInProgress")

	// A second distribution has its own budget.
	d2 := e.create(distConfig("ref-2"))
	if _, _, err := e.c.CreateInvalidation(e.ctx, d2.ID, "other", pathsN("/f", 5)); err != nil {
		t.Fatalf("another distribution: %v", err)
	}

	// Once the edge has purged them, they no longer count.
	e.deploy()
	if err := create(pathsN("/h", 5)...); err != nil {
		t.Fatalf("after completion: %v", err)
	}
	if err := create("/w3/*", "/w4/*"); err != nil {
		t.Fatalf("wildcards after completion: %v", err)
	}
}

// TestListInvalidations: most recent first, paged by id.
func TestListInvalidations(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	var ids []string
	for i := range 5 {
		inv, _, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-"+strconv.Itoa(i), []string{"/" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inv.ID)
		if i == 2 {
			e.deploy()
		}
	}
	slices.Reverse(ids)
	var got, status []string
	marker := ""
	for {
		invs, p, err := e.c.ListInvalidations(e.ctx, d.ID, control.ListOptions{Marker: marker, MaxItems: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			got = append(got, inv.ID)
			status = append(status, inv.Status)
		}
		if !p.IsTruncated {
			break
		}
		marker = p.NextMarker
	}
	if !slices.Equal(got, ids) {
		t.Errorf("order %v, want most recent first %v", got, ids)
	}
	if want := []string{"InProgress", "InProgress", "Completed", "Completed", "Completed"}; !slices.Equal(status, want) {
		t.Errorf("status %v, want %v", status, want)
	}
}

// TestDeleteDistribution_removesInvalidations: a distribution's
// invalidations and their references go with it.
func TestDeleteDistribution_removesInvalidations(t *testing.T) {
	e := newEnv(t)
	d := e.create(distConfig("ref-1"))
	if _, _, err := e.c.CreateInvalidation(e.ctx, d.ID, "inv-1", []string{"/a"}); err != nil {
		t.Fatal(err)
	}
	e.disableAndDelete(d.ID)
	for _, prefix := range []string{"inval/", "callerref/inval/"} {
		if k := e.keys(prefix); len(k) != 0 {
			t.Errorf("left under %s: %v", prefix, k)
		}
	}
}
