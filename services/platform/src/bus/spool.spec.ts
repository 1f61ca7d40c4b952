import {
  appendFileSync,
  constants,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncodedEvent } from './cloud-event';
import { SpoolFullError } from './errors';
import { Spool } from './spool';

const ev = (n: number, size = 10): EncodedEvent => ({
  topic: 'flywheel.feedback.v1',
  key: `k${n}`,
  headers: { ce_id: `id-${n}` },
  value: JSON.stringify({ n, pad: 'x'.repeat(size) }),
});
const ids = (s: Spool) => s.peek(1_000_000).map((r) => r.event.headers.ce_id);
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();

describe('Spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes segments synchronized to disk (O_DSYNC: append resolves once the bytes are on disk)', async () => {
    const s = await Spool.open({ dir, segmentBytes: 4096 });
    await s.append(ev(0));
    // the open flags of this process's descriptors on the spool's segments (Linux /proc)
    const segmentFlags = () =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        let target: string;
        try {
          target = readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return [];
        }
        if (!target.startsWith(dir) || !target.endsWith('.log')) return [];
        const flags = /^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
        return [parseInt(flags, 8)];
      });
    const first = segmentFlags();
    expect(first).toHaveLength(1);
    expect(first[0]! & constants.O_DSYNC).toBe(constants.O_DSYNC);
    // and so is the next segment after a rotation
    for (let i = 1; i < 10; i++) await s.append(ev(i, 1000));
    expect(segments(dir).length).toBeGreaterThan(1);
    expect(segmentFlags().every((f) => (f & constants.O_DSYNC) === constants.O_DSYNC)).toBe(true);
    await s.close();
  });

  it('keeps every appended event across a reopen, in order', async () => {
    const s = await Spool.open({ dir });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.append(ev(i))));
    expect(s.depth).toBe(200);
    await s.close();
    const again = await Spool.open({ dir });
    expect(ids(again)).toEqual(Array.from({ length: 200 }, (_, i) => `id-${i}`));
    // held for the relay with its value as bytes (off the V8 heap), the same bytes as appended
    expect(again.peek(1)[0]!.event).toEqual({ ...ev(0), value: Buffer.from(ev(0).value) });
    await again.close();
  });

  it('forgets acknowledged events, durably', async () => {
    const s = await Spool.open({ dir });
    for (let i = 0; i < 5; i++) await s.append(ev(i));
    await s.ack(3);
    expect(ids(s)).toEqual(['id-3', 'id-4']);
    await s.close();
    const again = await Spool.open({ dir });
    expect(ids(again)).toEqual(['id-3', 'id-4']);
    await again.ack(2);
    await again.close();
    const third = await Spool.open({ dir });
    expect(third.depth).toBe(0);
    await third.close();
  });

  it('cuts off a torn last record (a write that never completed) and keeps the rest', async () => {
    const s = await Spool.open({ dir });
    for (let i = 0; i < 3; i++) await s.append(ev(i));
    await s.close();
    const seg = join(dir, segments(dir).at(-1)!);
    const goodSize = statSync(seg).size;
    appendFileSync(seg, '0badc0de {"ts":1,"t":"flywheel.feed');
    const again = await Spool.open({ dir });
    expect(ids(again)).toEqual(['id-0', 'id-1', 'id-2']);
    expect(statSync(seg).size).toBe(goodSize);
    await again.close();
  });

  it('rejects a record whose checksum does not match', async () => {
    const s = await Spool.open({ dir });
    await s.append(ev(1));
    await s.close();
    const seg = join(dir, segments(dir).at(-1)!);
    writeFileSync(seg, '00000000 {"ts":1,"t":"x","k":"k","h":{},"v":"1"}\n');
    const again = await Spool.open({ dir });
    expect(again.depth).toBe(0);
    await again.close();
  });

  it('refuses appends beyond its size bound with SpoolFullError, and accepts again after an ack', async () => {
    const s = await Spool.open({ dir, maxBytes: 1_000 });
    let accepted = 0;
    let error: unknown;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        await s.append(ev(i, 100));
        accepted++;
      } catch (err) {
        error = err;
      }
    }
    expect(error).toBeInstanceOf(SpoolFullError);
    expect((error as Error).message).toMatch(/spool is full/);
    expect(s.depth).toBe(accepted);
    expect(s.bytes).toBeLessThanOrEqual(1_000);
    await s.ack(1);
    await expect(s.append(ev(999, 100))).resolves.toBeUndefined();
    await s.close();
  });

  it('with a commit delay, appends made within it go to disk together, after it', async () => {
    const s = await Spool.open({ dir, commitDelayMs: 80 });
    const onDisk = () => segments(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    const started = Date.now();
    const first = s.append(ev(1));
    await new Promise((r) => setTimeout(r, 20));
    const second = s.append(ev(2));
    expect(onDisk()).toBe(0);
    expect(s.peek(10)).toEqual([]);
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(ids(s)).toEqual(['id-1', 'id-2']);
    expect(onDisk()).toBeGreaterThan(0);
    await s.close();
    const again = await Spool.open({ dir });
    expect(ids(again)).toEqual(['id-1', 'id-2']);
    await again.close();
  });

  it('rolls segments and deletes the ones fully delivered', async () => {
    const s = await Spool.open({ dir, segmentBytes: 2_000 });
    for (let i = 0; i < 60; i++) await s.append(ev(i, 100));
    expect(segments(dir).length).toBeGreaterThan(3);
    await s.ack(60);
    expect(segments(dir)).toHaveLength(1);
    await s.close();
    const again = await Spool.open({ dir });
    expect(again.depth).toBe(0);
    await again.close();
  });

  it('holds at most memoryBytes in memory and reads the rest back from disk, in order, across segments', async () => {
    // 20,000 × ~1 KiB = ~20 MiB of backlog; 1 MiB in memory; 2 MiB segments
    const s = await Spool.open({ dir, memoryBytes: 1 << 20, segmentBytes: 2 << 20 });
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 1_000 }, (_, j) => s.append(ev(i * 1_000 + j, 1_000))));
    }
    expect(s.depth).toBe(20_000);
    expect(s.bytes).toBeGreaterThan(20_000_000);
    expect(s.memoryUsed).toBeLessThanOrEqual(1 << 20);
    const seen: string[] = [];
    let peakMemory = 0;
    while (s.depth > 0) {
      const batch = s.peek(300);
      expect(batch.length).toBeGreaterThan(0);
      seen.push(...batch.map((r) => r.event.headers.ce_id!));
      await s.ack(batch.length);
      peakMemory = Math.max(peakMemory, s.memoryUsed);
      // appends keep arriving while the backlog drains
      if (seen.length % 3_000 < 300 && seen.length < 15_000) await s.append(ev(100_000 + seen.length, 1_000));
    }
    expect(peakMemory).toBeLessThanOrEqual(1 << 20);
    const appendedLate = seen.filter((id) => Number(id.slice(3)) >= 100_000).length;
    expect(seen).toHaveLength(20_000 + appendedLate);
    expect(seen.slice(0, 20_000)).toEqual(Array.from({ length: 20_000 }, (_, i) => `id-${i}`));
    expect(new Set(seen).size).toBe(seen.length);
    expect(segments(dir).length).toBeLessThanOrEqual(2);
    await s.close();
  });

  it('reopens a backlog larger than memoryBytes without loading it all, and delivers all of it', async () => {
    const s = await Spool.open({ dir, memoryBytes: 256 << 10, segmentBytes: 1 << 20 });
    await Promise.all(Array.from({ length: 5_000 }, (_, i) => s.append(ev(i, 500))));
    for (let acked = 0; acked < 1_000;) {
      const n = Math.min(100, 1_000 - acked);
      await s.ack(n);
      acked += n;
    }
    await s.close();
    const again = await Spool.open({ dir, memoryBytes: 256 << 10, segmentBytes: 1 << 20 });
    expect(again.depth).toBe(4_000);
    expect(again.memoryUsed).toBeLessThanOrEqual(256 << 10);
    const seen: string[] = [];
    while (again.depth > 0) {
      const batch = again.peek(100);
      seen.push(...batch.map((r) => r.event.headers.ce_id!));
      await again.ack(batch.length);
    }
    expect(seen).toEqual(Array.from({ length: 4_000 }, (_, i) => `id-${i + 1_000}`));
    await again.close();
  });

  it('refuses a directory owned by another live process', async () => {
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    await expect(Spool.open({ dir })).rejects.toThrow(/in use by process/);
  });

  it('takes over the lock of a dead process', async () => {
    writeFileSync(join(dir, 'LOCK'), '999999999');
    const s = await Spool.open({ dir });
    await s.append(ev(1));
    await s.close();
  });
});
