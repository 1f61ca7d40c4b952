/**
 * Which browser origins may post votes: the `feedback.allowed_origins` allowlist (exact
 * origins), plus the service's own origin (the demo page it serves). A request without an
 * Origin header is not a cross-origin browser request (server to server, curl) and is allowed.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.allowed = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  }

  /** `host` is the request's Host header: an Origin naming the same host:port is same-origin. */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    if (this.allowed.has(normalized)) return true;
    if (!host || !/^https?:\/\//.test(normalized)) return false;
    try {
      return new URL(normalized).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
}
