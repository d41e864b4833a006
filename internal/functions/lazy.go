package functions

import "github.com/dop251/goja"

// Lazy fields: the querystring, headers and cookies objects of the event
// (and its context and viewer) are built only when the handler reads them. Most handlers touch one of
// them or none (a URI rewrite reads only uri), and building every field
// as JavaScript objects, then reading them all back, is most of a run's
// cost. Each is an enumerable accessor property of the request or
// response object: the getter builds the object once (from the event's
// Fields) and returns it from then on, the setter stores what the handler
// assigns. When the handler returns the object it received and never
// read or assigned a field, the event's Fields are returned as they were,
// without a conversion.
//
// Departure: the properties are accessors, not data properties, and are
// not configurable (delete request.headers fails; assigning replaces the
// object as with a data property).

// Lazy slots: one per field object an event can have.
const (
	slotQuery = iota
	slotReqHeaders
	slotReqCookies
	slotRespHeaders
	slotRespCookies
	slotContext // event.context, built from ctx
	slotViewer  // event.viewer, built from viewer
	numSlots
)

// lazyField is one slot's state for the current run.
type lazyField struct {
	owner  *goja.Object // the request or response object; nil: unused this run
	fields Fields
	attrs  bool
	value  goja.Value // built or assigned; nil while untouched
	// ctx and viewer are what slotContext and slotViewer build from.
	ctx    *Context
	viewer *Viewer
}

// lazyAccessors are the getter and setter of each slot, made once per
// runtime; they find the run's state in v.lazy.
type lazyAccessors struct {
	get, set [numSlots]goja.Value
}

func (v *vm) initLazy() {
	for i := range numSlots {
		slot := i
		v.accessors.get[slot] = v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
			l := &v.lazy[slot]
			if l.owner == nil || call.This != l.owner {
				return goja.Undefined()
			}
			if l.value == nil {
				switch {
				case l.ctx != nil:
					l.value = contextToJS(v, l.ctx)
				case l.viewer != nil:
					l.value = viewerToJS(v, l.viewer)
				default:
					l.value = fieldsToJS(v, l.fields, l.attrs)
				}
			}
			return l.value
		})
		v.accessors.set[slot] = v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
			l := &v.lazy[slot]
			if l.owner != nil && call.This == l.owner {
				l.value = call.Argument(0)
			}
			return goja.Undefined()
		})
	}
}

// defineLazy makes name on o the slot's accessor for fs.
func (v *vm) defineLazy(o *goja.Object, name string, slot int, fs Fields, attrs bool) {
	v.lazy[slot] = lazyField{owner: o, fields: fs, attrs: attrs}
	_ = o.DefineAccessorProperty(name, v.accessors.get[slot], v.accessors.set[slot], goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// defineLazyObject makes name on o the slot's accessor for the context or
// viewer object.
func (v *vm) defineLazyObject(o *goja.Object, name string, slot int, ctx *Context, viewer *Viewer) {
	v.lazy[slot] = lazyField{owner: o, ctx: ctx, viewer: viewer}
	_ = o.DefineAccessorProperty(name, v.accessors.get[slot], v.accessors.set[slot], goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// untouched reports whether o is the slot's owner and the handler neither
// read nor assigned the field: its Fields are then returned unchanged.
func (v *vm) untouched(o *goja.Object, slot int) bool {
	l := &v.lazy[slot]
	return l.owner != nil && l.owner == o && l.value == nil
}

// resetLazy forgets the previous run's objects.
func (v *vm) resetLazy() {
	v.lazy = [numSlots]lazyField{}
}

// lazyFieldsFromJS is fieldsFromJS for the field name of a returned
// object: the event's own Fields when the handler left them untouched.
func (v *vm) lazyFieldsFromJS(o *goja.Object, slot int, name string, orig Fields, what string, checkName func(string) bool, attrs bool) (Fields, error) {
	if v.untouched(o, slot) {
		return orig, nil
	}
	return fieldsFromJS(v, o.Get(name), orig, what, checkName, attrs)
}
