import { InteractionEvent } from '@flywheel/contracts';
import fc from 'fast-check';
import { commonCap, fitEvent, prefix } from './event-size';

/** The size bound of interaction events: what is kept, what is cut, and the marker saying so. */

const KIB = 1024;

function event(overrides: Partial<InteractionEvent> = {}): InteractionEvent {
  return {
    interaction_id: '0b0e6f38-4a9c-4b53-8d43-5f7cbb0e1c3f',
    route: 'r',
    variant: 'v',
    variant_reason: 'STATIC',
    subject_hash: 'a'.repeat(64),
    subject_generated: false,
    request: { messages: [{ role: 'user', content: 'hi' }], stream: false },
    attempts: [],
    final_model: 'm',
    status: 'ok',
    output: 'hello',
    validation: { schema: false, valid: false, repaired: false, reasks: 0 },
    usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
    cost_usd: 0,
    latency_ms: 1,
    started_at: '2026-03-01T12:00:00.000Z',
    finished_at: '2026-03-01T12:00:00.001Z',
    ...overrides,
  };
}

const size = (e: unknown) => Buffer.byteLength(JSON.stringify(e), 'utf8');

describe('fitEvent', () => {
  it('returns an event that fits as it is, without a marker', () => {
    const e = event();
    const fitted = fitEvent(e, 16 * KIB);
    expect(fitted.event).toBe(e);
    expect(fitted.bytes).toBe(size(e));
    expect(fitted.json).toBe(JSON.stringify(e));
    expect(fitted.event.truncated).toBeUndefined();
  });

  it('cuts a 1 MiB message and its 1 MiB echo to one common length under the bound, marking both', () => {
    const mib = 'é'.repeat(512 * KIB); // 2 bytes each in UTF-8: 1 MiB
    const e = event({
      request: {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: mib },
        ],
        stream: false,
      },
      output: mib,
    });
    const max = 960 * KIB;
    const { event: fitted, bytes, json } = fitEvent(e, max);
    expect(bytes).toBe(size(fitted));
    expect(json).toBe(JSON.stringify(fitted));
    expect(bytes).toBeLessThanOrEqual(max);
    expect(bytes).toBeGreaterThan(max - 4 * KIB); // keeps as much as fits
    expect(InteractionEvent.safeParse(fitted).error).toBeUndefined();
    // the short message is whole; the long ones are prefixes of the same length
    expect(fitted.request.messages[0]!.content).toBe('You are terse.');
    const kept = fitted.request.messages[1]!.content;
    expect(mib.startsWith(kept)).toBe(true);
    expect(fitted.output).toBe(kept);
    expect(fitted.truncated).toMatchObject({
      max_bytes: max,
      original_bytes: size(e),
      fields_total: 2,
    });
    expect(fitted.truncated!.fields.map((f) => f.path).sort()).toEqual([
      'output',
      'request.messages.1.content',
    ]);
    for (const f of fitted.truncated!.fields) {
      expect(f.original_bytes).toBe(1024 * KIB);
      expect(f.kept_bytes).toBe(Buffer.byteLength(kept, 'utf8'));
    }
    // the caller's event is untouched
    expect(e.request.messages[1]!.content).toBe(mib);
    expect(e.truncated).toBeUndefined();
  });

  it('cuts long strings inside input and output_json, keeping their structure', () => {
    const doc = 'lorem ipsum '.repeat(40_000); // 480 KB
    const e = event({
      request: {
        messages: [{ role: 'user', content: doc }],
        input: { doc, meta: { tags: ['a', 'b'], notes: [doc] } },
        stream: false,
      },
      output: JSON.stringify({ summary: doc }),
      output_json: { summary: doc, n: 3 },
    });
    const { event: fitted, bytes } = fitEvent(e, 256 * KIB);
    expect(bytes).toBeLessThanOrEqual(256 * KIB);
    expect(fitted.request.input).toMatchObject({ meta: { tags: ['a', 'b'] } });
    expect(fitted.output_json).toMatchObject({ n: 3 });
    expect(fitted.truncated!.fields.map((f) => f.path).sort()).toEqual([
      'output',
      'output_json.summary',
      'request.input.doc',
      'request.input.meta.notes.0',
      'request.messages.0.content',
    ]);
  });

  it('leaves out an output_json nested too deep to serialize, keeping the text', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const e = event({ output_json: deep, output: 'the text' });
    const { event: fitted, bytes } = fitEvent(e, 64 * KIB);
    expect(bytes).toBe(size(fitted));
    expect(fitted.output_json).toBeUndefined();
    expect(fitted.output).toBe('the text');
    expect(fitted.truncated).toMatchObject({
      fields: [{ path: 'output_json', kept_bytes: 0 }],
      fields_total: 1,
    });
    expect(fitted.truncated!.original_bytes).toBeUndefined();
  });

  it('drops the middle of a conversation whose structure alone is over the bound', () => {
    const messages = Array.from({ length: 40_000 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
    const e = event({ request: { messages, stream: false } });
    const { event: fitted, bytes } = fitEvent(e, 64 * KIB);
    expect(bytes).toBeLessThanOrEqual(64 * KIB);
    expect(fitted.request.messages).toEqual([messages[0], messages[messages.length - 1]]);
    expect(fitted.truncated!.fields[0]).toMatchObject({ path: 'request.messages' });
  });

  it('lists at most 32 cut fields but counts them all', () => {
    const input = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(2_000)]));
    const { event: fitted } = fitEvent(event({ request: { messages: [], input, stream: false } }), 32 * KIB);
    expect(fitted.truncated!.fields).toHaveLength(32);
    expect(fitted.truncated!.fields_total).toBe(100);
  });

  it('always fits, for any mix of string lengths and characters', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 3_000 }), { minLength: 1, maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 40_000 }),
        (contents, output) => {
          const e = event({
            request: { messages: contents.map((content) => ({ role: 'user', content })), stream: false },
            output,
          });
          const { event: fitted, bytes } = fitEvent(e, 16 * KIB);
          expect(bytes).toBe(size(fitted));
          expect(bytes).toBeLessThanOrEqual(16 * KIB);
          fitted.request.messages.forEach((m, i) => expect(contents[i]!.startsWith(m.content)).toBe(true));
          expect(output.startsWith(fitted.output!)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('commonCap', () => {
  it('finds the largest cap that removes enough', () => {
    expect(commonCap([100, 50, 10], 60)).toBe(45); // 55 + 5 removed = 60
    expect(commonCap([100, 50, 10], 50)).toBe(50);
    expect(commonCap([100, 50, 10], 161)).toBeNull();
    expect(commonCap([100, 50, 10], 160)).toBe(0);
  });
});

describe('prefix', () => {
  it('keeps whole characters only', () => {
    expect(prefix('aé😀b', 1)).toBe('a');
    expect(prefix('aé😀b', 2)).toBe('a');
    expect(prefix('aé😀b', 3)).toBe('aé');
    expect(prefix('aé😀b', 6)).toBe('aé');
    expect(prefix('aé😀b', 7)).toBe('aé😀');
    expect(prefix('aé😀b', 0)).toBe('');
  });
});
