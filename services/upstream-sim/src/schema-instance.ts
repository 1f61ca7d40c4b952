/**
 * Deterministic JSON instances for a JSON Schema: `instanceFor` builds one that validates
 * (json_schema responses, forced tool calls), `invalidInstanceFor` one that is valid JSON but
 * fails validation (`sim-invalidjson`).
 *
 * Handled: type (incl. type arrays such as ["string","null"]), object properties / required /
 * additionalProperties / min- and maxProperties, array items / prefixItems / min- and maxItems,
 * enum, const, string min- and maxLength and common formats, number and integer bounds
 * (inclusive and exclusive) and multipleOf, boolean, null, allOf (merged), anyOf / oneOf (first
 * non-null branch), local `$ref` into `$defs` / `definitions`. Not honoured: `pattern`, `not`,
 * `if`/`then`/`else`, remote refs.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaObject = { readonly [key: string]: unknown };

/** Past this depth, objects keep only required properties and arrays only minItems items. */
const LEAN_DEPTH = 8;
/** Past this depth, give up (a recursive schema that requires itself has no finite instance). */
const MAX_DEPTH = 32;

function isObject(v: unknown): v is SchemaObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function asStringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function decimals(n: number): number {
  const s = String(n);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function roundTo(value: number, step: number): number {
  return Number(value.toFixed(Math.min(20, decimals(step))));
}

class Generator {
  constructor(
    private readonly root: unknown,
    private readonly seed: string,
  ) {}

  /** Follows a local `$ref` (keeping sibling keywords) until the schema has none. */
  resolve(schema: unknown, hops = 0): unknown {
    if (!isObject(schema) || typeof schema.$ref !== 'string' || hops > MAX_DEPTH) return schema;
    const target = this.pointer(schema.$ref);
    const { $ref: _ref, ...siblings } = schema;
    const merged = isObject(target) ? { ...target, ...siblings } : target;
    return this.resolve(merged, hops + 1);
  }

  private pointer(ref: string): unknown {
    if (!ref.startsWith('#')) return {};
    const parts = ref
      .slice(1)
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = this.root;
    for (const part of parts) {
      if (!isObject(node)) return {};
      node = node[part];
    }
    return node ?? {};
  }

  /** Folds allOf into one schema and picks the first non-null anyOf / oneOf branch. */
  flatten(schema: unknown, depth = 0): unknown {
    const s = this.resolve(schema);
    if (!isObject(s) || depth > MAX_DEPTH) return s;
    const { allOf, anyOf, oneOf, ...rest } = s;
    let out: SchemaObject = rest;
    if (Array.isArray(allOf)) {
      for (const part of allOf) out = mergeSchemas(out, this.flatten(part, depth + 1));
    }
    const branches = Array.isArray(anyOf) ? anyOf : Array.isArray(oneOf) ? oneOf : undefined;
    if (branches && branches.length > 0) {
      const resolved = branches.map((b) => this.flatten(b, depth + 1));
      const pick = resolved.find((b) => !(isObject(b) && b.type === 'null')) ?? resolved[0];
      out = mergeSchemas(out, pick);
    }
    return out;
  }

  valueFor(schema: unknown, key: string, variant: number, depth: number): Json {
    if (depth > MAX_DEPTH) return null;
    const s = this.flatten(schema);
    if (!isObject(s)) return this.stringFor({}, key, variant); // `true` / missing schema: anything goes
    if ('const' in s) return (s.const ?? null) as Json;
    if (Array.isArray(s.enum) && s.enum.length > 0) return (s.enum[variant % s.enum.length] ?? null) as Json;
    switch (typeOf(s)) {
      case 'object':
        return this.objectFor(s, variant, depth);
      case 'array':
        return this.arrayFor(s, key, depth);
      case 'integer':
        return numberFor(s, variant, true);
      case 'number':
        return numberFor(s, variant, false);
      case 'boolean':
        return variant % 2 === 1;
      case 'null':
        return null;
      default:
        return this.stringFor(s, key, variant);
    }
  }

  /** Properties inherit `variant`, so objects inside an array differ from one another. */
  private objectFor(s: SchemaObject, variant: number, depth: number): Json {
    const props = isObject(s.properties) ? s.properties : {};
    const required = asStringArray(s.required);
    const optional = depth >= LEAN_DEPTH ? [] : Object.keys(props).filter((k) => !required.includes(k));
    const maxProps = asNumber(s.maxProperties) ?? Infinity;
    const keys = [...required, ...optional.slice(0, Math.max(0, maxProps - required.length))];
    const extra = isObject(s.additionalProperties) ? s.additionalProperties : undefined;
    const out: { [key: string]: Json } = {};
    for (const k of keys) out[k] = this.valueFor(k in props ? props[k] : extra, k, variant, depth + 1);
    const minProps = asNumber(s.minProperties) ?? 0;
    for (let i = 0; Object.keys(out).length < minProps && s.additionalProperties !== false; i++) {
      const k = `extra_${i}`;
      if (!(k in out)) out[k] = this.valueFor(extra, k, variant + i, depth + 1);
    }
    return out;
  }

  private arrayFor(s: SchemaObject, key: string, depth: number): Json {
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
    const rest = Array.isArray(s.items) ? s.additionalItems : s.items;
    const min = asNumber(s.minItems) ?? 0;
    const max = asNumber(s.maxItems) ?? Infinity;
    const wanted = depth >= LEAN_DEPTH ? min : Math.max(min, 1);
    const count = Math.min(max, Math.max(wanted, prefix.length), rest === false ? prefix.length : Infinity);
    const out: Json[] = [];
    for (let i = 0; i < count; i++) {
      const itemSchema = i < prefix.length ? prefix[i] : rest;
      out.push(this.valueFor(itemSchema, `${key}_${i}`, i, depth + 1));
    }
    return out;
  }

  private stringFor(s: SchemaObject, key: string, variant: number): string {
    const formatted = formatString(s.format, this.seed, key, variant);
    let value = formatted ?? `${key || 'sim'} ${this.seed}${variant > 0 ? ` ${variant}` : ''}`;
    if (formatted !== undefined) return value;
    const min = asNumber(s.minLength) ?? 0;
    const max = asNumber(s.maxLength) ?? Infinity;
    if (value.length < min) value = value.padEnd(min, '.');
    if (value.length > max) value = value.slice(0, max);
    return value;
  }

  instance(): Json {
    return this.valueFor(this.root, '', 0, 0);
  }

  /** A value whose type, enum or const rules out `schema`, or undefined if none can be found. */
  violating(schema: unknown): Json | undefined {
    const s = this.resolve(schema);
    if (!isObject(s) || s.anyOf !== undefined || s.oneOf !== undefined || s.allOf !== undefined)
      return undefined;
    const candidates: Json[] = ['__sim_invalid__', 0.5, true, null, [], {}];
    const types = typeList(s.type);
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    return candidates.find((c) => {
      if ('const' in s) return !same(c, s.const);
      if (Array.isArray(s.enum)) return !s.enum.some((e) => same(e, c));
      return types.length > 0 && !types.some((t) => jsonTypeMatches(c, t));
    });
  }

  invalidInstance(): Json | undefined {
    const s = this.flatten(this.root);
    const valid = this.instance();
    if (isObject(s) && isObject(valid) && !Array.isArray(valid)) {
      const obj = valid as { [key: string]: Json };
      const required = asStringArray(s.required).filter((k) => k in obj);
      if (required[0] !== undefined) {
        const { [required[0]]: _dropped, ...rest } = obj;
        return rest;
      }
      const props = isObject(s.properties) ? s.properties : {};
      for (const k of Object.keys(obj)) {
        const bad = k in props ? this.violating(props[k]) : undefined;
        if (bad !== undefined) return { ...obj, [k]: bad };
      }
      if (s.additionalProperties === false) return { ...obj, __sim_unexpected__: true };
    }
    return this.violating(this.root);
  }
}

function mergeSchemas(a: SchemaObject, b: unknown): SchemaObject {
  if (!isObject(b)) return a;
  const out: { [key: string]: unknown } = { ...a, ...b };
  if (isObject(a.properties) || isObject(b.properties)) {
    out.properties = {
      ...(isObject(a.properties) ? a.properties : {}),
      ...(isObject(b.properties) ? b.properties : {}),
    };
  }
  const required = [...new Set([...asStringArray(a.required), ...asStringArray(b.required)])];
  if (required.length > 0) out.required = required;
  return out;
}

function typeList(type: unknown): string[] {
  return typeof type === 'string' ? [type] : asStringArray(type);
}

function typeOf(s: SchemaObject): string {
  const types = typeList(s.type);
  const nonNull = types.find((t) => t !== 'null');
  if (nonNull) return nonNull;
  if (types.length > 0) return 'null';
  if ('properties' in s || 'required' in s || 'additionalProperties' in s) return 'object';
  if ('items' in s || 'prefixItems' in s || 'minItems' in s) return 'array';
  if ('minimum' in s || 'maximum' in s || 'multipleOf' in s) return 'number';
  return 'string';
}

function jsonTypeMatches(value: Json, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

/** q rounded to an integer when it is one up to floating-point noise (0.3 / 0.1). */
function snap(q: number): number {
  const r = Math.round(q);
  return Math.abs(q - r) < 1e-9 ? r : q;
}

function numberFor(s: SchemaObject, variant: number, integer: boolean): number {
  let lo = asNumber(s.minimum);
  let hi = asNumber(s.maximum);
  // draft 2019+: exclusiveMinimum is a number; draft-04: a boolean qualifying `minimum`
  let loEx = s.exclusiveMinimum === true;
  let hiEx = s.exclusiveMaximum === true;
  const exMin = asNumber(s.exclusiveMinimum);
  const exMax = asNumber(s.exclusiveMaximum);
  if (exMin !== undefined && (lo === undefined || exMin >= lo)) [lo, loEx] = [exMin, true];
  if (exMax !== undefined && (hi === undefined || exMax <= hi)) [hi, hiEx] = [exMax, true];

  const multipleOf = asNumber(s.multipleOf);
  const step = multipleOf !== undefined && multipleOf > 0 ? multipleOf : integer ? 1 : undefined;
  if (step !== undefined) {
    const kLo =
      lo === undefined ? -Infinity : loEx ? Math.floor(snap(lo / step)) + 1 : Math.ceil(snap(lo / step));
    const kHi =
      hi === undefined ? Infinity : hiEx ? Math.ceil(snap(hi / step)) - 1 : Math.floor(snap(hi / step));
    const k = Math.min(Math.max(Math.round(variant / step), kLo), kHi);
    // prefer a multiple that also divides exactly in floating point (0.31 / 0.01, not 0.3 / 0.01),
    // since validators such as Ajv test `value / multipleOf` for an integer
    for (let j = k; j <= Math.min(kHi, k + 100); j++) {
      const v = roundTo(j * step, step);
      if (Number.isInteger(v / step)) return v;
    }
    return roundTo(k * step, step);
  }
  let v = variant;
  if (lo !== undefined && (v < lo || (loEx && v <= lo))) {
    v = loEx ? (hi !== undefined ? Math.min(lo + 1, (lo + hi) / 2) : lo + 1) : lo;
  }
  if (hi !== undefined && (v > hi || (hiEx && v >= hi))) {
    v = hiEx ? (lo !== undefined ? Math.max(hi - 1, (lo + hi) / 2) : hi - 1) : hi;
  }
  return v;
}

function formatString(format: unknown, seed: string, key: string, variant: number): string | undefined {
  const hex = (seed.replace(/[^0-9a-f]/gi, '').toLowerCase() + '000000000000').slice(0, 12);
  switch (format) {
    case 'date-time':
      return `2024-01-01T00:00:${String(variant % 60).padStart(2, '0')}Z`;
    case 'date':
      return `2024-01-${String((variant % 28) + 1).padStart(2, '0')}`;
    case 'time':
      return `00:00:${String(variant % 60).padStart(2, '0')}Z`;
    case 'email':
      return `${key.replace(/[^a-z0-9]/gi, '') || 'sim'}${variant || ''}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/sim/${hex}/${variant}`;
    case 'uuid':
      return `00000000-0000-4000-8${String(variant % 1000).padStart(3, '0')}-${hex}`;
    case 'hostname':
      return 'example.com';
    case 'ipv4':
      return `192.0.2.${(variant % 254) + 1}`;
    case 'ipv6':
      return `2001:db8::${(variant % 65535) + 1}`;
    case 'duration':
      return `PT${variant + 1}S`;
    default:
      return undefined;
  }
}

/** A deterministic instance of `schema`; `seed` (e.g. an input fingerprint) shows up in strings. */
export function instanceFor(schema: unknown, seed = 'sim'): Json {
  return new Generator(schema, seed).instance();
}

/**
 * Valid JSON that fails `schema`: the first required property dropped, else a property or the
 * root given a value of the wrong type / outside its enum, else an unexpected property when
 * additionalProperties is false. `undefined` when the schema accepts anything.
 */
export function invalidInstanceFor(schema: unknown, seed = 'sim'): Json | undefined {
  return new Generator(schema, seed).invalidInstance();
}
