package control

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"openfront/internal/functions"
	"openfront/internal/model"
	"openfront/internal/store"
)

// CloudFront Functions: the 2020-05-31 operations CreateFunction,
// DescribeFunction, GetFunction, UpdateFunction, PublishFunction,
// TestFunction, DeleteFunction and ListFunctions (botocore's model;
// Developer Guide "Managing functions" and "Testing functions").

// Function stages.
const (
	StageDevelopment = "DEVELOPMENT"
	StageLive        = "LIVE"
)

// Function status values (FunctionSummary.Status).
const (
	FunctionUnpublished  = "UNPUBLISHED"
	FunctionUnassociated = "UNASSOCIATED"
	FunctionAssociated   = "ASSOCIATED"
)

// Function limits ("Quotas", CloudFront Functions): the code is at most
// 10 KB; the model allows FunctionBlob up to 40,960 bytes, and anything
// over the quota is FunctionSizeLimitExceeded.
const (
	MaxFunctionCodeBytes = 10 * 1024
	maxFunctionComment   = 128
	// FunctionBudget of CPU time is 100% compute utilization; a run is
	// interrupted after FunctionTimeLimit of CPU time (or twenty times that
	// of wall-clock time, internal/functions).
	FunctionBudget    = time.Millisecond
	FunctionTimeLimit = 5 * FunctionBudget
)

var functionName = model.LazyRegexp(`^[a-zA-Z0-9_-]{1,64}$`)

func functionKey(name string) string { return model.FunctionKey(name) }

// functionRefPrefix lists the owners (dist/<id>) whose cache behaviours
// associate the function: functionref/<name>/<owner>.
func functionRefPrefix(name string) string { return model.RefsPrefix(model.FunctionRefPrefix, name) }

// Function is one stage of a function as the API shows it.
type Function struct {
	Name              string
	Stage             string
	Status            string
	ARN               string
	ETag              string
	CreatedTime       time.Time
	LastModified      time.Time
	Comment           string
	Runtime           string
	KeyValueStoreARNs []string
	Code              []byte
}

// FunctionInput is what CreateFunction and UpdateFunction set.
type FunctionInput struct {
	Comment           string
	Runtime           string
	KeyValueStoreARNs []string
	Code              []byte
	Tags              []Tag
}

func errNoSuchFunction(name string) error {
	return model.Errorf("NoSuchFunctionExists", "The function %q does not exist.", name)
}

func errNoLiveStage(name string) error {
	return model.Errorf("NoSuchFunctionExists", "The function %q has no LIVE stage: it has not been published.", name)
}

// functionETag is a stage's ETag: it changes with each update of the
// stage and never repeats across a delete and re-create.
func functionETag(rec *model.FunctionRecord, stage string, version int64) string {
	return etag(rec.Nonce+"/"+stage, version)
}

func checkFunctionInput(in FunctionInput) error {
	if len(in.Code) > MaxFunctionCodeBytes {
		return model.Errorf("FunctionSizeLimitExceeded", "The function code is %d bytes: the maximum is %d bytes.", len(in.Code), MaxFunctionCodeBytes)
	}
	if len(in.Code) == 0 {
		return model.Errorf("InvalidArgument", "The parameter FunctionCode cannot be empty.")
	}
	if len(in.Comment) > maxFunctionComment {
		return model.Errorf("InvalidArgument", "The parameter Comment is too long (maximum %d characters).", maxFunctionComment)
	}
	if in.Runtime != functions.Runtime10 && in.Runtime != functions.Runtime20 {
		return model.Errorf("InvalidArgument", "The parameter Runtime must be cloudfront-js-1.0 or cloudfront-js-2.0.")
	}
	if len(in.KeyValueStoreARNs) > 0 && in.Runtime != functions.Runtime20 {
		// Developer Guide, "Amazon CloudFront KeyValueStore": key value
		// stores work only with JavaScript runtime 2.0.
		return model.Errorf("InvalidArgument", "A key value store can be associated only with a function of runtime cloudfront-js-2.0, not %s.", in.Runtime)
	}
	if len(in.Tags) > 0 {
		return model.Errorf("InvalidArgument", "Tags on functions are not supported by OpenFront yet.")
	}
	return nil
}

