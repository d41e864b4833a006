// The sandbox's JavaScript half: see sandbox.go. Called once per runtime
// with the Go helpers (native); installs console, require and the size
// guards, and blocks code generation from strings.
(function (native) {
    var G = globalThis;
    var apply = Reflect.apply, construct = Reflect.construct;
    var defineProperty = Object.defineProperty, getPrototypeOf = Object.getPrototypeOf;
    var isArray = Array.isArray, stringify = JSON.stringify;
    var maxArray = native.maxArray, maxString = native.maxString, maxBuffer = native.maxBuffer;
    var runtime2 = native.runtime === 'cloudfront-js-2.0';

    function hide(obj, name, value) {
        defineProperty(obj, name, {value: value, writable: true, configurable: true, enumerable: false});
    }

    // Dynamic code evaluation throws ("Restricted features").
    var blocked = function () {
        throw new EvalError('Code generation from strings is not allowed in CloudFront Functions');
    };
    defineProperty(blocked, 'prototype', {value: Function.prototype});
    hide(Function.prototype, 'constructor', blocked);
    [async function () {}, function* () {}].forEach(function (f) {
        defineProperty(getPrototypeOf(f), 'constructor', {value: blocked, configurable: true});
    });
    hide(G, 'Function', blocked);
    hide(G, 'eval', blocked);

    // Size guards: built-ins that loop over a length in Go check it first.
    function lengthOf(o) {
        if (o === null || o === undefined) return 0;
        var n = Number(o.length);
        return n > 0 ? n : 0;
    }
    function checkArray(o) {
        if (lengthOf(o) > maxArray) native.memoryError('array');
    }
    var AP = Array.prototype;
    ['concat', 'copyWithin', 'every', 'fill', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex',
        'flat', 'flatMap', 'forEach', 'includes', 'indexOf', 'join', 'lastIndexOf', 'map', 'reduce',
        'reduceRight', 'reverse', 'slice', 'some', 'sort', 'splice', 'toLocaleString', 'toReversed',
        'toSorted', 'toSpliced', 'with', 'unshift', 'shift', 'at', 'keys', 'values', 'entries'].forEach(function (name) {
        var orig = AP[name];
        if (typeof orig !== 'function') return;
        hide(AP, name, function () {
            checkArray(this);
            if (name === 'join') {
                var sep = arguments.length > 0 && arguments[0] !== undefined ? String(arguments[0]) : ',';
                if (lengthOf(this) * sep.length > maxString) native.memoryError('string');
            }
            if (name === 'concat') {
                var total = lengthOf(this);
                for (var i = 0; i < arguments.length; i++) total += isArray(arguments[i]) ? lengthOf(arguments[i]) : 1;
                if (total > maxArray) native.memoryError('array');
            }
            return apply(orig, this, arguments);
        });
    });
    // Spread, for-of, Set, Map and the other iterator consumers walk an
    // array through this method, in Go.
    hide(AP, Symbol.iterator, AP.values);
    var arrayFrom = Array.from;
    hide(Array, 'from', function (items) {
        if (items !== null && items !== undefined && typeof items[Symbol.iterator] !== 'function') checkArray(items);
        return apply(arrayFrom, this, arguments);
    });
    function checkArgs(args) {
        if (args !== null && args !== undefined && lengthOf(args) > maxArray) native.memoryError('arguments');
    }
    var fpApply = Function.prototype.apply;
    hide(Function.prototype, 'apply', function (thisArg, args) {
        checkArgs(args);
        return apply(fpApply, this, arguments);
    });
    hide(Reflect, 'apply', function (f, thisArg, args) {
        checkArgs(args);
        return apply(f, thisArg, args);
    });
    hide(Reflect, 'construct', function (f, args) {
        checkArgs(args);
        return apply(construct, undefined, arguments);
    });
    hide(JSON, 'stringify', function (value) {
        var seen = new Set();
        (function walk(v, depth) {
            if (typeof v !== 'object' || v === null || seen.has(v)) return;
            if (depth > 256) native.memoryError('nesting');
            seen.add(v);
            if (isArray(v)) {
                checkArray(v);
                for (var i = 0; i < v.length; i++) walk(v[i], depth + 1);
            } else {
                var keys = Object.keys(v);
                for (var k = 0; k < keys.length; k++) walk(v[keys[k]], depth + 1);
            }
        })(value, 0);
        return apply(stringify, JSON, arguments);
    });
    function guardConstructor(name, check) {
        var C = G[name];
        var hasInstance = function (v) { return v instanceof C; };
        var P = new Proxy(C, {
            // goja's instanceof needs a plain function on the right.
            get: function (t, k) { return k === Symbol.hasInstance ? hasInstance : t[k]; },
            apply: function (t, self, args) { check(args, t); return apply(t, self, args); },
            construct: function (t, args, nt) { check(args, t); return construct(t, args, nt === P ? t : nt); }
        });
        hide(C.prototype, 'constructor', P);
        hide(G, name, P);
    }
    guardConstructor('Array', function (args) {
        if (args.length === 1 && typeof args[0] === 'number' && args[0] > maxArray) native.memoryError('array');
    });
    guardConstructor('ArrayBuffer', function (args) {
        if (Number(args[0]) > maxBuffer) native.memoryError('buffer');
    });
    ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
        'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'].forEach(function (name) {
        if (typeof G[name] !== 'function') return;
        guardConstructor(name, function (args, t) {
            var a = args[0];
            var n = typeof a === 'number' ? a : (a !== null && typeof a === 'object' && !(a instanceof ArrayBuffer) ? lengthOf(a) : 0);
            if (n * t.BYTES_PER_ELEMENT > maxBuffer) native.memoryError('buffer');
        });
    });

    // Bytes: Uint8Array views and their ArrayBuffer copies for the Go helpers.
    function bufferOf(u8) {
        return u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
    }
    function bytesOf(data, enc) {
        if (typeof data === 'string') return native.decode(data, enc || 'utf8');
        if (data instanceof ArrayBuffer) return data.slice(0);
        if (ArrayBuffer.isView(data)) return bufferOf(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        throw new TypeError('The data argument must be a string, a Buffer or a typed array');
    }

    // console: log only ("Built-in objects: Console").
    function show(v) {
        if (typeof v === 'string') return v;
        if (typeof v === 'object' && v !== null && !(v instanceof Error)) {
            try { return G.JSON.stringify(v); } catch (e) { return String(v); }
        }
        return String(v);
    }
    hide(G, 'console', {
        log: function () {
            var parts = [];
            for (var i = 0; i < arguments.length; i++) parts.push(show(arguments[i]));
            native.log(parts.join(' '));
        }
    });

    // Buffer (2.0): a Uint8Array with Node's common methods.
    class Buffer extends Uint8Array {
        static from(v, encOrOffset, length) {
            if (typeof v === 'string') return wrap(native.decode(v, normEnc(encOrOffset)));
            if (v instanceof ArrayBuffer) return new Buffer(v, encOrOffset || 0, length === undefined ? v.byteLength - (encOrOffset || 0) : length);
            if (ArrayBuffer.isView(v)) return wrap(bytesOf(v));
            if (v !== null && typeof v === 'object') {
                // "Returns Buffer.from(object.valueOf(), offsetOrEncoding,
                // length) if valueOf() is not equal to the object."
                var prim = typeof v.valueOf === 'function' ? v.valueOf() : v;
                if (prim !== v && prim !== null && prim !== undefined) return Buffer.from(prim, encOrOffset, length);
                if (v.type === 'Buffer' && isArray(v.data)) v = v.data;
                checkArray(v);
                var b = new Buffer(lengthOf(v));
                for (var i = 0; i < b.length; i++) b[i] = Number(v[i]) & 255;
                return b;
            }
            throw new TypeError('The first argument must be a string, Buffer, ArrayBuffer, Array, or array-like object.');
        }
        static alloc(n, fill, enc) {
            if (n > maxBuffer) native.memoryError('buffer');
            var b = new Buffer(n);
            if (fill !== undefined) b.fill(fill, 0, n, enc);
            return b;
        }
        static allocUnsafe(n) { return Buffer.alloc(n); }
        static byteLength(s, enc) { return typeof s === 'string' ? native.decode(s, normEnc(enc)).byteLength : s.byteLength; }
        static isBuffer(b) { return b instanceof Buffer; }
        static isEncoding(e) { return ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii'].indexOf(String(e).toLowerCase()) >= 0; }
        static concat(list, total) {
            var n = 0;
            list.forEach(function (b) { n += b.length; });
            if (total !== undefined) n = total;
            var out = Buffer.alloc(n), off = 0;
            for (var i = 0; i < list.length && off < n; i++) {
                var b = list[i];
                out.set(b.length > n - off ? b.subarray(0, n - off) : b, off);
                off += b.length;
            }
            return out;
        }
        static compare(a, b) { return a.compare(b); }
        toString(enc, start, end) {
            var v = this.subarray(start || 0, end === undefined ? this.length : end);
            return native.encode(bufferOf(v), normEnc(enc));
        }
        toJSON() { return {type: 'Buffer', data: Array.prototype.slice.call(this)}; }
        equals(b) { return this.compare(b) === 0; }
        compare(b, targetStart, targetEnd, sourceStart, sourceEnd) {
            var t = b.subarray(targetStart || 0, targetEnd === undefined ? b.length : targetEnd);
            var src = this.subarray(sourceStart || 0, sourceEnd === undefined ? this.length : sourceEnd);
            var n = Math.min(src.length, t.length);
            for (var i = 0; i < n; i++) if (src[i] !== t[i]) return src[i] < t[i] ? -1 : 1;
            return src.length === t.length ? 0 : (src.length < t.length ? -1 : 1);
        }
        fill(v, start, end, enc) {
            if (typeof v === 'string' && v.length > 0) {
                var src = Buffer.from(v, enc);
                start = start || 0; end = end === undefined ? this.length : end;
                for (var i = start; i < end; i++) this[i] = src[(i - start) % src.length];
                return this;
            }
            if (ArrayBuffer.isView(v) && v.length > 0) {
                start = start || 0; end = end === undefined ? this.length : end;
                for (var j = start; j < end; j++) this[j] = v[(j - start) % v.length];
                return this;
            }
            return Uint8Array.prototype.fill.call(this, typeof v === 'number' ? v & 255 : 0, start, end);
        }
        slice(start, end) { return this.subarray(start, end); }
        write(s, offset, length, enc) {
            if (typeof offset === 'string') { enc = offset; offset = 0; length = undefined; }
            var b = Buffer.from(s, enc);
            offset = offset || 0;
            var n = Math.min(b.length, this.length - offset, length === undefined ? Infinity : length);
            this.set(b.subarray(0, n), offset);
            return n;
        }
        copy(target, targetStart, sourceStart, sourceEnd) {
            targetStart = targetStart || 0; sourceStart = sourceStart || 0;
            sourceEnd = sourceEnd === undefined ? this.length : Math.min(sourceEnd, this.length);
            var n = Math.max(0, Math.min(sourceEnd - sourceStart, target.length - targetStart));
            if (n > 0) target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
            return n;
        }
        indexOf(value, byteOffset, enc) { return searchBytes(this, value, byteOffset, enc, false); }
        lastIndexOf(value, byteOffset, enc) { return searchBytes(this, value, byteOffset, enc, true); }
        includes(value, byteOffset, enc) { return this.indexOf(value, byteOffset, enc) !== -1; }
        swap16() { return swapBytes(this, 2); }
        swap32() { return swapBytes(this, 4); }
        swap64() { return swapBytes(this, 8); }
        readUIntBE(o, n) { return readUInt(this, o, n, false); }
        readUIntLE(o, n) { return readUInt(this, o, n, true); }
        readIntBE(o, n) { return signed(readUInt(this, o, n, false), n); }
        readIntLE(o, n) { return signed(readUInt(this, o, n, true), n); }
        writeUIntBE(v, o, n) { return writeUInt(this, v, o, n, false); }
        writeUIntLE(v, o, n) { return writeUInt(this, v, o, n, true); }
        writeIntBE(v, o, n) { return writeUInt(this, v, o, n, false); }
        writeIntLE(v, o, n) { return writeUInt(this, v, o, n, true); }
    }
    // Fixed-size reads and writes ("Buffer" in "JavaScript runtime 2.0
    // features"), through a DataView over the buffer's bytes.
    [['Int8', 1], ['UInt8', 1], ['Int16', 2], ['UInt16', 2], ['Int32', 4], ['UInt32', 4], ['Float', 4], ['Double', 8]].forEach(function (t) {
        var view = t[0] === 'Float' ? 'Float32' : t[0] === 'Double' ? 'Float64' : t[0].replace('UInt', 'Uint');
        var get = DataView.prototype['get' + view], set = DataView.prototype['set' + view], size = t[1];
        (size === 1 ? [''] : ['BE', 'LE']).forEach(function (end) {
            var little = end === 'LE';
            hide(Buffer.prototype, 'read' + t[0] + end, function (o) {
                o = checkOffset(this, o, size);
                return apply(get, dataView(this), [o, little]);
            });
            hide(Buffer.prototype, 'write' + t[0] + end, function (v, o) {
                o = checkOffset(this, o, size);
                apply(set, dataView(this), [o, Number(v), little]);
                return o + size;
            });
        });
    });
    function dataView(b) { return new DataView(b.buffer, b.byteOffset, b.byteLength); }
    function checkOffset(b, o, size) {
        o = o === undefined ? 0 : o;
        if (typeof o !== 'number' || o !== Math.floor(o) || o < 0 || o + size > b.length) {
            throw new RangeError('The value of "offset" is out of range. It must be >= 0 and <= ' + (b.length - size) + '. Received ' + o);
        }
        return o;
    }
    function readUInt(b, o, n, little) {
        if (typeof n !== 'number' || n < 1 || n > 6 || n !== Math.floor(n)) throw new RangeError('The value of "byteLength" is out of range. It must be >= 1 and <= 6.');
        o = checkOffset(b, o, n);
        var v = 0;
        for (var i = 0; i < n; i++) v = v * 256 + b[little ? o + n - 1 - i : o + i];
        return v;
    }
    function signed(v, n) { var lim = Math.pow(2, 8 * n - 1); return v >= lim ? v - 2 * lim : v; }
    function writeUInt(b, v, o, n, little) {
        if (typeof n !== 'number' || n < 1 || n > 6 || n !== Math.floor(n)) throw new RangeError('The value of "byteLength" is out of range. It must be >= 1 and <= 6.');
        o = checkOffset(b, o, n);
        v = Number(v);
        if (v < 0) v += Math.pow(2, 8 * n);
        for (var i = 0; i < n; i++) {
            b[little ? o + i : o + n - 1 - i] = v % 256;
            v = Math.floor(v / 256);
        }
        return o + n;
    }
    function swapBytes(b, size) {
        if (b.length % size !== 0) throw new RangeError('Buffer size must be a multiple of ' + (8 * size) + '-bits');
        for (var i = 0; i < b.length; i += size) {
            for (var j = 0; j < size / 2; j++) {
                var t = b[i + j]; b[i + j] = b[i + size - 1 - j]; b[i + size - 1 - j] = t;
            }
        }
        return b;
    }
    function searchBytes(b, value, byteOffset, enc, last) {
        if (typeof byteOffset === 'string') { enc = byteOffset; byteOffset = undefined; }
        var needle;
        if (typeof value === 'number') needle = [value & 255];
        else if (typeof value === 'string') needle = Buffer.from(value, enc);
        else if (ArrayBuffer.isView(value)) needle = value;
        else throw new TypeError('The "value" argument must be a string, a number, a Buffer or a Uint8Array');
        var n = b.length, m = needle.length;
        var from = byteOffset === undefined ? (last ? n - m : 0) : Number(byteOffset);
        if (from < 0) from += n;
        if (m === 0) return Math.min(Math.max(from, 0), n);
        for (var i = last ? Math.min(from, n - m) : Math.max(from, 0); last ? i >= 0 : i <= n - m; i += last ? -1 : 1) {
            var k = 0;
            while (k < m && b[i + k] === needle[k]) k++;
            if (k === m) return i;
        }
        return -1;
    }
    function wrap(ab) { return new Buffer(ab, 0, ab.byteLength); }
    function normEnc(enc) {
        var e = enc === undefined || enc === null ? 'utf8' : String(enc).toLowerCase();
        if (!Buffer.isEncoding(e)) throw new TypeError('Unknown encoding: ' + enc);
        return e;
    }

    // crypto: hashes and HMACs of md5, sha1 and sha256 ("Crypto (hash and
    // HMAC)"). digest() without an encoding gives a byte string in 1.0 and
    // a Buffer in 2.0.
    function Digest(alg, key) {
        native.digest(alg, key, []); // check the algorithm now, as Node does
        this.alg = alg; this.key = key; this.chunks = []; this.done = false;
    }
    Digest.prototype.update = function (data, enc) {
        if (this.done) throw new Error('Digest already called');
        this.chunks.push(bytesOf(data, enc));
        return this;
    };
    Digest.prototype.digest = function (enc) {
        if (this.done) throw new Error('Digest already called');
        this.done = true;
        var out = native.digest(this.alg, this.key, this.chunks);
        if (enc === undefined) return runtime2 ? wrap(out) : native.encode(out, 'latin1');
        if (['hex', 'base64', 'base64url'].indexOf(enc) < 0) throw new TypeError('Unknown digest encoding: ' + enc);
        return native.encode(out, enc);
    };
    var crypto = {
        createHash: function (alg) { return new Digest(alg); },
        createHmac: function (alg, key) { return new Digest(alg, bytesOf(key)); }
    };

    // querystring ("Query string" module), Node's semantics.
    function qsUnescape(s) {
        try {
            return decodeURIComponent(s);
        } catch (e) {
            var bytes = native.encode(native.decode(s, 'utf8'), 'latin1').replace(/%([0-9a-fA-F]{2})/g, function (m, h) {
                return String.fromCharCode(parseInt(h, 16));
            });
            return native.encode(native.decode(bytes, 'latin1'), 'utf8');
        }
    }
    function qsPrimitive(v) {
        switch (typeof v) {
            case 'string': return v;
            case 'number': return isFinite(v) ? String(v) : '';
            case 'boolean': return v ? 'true' : 'false';
            case 'bigint': return String(v);
        }
        return '';
    }
    var querystring = {
        escape: function (s) { return encodeURIComponent(s); },
        unescape: qsUnescape,
        parse: function (str, sep, eq, options) {
            sep = sep || '&'; eq = eq || '=';
            var decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : querystring.unescape;
            var maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
            var out = {};
            if (typeof str !== 'string' || str.length === 0) return out;
            var parts = str.split(sep);
            if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
            parts.forEach(function (p) {
                if (p === '') return;
                var i = p.indexOf(eq), k, v;
                if (i >= 0) { k = p.slice(0, i); v = p.slice(i + eq.length); } else { k = p; v = ''; }
                k = decode(k.replace(/\+/g, ' ')); v = decode(v.replace(/\+/g, ' '));
                if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = v;
                else if (isArray(out[k])) out[k].push(v);
                else out[k] = [out[k], v];
            });
            return out;
        },
        stringify: function (obj, sep, eq, options) {
            sep = sep || '&'; eq = eq || '=';
            var encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : querystring.escape;
            if (obj === null || typeof obj !== 'object') return '';
            var parts = [];
            Object.keys(obj).forEach(function (k) {
                var v = obj[k], ks = encode(qsPrimitive(k)) + eq;
                if (isArray(v)) v.forEach(function (x) { parts.push(ks + encode(qsPrimitive(x))); });
                else parts.push(ks + encode(qsPrimitive(v)));
            });
            return parts.join(sep);
        }
    };
    querystring.decode = querystring.parse;
    querystring.encode = querystring.stringify;

    // cloudfront (2.0): KeyValueStore and origin modification
    // ("Helper methods for origin modification").
    // cf.kvs([id]) is a handle on the key value store associated with the
    // function ("Helper methods for key value stores"); it may be taken in
    // the top-level code, so the store is looked up when a method runs:
    // the run's store, from the edge's snapshot. Every method returns a
    // promise; get rejects when the key is missing.
    var P = Promise, parseJSON = JSON.parse;
    function kvsHandle(id) {
        function call(f) {
            try {
                var problem = native.kvsCheck(id === undefined || id === null ? '' : String(id));
                if (problem) throw new Error(problem);
                return P.resolve(f());
            } catch (e) {
                return P.reject(e);
            }
        }
        return {
            get: function (key, options) {
                return call(function () {
                    var format = options !== undefined && options !== null && options.format !== undefined ? String(options.format) : 'string';
                    var v = native.kvsGet(String(key));
                    if (v === undefined) throw new Error('Key not found: ' + String(key));
                    switch (format) {
                    case 'string': return v;
                    case 'json': return parseJSON(v);
                    case 'bytes': return Buffer.from(v, 'utf8');
                    }
                    throw new TypeError('Unknown format "' + format + '": use string, json or bytes');
                });
            },
            exists: function (key) {
                return call(function () { return native.kvsGet(String(key)) !== undefined; });
            },
            meta: function () {
                return call(function () { return native.kvsMeta(); });
            }
        };
    }
    var cloudfront = {
        kvs: function (id) { return kvsHandle(id); },
        updateRequestOrigin: function (params) { native.origin('updateRequestOrigin', params); },
        selectRequestOriginById: function (id, overrides) { native.origin('selectRequestOriginById', id, overrides); },
        createRequestOriginGroup: function (params) { native.origin('createRequestOriginGroup', params); }
    };

    // TextEncoder and TextDecoder (UTF-8 only), atob and btoa: 2.0's
    // "Built-in objects" and "Globals".
    class TextEncoder {
        get encoding() { return 'utf-8'; }
        encode(s) { return new Uint8Array(native.decode(s === undefined ? '' : String(s), 'utf8')); }
        encodeInto(s, dest) {
            s = String(s);
            var read = 0, written = 0;
            for (var i = 0; i < s.length;) {
                var cp = s.codePointAt(i), units = cp > 0xffff ? 2 : 1;
                var bytes = new Uint8Array(native.decode(s.slice(i, i + units), 'utf8'));
                if (written + bytes.length > dest.length) break;
                dest.set(bytes, written);
                written += bytes.length; read += units; i += units;
            }
            return {read: read, written: written};
        }
    }
    class TextDecoder {
        constructor(label, options) {
            var l = label === undefined ? 'utf-8' : String(label).trim().toLowerCase();
            if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8') throw new RangeError('The "' + label + '" encoding is not supported');
            this._fatal = !!(options && options.fatal);
            this._ignoreBOM = !!(options && options.ignoreBOM);
        }
        get encoding() { return 'utf-8'; }
        get fatal() { return this._fatal; }
        get ignoreBOM() { return this._ignoreBOM; }
        decode(input) {
            if (input === undefined) return '';
            var ab = bytesOf(input);
            if (this._fatal && !native.validUTF8(ab)) throw new TypeError('The encoded data was not valid for encoding utf-8');
            var s = native.encode(ab, 'utf8');
            return !this._ignoreBOM && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
        }
    }
    function btoa(s) {
        s = String(s);
        for (var i = 0; i < s.length; i++) {
            if (s.charCodeAt(i) > 255) throw new Error('InvalidCharacterError: btoa: the string contains characters outside of the Latin1 range');
        }
        return native.encode(native.decode(s, 'latin1'), 'base64');
    }
    function atob(s) {
        s = String(s).replace(/[\t\n\f\r ]/g, '');
        if (s.length % 4 === 0) s = s.replace(/==?$/, '');
        if (s.length % 4 === 1 || /[^A-Za-z0-9+\/]/.test(s)) throw new Error('InvalidCharacterError: atob: the string is not correctly encoded');
        return native.encode(native.decode(s, 'base64'), 'latin1');
    }

    var modules = {crypto: crypto, querystring: querystring};
    if (runtime2) {
        hide(G, 'TextEncoder', TextEncoder);
        hide(G, 'TextDecoder', TextDecoder);
        hide(G, 'atob', atob);
        hide(G, 'btoa', btoa);
        modules.buffer = {Buffer: Buffer};
        modules.cloudfront = cloudfront;
        hide(G, 'Buffer', Buffer);
    } else {
        // Byte strings (1.0 nonstandard String methods).
        var SP = String.prototype;
        hide(SP, 'toUTF8', function (start, end) { return native.encode(native.decode(this.slice(start, end), 'utf8'), 'latin1'); });
        hide(SP, 'fromUTF8', function (start, end) {
            var s = this.slice(start, end);
            for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return null;
            var out = native.encode(native.decode(s, 'latin1'), 'utf8');
            return out.indexOf('\uFFFD') >= 0 && s.indexOf('\xEF\xBF\xBD') < 0 ? null : out;
        });
        hide(SP, 'toBytes', function (start, end) {
            var s = this.slice(start, end);
            for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return null;
            return s;
        });
        hide(SP, 'fromBytes', function (start, end) { return this.slice(start, end); });
        var bytesFrom = function (v, enc) {
            if (typeof v === 'string') return native.encode(native.decode(v, enc || 'hex'), 'latin1');
            checkArray(v);
            var out = [];
            for (var i = 0; i < lengthOf(v); i++) out.push(String.fromCharCode(Number(v[i]) & 255));
            return out.join('');
        };
        hide(String, 'bytesFrom', bytesFrom);
        hide(SP, 'bytesFrom', bytesFrom);
    }
    hide(G, 'require', function (name) {
        var m = modules[name];
        if (m === undefined) throw new Error('Cannot find module \'' + name + '\'');
        return m;
    });
})
