import { useEffect, useRef } from 'react';
import { useShortcuts } from './shortcuts';

export const SHORTCUTS: [keys: string, what: string][] = [
  ['j / k', 'Next / previous case in the queue'],
  ['Enter or o', 'Open the selected case'],
  ['x', 'Tick or untick the selected case for a bulk action'],
  [
    'a',
    'Accept: open the accept form with the suggested assertions (in the queue, with ticked cases: go to bulk accept)',
  ],
  ['r', 'Reject: open the reject form at the reason (in the queue, with ticked cases: the bulk reason)'],
  ['Esc', 'Back to the queue from a case; close this panel'],
  ['?', 'Show or hide these shortcuts'],
];

/** The keyboard shortcuts, as a dialog that returns focus to where it was opened from. */
export function HelpPanel({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    close.current?.focus();
    return () => opener?.focus();
  }, []);
  useShortcuts({ Escape: onClose });
  return (
    <div className="help" role="dialog" aria-labelledby="help-title">
      <h2 id="help-title">Keyboard shortcuts</h2>
      <p className="hint">Shortcuts do nothing while you type in a field.</p>
      <dl>
        {SHORTCUTS.map(([keys, what]) => (
          <div key={keys}>
            <dt>
              <kbd>{keys}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" ref={close} onClick={onClose}>
        Close
      </button>
    </div>
  );
}
