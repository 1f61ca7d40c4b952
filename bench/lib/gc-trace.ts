import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { round } from './stats';

/**
 * Reads what `node --trace-gc-nvp` writes to a child's log: one line per GC with its pause, its
 * kind (`gc=s` scavenge, `gc=mc`/`gc=mmc` mark-compact…), the bytes allocated since the previous
 * GC, the bytes promoted to the old generation and the bytes that survived in the young one.
 * Summed over a stage, `allocated` is what the process allocated on the V8 heap (to within one
 * young generation) and `promoted + new_space_survived` is what outlived a scavenge.
 */
export interface GcTrace {
  scavenges: number;
  mark_compacts: number;
  allocated_bytes: number;
  promoted_bytes: number;
  survived_bytes: number;
  scavenge_pause_ms: { p50: number; max: number; total: number };
  mark_compact_pause_ms_total: number;
}

const LINE = /pause=([\d.]+) .*?gc=(\w+) .*?allocated=(\d+) promoted=(\d+) new_space_survived=(\d+)/;

/** A cursor on a log file: `next()` parses the GC lines written since the previous call. */
export function gcTraceReader(logFile: string): { next(): GcTrace } {
  let offset = statSync(logFile).size;
  return {
    next() {
      const size = statSync(logFile).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      const fd = openSync(logFile, 'r');
      try {
        readSync(fd, buf, 0, buf.length, offset);
      } finally {
        closeSync(fd);
      }
      // only whole lines: the rest is read next time
      const text = buf.toString('utf8');
      const end = text.lastIndexOf('\n') + 1;
      offset += Buffer.byteLength(text.slice(0, end));
      return parseGcTrace(text.slice(0, end));
    },
  };
}

export function parseGcTrace(text: string): GcTrace {
  const pauses: number[] = [];
  const t: GcTrace = {
    scavenges: 0,
    mark_compacts: 0,
    allocated_bytes: 0,
    promoted_bytes: 0,
    survived_bytes: 0,
    scavenge_pause_ms: { p50: NaN, max: NaN, total: 0 },
    mark_compact_pause_ms_total: 0,
  };
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const pause = Number(m[1]);
    t.allocated_bytes += Number(m[3]);
    t.promoted_bytes += Number(m[4]);
    t.survived_bytes += Number(m[5]);
    if (m[2] === 's') {
      t.scavenges++;
      pauses.push(pause);
    } else {
      t.mark_compacts++;
      t.mark_compact_pause_ms_total = round(t.mark_compact_pause_ms_total + pause);
    }
  }
  pauses.sort((a, b) => a - b);
  t.scavenge_pause_ms = {
    p50: pauses[Math.floor(pauses.length / 2)] ?? NaN,
    max: pauses.at(-1) ?? NaN,
    total: round(pauses.reduce((s, p) => s + p, 0)),
  };
  return t;
}
