import { Counter, type Registry } from 'prom-client';

/**
 * Counts what redaction's size cap replaced unread: `flywheel_redaction_oversize_fields_total`
 * (strings cut) and `flywheel_redaction_oversize_chars_total` (characters replaced by
 * `[OVERSIZE]`). Returns the `onOversize` callback for a {@link Redactor}.
 */
export function oversizeMetrics(registry: Registry): (droppedChars: number) => void {
  const fields = new Counter({
    name: 'flywheel_redaction_oversize_fields_total',
    help: 'Strings longer than redaction.max_field_chars, cut before redaction',
    registers: [registry],
  });
  const chars = new Counter({
    name: 'flywheel_redaction_oversize_chars_total',
    help: 'Characters past redaction.max_field_chars, replaced by [OVERSIZE] unread',
    registers: [registry],
  });
  return (dropped) => {
    fields.inc();
    chars.inc(dropped);
  };
}
