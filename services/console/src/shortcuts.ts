import { useEffect, useRef } from 'react';

export type ShortcutHandlers = Partial<Record<string, (event: KeyboardEvent) => void>>;

const NOT_TEXT = new Set([
  'checkbox',
  'radio',
  'button',
  'submit',
  'reset',
  'range',
  'color',
  'file',
  'image',
]);

/** True when the key press belongs to a field the user is typing in (a select's type-ahead too). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Enter on a button or link already activates it; the shortcut must not fire too. */
function activatesItself(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement && target.closest('button, a[href], summary, [role="button"]') !== null
  );
}

/**
 * Single-key shortcuts on the document (`j`, `k`, `a`, …) keyed by `KeyboardEvent.key`. They
 * never fire while the user types in a field, nor with Ctrl/Alt/Meta held.
 */
export function useShortcuts(handlers: ShortcutHandlers, enabled = true): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
      if (isTyping(event.target)) return;
      if (event.key === 'Enter' && activatesItself(event.target)) return;
      const handler = latest.current[event.key];
      if (!handler) return;
      event.preventDefault();
      handler(event);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [enabled]);
}
