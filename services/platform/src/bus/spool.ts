import { closeSync, constants, existsSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { systemClock, type Clock } from '../clock';
import type { EncodedEvent } from './cloud-event';
import { SpoolFullError } from './errors';

/**
 * Durable local spool between publish() and the broker.
 *
 * Append-only segment files `NNNNNNNNNN.log`; one line per event: `<crc32 hex> <json>\n`.
 * Appends are group-committed: every append that arrives while a synchronous write (O_DSYNC, see SEGMENT_FLAGS) is under way
 * (or within `commitDelayMs` of the first) goes into the same or the next write, so many
 * concurrent publishers share one fsync. `append()` resolves
 * only after its bytes are on disk. The relay reads pending records from memory (`peek`) and
 * `ack`s them once the broker has them; the ack position is saved in `cursor.json`
 * (write-tmp, fsync, rename). On open, everything after the cursor is read back, a torn last
 * line (a write that never resolved) is cut off, and writing continues in a new segment.
 * Memory is bounded: at most `memoryBytes` of undelivered records are held for peek(); the rest
 * stays on disk only and is read back (from where the in-memory part ends) as acks free room.
 * One process per directory (LOCK file holding the pid; a dead owner's lock is taken over).
 */
export interface SpoolOptions {
  dir: string;
  /** bound on undelivered bytes; append() rejects with SpoolFullError beyond it (default 256 MiB) */
  maxBytes?: number;
  /** undelivered bytes held in memory; beyond that records are read back from disk as the relay catches up (default 16 MiB) */
  memoryBytes?: number;
  /** a new segment starts once the current one is this big (default 16 MiB) */
  segmentBytes?: number;
  /**
   * Group-commit window: an append that finds the writer idle waits this long for others to
   * join its synchronous write (default 0: write at once). Trades append latency for fewer syncs.
   */
  commitDelayMs?: number;
  clock?: Clock;
}

/**
 * An event as the spool holds it for the relay: its value as bytes. Kept in memory from the
 * durable write until Kafka acknowledges its batch (the relay's linger, 20 ms on the gateway, plus
 * the send), a value held as a string lived long enough for V8 to promote it to the old generation
 * (~2 KB per interaction event at 1,000 req/s, a mark-compact every ~2 s); as a Buffer its bytes
 * are off the V8 heap and only a small wrapper is promoted. kafkajs sends a Buffer value as it is.
 */
export interface SpooledEvent {
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
}

export interface SpoolRecord {
  event: SpooledEvent;
  /** when it was appended (ms since epoch) */
  ts: number;
  bytes: number;
  segment: number;
  /** byte position in `segment` just after this record */
  end: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

interface PendingWrite {
  line: Buffer;
  event: EncodedEvent;
  ts: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const segmentName = (n: number) => `${String(n).padStart(10, '0')}.log`;

/**
 * Segments are opened O_DSYNC where the platform has it (Linux, macOS): each write returns once
 * its bytes are on disk, as write + fdatasync would, but in one trip to the thread pool instead of
 * two. Under load every trip also waits for the event loop to take its completion, so this
 * shortens the durable wait each answer pays. Elsewhere, write then fdatasync.
 */
const DSYNC = constants.O_DSYNC;
const SEGMENT_FLAGS =
  DSYNC === undefined ? 'a' : constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | DSYNC;

export class Spool {
  private pending: SpoolRecord[] = [];
  private pendingBytes = 0;
  private queued: PendingWrite[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private listeners = new Set<() => void>();
  private closed = false;
  private appendedTotal = 0;
  private cursorSegment = 0;
  /** records on disk (after `pending`, in order) not held in memory */
  private spilledCount = 0;
  private spilledBytes = 0;
  /** where the first spilled record starts */
  private spillFrom: Cursor = { segment: 0, offset: 0 };
  /** the delivered position to persist, the one on disk, and the write under way */
  private cursorTarget: Cursor | null = null;
  private cursorSaved: Cursor | null = null;
  private cursorWrite: Promise<void> | null = null;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly commitDelayMs: number,
    private readonly memoryBytes: number,
    private readonly clock: Clock,
    private segment: number,
    private file: FileHandle,
    private segmentSize: number,
  ) {}

  static async open(options: SpoolOptions): Promise<Spool> {
    const { dir } = options;
    await mkdir(dir, { recursive: true });
    takeLock(dir);
    const cursor = await readCursor(dir);
    const segments = (await readdir(dir))
      .filter((f) => /^\d{10}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 10)))
      .sort((a, b) => a - b);
    const next = (segments.at(-1) ?? cursor.segment) + 1;
    const file = await open(join(dir, segmentName(next)), SEGMENT_FLAGS);
    const spool = new Spool(
      dir,
      options.maxBytes ?? 256 * 1024 * 1024,
      options.segmentBytes ?? 16 * 1024 * 1024,
      options.commitDelayMs ?? 0,
      options.memoryBytes ?? 16 * 1024 * 1024,
      options.clock ?? systemClock,
      next,
      file,
      0,
    );
    spool.cursorSegment = cursor.segment;
    for (const seg of segments) {
      if (seg < cursor.segment) {
        await rm(join(dir, segmentName(seg)), { force: true });
        continue;
      }
      const from = seg === cursor.segment ? cursor.offset : 0;
      const records = await readSegment(dir, seg, from);
      if (records.length === 0 && seg !== cursor.segment)
        await rm(join(dir, segmentName(seg)), { force: true });
      for (const r of records) spool.take(r);
    }
    return spool;
  }

  /** Resolves once the event is on disk (its write was synchronous). */
  append(event: EncodedEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    const ts = this.clock.now();
    const line = encodeLine(event, ts);
    if (this.pendingBytes + this.queuedBytes + line.length > this.maxBytes) {
      return Promise.reject(
        new SpoolFullError(
          `event spool is full (${this.pendingBytes + this.queuedBytes} of ${this.maxBytes} bytes undelivered): the broker has been unreachable for too long`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ line, event, ts, resolve, reject });
      this.queuedBytes += line.length;
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing) return;
    const delayed =
      this.commitDelayMs > 0
        ? new Promise<void>((resolve) => setTimeout(resolve, this.commitDelayMs)).then(() => this.writeLoop())
        : this.writeLoop();
    this.writing = delayed.finally(() => {
      this.writing = null;
      // an append may have queued after the loop's last check but before this callback
      if (this.queued.length > 0) this.kick();
    });
  }

  /** The oldest `max` undelivered records, in append order. */
  peek(max: number): SpoolRecord[] {
    return this.pending.slice(0, max);
  }

  /**
   * The first `count` records of peek() reached the broker: frees their space at once and
   * persists the new position (`cursor.json`). Resolves once the position is on disk. Writes are
   * coalesced: acks that arrive while one is being written share the next write, so a relay need
   * not wait for it before sending the next batch (a crash before it lands re-sends, at least once).
   */
  ack(count: number): Promise<void> {
    if (count <= 0) return Promise.resolve();
    const done = this.pending.splice(0, count);
    const last = done[done.length - 1];
    if (!last) return Promise.resolve();
    this.pendingBytes -= done.reduce((n, r) => n + r.bytes, 0);
    if (this.spilledCount > 0 && this.pendingBytes < this.memoryBytes / 2) this.refill();
    this.cursorTarget = { segment: last.segment, offset: last.end };
    return this.persistCursor();
  }

  private persistCursor(): Promise<void> {
    this.cursorWrite ??= this.writeCursorLoop().finally(() => {
      this.cursorWrite = null;
    });
    // an ack between the loop's last check and its end: write again
    return this.cursorWrite.then(() =>
      this.cursorTarget === this.cursorSaved ? undefined : this.persistCursor(),
    );
  }

  private async writeCursorLoop(): Promise<void> {
    while (this.cursorTarget !== this.cursorSaved) {
      const target = this.cursorTarget!;
      await writeCursor(this.dir, target);
      this.cursorSaved = target;
      // Segments before the cursor's are fully delivered and no longer written to.
      for (let seg = this.cursorSegment; seg < target.segment; seg++) {
        await rm(join(this.dir, segmentName(seg)), { force: true });
      }
      this.cursorSegment = target.segment;
    }
  }

  get depth(): number {
    return this.pending.length + this.spilledCount + this.queued.length;
  }

  get bytes(): number {
    return this.pendingBytes + this.spilledBytes + this.queuedBytes;
  }

  /** bytes of undelivered records held in memory (bounded by memoryBytes, or one record) */
  get memoryUsed(): number {
    return this.pendingBytes;
  }

  /** Holds a durable record in memory for peek(), or leaves it on disk when memory is full. */
  private take(r: SpoolRecord): void {
    if (
      this.spilledCount === 0 &&
      (this.pending.length === 0 || this.pendingBytes + r.bytes <= this.memoryBytes)
    ) {
      this.pending.push(r);
      this.pendingBytes += r.bytes;
      return;
    }
    if (this.spilledCount === 0) this.spillFrom = { segment: r.segment, offset: r.end - r.bytes };
    this.spilledCount++;
    this.spilledBytes += r.bytes;
  }

  /**
   * Reads spilled records back into memory, up to memoryBytes. Synchronous on purpose: the
   * writer cannot move on between reading a segment and counting what it holds (a segment
   * before the one being written is complete). Costs one segment read (≤ segmentBytes) per
   * call, only while a backlog is larger than memoryBytes.
   */
  private refill(): void {
    while (this.spilledCount > 0 && this.pendingBytes < this.memoryBytes) {
      const { segment, offset } = this.spillFrom;
      const path = join(this.dir, segmentName(segment));
      const records = existsSync(path) ? parseRecords(readFileSync(path), segment, offset) : [];
      let taken = 0;
      for (const r of records) {
        if (this.spilledCount === 0) return;
        if (this.pending.length > 0 && this.pendingBytes + r.bytes > this.memoryBytes) return;
        this.pending.push(r);
        this.pendingBytes += r.bytes;
        this.spilledCount--;
        this.spilledBytes -= r.bytes;
        this.spillFrom = { segment, offset: r.end };
        taken++;
      }
      if (this.spilledCount === 0) return;
      if (taken === records.length && segment < this.segment) {
        this.spillFrom = { segment: segment + 1, offset: 0 };
        continue;
      }
      // The records counted as spilled are not where they should be: the file was damaged.
      console.error(
        `spool: ${this.spilledCount} undelivered records expected in ${path} from byte ${offset} cannot be read; they are lost`,
      );
      this.spilledCount = 0;
      this.spilledBytes = 0;
      return;
    }
  }

  get appended(): number {
    return this.appendedTotal;
  }

  /** timestamp of the oldest undelivered record, or null */
  get oldestTs(): number | null {
    return this.pending[0]?.ts ?? this.queued[0]?.ts ?? null;
  }

  /** Called after every durable append (the relay's wake-up). Returns an unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.cursorWrite?.catch(() => undefined);
    await this.file.close();
    releaseLock(this.dir);
  }

  private async writeLoop(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      const batchBytes = batch.reduce((n, w) => n + w.line.length, 0);
      this.queuedBytes -= batchBytes;
      try {
        if (this.segmentSize > 0 && this.segmentSize + batchBytes > this.segmentBytes) await this.rotate();
        await this.writeAll(
          Buffer.concat(
            batch.map((w) => w.line),
            batchBytes,
          ),
        );
        if (DSYNC === undefined) await this.file.datasync();
      } catch (err) {
        // Roll the file back so a half-written batch can't be replayed, then fail the batch.
        await truncate(join(this.dir, segmentName(this.segment)), this.segmentSize).catch(() => undefined);
        for (const w of batch) w.reject(err);
        continue;
      }
      let end = this.segmentSize;
      for (const w of batch) {
        end += w.line.length;
        this.take({ event: spooled(w.event), ts: w.ts, bytes: w.line.length, segment: this.segment, end });
      }
      this.segmentSize = end;
      this.appendedTotal += batch.length;
      for (const w of batch) w.resolve();
      for (const l of this.listeners) l();
    }
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.file.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  }

  private async rotate(): Promise<void> {
    await this.file.close();
    this.segment += 1;
    this.file = await open(join(this.dir, segmentName(this.segment)), SEGMENT_FLAGS);
    this.segmentSize = 0;
  }
}

function spooled(event: EncodedEvent): SpooledEvent {
  return { topic: event.topic, key: event.key, headers: event.headers, value: Buffer.from(event.value) };
}

function encodeLine(event: EncodedEvent, ts: number): Buffer {
  const json = JSON.stringify({ ts, t: event.topic, k: event.key, h: event.headers, v: event.value });
  const crc = crc32(json).toString(16).padStart(8, '0');
  return Buffer.from(`${crc} ${json}\n`);
}

async function readSegment(dir: string, segment: number, from: number): Promise<SpoolRecord[]> {
  const path = join(dir, segmentName(segment));
  const buf = await readFile(path);
  const out = parseRecords(buf, segment, from);
  const pos = out.at(-1)?.end ?? from;
  if (pos < buf.length) {
    // A torn tail is a write that never resolved (crash mid-write): cut it off. A bad line
    // in the middle cannot come from our writer; stop there rather than guess.
    const nl = buf.indexOf(0x0a, pos);
    if (nl !== -1 && nl + 1 < buf.length) {
      console.error(`spool: corrupt record in ${path} at byte ${pos}; dropping the rest of the segment`);
    }
    await truncate(path, pos);
  }
  return out;
}

/** The complete, intact records of a segment's bytes from `from`, up to the first that is not. */
function parseRecords(buf: Buffer, segment: number, from: number): SpoolRecord[] {
  const out: SpoolRecord[] = [];
  let pos = from;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl === -1) break;
    const record = decodeLine(buf.subarray(pos, nl).toString('utf8'));
    if (!record) break;
    out.push({ event: spooled(record.event), ts: record.ts, bytes: nl + 1 - pos, segment, end: nl + 1 });
    pos = nl + 1;
  }
  return out;
}

