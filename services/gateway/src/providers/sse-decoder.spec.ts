import { ProviderError } from './provider-error';
import { SseDecoder } from './sse-decoder';

/** Feeds `pieces` one by one, then ends: every event's data in order. */
function decode(pieces: string[], limit = 1024): string[] {
  const sse = new SseDecoder(limit);
  const events = pieces.flatMap((p) => sse.push(p));
  sse.end();
  return events;
}

const STREAM =
  ': keep-alive\n\ndata: {"a":1}\n\nevent: chunk\nid: 7\ndata: {"b":\ndata: 2}\n\n:ping\ndata:[DONE]\n\n';
const EVENTS = ['{"a":1}', '{"b":\n2}', '[DONE]'];

describe('SseDecoder', () => {
  it('gives each event’s data, joining data lines and skipping comments and other fields', () => {
    expect(decode([STREAM])).toEqual(EVENTS);
  });

  it('gives the same events whichever way the stream is split, with LF, CRLF or CR line ends', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const stream = STREAM.replace(/\n/g, eol);
      for (let i = 0; i <= stream.length; i++) {
        expect(decode([stream.slice(0, i), stream.slice(i)])).toEqual(EVENTS);
      }
      expect(decode([...stream])).toEqual(EVENTS);
    }
  });

  it('drops an event the stream cut before its blank line', () => {
    expect(decode(['data: {"a":1}\n\ndata: {"b":2}\n'])).toEqual(['{"a":1}']);
    expect(decode(['data: {"a":1}\n\ndata: {"b"'])).toEqual(['{"a":1}']);
  });

  it('ends an event at a final CR', () => {
    expect(decode(['data: x\r', '\r'])).toEqual(['x']);
  });

  it('takes a 16 MiB event arriving in 1 KiB chunks in one pass over it (no rescans of the unfinished line)', () => {
    // rescanning the unfinished line on every chunk made this ~16,000 scans of up to 16 MiB:
    // minutes, a process frozen by one hostile upstream stream
    const sse = new SseDecoder(32 * 1024 * 1024);
    const chunk = 'x'.repeat(1024);
    expect(sse.push('data: ')).toEqual([]);
    for (let i = 0; i < 16 * 1024; i++) expect(sse.push(chunk)).toEqual([]);
    const [event] = sse.push('\r\n\r\n');
    expect(event).toHaveLength(16 * 1024 * 1024);
  });

  it('keeps data as sent apart from the one space after the colon', () => {
    expect(decode(['data:  two spaces\n\ndata\n\ndata:\n\n'])).toEqual([' two spaces', '', '']);
  });

  it('refuses an unfinished line or event longer than its limit (invalid_output)', () => {
    const sse = new SseDecoder(16);
    expect(() => sse.push('data: ' + 'x'.repeat(20))).toThrow(
      expect.objectContaining({ errorClass: 'invalid_output' }) as ProviderError,
    );
    const events = new SseDecoder(16);
    events.push('data: 0123456789\n');
    expect(() => events.push('data: 0123456789\n')).toThrow(ProviderError);
  });
});