func checkFunctionName(name string) error {
	if !functionName.MatchString(name) {
		return model.Errorf("InvalidArgument", "The function name %q is not valid: use 1 to 64 letters, digits, hyphens and underscores.", name)
	}
	return nil
}

func (c *Control) getFunction(tx store.ReadTxn, name string) (*model.FunctionRecord, store.KV, error) {
	if !functionName.MatchString(name) {
		return nil, store.KV{}, errNoSuchFunction(name)
	}
	kv, ok, err := tx.Get(functionKey(name))
	if err != nil {
		return nil, kv, err
	}
	if !ok {
		return nil, kv, errNoSuchFunction(name)
	}
	rec, err := decode[model.FunctionRecord](c, kv)
	return rec, kv, err
}

func (c *Control) functionView(ctx context.Context, tx store.ReadTxn, rec *model.FunctionRecord, stage string) (*Function, error) {
	refs, err := tx.ListKeys(functionRefPrefix(rec.Name))
	if err != nil {
		return nil, err
	}
	liveStatus := FunctionUnassociated
	if len(refs) > 0 {
		liveStatus = FunctionAssociated
	}
	st, status := &rec.Development, FunctionUnpublished
	switch stage {
	case StageLive:
		if rec.Live == nil {
			return nil, errNoLiveStage(rec.Name)
		}
		st, status = rec.Live, liveStatus
	default:
		stage = StageDevelopment
		if rec.Live != nil && rec.Live.Version == rec.Development.Version {
			status = liveStatus
		}
	}
	return &Function{
		Name: rec.Name, Stage: stage, Status: status, ARN: c.arn(ctx, "function", rec.Name),
		ETag: functionETag(rec, stage, st.Version), CreatedTime: rec.CreatedTime, LastModified: st.LastModified,
		Comment: st.Comment, Runtime: st.Runtime, KeyValueStoreARNs: st.KeyValueStoreARNs, Code: st.Code,
	}, nil
}

func checkStage(stage string) error {
	if stage != "" && stage != StageDevelopment && stage != StageLive {
		return model.Errorf("InvalidArgument", "The parameter Stage must be DEVELOPMENT or LIVE.")
	}
	return nil
}

// CreateFunction creates a function in the DEVELOPMENT stage. Code that
// does not compile is stored, as CloudFront does; TestFunction reports the
// error.
func (c *Control) CreateFunction(ctx context.Context, name string, in FunctionInput) (*Function, error) {
	if err := checkFunctionName(name); err != nil {
		return nil, err
	}
	if err := checkFunctionInput(in); err != nil {
		return nil, err
	}
	var fn *Function
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		if _, ok, err := tx.Get(functionKey(name)); err != nil {
			return err
		} else if ok {
			return model.Errorf("FunctionAlreadyExists", "A function with the name %q already exists. To update it, use UpdateFunction.", name)
		}
		if err := c.checkKVSAssociations(tx, in.KeyValueStoreARNs); err != nil {
			return err
		}
		n, err := countKeys(tx, model.FunctionPrefix)
		if err != nil {
			return err
		}
		if n >= c.settings.Quotas.Functions {
			return model.Errorf("TooManyFunctions", "You have reached the maximum number of CloudFront functions for this account (%d).", c.settings.Quotas.Functions)
		}
		now := c.now().UTC()
		rec := &model.FunctionRecord{Name: name, Nonce: rand.Text(), CreatedTime: now,
			Development: model.FunctionStage{Version: 1, Comment: in.Comment, Runtime: in.Runtime, KeyValueStoreARNs: in.KeyValueStoreARNs, Code: in.Code, LastModified: now}}
		if err := putJSON(tx, functionKey(name), rec); err != nil {
			return err
		}
		if err := c.syncKVSRefs(tx, name, nil, rec); err != nil {
			return err
		}
		fn, err = c.functionView(ctx, tx, rec, StageDevelopment)
		return err
	})
	return fn, err
}

// DescribeFunction returns a stage of a function (DEVELOPMENT when stage
// is empty); the LIVE stage of a function never published is
// NoSuchFunctionExists.
func (c *Control) DescribeFunction(ctx context.Context, name, stage string) (*Function, error) {
	if err := checkStage(stage); err != nil {
		return nil, err
	}
	var fn *Function
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		rec, _, err := c.getFunction(tx, name)
		if err != nil {
			return err
		}
		fn, err = c.functionView(ctx, tx, rec, stage)
		return err
	})
	return fn, err
}

