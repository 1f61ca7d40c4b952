/**
 * The client's address for rate limiting. With `trustedHops` proxies in front (each appending
 * to X-Forwarded-For), the client is the entry the outermost trusted proxy appended: the
 * `trustedHops`-th from the right. Entries further left are client-supplied and ignored.
 */
export function clientIp(
  socketIp: string,
  forwardedFor: string | string[] | undefined,
  trustedHops: number,
): string {
  if (trustedHops <= 0 || forwardedFor === undefined) return socketIp;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return hops[hops.length - trustedHops] ?? hops[0] ?? socketIp;
}
