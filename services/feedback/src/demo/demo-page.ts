export interface DemoPageOptions {
  mode: 'gateway' | 'canned';
  gatewayUrl?: string;
  /** a browser-safe gateway key; it is visible to anyone who opens the page */
  gatewayKey?: string;
  /** the widget script URL (versioned) */
  widgetSrc: string;
  reasons: readonly string[];
}

/** Escapes text for an HTML attribute value or element content. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page's Content-Security-Policy: scripts only from this origin (no inline script, no
 * eval), Trusted Types enforced (no HTML sinks at all), requests only to this origin and the
 * gateway, nothing embeds it. Styles allow inline because the widget puts its stylesheet in a
 * `<style>` inside its shadow root; a style cannot run script.
 */
export function demoCsp(gatewayUrl: string | undefined): string {
  const connect = ["'self'", ...(gatewayUrl ? [new URL(gatewayUrl).origin] : [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `connect-src ${connect}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** The demo chat page: static markup; /demo/demo.js does the rest. Every value is escaped. */
export function renderDemoPage(o: DemoPageOptions): string {
  const attrs = [
    `data-mode="${escapeHtml(o.mode)}"`,
    `data-reasons="${escapeHtml(o.reasons.join(','))}"`,
    ...(o.mode === 'gateway' && o.gatewayUrl ? [`data-gateway-url="${escapeHtml(o.gatewayUrl)}"`] : []),
    ...(o.mode === 'gateway' && o.gatewayKey ? [`data-gateway-key="${escapeHtml(o.gatewayKey)}"`] : []),
  ].join(' ');
  const banner =
    o.mode === 'gateway'
      ? `Live: your messages go to the gateway at ${escapeHtml(o.gatewayUrl ?? '')} as <code>route:demo-chat</code>.`
      : 'Canned answers: no gateway is configured (set FEEDBACK_DEMO_GATEWAY_URL). Each answer is fixed text, ' +
        'but its feedback token is minted for real by this feedback service, so your votes reach Kafka.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Flywheel demo chat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo/demo.css">
<script src="/demo/demo.js" defer></script>
<script src="${escapeHtml(o.widgetSrc)}" defer></script>
</head>
<body ${attrs}>
<main>
<h1>Flywheel demo chat</h1>
<p class="banner banner-${escapeHtml(o.mode)}" id="mode">${banner}</p>
<ol id="log" aria-live="polite"></ol>
<p id="status" role="status"></p>
<form id="ask">
<label for="message">Your message</label>
<textarea id="message" name="message" rows="3" maxlength="2000" required placeholder="Ask anything, then rate the answer"></textarea>
<button type="submit">Send</button>
</form>
</main>
</body>
</html>
`;
}
