import type { EventTruncation, InteractionEvent } from '@flywheel/contracts';

/**
 * Below Kafka's default `message.max.bytes` (1 MiB + 12 bytes per record batch), leaving room
 * for the record's key, its CloudEvents headers and the batch overhead.
 */
export const DEFAULT_EVENT_MAX_BYTES = 960 * 1024;

/** At most this many truncated fields are listed by path; `fields_total` counts them all. */
const MAX_LISTED_FIELDS = 32;
/** Listed paths are cut to this many characters (input keys may be long). */
const MAX_PATH_LENGTH = 200;
/** Rounds of cutting before the structure itself (input, output_json, messages) is given up. */
const CUT_ROUNDS = 4;

export interface FittedEvent {
  event: InteractionEvent;
  /** the event's JSON as it will be published: `JSON.stringify(event)`, made once */
  json: string;
  /** its UTF-8 bytes */
  bytes: number;
}

interface StringLeaf {
  path: string;
  value: string;
  bytes: number;
  set(value: string): void;
}

const encoder = new TextEncoder();

/**
 * The interaction event as it will be published, cut to fit `maxBytes` of JSON. An event that
 * fits is returned as it is. One that does not keeps a prefix of every long string it carries
 * (message contents, `output`, string values inside `request.input` and `output_json`): all of
 * them are cut to one common length, the smallest cut that makes the event fit, so short
 * strings stay whole and the longest lose the most. When cutting strings is not enough (the
 * structure itself is too big, or `input` / `output_json` nest too deep to serialize),
 * `request.input` and `output_json` are left out, then the middle of the conversation. Whatever
 * was cut is listed in `event.truncated`, so no consumer mistakes a prefix for the whole.
 */
export function fitEvent(event: InteractionEvent, maxBytes: number): FittedEvent {
  const json = serialize(event);
  const whole = json === null ? null : Buffer.byteLength(json, 'utf8');
  if (json !== null && whole! <= maxBytes) return { event, json, bytes: whole! };

  const fitted = copyForCutting(event);
  const cuts: Cuts = new Map();
  const done = (size: number) => finish(fitted, whole, cuts, size, maxBytes);

  let size = whole === null ? null : cutStrings(fitted, whole, maxBytes, cuts);
  if (size !== null && size <= maxBytes) return done(size);

  // the structure is what is too big (or too deep): leave out the free-form values
  if (fitted.request.input !== undefined) {
    cuts.set('request.input', { original_bytes: bytesOrZero(event.request.input), kept_bytes: 0 });
    delete fitted.request.input;
  }
  if (fitted.output_json !== undefined) {
    cuts.set('output_json', { original_bytes: bytesOrZero(event.output_json), kept_bytes: 0 });
    delete fitted.output_json;
  }
  size = measure(fitted);
  if (size !== null) size = cutStrings(fitted, size, maxBytes, cuts);
  if (size !== null && size <= maxBytes) return done(size);

  // then the middle of the conversation: the first message (the setup) and the last one stay
  const messages = fitted.request.messages;
  if (messages.length > 2) {
    const before = bytesOrZero(messages);
    fitted.request.messages = [messages[0]!, messages[messages.length - 1]!];
    cuts.set('request.messages', {
      original_bytes: before,
      kept_bytes: bytesOrZero(fitted.request.messages),
    });
    size = measure(fitted);
    if (size !== null) size = cutStrings(fitted, size, maxBytes, cuts);
    if (size !== null && size <= maxBytes) return done(size);
  }
  throw new RangeError(
    `the interaction event does not fit in ${maxBytes} bytes even without its input and output`,
  );
}

type Cuts = Map<string, { original_bytes: number; kept_bytes: number }>;

/** Cuts the event's strings to a common length until it fits; returns its size after. */
function cutStrings(event: InteractionEvent, size: number, maxBytes: number, cuts: Cuts): number {
  for (let round = 0; round < CUT_ROUNDS && size > maxBytes; round++) {
    const leaves = stringLeaves(event);
    const cap = commonCap(
      leaves.map((l) => l.bytes),
      size - maxBytes,
    );
    if (cap === null) return size;
    for (const leaf of leaves) {
      if (leaf.bytes <= cap) continue;
      leaf.set(prefix(leaf.value, cap));
      const cut = cuts.get(leaf.path);
      cuts.set(leaf.path, { original_bytes: cut?.original_bytes ?? leaf.bytes, kept_bytes: cap });
    }
    size = measure(event) ?? Number.POSITIVE_INFINITY;
  }
  return size;
}

function finish(
  event: InteractionEvent,
  originalBytes: number | null,
  cuts: Cuts,
  size: number,
  maxBytes: number,
): FittedEvent {
  // the marker takes room too: cut the strings further until the event and its marker fit
  for (let round = 0; round < CUT_ROUNDS; round++) {
    event.truncated = marker(originalBytes, cuts, maxBytes);
    const json = serialize(event);
    const bytes = json === null ? Number.POSITIVE_INFINITY : Buffer.byteLength(json, 'utf8');
    if (json !== null && bytes <= maxBytes) return { event, json, bytes };
    delete event.truncated;
    size = cutStrings(event, size, maxBytes - (bytes - size), cuts);
  }
  throw new RangeError(`the interaction event does not fit in ${maxBytes} bytes`);
}

