import { createRoot, type Root } from 'react-dom/client';
import { FeedbackWidget, type FeedbackWidgetProps } from './feedback-widget';
import type { ReasonOption, StringOverrides } from './strings';

/** Elements carrying this attribute get a widget. */
export const SELECTOR = '[data-flywheel-feedback]';
const WATCHED = [
  'data-flywheel-feedback',
  'data-interaction-id',
  'data-token',
  'data-endpoint',
  'data-reasons',
  'data-strings',
];

/** Props for `window.Flywheel.mount`; `endpoint` defaults to the script's origin. */
export type MountProps = Omit<FeedbackWidgetProps, 'endpoint'> & { endpoint?: string };

export interface FlywheelGlobal {
  /** Renders a widget into `el` (inside a closed shadow root); returns a function that removes it.
   * `endpoint` is taken as given: page code is trusted, unlike `data-*` attributes. */
  mount(el: Element, props: MountProps): () => void;
  /** Mounts every `[data-flywheel-feedback]` element under `root` that has no widget yet. */
  scan(root?: Element | Document): void;
}

declare global {
  interface Window {
    Flywheel?: FlywheelGlobal;
  }
}

const roots = new Map<Element, Root>();
/** The widgets' shadow roots: closed, so the page's scripts cannot reach into them. */
const shadows = new WeakMap<Element, ShadowRoot>();

/** Mounts `props` into a closed shadow root on `el` (or on a child of it where `el` cannot host
 * one), with the styles inside, so page CSS neither leaks in nor out and page scripts cannot read
 * or drive the widget. Replaces a widget already there. */
export function mountWidget(el: Element, props: FeedbackWidgetProps): () => void {
  unmountWidget(el);
  const doc = el.ownerDocument;
  const container = doc.createElement('div');
  // The page's inherited fonts and colours stop at the shadow root; custom properties still pass.
  const hostStyle = doc.createElement('style');
  hostStyle.textContent = ':host{all:initial;display:block}';
  shadowHost(el).replaceChildren(hostStyle, container);
  const root = createRoot(container);
  root.render(<FeedbackWidget {...props} />);
  roots.set(el, root);
  return () => unmountWidget(el);
}

export function unmountWidget(el: Element): void {
  roots.get(el)?.unmount();
  roots.delete(el);
}

/** The widget's shadow root on `el` or on its child host; for this module and its tests only. */
export function widgetShadowRoot(el: Element): ShadowRoot | undefined {
  const host = el.querySelector(':scope > [data-flywheel-host]');
  return shadows.get(el) ?? (host ? shadows.get(host) : undefined);
}

function shadowHost(el: Element): ShadowRoot {
  const existing = widgetShadowRoot(el);
  if (existing) return existing;
  try {
    return attach(el);
  } catch {
    // Elements such as <li> or <td> cannot host a shadow root (nor can one that already has a
    // shadow root of someone else's): use a child that can.
    const host = el.appendChild(el.ownerDocument.createElement('span'));
    host.setAttribute('data-flywheel-host', '');
    return attach(host);
  }
}

function attach(el: Element): ShadowRoot {
  const shadow = el.attachShadow({ mode: 'closed' });
  shadows.set(el, shadow);
  return shadow;
}

/** Widget props from an element's `data-*` attributes; null (with a console warning) when the
 * interaction id or token is missing, or `data-endpoint` points at an origin not in `allowed`
 * (the script's own origin and those its tag lists in `data-allow-endpoints`): the attributes
 * may have been filled from untrusted data, and a vote carries the user's token and comment. */
export function propsFromElement(
  el: Element,
  defaultEndpoint: string,
  allowed: readonly string[] = [defaultEndpoint],
): FeedbackWidgetProps | null {
  const data = (el as HTMLElement).dataset;
  if (!data.interactionId || !data.token) {
    console.warn('[flywheel] data-interaction-id and data-token are required', el);
    return null;
  }
  const endpoint = data.endpoint || defaultEndpoint;
  if (!allowed.includes(originOf(endpoint, el.ownerDocument.URL))) {
    console.warn(
      "[flywheel] data-endpoint is not on the script's origin nor listed in its data-allow-endpoints",
      el,
    );
    return null;
  }
  return {
    interactionId: data.interactionId,
    token: data.token,
    endpoint,
    reasons: parseReasons(data.reasons),
    strings: parseStrings(data.strings),
  };
}

