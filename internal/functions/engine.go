package functions

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// Runtimes (FunctionConfig.Runtime in the 2020-05-31 model).
const (
	Runtime10 = "cloudfront-js-1.0"
	Runtime20 = "cloudfront-js-2.0"
)

// Result types of a failed run, as CloudFront names them in logs and
// X-Cache ("CloudFront Functions" pages on errors and logging).
const (
	ExecutionError  = "FunctionExecutionError"
	ThrottledError  = "FunctionThrottledError"
	ValidationError = "FunctionValidationError"
)

// Sizes a run may not exceed (see the package documentation: memory).
const (
	MaxArrayLength  = 1 << 18
	MaxStringLength = 1 << 20
	MaxBufferBytes  = 1 << 21
	maxCallStack    = 512
	maxLogBytes     = 10 * 1024
	loadLimit       = 100 * time.Millisecond // top-level code, once per runtime
	wallFactor      = 20                     // wall-clock cap of a run, in limits
)

// Error is a failed run.
type Error struct {
	Type    string // ExecutionError, ThrottledError or ValidationError
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Result is a successful run: exactly one of Request and Response is set.
type Result struct {
	Request  *Request
	Response *Response
	// OriginChanges are the cloudfront module's origin modification calls,
	// in order (2.0, viewer-request).
	OriginChanges []OriginChange
}

// OriginChange is one call of cf.updateRequestOrigin,
// cf.selectRequestOriginById or cf.createRequestOriginGroup with its
// arguments exported to Go values (origin.go): Arg is the properties
// object, or the origin id of selectRequestOriginById, whose
// origin_overrides object is Overrides (nil when not given).
type OriginChange struct {
	Method    string
	Arg       any
	Overrides any
}

// Run reports what a run did besides its result.
type Run struct {
	Logs     []string      // console.log lines
	Duration time.Duration // wall-clock time of the handler call
	// CPU is the CPU time the run used (its thread's CPU clock, where the
	// system has one; else the wall-clock time).
	CPU time.Duration
}

// Program is compiled function code with a pool of ready runtimes.
type Program struct {
	runtime string
	prog    *goja.Program
	pool    chan *vm // ready runtimes; more are made on demand, extras dropped
}

// poolSize bounds the idle runtimes a program keeps (a few hundred KB
// each).
var poolSize = max(4, 2*runtime.GOMAXPROCS(0))

func (p *Program) get() *vm {
	select {
	case v := <-p.pool:
		return v
	default:
		return nil
	}
}

func (p *Program) put(v *vm) {
	select {
	case p.pool <- v:
	default:
	}
}

// CompileError is code that does not compile or has no handler.
type CompileError struct{ Message string }

func (e *CompileError) Error() string { return e.Message }

// The 2.0 module syntax CloudFront documents (import cf from
// 'cloudfront'; import crypto from 'crypto'), and the namespace and named
// forms, are rewritten to require calls before compiling, keeping line
// numbers.
var (
	importLine      = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)[ \t]+from[ \t]+(['"])([a-z]+)(['"])[ \t]*;?`)
	importNamespace = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+\*[ \t]+as[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)[ \t]+from[ \t]+(['"])([a-z]+)(['"])[ \t]*;?`)
	asBinding       = regexp.MustCompile(`[ \t]+as[ \t]+`)
	importNamed     = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+(\{[A-Za-z0-9_$, \t]*\})[ \t]+from[ \t]+(['"])([a-z]+)(['"])[ \t]*;?`)
)

// Compile compiles code for the runtime and checks that it defines a
// handler function.
func Compile(code []byte, rt string) (*Program, error) {
	if rt != Runtime10 && rt != Runtime20 {
		return nil, &CompileError{fmt.Sprintf("The runtime %q is not cloudfront-js-1.0 or cloudfront-js-2.0.", rt)}
	}
	src := string(code)
	if rt == Runtime20 {
		src = importLine.ReplaceAllString(src, "var $1 = require($2$3$4);")
		src = importNamespace.ReplaceAllString(src, "var $1 = require($2$3$4);")
		src = importNamed.ReplaceAllStringFunc(src, func(m string) string {
			// import { a as b } binds b: destructuring spells it { a: b }.
			sub := importNamed.FindStringSubmatch(m)
			names := asBinding.ReplaceAllString(sub[1], ": ")
			return "var " + names + " = require(" + sub[2] + sub[3] + sub[4] + ");"
		})
	}
	parsed, err := goja.Parse("function.js", src)
	if err != nil {
		return nil, &CompileError{"The function code does not compile: " + firstLine(err.Error())}
	}
	if rt == Runtime10 {
		if err := check10(parsed); err != nil {
			return nil, &CompileError{"The function code does not compile: " + err.Error()}
		}
	}
	prog, err := goja.CompileAST(parsed, true)
	if err != nil {
		return nil, &CompileError{"The function code does not compile: " + firstLine(err.Error())}
	}
	p := &Program{runtime: rt, prog: prog, pool: make(chan *vm, poolSize)}
	v, err := p.newVM()
	if err != nil {
		return nil, &CompileError{err.Error()}
	}
	p.put(v)
	return p, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Runtime is the program's runtime.
func (p *Program) Runtime() string { return p.runtime }

// vm is one runtime that has run the program's top-level code.
type vm struct {
	rt      *goja.Runtime
	handler goja.Callable
	start   time.Time // Date's value during a run
	logs    []string
	origin  []OriginChange
	kind    string         // event type of the current run
	kvs     *KeyValueStore // the store cf.kvs() reads in the current run

	// Built-ins captured before any function code runs (strings.go).
	objectKeys, reflectGet, defineProperty goja.Callable

	// The event's field objects, built when read (lazy.go).
	lazy      [numSlots]lazyField
	accessors lazyAccessors

	watch watchdog      // the run's time limit
	args  [1]goja.Value // the handler's argument, without allocating a slice

	// Strings every run of this runtime converts alike (the event's
	// version, the request method), as JavaScript values (values.go).
	strings stringCache
}

func (p *Program) newVM() (*vm, error) {
	v := &vm{rt: goja.New(), start: time.Now()}
	v.watch.v = v
	v.rt.SetMaxCallStackSize(maxCallStack)
	object := v.rt.Get("Object").ToObject(v.rt)
	reflect := v.rt.Get("Reflect").ToObject(v.rt)
	v.objectKeys, _ = goja.AssertFunction(object.Get("keys"))
	v.reflectGet, _ = goja.AssertFunction(reflect.Get("get"))
	v.defineProperty, _ = goja.AssertFunction(object.Get("defineProperty"))
	v.rt.SetTimeSource(func() time.Time { return v.start })
	v.initLazy()
	if err := installSandbox(v, p.runtime); err != nil {
		return nil, fmt.Errorf("set up the runtime: %w", err)
	}
	// The top-level code runs under a limit too: a loop there must not
	// hang the caller.
	timer := time.AfterFunc(loadLimit, func() { v.rt.Interrupt(errTimeout) })
	_, err := v.rt.RunProgram(p.prog)
	timer.Stop()
	if err != nil {
		return nil, fmt.Errorf("The function code failed when loaded: %s", firstLine(errMessage(err)))
	}
	h, ok := goja.AssertFunction(v.rt.Get("handler"))
	if !ok {
		return nil, errors.New("The function code must define a function named handler.")
	}
	v.handler = h
	return v, nil
}

var errTimeout = errors.New("the function exceeded its time limit")

var promiseType = reflect.TypeOf((*goja.Promise)(nil))

// maxRegexpMatch bounds one regular expression match. goja runs patterns
// RE2 cannot (lookaround, backreferences) with regexp2, a backtracking
// matcher that does not check the interrupt flag, so /^(a+)+(?=b)/ on a
// long input could run for hours. regexp2 gives up after its
// DefaultMatchTimeout (goja then sees no match), and the run's own time
// limit stops the function at its next instruction. The setting is
// process-wide; only goja uses regexp2 in OpenFront.
const maxRegexpMatch = 10 * time.Millisecond

func init() { regexp2.DefaultMatchTimeout = maxRegexpMatch }

// Run runs the handler on the event. limit bounds the handler's run time;
// past it the run is interrupted (ThrottledError). The Run report is
// filled even when the run fails.
func (p *Program) Run(ev *Event, limit time.Duration) (*Result, *Run, error) {
	return p.run(ev, limit, true)
}

// Serve is Run for the edge, which keeps no logs: it reports only the
// run's wall-clock time (took), since reading the thread's CPU clock again
// at the end would cost a system call per run.
func (p *Program) Serve(ev *Event, limit time.Duration) (res *Result, took time.Duration, err error) {
	res, rep, err := p.run(ev, limit, false)
	return res, rep.Duration, err
}

func (p *Program) run(ev *Event, limit time.Duration, report bool) (*Result, *Run, error) {
	out := &runOutput{}
	rep := &out.rep
	v := p.get()
	if v == nil {
		var err error
		if v, err = p.newVM(); err != nil {
			return nil, rep, &Error{Type: ExecutionError, Message: err.Error()}
		}
	}
	res, reusable, err := v.run(ev, limit, out, report)
	if err == nil && reusable {
		p.put(v)
	}
	return res, rep, err
}

// runOutput is what a run returns, in one allocation.
type runOutput struct {
	res Result
	req Request
	rep Run
}

// run runs the handler once. reusable is false when the time limit fired:
// the runtime may then hold a pending interrupt.
func (v *vm) run(ev *Event, limit time.Duration, out *runOutput, report bool) (res *Result, reusable bool, err error) {
	rep := &out.rep
	v.logs, v.origin, v.kind, v.kvs = v.logs[:0], nil, ev.Context.EventType, ev.KeyValueStore
	v.resetLazy()
	defer func() {
		v.resetLazy() // a pooled runtime holds no event
		v.kvs = nil
	}()
	v.start = time.Now()
	event := eventToJS(v, ev)

	// The limit is the CPU time of the thread running the function, so a
	// run that a busy machine deschedules is not throttled for it; the
	// wall-clock time is capped at wallFactor times the limit regardless.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock, hasClock := threadClock()
	cpu0 := int64(-1)
	if hasClock {
		cpu0 = readClock(clock)
	}
	began := time.Now()
	v.watch.arm(limit, clock, cpu0, began)
	v.args[0] = event
	result, callErr := v.handler(goja.Undefined(), v.args[:]...)
	v.args[0] = nil
	rep.Duration = time.Since(began)
	if callErr == nil {
		// The returned object is read under the limit too: a getter or a
		// proxy trap on it is function code.
		res, callErr = v.safeResult(result, ev, out)
	}
	interrupted := v.watch.disarm() // an interrupt may still be pending in the runtime
	rep.CPU = rep.Duration
	if cpu0 >= 0 && report {
		rep.CPU = time.Duration(readClock(clock) - cpu0)
	}
	if len(v.logs) > 0 {
		rep.Logs = append([]string(nil), v.logs...)
	}
	if callErr != nil {
		var ie *goja.InterruptedError
		var ve *validationError
		switch {
		case errors.As(callErr, &ie) || interrupted && errors.Is(callErr, errTimeout):
			return nil, false, &Error{Type: ThrottledError, Message: fmt.Sprintf("The function exceeded its time limit (%s) and was stopped.", limit)}
		case errors.As(callErr, &ve):
			return nil, false, &Error{Type: ValidationError, Message: ve.msg}
		}
		return nil, false, &Error{Type: ExecutionError, Message: errMessage(callErr)}
	}
	res.OriginChanges = v.origin
	return res, !interrupted, nil
}

// watchdog interrupts a runtime's run past its time limit. A runtime has
// one, with one timer armed for each run (a run allocates no timer).
type watchdog struct {
	v     *vm
	mu    sync.Mutex
	timer *time.Timer
	armed bool // a run is in progress
	fired bool // this run was interrupted
	limit time.Duration
	clock int32 // the run's thread CPU clock, when cpu0 >= 0
	cpu0  int64
	began time.Time
}

func (w *watchdog) arm(limit time.Duration, clock int32, cpu0 int64, began time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed, w.fired, w.limit, w.clock, w.cpu0, w.began = true, false, limit, clock, cpu0, began
	if w.timer == nil {
		w.timer = time.AfterFunc(limit, w.check)
	} else {
		w.timer.Reset(limit)
	}
}

// disarm ends the run and reports whether the limit fired.
func (w *watchdog) disarm() (fired bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = false
	w.timer.Stop()
	return w.fired
}

// check runs when the timer expires: the run is interrupted once its CPU
// time reaches the limit, or its wall-clock time wallFactor times that;
// before, the timer is set again for the CPU time left. A check left over
// from an earlier run (Stop does not wait for a started func) sees the
// current run's state, or none, so it only ever checks the current run.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.armed || w.fired {
		return
	}
	if w.cpu0 >= 0 {
		used := time.Duration(readClock(w.clock) - w.cpu0)
		if used < w.limit && time.Since(w.began) < wallFactor*w.limit {
			w.timer.Reset(w.limit - used)
			return
		}
	}
	w.fired = true
	w.v.rt.Interrupt(errTimeout)
}

// safeResult converts the returned value, turning what function code
// throws from a getter or proxy trap (goja panics with it when Go reads a
// property) into an error.
func (v *vm) safeResult(out goja.Value, ev *Event, into *runOutput) (res *Result, err error) {
	defer func() {
		switch p := recover().(type) {
		case nil:
		case *goja.InterruptedError:
			res, err = nil, p
		case *goja.Exception:
			res, err = nil, p
		case *goja.StackOverflowError:
			res, err = nil, p
		case goja.Value:
			res, err = nil, errors.New(valueMessage(p))
		case error:
			res, err = nil, p
		default:
			res, err = nil, fmt.Errorf("%v", p)
		}
	}()
	if out, err = settle(out); err != nil {
		return nil, err
	}
	return v.result(out, ev, into)
}

// settle unwraps the promise an async handler returns: promise jobs have
// run when the call returned, so a pending promise never settles.
func settle(out goja.Value) (goja.Value, error) {
	o, ok := out.(*goja.Object)
	if !ok || o.ExportType() != promiseType {
		return out, nil // not Export: that would read (and run) every getter
	}
	pr, ok := o.Export().(*goja.Promise)
	if !ok {
		return out, nil
	}
	switch pr.State() {
	case goja.PromiseStateFulfilled:
		return pr.Result(), nil
	case goja.PromiseStateRejected:
		return nil, errors.New(valueMessage(pr.Result()))
	}
	return nil, errors.New("The handler's promise never settled (CloudFront Functions have no timers or I/O to wait for).")
}

func (v *vm) result(out goja.Value, ev *Event, into *runOutput) (*Result, error) {
	what := "request or response"
	if ev.Context.EventType == ViewerResponse {
		what = "response"
	}
	o, err := asObject(out, what)
	if err != nil {
		return nil, err
	}
	if isResponse(o) {
		r, err := responseFromJS(v, o, ev.Response)
		if err != nil {
			return nil, err
		}
		into.res.Response = r
		return &into.res, nil
	}
	if ev.Context.EventType == ViewerResponse {
		return nil, invalid("A viewer-response function must return a response object (with a statusCode).")
	}
	if err := requestFromJS(v, o, &ev.Request, &into.req); err != nil {
		return nil, err
	}
	into.res.Request = &into.req
	return &into.res, nil
}

// errMessage is the message of a thrown error: "Name: message" without
// goja's stack positions.
func errMessage(err error) string {
	var ex *goja.Exception
	if errors.As(err, &ex) && ex.Value() != nil {
		return valueMessage(ex.Value())
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return "RangeError: Maximum call stack size exceeded"
	}
	return firstLine(err.Error())
}

// valueMessage describes a thrown value: "Name: message" for an error
// object, "Uncaught <value>" otherwise.
func valueMessage(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		name, msg := o.Get("name"), o.Get("message")
		if name != nil && msg != nil && !goja.IsUndefined(name) && !goja.IsUndefined(msg) {
			return name.String() + ": " + msg.String()
		}
	}
	if v == nil {
		return "Uncaught undefined"
	}
	return "Uncaught " + v.String()
}
