import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import send from '@fastify/send';

/**
 * The console's index.html: scripts and styles only from this origin (no inline scripts),
 * no plugins, no framing, API calls only to this origin.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Sent with every response under `/console`, whatever the path looks like (`/console//index.html`,
 * `/console/./`, `/console/index%2ehtml`, a file, a 404): any of them may be HTML a browser
 * renders, so none may be framed or run foreign scripts.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export type ConsoleAsset =
  | { kind: 'file'; status: number; headers: Record<string, string>; stream: NodeJS.ReadableStream }
  | { kind: 'index' }
  | { kind: 'missing'; status: number };

/**
 * The built console (`services/console/dist`, or CURATOR_CONSOLE_DIR), looked up on every
 * request so a build made after boot is picked up. Files are served by @fastify/send (path
 * traversal refused, dotfiles denied, ETag and Last-Modified); Vite's hashed `assets/` are
 * cached for a year, everything else revalidated.
 */
export class ConsoleFiles {
  constructor(readonly dir: string) {}

  get built(): boolean {
    return existsSync(join(this.dir, 'index.html'));
  }

  indexHtml(): Promise<Buffer> {
    return readFile(join(this.dir, 'index.html'));
  }

  /**
   * A file under the console for the request path after `/console/`. A path without a file
   * extension that matches no file is a client-side route: the index.
   */
  async asset(req: IncomingMessage, relativePath: string): Promise<ConsoleAsset> {
    if (relativePath === '' || relativePath === 'index.html') return { kind: 'index' };
    const hashed = relativePath.startsWith('assets/');
    const result = await send(req, `/${relativePath}`, {
      root: this.dir,
      dotfiles: 'deny',
      index: false,
      maxAge: hashed ? '365d' : 0,
      immutable: hashed,
    });
    if (result.type === 'file') {
      return { kind: 'file', status: result.statusCode, headers: result.headers, stream: result.stream };
    }
    result.stream.destroy();
    const lastSegment = relativePath.split('/').pop() ?? '';
    if (result.statusCode === 404 && !lastSegment.includes('.')) return { kind: 'index' };
    return { kind: 'missing', status: result.type === 'directory' ? 404 : result.statusCode };
  }
}
