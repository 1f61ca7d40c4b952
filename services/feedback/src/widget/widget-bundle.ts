import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The widget bundle is missing: the service refuses to start rather than serve errors. */
export class WidgetBundleMissingError extends Error {
  override readonly name = 'WidgetBundleMissingError';
  constructor(readonly file: string) {
    super(
      `the widget bundle ${file} does not exist: build it with \`npm run build -w web-widget\` ` +
        '(or point FEEDBACK_WIDGET_FILE at a built widget.js)',
    );
  }
}

export type Encoding = 'br' | 'gzip' | 'identity';

/**
 * `widget.js`, read once at boot and compressed ahead of time (brotli, gzip), with its
 * content hash: `version` (in `/widget.js?v=<version>` URLs) and one strong ETag per encoding.
 * Its source map is kept when present.
 */
export class WidgetBundle {
  readonly version: string;
  private readonly bodies: Record<Encoding, Buffer>;

  private constructor(
    source: Buffer,
    readonly sourceMap: Buffer | null,
  ) {
    this.version = createHash('sha256').update(source).digest('base64url').slice(0, 16);
    this.bodies = {
      identity: source,
      gzip: gzipSync(source, { level: 9 }),
      br: brotliCompressSync(source, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    };
  }

  static load(file: string): WidgetBundle {
    if (!existsSync(file)) throw new WidgetBundleMissingError(file);
    const map = `${file}.map`;
    return new WidgetBundle(readFileSync(file), existsSync(map) ? readFileSync(map) : null);
  }

  /** for tests and tools that hold the bundle in memory */
  static fromSource(source: string | Buffer, sourceMap: Buffer | null = null): WidgetBundle {
    return new WidgetBundle(Buffer.from(source), sourceMap);
  }

  body(encoding: Encoding): Buffer {
    return this.bodies[encoding];
  }

  etag(encoding: Encoding): string {
    return `"${this.version}${encoding === 'identity' ? '' : `-${encoding}`}"`;
  }

  /** True when `If-None-Match` names this version (in any encoding). */
  matches(ifNoneMatch: string | undefined): boolean {
    if (!ifNoneMatch) return false;
    if (ifNoneMatch.trim() === '*') return true;
    return ifNoneMatch
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .some((tag) => tag === this.etag('identity') || tag === this.etag('gzip') || tag === this.etag('br'));
  }
}

/** The best encoding the client accepts (brotli, then gzip), honouring `q=0`. */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}