function decodeLine(line: string): { event: EncodedEvent; ts: number } | null {
  const space = line.indexOf(' ');
  if (space !== 8) return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  try {
    const r = JSON.parse(json) as { ts: number; t: string; k: string; h: Record<string, string>; v: string };
    return { ts: r.ts, event: { topic: r.t, key: r.k, headers: r.h, value: r.v } };
  } catch {
    return null;
  }
}

async function readCursor(dir: string): Promise<Cursor> {
  try {
    const c = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as Cursor;
    if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) return c;
  } catch {
    // no cursor yet: nothing was ever delivered
  }
  return { segment: 0, offset: 0 };
}

async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  const tmp = join(dir, 'cursor.json.tmp');
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(cursor));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'cursor.json'));
}

function takeLock(dir: string): void {
  const lock = join(dir, 'LOCK');
  try {
    const fd = openSync(lock, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = Number(readFileSync(lock, 'utf8'));
  if (owner && owner !== process.pid && isAlive(owner)) {
    throw new Error(`event spool ${dir} is in use by process ${owner}; give each process its own spool dir`);
  }
  writeFileSync(lock, String(process.pid));
}

function releaseLock(dir: string): void {
  try {
    if (Number(readFileSync(join(dir, 'LOCK'), 'utf8')) === process.pid) unlinkSync(join(dir, 'LOCK'));
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