function marker(originalBytes: number | null, cuts: Cuts, maxBytes: number): EventTruncation {
  const all = [...cuts].map(([path, c]) => ({ path: path.slice(0, MAX_PATH_LENGTH), ...c }));
  all.sort((a, b) => b.original_bytes - a.original_bytes);
  const truncated: EventTruncation = {
    max_bytes: maxBytes,
    fields: all.slice(0, MAX_LISTED_FIELDS),
    fields_total: all.length,
  };
  if (originalBytes !== null) truncated.original_bytes = originalBytes;
  return truncated;
}

/** `JSON.stringify(value)`, or null when it nests too deep to serialize. */
function serialize(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? '';
  } catch (err) {
    if (err instanceof RangeError) return null; // call stack exceeded
    throw err;
  }
}

/** UTF-8 bytes of `JSON.stringify(value)`, or null when it nests too deep to serialize. */
function measure(value: unknown): number | null {
  const json = serialize(value);
  return json === null ? null : Buffer.byteLength(json, 'utf8');
}

function bytesOrZero(value: unknown): number {
  return measure(value) ?? 0;
}

/**
 * The largest cap such that cutting every length above it down to it removes at least `excess`
 * bytes, or null when even cutting every string to nothing is not enough. Lengths are raw UTF-8
 * bytes; JSON escaping makes some strings bigger on the wire, which the caller's next round
 * takes care of.
 */
export function commonCap(lengths: readonly number[], excess: number): number | null {
  if (excess <= 0) return Math.max(0, ...lengths);
  const sorted = [...lengths].sort((a, b) => b - a);
  let removed = 0;
  // with the k longest cut to cap c (sorted[k] <= c <= sorted[k-1]): removed = sum(top k) - k*c
  let top = 0;
  for (let k = 1; k <= sorted.length; k++) {
    top += sorted[k - 1]!;
    const floor = sorted[k] ?? 0;
    removed = top - k * floor;
    if (removed >= excess) {
      // the cap between floor and sorted[k-1] that removes exactly `excess`
      return Math.max(floor, Math.floor((top - excess) / k));
    }
  }
  return null;
}

/** The longest prefix of `value` that takes at most `maxBytes` in UTF-8, whole characters only. */
export function prefix(value: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (value.length * 3 <= maxBytes) return value;
  const { read } = encoder.encodeInto(value, new Uint8Array(maxBytes));
  return value.slice(0, read);
}

/**
 * Every string the event carries that may be long: message contents, output, and the string
 * values anywhere inside `request.input` and `output_json` (walked without recursion, so deep
 * values cannot overflow the stack).
 */
function stringLeaves(event: InteractionEvent): StringLeaf[] {
  const leaves: StringLeaf[] = [];
  const add = (path: string, value: string, set: (v: string) => void) => {
    if (value.length > 0) leaves.push({ path, value, bytes: Buffer.byteLength(value, 'utf8'), set });
  };
  event.request.messages.forEach((m, i) =>
    add(`request.messages.${i}.content`, m.content, (v) => (m.content = v)),
  );
  if (typeof event.output === 'string') add('output', event.output, (v) => (event.output = v));
  if (event.request.input !== undefined) walk(event.request.input, 'request.input', add);
  if (typeof event.output_json === 'string') {
    add('output_json', event.output_json, (v) => (event.output_json = v));
  } else if (event.output_json !== null && typeof event.output_json === 'object') {
    walk(event.output_json, 'output_json', add);
  }
  return leaves;
}

function walk(
  root: object,
  rootPath: string,
  add: (path: string, value: string, set: (v: string) => void) => void,
): void {
  const stack: { node: object; path: string }[] = [{ node: root, path: rootPath }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    // object or array: both index by string key
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      const at = `${path}.${key}`;
      if (typeof value === 'string') add(at, value, (v) => (record[key] = v));
      else if (value !== null && typeof value === 'object') stack.push({ node: value, path: at });
    }
  }
}

/**
 * A copy of the event whose long parts may be cut without touching the caller's objects: the
 * messages are copied, `input` and `output_json` deep-copied (without recursion).
 */
function copyForCutting(event: InteractionEvent): InteractionEvent {
  const copy: InteractionEvent = {
    ...event,
    request: { ...event.request, messages: event.request.messages.map((m) => ({ ...m })) },
  };
  if (event.request.input !== undefined) copy.request.input = deepCopy(event.request.input);
  if (event.output_json !== undefined) copy.output_json = deepCopy(event.output_json);
  return copy;
}

function deepCopy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const rootCopy: unknown = Array.isArray(value) ? [] : {};
  const stack: { from: Record<string, unknown>; to: Record<string, unknown> }[] = [
    { from: value as Record<string, unknown>, to: rootCopy as Record<string, unknown> },
  ];
  while (stack.length > 0) {
    const { from, to } = stack.pop()!;
    for (const key of Object.keys(from)) {
      const v = from[key];
      if (v !== null && typeof v === 'object') {
        const child = (Array.isArray(v) ? [] : {}) as Record<string, unknown>;
        to[key] = child;
        stack.push({ from: v as Record<string, unknown>, to: child });
      } else {
        to[key] = v;
      }
    }
  }
  return rootCopy as T;
}