// UpdateFunction replaces the DEVELOPMENT stage's code and config; If-Match
// is the DEVELOPMENT stage's ETag. The LIVE stage is unchanged until the
// next PublishFunction.
func (c *Control) UpdateFunction(ctx context.Context, name, ifMatch string, in FunctionInput) (*Function, error) {
	var fn *Function
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		rec, err := c.functionForChange(tx, name, ifMatch)
		if err != nil {
			return err
		}
		if err := checkFunctionInput(in); err != nil {
			return err
		}
		if err := c.checkKVSAssociations(tx, in.KeyValueStoreARNs); err != nil {
			return err
		}
		next := *rec
		next.Development = model.FunctionStage{Version: rec.Development.Version + 1, Comment: in.Comment, Runtime: in.Runtime,
			KeyValueStoreARNs: in.KeyValueStoreARNs, Code: in.Code, LastModified: c.now().UTC()}
		if err := putJSON(tx, functionKey(name), &next); err != nil {
			return err
		}
		if err := c.syncKVSRefs(tx, name, rec, &next); err != nil {
			return err
		}
		fn, err = c.functionView(ctx, tx, &next, StageDevelopment)
		return err
	})
	return fn, err
}

// PublishFunction copies the DEVELOPMENT stage to LIVE; If-Match is the
// DEVELOPMENT stage's ETag. It returns the LIVE stage.
func (c *Control) PublishFunction(ctx context.Context, name, ifMatch string) (*Function, error) {
	var fn *Function
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		rec, err := c.functionForChange(tx, name, ifMatch)
		if err != nil {
			return err
		}
		next := *rec
		live := rec.Development
		live.LastModified = c.now().UTC()
		next.Live = &live
		if err := putJSON(tx, functionKey(name), &next); err != nil {
			return err
		}
		if err := c.syncKVSRefs(tx, name, rec, &next); err != nil {
			return err
		}
		fn, err = c.functionView(ctx, tx, &next, StageLive)
		return err
	})
	return fn, err
}

// DeleteFunction deletes a function no cache behaviour associates
// (FunctionInUse otherwise); If-Match is the ETag of either stage.
func (c *Control) DeleteFunction(ctx context.Context, name, ifMatch string) error {
	_, err := c.store.Update(ctx, func(tx store.Txn) error {
		rec, _, err := c.getFunction(tx, name)
		if err != nil {
			return err
		}
		current := functionETag(rec, StageDevelopment, rec.Development.Version)
		if rec.Live != nil && ifMatch == functionETag(rec, StageLive, rec.Live.Version) {
			current = ifMatch
		}
		if err := checkIfMatch(ifMatch, current); err != nil {
			return err
		}
		refs, err := tx.ListKeys(functionRefPrefix(name))
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return model.Errorf("FunctionInUse", "Cannot delete the function %q because it is associated with one or more cache behaviors.", name)
		}
		if err := c.syncKVSRefs(tx, name, rec, nil); err != nil {
			return err
		}
		return tx.Delete(functionKey(name))
	})
	if err == nil {
		c.forget(functionKey(name))
	}
	return err
}

// ListFunctions lists functions in creation order: the stage given, or
// both stages of each (a function never published has no LIVE entry).
func (c *Control) ListFunctions(ctx context.Context, stage string, opts ListOptions) ([]*Function, Page, error) {
	if err := checkStage(stage); err != nil {
		return nil, Page{}, err
	}
	var all []*Function
	err := c.store.View(ctx, func(tx store.ReadTxn) error {
		kvs, err := tx.List(model.FunctionPrefix)
		if err != nil {
			return err
		}
		slices.SortFunc(kvs, func(a, b store.KV) int { return int(a.CreateRevision - b.CreateRevision) })
		for _, kv := range kvs {
			rec, err := decode[model.FunctionRecord](c, kv)
			if err != nil {
				return err
			}
			for _, st := range []string{StageDevelopment, StageLive} {
				if stage != "" && st != stage || st == StageLive && rec.Live == nil {
					continue
				}
				fn, err := c.functionView(ctx, tx, rec, st)
				if err != nil {
					return err
				}
				all = append(all, fn)
			}
		}
		return nil
	})
	if err != nil {
		return nil, Page{}, err
	}
	items, next, truncated := page(all, func(f *Function) string { return f.Name + "@" + f.Stage }, opts.Marker, opts.MaxItems)
	return items, Page{Marker: opts.Marker, NextMarker: next, MaxItems: opts.MaxItems, IsTruncated: truncated}, nil
}

