import { answerTooLarge } from './upstream-body';

/** A line break: CRLF, CR or LF (a CR at the end of the text may be the first half of a CRLF). */
const EOL = /\r\n?|\n/g;

/**
 * The `data` of server-sent events, fed the stream's text as it arrives (chunks split anywhere).
 * Follows the event-stream format: lines end with CRLF, LF or CR; `:` lines are comments
 * (keep-alives); an event's `data:` lines are joined with `\n` and the event ends at a blank
 * line; other fields (`event`, `id`, `retry`) are not used by the APIs it reads and are skipped.
 * An event without data is not one. Bounded: an event or unfinished line longer than
 * `limitChars` throws `invalid_output` (a stream that never ends a line is not buffered forever).
 */
export class SseDecoder {
  /** the text after the last complete line */
  private pending = '';
  /** the current event's data lines so far, joined */
  private data: string | undefined;

  constructor(private readonly limitChars: number) {}

  /** The data of each event that `text` completes. */
  push(text: string): string[] {
    const events: string[] = [];
    const buf = this.pending === '' ? text : this.pending + text;
    let start = 0;
    EOL.lastIndex = 0;
    for (let m = EOL.exec(buf); m !== null; m = EOL.exec(buf)) {
      if (m[0] === '\r' && EOL.lastIndex === buf.length) break; // wait: a LF may follow
      this.line(buf.slice(start, m.index), events);
      start = EOL.lastIndex;
    }
    this.pending = start === 0 ? buf : buf.slice(start);
    if (this.pending.length + (this.data?.length ?? 0) > this.limitChars)
      throw answerTooLarge(this.limitChars);
    return events;
  }

  /**
   * The stream ended: the data of an event its last CR completes, if any. An event not ended
   * by a blank line is dropped (as the `openai` SDK does): the stream was cut.
   */
  end(): string[] {
    const events: string[] = [];
    if (this.pending.endsWith('\r')) this.line(this.pending.slice(0, -1), events);
    this.pending = '';
    this.data = undefined;
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data !== undefined) events.push(this.data);
      this.data = undefined;
      return;
    }
    let value: string;
    if (line.startsWith('data: ')) value = line.slice(6);
    else if (line.startsWith('data:')) value = line.slice(5);
    else if (line === 'data') value = '';
    else return; // a comment (`:`), or a field it does not use
    this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }
}
