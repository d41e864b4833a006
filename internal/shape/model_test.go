package shape_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"openfront/internal/shape"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		version, namespace string
		ops                int
	}{
		{"2016-01-13", "http://cloudfront.amazonaws.com/doc/2016-01-13/", 22},
		{"2020-05-31", "http://cloudfront.amazonaws.com/doc/2020-05-31/", 167},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			m := mustLoad(t, tc.version)
			if m.Version() != tc.version || m.Namespace() != tc.namespace {
				t.Errorf("Version, Namespace = %q, %q", m.Version(), m.Namespace())
			}
			if again := mustLoad(t, tc.version); again != m {
				t.Error("Load parsed the model twice")
			}
			if len(m.Operations()) != tc.ops {
				t.Errorf("%d operations, want %d", len(m.Operations()), tc.ops)
			}
		})
	}
	if _, err := shape.Load("2019-03-26"); err == nil {
		t.Error("Load of an unsupported version succeeded")
	}
}

func TestModel_shapes(t *testing.T) {
	m16, m20 := mustLoad(t, "2016-01-13"), mustLoad(t, "2020-05-31")
	if !m20.HasShape("Tags") || m16.HasShape("Tags") {
		t.Error("Tags should exist in 2020 only")
	}
	if !m20.HasMember("Origin", "ConnectionAttempts") || m16.HasMember("Origin", "ConnectionAttempts") {
		t.Error("Origin.ConnectionAttempts should exist in 2020 only")
	}
	if s, ok := m16.MemberShape("DistributionConfig", "Aliases"); !ok || s != "Aliases" {
		t.Errorf("MemberShape(DistributionConfig, Aliases) = %q, %v", s, ok)
	}
	if _, ok := m16.MemberShape("NoSuchShape", "X"); ok {
		t.Error("MemberShape of an unknown shape succeeded")
	}
}

func TestModel_Operation(t *testing.T) {
	m := mustLoad(t, "2020-05-31")
	op, ok := m.Operation("UpdateDistribution")
	if !ok {
		t.Fatal("UpdateDistribution missing")
	}
	want := shape.Operation{
		Name: "UpdateDistribution", Method: "PUT", RequestURI: "/2020-05-31/distribution/{Id}/config", ResponseCode: 200,
		InputShape: "UpdateDistributionRequest", OutputShape: "UpdateDistributionResult",
		InputPayload: "DistributionConfig", InputPayloadShape: "DistributionConfig", InputPayloadElement: "DistributionConfig",
		OutputPayload: "Distribution", OutputPayloadShape: "Distribution", OutputPayloadElement: "Distribution",
	}
	if diff := cmp.Diff(want, op, cmpopts.IgnoreFields(shape.Operation{}, "Errors")); diff != "" {
		t.Errorf("Operation (-want +got):\n%s", diff)
	}
	if len(op.Errors) == 0 {
		t.Error("no errors declared")
	}
	op, _ = m.Operation("UntagResource")
	if op.InputPayloadElement != "TagKeys" || op.ResponseCode != 204 || op.OutputShape != "" {
		t.Errorf("UntagResource = %+v", op)
	}
	op, _ = mustLoad(t, "2016-01-13").Operation("CreateInvalidation")
	if op.InputPayloadShape != "InvalidationBatch" || op.ResponseCode != 201 {
		t.Errorf("CreateInvalidation = %+v", op)
	}
}