/** `data-reasons`: a JSON array (ids or `{id, label}`) or a comma-separated list of ids. Anything
 * but strings is dropped: the page may have filled these attributes from untrusted data. */
function parseReasons(value: string | undefined): ReasonOption[] | undefined {
  if (!value?.trim()) return undefined;
  if (!value.trim().startsWith('['))
    return value
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return undefined;
  return parsed.flatMap((reason: unknown): ReasonOption[] => {
    if (typeof reason === 'string') return reason ? [reason] : [];
    const { id, label } = (reason ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || !id) return [];
    return [typeof label === 'string' ? { id, label } : id];
  });
}

/** `data-strings`: a JSON object of string overrides, `reasonLabels` included; other values dropped. */
function parseStrings(value: string | undefined): StringOverrides | undefined {
  const parsed = parseJson(value);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  return {
    ...onlyStrings(parsed),
    reasonLabels: onlyStrings((parsed as { reasonLabels?: unknown }).reasonLabels),
  };
}

function onlyStrings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null)
    for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

function parseJson(value: string | undefined): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    console.warn('[flywheel] ignoring an attribute that is not valid JSON:', value);
    return undefined;
  }
}

/** The origin the script was loaded from, else the page's. */
export function scriptOrigin(script: Element | null, pageUrl: string): string {
  return originOf(script?.getAttribute('src') || pageUrl, pageUrl);
}

/** The origin of `url` resolved against the page; the page's own for a malformed one. */
function originOf(url: string, pageUrl: string): string {
  try {
    return new URL(url, pageUrl).origin;
  } catch {
    return new URL(pageUrl).origin;
  }
}

/** Origins votes may go to: the script's own and those listed (space-separated) in its
 * `data-allow-endpoints` attribute. */
export function allowedOrigins(script: Element | null, pageUrl: string): string[] {
  const listed = script?.getAttribute('data-allow-endpoints')?.split(/\s+/).filter(Boolean) ?? [];
  return [scriptOrigin(script, pageUrl), ...listed.map((url) => originOf(url, pageUrl))];
}

/** Installs `window.Flywheel`, mounts every matching element once the DOM is ready and keeps
 * watching for elements added or filled in later (chat pages add answers as they arrive).
 * Returns a function that stops watching and removes every widget. */
export function start(win: Window, script: Element | null): () => void {
  const doc = win.document;
  const endpoint = scriptOrigin(script, win.location.href);
  const allowed = allowedOrigins(script, win.location.href);
  const mountFromData = (el: Element) => {
    const props = propsFromElement(el, endpoint, allowed);
    if (props) mountWidget(el, props);
    else unmountWidget(el);
  };
  const scan = (root: Element | Document = doc) => {
    if ('matches' in root && root.matches(SELECTOR) && !roots.has(root)) mountFromData(root);
    root.querySelectorAll(SELECTOR).forEach((el) => roots.has(el) || mountFromData(el));
  };
  win.Flywheel = {
    mount: (el, props) => mountWidget(el, { ...props, endpoint: props.endpoint || endpoint }),
    scan,
  };

  const observer = new MutationObserver((records) => {
    const changed = new Set<Element>();
    for (const record of records) {
      if (record.type === 'attributes') changed.add(record.target as Element);
      else record.addedNodes.forEach((node) => node.nodeType === 1 && scan(node as Element));
    }
    // An attribute changed on a widget element: mount again with the new values, or remove it.
    changed.forEach((el) => (el.matches(SELECTOR) ? mountFromData(el) : unmountWidget(el)));
    for (const el of [...roots.keys()]) if (!el.isConnected) unmountWidget(el);
  });
  const run = () => {
    scan();
    observer.observe(doc.documentElement, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: WATCHED,
    });
  };
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', run, { once: true });
  else run();
  return () => {
    doc.removeEventListener('DOMContentLoaded', run);
    observer.disconnect();
    for (const el of [...roots.keys()]) unmountWidget(el);
  };
}
