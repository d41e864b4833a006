package functions

import (
	"strings"
	"testing"
	"time"
)

// TestHostileFunctions runs functions that try to hang, exhaust memory or
// the stack, or escape the sandbox: each must fail fast with the
// documented result type and leave the program able to run again.
func TestHostileFunctions(t *testing.T) {
	const limit = 50 * time.Millisecond
	tests := []struct {
		name, runtime, body string
		errType, errHas     string
		// orDone: finishing normally is right too. One regular expression
		// gives up after its match timeout (wall clock), so on a busy
		// machine it may end before the run's CPU budget does; what must
		// hold is that it ends.
		orDone bool
	}{
		{name: "infinite loop", body: `while (true) {}`, errType: ThrottledError},
		{name: "infinite loop in catch", body: `for (;;) { try { throw 1 } catch (e) {} }`, errType: ThrottledError},
		{name: "string doubling", body: `var s = 'x'; while (true) s += s;`, errType: ThrottledError},
		{name: "push forever", body: `var a = []; while (true) a.push({x: 1});`, errType: ThrottledError},
		{name: "catastrophic backtracking", body: `/^(a+)+(?=b)/.test('a'.repeat(40) + 'c');`, errType: ThrottledError, orDone: true},
		{name: "catastrophic backtracking in a loop", body: `for (var i = 0; i < 1000; i++) /^(a+)+\1(?=b)/.test('a'.repeat(40) + 'c');`, errType: ThrottledError},
		{name: "deep recursion", body: `function f(n) { return f(n + 1) + 1; } f(0);`, errType: ExecutionError, errHas: "RangeError"},
		{name: "recursion caught and retried", body: `function f() { try { return f(); } catch (e) { return f(); } } f();`, errType: ExecutionError},
		{name: "repeat", body: `'x'.repeat(1 << 30);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "padStart", body: `'ab'.padStart(1e9);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "new Array fill", body: `new Array(1e8).fill(0);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "Array call", body: `Array(1e9).join('abcdefgh');`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "sparse array fill", body: `var a = []; a[1e9] = 1; a.fill(0);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "length set then join", body: `var a = [1]; a.length = 1e9; String(a);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "generic method on array-like", body: `Array.prototype.join.call({length: 1e9}, 'x');`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "Array.from array-like", body: `Array.from({length: 1e9});`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "apply with huge arguments", body: `Math.max.apply(null, {length: 1e9});`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "Reflect.apply", body: `Reflect.apply(Math.max, null, {length: 1e9});`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "JSON of sparse array", body: `var a = []; a[1e8] = 1; JSON.stringify({a: a});`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "spread of a long array", body: `var a = []; a.length = 1e8; var b = [...a];`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "Set of a long array", body: `var a = []; a.length = 1e8; new Set(a);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "spread arguments", body: `var a = []; a.length = 1e8; Math.max(...a);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "for-of over a long array", body: `var a = []; a.length = 1e8; for (var x of a) {}`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "typed array from a long array", body: `var a = []; a.length = 1e8; Uint8Array.from(a);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "typed array", body: `new Uint8Array(1e9);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "float typed array", body: `new Float64Array(1e8);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "ArrayBuffer", body: `new ArrayBuffer(1e9);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "Buffer.alloc", runtime: Runtime20, body: `Buffer.alloc(1e9);`, errType: ExecutionError, errHas: "MemoryError"},
		{name: "eval", body: `eval('1 + 1');`, errType: ExecutionError, errHas: "EvalError"},
		{name: "indirect eval", body: `(0, eval)('1 + 1');`, errType: ExecutionError, errHas: "EvalError"},
		{name: "Function constructor", body: `new Function('a', 'b', 'return a + b');`, errType: ExecutionError, errHas: "EvalError"},
		{name: "constructor of a function", body: `(function () {}).constructor('return 1')();`, errType: ExecutionError, errHas: "EvalError"},
		{name: "async function constructor", runtime: Runtime20, body: `(async function () {}).constructor('return 1');`, errType: ExecutionError, errHas: "EvalError"},
		{name: "generator constructor", body: `(function* () {}).constructor('yield 1');`, errType: ExecutionError, errHas: "EvalError"},
		{name: "setTimeout", body: `setTimeout(function () {}, 1);`, errType: ExecutionError, errHas: "ReferenceError"},
		{name: "require fs", body: `require('fs');`, errType: ExecutionError, errHas: "Cannot find module"},
		{name: "require child_process", runtime: Runtime20, body: `require('child_process');`, errType: ExecutionError, errHas: "Cannot find module"},
		{name: "process", body: `process.exit(1);`, errType: ExecutionError, errHas: "ReferenceError"},
		{name: "getter on the returned request loops", body: `return {get uri() { while (true) {} }};`, errType: ThrottledError},
		{name: "getter on the returned request throws", body: `return {get uri() { throw new TypeError('from a getter'); }};`, errType: ExecutionError, errHas: "from a getter"},
		{name: "proxy as the returned request", body: `return new Proxy({}, {get: function () { while (true) {} }});`, errType: ThrottledError},
		{name: "proxy headers with a looping ownKeys", body: `event.request.headers = new Proxy({}, {ownKeys: function () { while (true) {} }}); return event.request;`, errType: ThrottledError},
		{name: "getter recursing", body: `var o = {get uri() { return o.uri; }}; return o;`, errType: ExecutionError, errHas: "RangeError"},
		{name: "never settles", runtime: Runtime20, body: `return new Promise(function () {});`, errType: ExecutionError, errHas: "never settled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rtName := tc.runtime
			if rtName == "" {
				rtName = Runtime10
			}
			p := compile(t, rtName, "function handler(event) {\n"+tc.body+"\nreturn event.request;\n}")
			start := time.Now()
			res, _, err := p.Run(requestEvent(), limit)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
			if tc.orDone && err == nil {
				return
			}
			checkOutcome(t, res, err, tc.errType, tc.errHas)
		})
	}
	// A runtime that failed is dropped; the program keeps serving.
	p := compile(t, Runtime10, `var n = 0; function handler(e) { n++; if (e.request.uri === '/loop') while (true) {} e.request.headers.n = {value: '' + n}; return e.request; }`)
	ev := requestEvent()
	ev.Request.URI = "/loop"
	if _, _, err := p.Run(ev, limit); err == nil || err.(*Error).Type != ThrottledError {
		t.Fatalf("loop: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := p.Run(requestEvent(), limit); err != nil {
			t.Fatalf("after a throttled run: %v", err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	// What 1.0 does support: arrow functions, template literals, rest
	// parameters, the exponent operator; 2.0 has const, let and async too.
	if _, err := Compile([]byte("var f = (a, ...r) => `${a ** 2}:${r.length}`; function handler(e) { return e.request; }"), Runtime10); err != nil {
		t.Errorf("1.0 features refused: %v", err)
	}
	if _, err := Compile([]byte("const f = async () => 1; async function handler(e) { let r = e.request; for (const k of [await f()]) {} return r; }"), Runtime20); err != nil {
		t.Errorf("2.0 features refused: %v", err)
	}
	for _, tc := range []struct{ name, runtime, code, has string }{
		{"syntax", Runtime10, `function handler(e) { return e.request; `, "does not compile"},
		{"no handler", Runtime10, `function other(e) { return e.request; }`, "handler"},
		{"handler not a function", Runtime10, `var handler = 1;`, "handler"},
		{"top-level throw", Runtime10, `throw new Error('x'); function handler(e) {}`, "failed when loaded"},
		{"top-level loop", Runtime10, `while (true) {} function handler(e) {}`, "failed when loaded"},
		{"unknown runtime", "cloudfront-js-3.0", `function handler(e) {}`, "runtime"},
		{"import in 1.0", Runtime10, "import cf from 'cloudfront';\nfunction handler(e) { return e.request; }", "does not compile"},
		{"const in 1.0", Runtime10, "function handler(e) {\n  const r = e.request;\n  return r;\n}", "const is not supported by cloudfront-js-1.0 (line 2)"},
		{"let in 1.0", Runtime10, "function handler(e) { let r = e.request; return r; }", "let is not supported"},
		{"let in a for loop in 1.0", Runtime10, "function handler(e) { for (let i = 0; i < 1; i++) {} return e.request; }", "let is not supported"},
		{"const in for-of in 1.0", Runtime10, "function handler(e) { for (const k of []) {} return e.request; }", "const is not supported"},
		{"async in 1.0", Runtime10, "async function handler(e) { return e.request; }", "async is not supported"},
		{"async arrow in 1.0", Runtime10, "var f = async () => 1; function handler(e) { return e.request; }", "async is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.code), tc.runtime)
			ce, ok := err.(*CompileError)
			if !ok || !strings.Contains(ce.Message, tc.has) {
				t.Fatalf("want a CompileError containing %q, got %v", tc.has, err)
			}
		})
	}
}

// TestBuiltins checks the runtime features the guide lists: console,
// Date frozen at the start, crypto, querystring, buffer, cloudfront and
// the 1.0 byte-string methods.
func TestBuiltins(t *testing.T) {
	tests := []struct {
		name, runtime, expr, want string
	}{
		{"sha256 hex", Runtime10, `require('crypto').createHash('sha256').update('abc').digest('hex')`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"md5 base64", Runtime10, `require('crypto').createHash('md5').update('a').update('bc').digest('base64')`, "kAFQmDzST7DWlj99KOF/cg=="},
		{"sha1 base64url", Runtime10, `require('crypto').createHash('sha1').update('abc').digest('base64url')`, "qZk-NkcGgWq6PiVxeFDCbJzQ2J0"},
		{"hmac sha256", Runtime10, `require('crypto').createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex')`, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"},
		{"1.0 digest is a byte string", Runtime10, `var d = require('crypto').createHash('sha256').update('abc').digest(); typeof d + d.length + d.charCodeAt(0)`, "string32186"},
		{"2.0 digest is a Buffer", Runtime20, `var d = require('crypto').createHash('sha256').update('abc').digest(); Buffer.isBuffer(d) + ' ' + d.toString('hex').slice(0, 8)`, "true ba7816bf"},
		{"2.0 import crypto", Runtime20, `crypto2.createHash('md5').update('').digest('hex')`, "d41d8cd98f00b204e9800998ecf8427e"},
		{"unknown hash", Runtime10, `var r = 'ok'; try { require('crypto').createHash('sha512') } catch (e) { r = 'threw' }; r`, "threw"},
		{"querystring parse", Runtime10, `JSON.stringify(require('querystring').parse('name=value&abc=xyz&abc=123'))`, `{"name":"value","abc":["xyz","123"]}`},
		{"querystring stringify", Runtime10, `require('querystring').stringify({name: 'value', abc: ['xyz', '123'], anotherName: ''})`, "name=value&abc=xyz&abc=123&anotherName="},
		{"querystring escape", Runtime10, `var q = require('querystring'); q.escape('a b&c') + ' ' + q.unescape('a%20b%26c') + ' ' + q.unescape('%E0%A4%A')`, "a%20b%26c a b&c \uFFFD%A"},
		{"querystring decode alias", Runtime10, `var q = require('querystring'); (q.decode === q.parse) + ' ' + (q.encode === q.stringify) + ' ' + q.parse('a+b=c+d').a_b`, "true true undefined"},
		{"buffer", Runtime20, `Buffer.from('hello').toString('base64') + ' ' + Buffer.from('aGk=', 'base64').toString() + ' ' + Buffer.from([104, 105]).toString('hex') + ' ' + Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString()`, "aGVsbG8= hi 6869 ab"},
		{"buffer module", Runtime20, `require('buffer').Buffer === Buffer`, "true"},
		{"named and namespace imports", Runtime20, `(B === Buffer) + ' ' + qs.stringify({a: 1})`, "true a=1"},
		{"no Buffer in 1.0", Runtime10, `typeof Buffer`, "undefined"},
		{"1.0 byte strings", Runtime10, `var b = 'é'.toUTF8(); b.length + ' ' + b.fromUTF8() + ' ' + String.bytesFrom('6869', 'hex') + ' ' + ('Ā'.toBytes() === null)`, "2 é hi true"},
		{"no byte strings in 2.0", Runtime20, `typeof ''.toUTF8`, "undefined"},
		{"Date frozen", Runtime10, `var a = Date.now(); var i = 0; while (i < 200000) i++; (Date.now() === a) + ' ' + (new Date().getTime() === a)`, "true true"},
		{"Function.prototype still works", Runtime10, `(function (a, b) { return a + b }).apply(null, [1, 2]) + (function () { return this.x }).call({x: 1}) + [].constructor.name`, "4Array"},
		{"instanceof after guards", Runtime20, `([] instanceof Array) + ' ' + (new Uint8Array(2) instanceof Uint8Array) + ' ' + (Buffer.alloc(1) instanceof Uint8Array) + ' ' + Array.isArray(new Array(3))`, "true true true true"},
		{"template literal and arrow", Runtime20, "const f = (a, ...r) => `${a}:${r.length}`; f(1, 2, 3)", "1:2"},
		{"exponent", Runtime10, `2 ** 10`, "1024"},
		// 2.0's Buffer prototype methods, TextEncoder/TextDecoder and
		// atob/btoa ("JavaScript runtime 2.0 features").
		{"buffer search", Runtime20, `var b = Buffer.from('abcabc'); [b.indexOf('bc'), b.lastIndexOf('bc'), b.indexOf(99), b.includes(Buffer.from('ca')), b.indexOf('zz'), b.indexOf('a', 1), b.lastIndexOf('a', 2)].join()`, "1,4,2,true,-1,3,0"},
		{"buffer copy", Runtime20, `var t = Buffer.alloc(6, '-'); var n = Buffer.from('abcd').copy(t, 1, 1, 3); n + ' ' + t.toString()`, "2 -bc---"},
		{"buffer ints", Runtime20, `var b = Buffer.from([0xff, 0xfe, 0x01, 0x02, 0x03, 0x04]); [b.readInt8(0), b.readUInt16LE(0), b.readInt16BE(0), b.readUInt32LE(2), b.readInt32BE(2), b.readUIntBE(0, 3), b.readIntLE(0, 2), b.readUIntLE(1, 6 - 1)].join()`, "-1,65279,-2,67305985,16909060,16776705,-257,17230332414"},
		{"buffer writes", Runtime20, `var b = Buffer.alloc(8); var o = b.writeUInt16BE(0x0102, 0); o = b.writeInt16LE(-2, o); b.writeUIntBE(0x010203, 4, 3); b.toString('hex') + ' ' + o`, "0102feff01020300 4"},
		{"buffer floats", Runtime20, `var b = Buffer.alloc(12); b.writeDoubleBE(1.5, 0); b.writeFloatLE(-2, 8); b.readDoubleBE(0) + ' ' + b.readFloatLE(8) + ' ' + b.toString('hex', 0, 2)`, "1.5 -2 3ff8"},
		{"buffer out of range", Runtime20, `(function () { try { Buffer.alloc(2).readUInt32BE(0) } catch (e) { return e.name } })()`, "RangeError"},
		{"buffer swap", Runtime20, `Buffer.from([1, 2, 3, 4]).swap16().toString('hex') + ' ' + Buffer.from([1, 2, 3, 4]).swap32().toString('hex') + ' ' + Buffer.from('0102030405060708', 'hex').swap64().toString('hex')`, "02010403 04030201 0807060504030201"},
		{"buffer fill with a buffer", Runtime20, `Buffer.alloc(5, Buffer.from('ab')).toString()`, "ababa"},
		{"text encoder", Runtime20, `var e = new TextEncoder(); var u = e.encode('é€'); var d = new Uint8Array(3); var r = e.encodeInto('aé€', d); e.encoding + ' ' + Array.from(u).join('.') + ' ' + r.read + '/' + r.written`, "utf-8 195.169.226.130.172 2/3"},
		{"text decoder", Runtime20, `var d = new TextDecoder(); d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9])) + ' ' + d.decode(new Uint8Array([0xff])) + ' ' + d.encoding + ' ' + d.fatal`, "hé \uFFFD utf-8 false"},
		{"text decoder fatal", Runtime20, `(function () { try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xc3])) } catch (e) { return e.name } })() + ' ' + new TextDecoder('utf8', {ignoreBOM: true}).decode(new Uint8Array([0xef, 0xbb, 0xbf])).length`, "TypeError 1"},
		{"atob btoa", Runtime20, `btoa('hi\xff') + ' ' + atob('aGn/') .charCodeAt(2) + ' ' + atob(' aGk= ') + ' ' + (function () { try { btoa('€') } catch (e) { return 'threw' } })() + ' ' + (function () { try { atob('a') } catch (e) { return 'threw' } })()`, "aGn/ 255 hi threw threw"},
		{"buffer compare ranges and valueOf", Runtime20, `var a = Buffer.from('xabcx'); [a.compare(Buffer.from('abc'), 0, 3, 1, 4), a.compare(Buffer.from('abd'), 0, 3, 1, 4), Buffer.compare(Buffer.from('b'), Buffer.from('a')), Buffer.from(new String('hi')).toString()].join()`, "0,-1,1,hi"},
		{"querystring and hmac in 2.0", Runtime20, `require('querystring').stringify(require('querystring').parse('a=1&a=2&b=%20')) + ' ' + require('crypto').createHmac('sha256', Buffer.from('key')).update(Buffer.from('data')).digest('base64url')`, "a=1&a=2&b=%20 UDH-PZicbRU3oBP6bnOdojRj_a7DtwE32Cjjas4iG9A"},
		{"no atob or TextEncoder in 1.0", Runtime10, `typeof atob + ' ' + typeof TextEncoder`, "undefined undefined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := "return " + tc.expr
			if i := strings.LastIndex(tc.expr, "; "); i >= 0 {
				body = tc.expr[:i+2] + "return " + tc.expr[i+2:]
			}
			code := "function handler(event) { var v = (function () { " + body + " })(); return {statusCode: 200, body: String(v)}; }"
			if strings.Contains(tc.expr, "crypto2") {
				code = "import crypto2 from 'crypto';\n" + code
			}
			if strings.Contains(tc.expr, "qs.") {
				code = "import { Buffer as B } from 'buffer';\nimport * as qs from \"querystring\";\n" + code
			}
			p := compile(t, tc.runtime, code)
			res, _, err := p.Run(requestEvent(), testLimit)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.Response.Body.Data); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConsoleAndOrigin(t *testing.T) {
	p := compile(t, Runtime20, `import cf from 'cloudfront';
function handler(event) {
	console.log('uri', event.request.uri, {a: 1});
	cf.updateRequestOrigin({domainName: 'origin.example.com'});
	cf.selectRequestOriginById('web');
	return event.request;
}`)
	res, run, err := p.Run(requestEvent(), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Logs) != 1 || run.Logs[0] != `uri /media/index.mpd {"a":1}` {
		t.Errorf("logs %q", run.Logs)
	}
	if len(res.OriginChanges) != 2 || res.OriginChanges[0].Method != "updateRequestOrigin" || res.OriginChanges[1].Arg != "web" {
		t.Errorf("origin changes %+v", res.OriginChanges)
	}
	if run.Duration <= 0 {
		t.Errorf("duration %v", run.Duration)
	}
	// Origin modification is for viewer-request only.
	for _, ev := range []*Event{responseEvent()} {
		if _, _, err := p.Run(ev, testLimit); err == nil {
			t.Errorf("origin modification in viewer-response accepted")
		}
	}
	// Logs are truncated at 10 KB.
	p = compile(t, Runtime10, `function handler(e) { for (var i = 0; i < 50; i++) console.log(i + ' ' + 'x'.repeat(1000)); return e.request; }`)
	_, run, err = p.Run(requestEvent(), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, l := range run.Logs {
		total += len(l)
	}
	if total != 10*1024 || len(run.Logs) != 11 || !strings.HasPrefix(run.Logs[10], "10 x") {
		t.Errorf("logs: %d lines, %d bytes", len(run.Logs), total)
	}
	// A function with no key value store: reading through cf.kvs() rejects.
	p = compile(t, Runtime20, `import cf from 'cloudfront'; async function handler(e) { await cf.kvs().get('k'); return e.request; }`)
	_, _, err = p.Run(requestEvent(), testLimit)
	checkOutcome(t, nil, err, ExecutionError, "No key value store is associated")
}