// GetFunction returns a stage of a function with its code.
func (c *Control) GetFunction(ctx context.Context, name, stage string) (*Function, error) {
	return c.DescribeFunction(ctx, name, stage)
}

// TestResult is what TestFunction reports ("Testing functions").
type TestResult struct {
	Function           *Function
	ComputeUtilization string // integer percentage of FunctionBudget
	Logs               []string
	ErrorMessage       string
	Output             string // {"request": ...} or {"response": ...}
}

// errorPrefix is how CloudFront words a function failure.
const errorPrefix = "The CloudFront function associated with the CloudFront distribution is invalid or could not run. "

// TestFunction runs a stage of a function (DEVELOPMENT when stage is
// empty) on an event object with the engine the edge uses. If-Match is
// that stage's ETag. A function that fails is reported in the result
// (FunctionErrorMessage), not as an API error; an event object that is
// not one is InvalidArgument.
func (c *Control) TestFunction(ctx context.Context, name, ifMatch, stage string, event []byte) (*TestResult, error) {
	if err := checkStage(stage); err != nil {
		return nil, err
	}
	fn, err := c.DescribeFunction(ctx, name, stage)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(ifMatch, fn.ETag); err != nil {
		return nil, err
	}
	ev, err := functions.ParseEvent(event)
	if err != nil {
		return nil, model.Errorf("InvalidArgument", "The EventObject is not a valid event object: %v.", err)
	}
	if len(fn.KeyValueStoreARNs) > 0 {
		// cf.kvs() reads the associated store as it is now.
		if ev.KeyValueStore, err = c.kvsForFunction(ctx, fn.KeyValueStoreARNs[0]); err != nil {
			return nil, err
		}
	}
	res := &TestResult{Function: fn, ComputeUtilization: "0", Logs: []string{}}
	prog, err := compiledProgram(fn)
	if err != nil {
		res.ErrorMessage = errorPrefix + err.Error()
		return res, nil
	}
	out, run, err := safeRun(prog, ev)
	res.Logs = append(res.Logs, run.Logs...)
	res.ComputeUtilization = utilization(run.CPU)
	var fe *functions.Error
	switch {
	case errors.As(err, &fe):
		res.ErrorMessage = errorPrefix + fe.Message
	case err != nil:
		return nil, model.Errorf("TestFunctionFailed", "The CloudFront function failed: %v.", err)
	default:
		res.Output = string(out.OutputJSON())
	}
	return res, nil
}

// safeRun runs the program, turning an engine panic into an error.
func safeRun(prog *functions.Program, ev *functions.Event) (res *functions.Result, run *functions.Run, err error) {
	run = &functions.Run{}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("engine failure: %v", p)
		}
	}()
	return prog.Run(ev, FunctionTimeLimit)
}

// utilization is the run's CPU time as an integer percentage of
// FunctionBudget, at most 100 ("a number between 0 and 100").
func utilization(d time.Duration) string {
	pct := int64(d * 100 / FunctionBudget)
	return strconv.FormatInt(min(pct, 100), 10)
}

// programs caches compiled stages by ETag, so repeated TestFunction calls
// compile once; bounded by clearing (each program holds its idle
// runtimes).
const maxCachedPrograms = 32

var programs struct {
	sync.Mutex
	m map[string]*functions.Program
}

func compiledProgram(fn *Function) (*functions.Program, error) {
	key := fn.ETag + "/" + fn.Runtime
	programs.Lock()
	p := programs.m[key]
	programs.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := functions.Compile(fn.Code, fn.Runtime)
	if err != nil {
		return nil, err
	}
	programs.Lock()
	if programs.m == nil || len(programs.m) >= maxCachedPrograms {
		programs.m = map[string]*functions.Program{}
	}
	programs.m[key] = p
	programs.Unlock()
	return p, nil
}

// maxDistributionsPerFunction is CloudFront's quota "Distributions
// associated with a single function" ("Quotas", CloudFront Functions).
const maxDistributionsPerFunction = 100

