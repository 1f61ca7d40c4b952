import { Counter, type Registry } from 'prom-client';
import type { RedactorOptions } from './redactor';

/**
 * Counts what redaction's size cap replaced unread: `flywheel_redaction_oversize_fields_total`
 * (strings cut) and `flywheel_redaction_oversize_chars_total` (characters replaced by
 * `[OVERSIZE]`). Returns the `onOversize` callback for a {@link Redactor}.
 */
function oversizeMetrics(registry: Registry): (droppedChars: number) => void {
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

/**
 * Every redaction metric, as {@link RedactorOptions} callbacks to spread into a Redactor's
 * options: the size cap's (see {@link oversizeMetrics}) and
 * `flywheel_redaction_unverified_phones_total`, phone-shaped runs replaced by `[PHONE]`
 * without a libphonenumber lookup once a string's lookup budget was spent.
 */
export function redactionMetrics(
  registry: Registry,
): Required<Pick<RedactorOptions, 'onOversize' | 'onUnverifiedPhones'>> {
  const unverified = new Counter({
    name: 'flywheel_redaction_unverified_phones_total',
    help: "Phone-shaped runs replaced by [PHONE] unverified, past a string's libphonenumber lookup budget",
    registers: [registry],
  });
  return { onOversize: oversizeMetrics(registry), onUnverifiedPhones: (runs) => unverified.inc(runs) };
}
