/** Which rule an answer broke: it contained the canary, or a long verbatim run of `system`. */
export type LeakRule = 'canary' | 'verbatim';

export interface LeakPolicyOptions {
  /** the variant's system prompt */
  system: string;
  canary?: string;
  /** a run of this many characters of `system`, verbatim, is a leak */
  maxVerbatimChars?: number;
}

/** What a scanner lets out after a delta: text proven safe, and the rule the answer broke, if any. */
export interface ScanStep {
  safe: string;
  leak?: LeakRule;
}

// Rabin–Karp over UTF-16 code units: a polynomial hash mod 2^32 (int32 arithmetic, fast) with a
// random odd base per policy. Every hash hit is verified against the prompt, so a collision
// costs one comparison and never a false leak.
function randomBase(): number {
  return (Math.floor(Math.random() * 2 ** 30) * 2 + 1) | 0;
}

/** Distinct system windows kept per hash value (identical windows are stored once). */
const MAX_CANDIDATES = 8;

function foldAscii(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

function kmpFailure(pattern: Int32Array): Int32Array {
  const failure = new Int32Array(pattern.length);
  let k = 0;
  for (let i = 1; i < pattern.length; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = failure[k - 1] as number;
    if (pattern[i] === pattern[k]) k++;
    failure[i] = k;
  }
  return failure;
}

/**
 * A variant's leak rules, compiled once: the KMP failure table of the (ASCII case-folded) canary
 * and the hashes of every `maxVerbatimChars`-long window of `system`. Checking an answer is
 * linear in its length, plus one verification per hash hit (a leak, or a rare 2^-32 collision
 * under a base the answer's author cannot know) — never quadratic however the answer is crafted.
 */
export class LeakPolicy {
  /** characters a stream must hold back so that no chunk completes a leak */
  readonly holdback: number;
  readonly canary: Int32Array;
  readonly failure: Int32Array;
  /** `maxVerbatimChars`, or 0 when the rule is off (or the prompt is shorter) */
  readonly window: number;
  readonly base = randomBase();
  /** base^window mod 2^32, to drop the oldest code unit */
  readonly top: number = 1;
  /** hash → start offsets in `system` of the distinct windows with that hash */
  private readonly windows = new Map<number, number[]>();

  constructor(private readonly options: LeakPolicyOptions) {
    const { system, canary = '', maxVerbatimChars = 0 } = options;
    this.canary = Int32Array.from({ length: canary.length }, (_, i) => foldAscii(canary.charCodeAt(i)));
    this.failure = kmpFailure(this.canary);
    this.window = maxVerbatimChars <= system.length ? maxVerbatimChars : 0;
    if (this.window > 0) {
      for (let i = 0; i < this.window; i++) this.top = Math.imul(this.top, this.base);
      let h = 0;
      for (let i = 0; i < system.length; i++) {
        h = (Math.imul(h, this.base) + system.charCodeAt(i)) | 0;
        if (i >= this.window) h = (h - Math.imul(system.charCodeAt(i - this.window), this.top)) | 0;
        if (i >= this.window - 1) this.addWindow(h, i - this.window + 1);
      }
    }
    this.holdback = Math.max(0, this.canary.length - 1, this.window - 1);
  }

  /** A scanner for one answer, fed delta by delta. */
  scanner(): LeakScanner {
    return new LeakScanner(this);
  }

  /** The rule a whole answer breaks, if any. */
  find(text: string): LeakRule | undefined {
    return this.scanner().push(text).leak;
  }

  /** Is `text[end − window, end)` one of the system windows with hash `key`? */
  isSystemWindow(key: number, text: string, end: number): boolean {
    const starts = this.windows.get(key);
    if (starts === undefined) return false;
    const { system } = this.options;
    const from = end - this.window;
    return starts.some((start) => text.startsWith(system.slice(start, start + this.window), from));
  }

  private addWindow(key: number, start: number): void {
    const starts = this.windows.get(key);
    if (!starts) {
      this.windows.set(key, [start]);
      return;
    }
    if (starts.length >= MAX_CANDIDATES) return;
    const { system } = this.options;
    const text = system.slice(start, start + this.window);
    if (!starts.some((s) => system.startsWith(text, s))) starts.push(start);
  }
}

/**
 * One answer's scan. `push` returns the text that can leave now: everything but the last
 * `holdback` characters, which could still become the start of a leak. `flush` releases the
 * held tail once the answer is complete. After a leak, nothing more is released.
 */
export class LeakScanner {
  private text = '';
  private scanned = 0;
  private released = 0;
  /** canary characters matched so far */
  private matched = 0;
  private hash = 0;
  private leak: LeakRule | undefined;

  constructor(private readonly policy: LeakPolicy) {}

  /** Everything released so far (what a client has seen). */
  get releasedText(): string {
    return this.text.slice(0, this.released);
  }

  push(delta: string): ScanStep {
    if (this.leak) return { safe: '', leak: this.leak };
    const text = this.text + delta;
    this.text = text;
    const { canary, failure, window, base, top } = this.policy;
    const canaryLength = canary.length;
    let matched = this.matched;
    let h = this.hash;
    for (let i = this.scanned; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (canaryLength > 0) {
        const c = foldAscii(code);
        while (matched > 0 && canary[matched] !== c) matched = failure[matched - 1] as number;
        if (canary[matched] === c) matched++;
        if (matched === canaryLength) return this.stop('canary');
      }
      if (window > 0) {
        h = (Math.imul(h, base) + code) | 0;
        if (i >= window) h = (h - Math.imul(text.charCodeAt(i - window), top)) | 0;
        if (i >= window - 1 && this.policy.isSystemWindow(h, text, i + 1)) return this.stop('verbatim');
      }
    }
    this.matched = matched;
    this.hash = h;
    this.scanned = text.length;
    const upTo = Math.max(this.released, text.length - this.policy.holdback);
    const safe = text.slice(this.released, upTo);
    this.released = upTo;
    return { safe };
  }

  /** The held-back tail, once no more text will come (it has been scanned in full). */
  flush(): string {
    if (this.leak) return '';
    const rest = this.text.slice(this.released);
    this.released = this.text.length;
    return rest;
  }

  private stop(rule: LeakRule): ScanStep {
    this.leak = rule;
    return { safe: '', leak: rule };
  }
}