// checkFunctionAssociations checks the FunctionAssociations of every cache
// behaviour of the distribution owner: each names a function of this
// account that has a LIVE stage, at most one per event type
// (InvalidFunctionAssociation otherwise, the error CloudFront documents for
// an invalid association), and no function is associated with more
// distributions than the quota allows
// (TooManyDistributionsWithSingleFunctionARN).
func (c *Control) checkFunctionAssociations(tx store.ReadTxn, owner string, cfg model.Tree) error {
	checked := map[string]bool{}
	for _, b := range behaviorTrees(cfg) {
		pattern := model.StrOr(b, "*", "PathPattern")
		seen := map[string]bool{}
		for _, fa := range model.StructItems(b, "FunctionAssociations") {
			switch et := model.StrOr(fa, "", "EventType"); {
			case et != "viewer-request" && et != "viewer-response":
				return model.Errorf("InvalidFunctionAssociation", "The event type %q of a function associated with cache behavior %q is not valid: CloudFront Functions run on viewer-request and viewer-response.", et, pattern)
			case seen[et]:
				return model.Errorf("InvalidFunctionAssociation", "Cache behavior %q associates more than one function with %s: at most one function per event type.", pattern, et)
			default:
				seen[et] = true
			}
		}
		for _, fa := range model.StructItems(b, "FunctionAssociations") {
			arn := model.StrOr(fa, "", "FunctionARN")
			name, ok := c.functionNameOf(arn)
			if !ok {
				return model.Errorf("InvalidFunctionAssociation", "The function ARN %q associated with cache behavior %q is not the ARN of a function of this account.", arn, pattern)
			}
			if checked[name] {
				continue
			}
			checked[name] = true
			rec, _, err := c.getFunction(tx, name)
			var me *model.Error
			if errors.As(err, &me) {
				return model.Errorf("InvalidFunctionAssociation", "The function %q associated with cache behavior %q does not exist.", arn, pattern)
			} else if err != nil {
				return err
			}
			if rec.Live == nil {
				return model.Errorf("InvalidFunctionAssociation", "The function %q associated with cache behavior %q is not published: publish it to the LIVE stage first.", arn, pattern)
			}
			refs, err := tx.ListKeys(functionRefPrefix(name))
			if err != nil {
				return err
			}
			others := 0
			for _, k := range refs {
				if k.Key != functionRefPrefix(name)+owner {
					others++
				}
			}
			if others >= maxDistributionsPerFunction {
				return model.Errorf("TooManyDistributionsWithSingleFunctionARN", "The function %q is associated with the maximum number of distributions (%d).", arn, maxDistributionsPerFunction)
			}
		}
	}
	return nil
}

// functionRefKeys are the in-use index keys of the functions a
// distribution's behaviours associate (functionRefPrefix): DeleteFunction
// answers FunctionInUse while one exists, and the function's LIVE status
// is ASSOCIATED.
func functionRefKeys(p *model.DistributionConfig, owner string) []string {
	var keys []string
	for _, name := range associatedFunctions(p) {
		keys = append(keys, functionRefPrefix(name)+owner)
	}
	slices.Sort(keys)
	return keys
}

// associatedFunctions are the names of the CloudFront Functions a
// distribution's behaviours associate (by ARN), each once: what it may
// not lose (functionRefKeys) and what it deploys (dependencies).
func associatedFunctions(p *model.DistributionConfig) []string {
	var names []string
	for _, b := range p.AllBehaviors() {
		for _, arn := range b.Functions {
			if _, name, ok := strings.Cut(arn, ":function/"); ok {
				names = appendNew(names, name)
			}
		}
	}
	return names
}

// functionNameOf reads arn:<partition>:cloudfront::<account>:function/<name>
// for this account.
func (c *Control) functionNameOf(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" || parts[3] != "" || parts[4] != c.settings.AccountID {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "function/")
	return name, ok && functionName.MatchString(name)
}

// functionForChange reads a function whose DEVELOPMENT stage is about to
// change or be published, checking If-Match against that stage's ETag.
func (c *Control) functionForChange(tx store.ReadTxn, name, ifMatch string) (*model.FunctionRecord, error) {
	rec, _, err := c.getFunction(tx, name)
	if err != nil {
		return nil, err
	}
	return rec, checkIfMatch(ifMatch, functionETag(rec, StageDevelopment, rec.Development.Version))
}
