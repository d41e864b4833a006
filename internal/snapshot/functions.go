package snapshot

import (
	"fmt"
	"log/slog"
	"strings"

	"openfront/internal/functions"
	"openfront/internal/model"
)

// Function is the LIVE stage of a CloudFront function associated with a
// cache behaviour, compiled once per published version ("Only the LIVE
// stage runs at the edge": Developer Guide, "Publish functions").
type Function struct {
	Name string
	ARN  string
	// Program is nil when the function no longer exists or has no LIVE
	// stage (the control plane prevents both; the edge answers
	// FunctionExecutionError rather than skip the function).
	Program *functions.Program
	// KeyValueStore is the store the function associates, as of this
	// snapshot (nil: none); its cf.kvs() reads it.
	KeyValueStore *functions.KeyValueStore
}

// functionNameOf is the name in arn:aws:cloudfront::<account>:function/<name>.
func functionNameOf(arn string) string {
	if i := strings.LastIndex(arn, ":function/"); i >= 0 {
		return arn[i+len(":function/"):]
	}
	return ""
}

// programKey identifies one LIVE version of a function: a publish or a
// delete and re-create changes it.
func programKey(rec *model.FunctionRecord) string {
	return fmt.Sprintf("%s/%s/%d/%s", rec.Name, rec.Nonce, rec.Live.Version, rec.Live.Runtime)
}

// compileFunctions gives every behaviour of the snapshot its associated
// functions. Programs are reused across snapshots while their LIVE version
// is unchanged, so a snapshot rebuild compiles only what was published
// since; the cache keeps only what this snapshot uses.
func (r *records) compileFunctions(s *Snapshot, log *slog.Logger) {
	used := map[string]*functions.Program{}
	get := func(arn string) *Function {
		fn := &Function{Name: functionNameOf(arn), ARN: arn}
		rec := r.functions[model.FunctionKey(fn.Name)]
		if rec == nil || rec.Live == nil {
			log.Error("snapshot: associated function is missing or unpublished", "function", arn)
			return fn
		}
		key := programKey(rec)
		p := r.programs[key]
		if p == nil {
			var err error
			if p, err = functions.Compile(rec.Live.Code, rec.Live.Runtime); err != nil {
				log.Error("snapshot: LIVE function does not compile", "function", arn, "err", err)
				return fn
			}
		}
		used[key] = p
		fn.Program = p
		if arns := rec.Live.KeyValueStoreARNs; len(arns) > 0 {
			if fn.KeyValueStore = r.kvsView(arns[0]); fn.KeyValueStore == nil {
				log.Error("snapshot: function's key value store is missing", "function", arn, "kvs", arns[0])
			}
		}
		return fn
	}
	for _, d := range s.Distributions {
		for _, b := range d.Behaviors {
			if arn := b.Functions[functions.ViewerRequest]; arn != "" {
				b.ViewerRequest = get(arn)
			}
			if arn := b.Functions[functions.ViewerResponse]; arn != "" {
				b.ViewerResponse = get(arn)
			}
		}
	}
	r.programs = used
}

// CompileWithFunctions is Compile with the function records the
// distributions' behaviours may associate (tests and benchmarks).
func CompileWithFunctions(rev int64, dists []*model.DistributionRecord, fns []*model.FunctionRecord, log *slog.Logger) *Snapshot {
	if log == nil {
		log = slog.Default()
	}
	r := newRecords()
	for _, d := range dists {
		r.dists[model.DistributionKey(d.ID)] = d
	}
	for _, f := range fns {
		r.functions[model.FunctionKey(f.Name)] = f
	}
	return r.compile(rev, log)
}
