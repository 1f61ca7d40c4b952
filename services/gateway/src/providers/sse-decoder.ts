import { answerTooLarge } from './upstream-body';

/** A line break: CRLF, CR or LF. */
const EOL = /\r\n?|\n/g;
const LF = 10;

/**
 * The `data` of server-sent events, fed the stream's text as it arrives (chunks split anywhere).
 * Follows the event-stream format: lines end with CRLF, LF or CR; `:` lines are comments
 * (keep-alives); an event's `data:` lines are joined with `\n` and the event ends at a blank
 * line; other fields (`event`, `id`, `retry`) are not used by the APIs it reads and are skipped.
 * An event without data is not one. Each chunk is scanned once: an unfinished line is kept as
 * pieces, so a long line arriving in small chunks costs its length, not its length squared.
 * Bounded: an event or unfinished line longer than `limitChars` throws `invalid_output` (a
 * stream that never ends a line is not buffered forever).
 */
export class SseDecoder {
  /** the unfinished line's pieces, and their length */
  private pieces: string[] = [];
  private piecesLength = 0;
  /** the last chunk ended with a CR: a LF starting the next one belongs to it */
  private skipLf = false;
  /** the current event's data lines so far, joined */
  private data: string | undefined;

  constructor(private readonly limitChars: number) {}

  /** The data of each event that `text` completes. */
  push(text: string): string[] {
    const events: string[] = [];
    let start = this.skipLf && text.charCodeAt(0) === LF ? 1 : 0;
    this.skipLf = false;
    EOL.lastIndex = start;
    for (let m = EOL.exec(text); m !== null; m = EOL.exec(text)) {
      let line = text.slice(start, m.index);
      if (this.pieces.length > 0) {
        this.pieces.push(line);
        line = this.pieces.join('');
        this.pieces = [];
        this.piecesLength = 0;
      }
      this.line(line, events);
      start = EOL.lastIndex;
      if (m[0] === '\r' && start === text.length) this.skipLf = true;
    }
    if (start < text.length) {
      this.pieces.push(text.slice(start));
      this.piecesLength += text.length - start;
    }
    if (this.piecesLength + (this.data?.length ?? 0) > this.limitChars) throw answerTooLarge(this.limitChars);
    return events;
  }

  /**
   * The stream ended. An event not ended by a blank line is dropped (as the `openai` SDK does):
   * the stream was cut.
   */
  end(): void {
    this.pieces = [];
    this.piecesLength = 0;
    this.skipLf = false;
    this.data = undefined;
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
