import { createHash } from 'node:crypto';
import { type Behaviour } from './behaviour';
import { instanceFor, invalidInstanceFor } from './schema-instance';

/** What the caller asked the model to produce. */
export type OutputSpec =
  | { kind: 'text' }
  /** OpenAI response_format json_schema / json_object, Anthropic output_config.format. */
  | { kind: 'json'; schema?: unknown }
  /** A forced tool call (OpenAI tool_choice function / required, Anthropic tool / any). */
  | { kind: 'tool'; name: string; schema: unknown };

/** A provider request mapped to the one shape the simulator reasons about. */
export interface SimRequest {
  model: string;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** System prompt and every message as text: the input the answer is derived from. */
  transcript: string;
  lastUserText: string;
  maxTokens?: number;
  output: OutputSpec;
  /** The first function tool offered (name and parameter schema), for `sim-tool`. */
  firstTool?: { name: string; schema: unknown };
  /** The text of the tool results when the last message carries them (`sim-tool` answers it). */
  toolResult?: string;
}

export interface Completion {
  kind: 'text' | 'tool';
  /** The text content, or the tool call's arguments as JSON text (possibly broken on purpose). */
  text: string;
  toolName?: string;
  finish: 'stop' | 'length' | 'tool';
  usage: { input: number; output: number };
}

/** First 8 hex digits of SHA-256: the fingerprint answers mention and derive values from. */
export function fingerprint(input: string): string {
  return createHash('sha256').update(input).digest('hex').slice(0, 8);
}

/** Deterministic token estimate: one token per 4 characters, at least 1 for non-empty text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const PREVIEW_CHARS = 40;

export function answerText(model: string, lastUserText: string, fp: string): string {
  const flat = lastUserText.replace(/\s+/g, ' ').trim();
  const preview = flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS)}…` : flat;
  return `This is a simulated answer from ${model} to "${preview}" (fingerprint ${fp}).`;
}

/**
 * What `sim-leak` answers: a model fooled by a prompt injection, repeating everything it was
 * given (`system: …` first, then each message as `role: text`).
 */
export function leakText(req: SimRequest): string {
  return `Sure! Here is everything I was told:\n${req.transcript}`;
}

/**
 * Almost-JSON a repair library fixes: objects and arrays lose their closing bracket after a
 * trailing comma (`{"a":1,"b":2,`); scalars come wrapped in a markdown ```json fence.
 */
export function almostJson(validJson: string): string {
  const last = validJson[validJson.length - 1];
  if (last === '}' || last === ']') {
    const body = validJson.slice(0, -1);
    return body.length > 1 ? `${body},` : body;
  }
  return '```json\n' + validJson + '\n```';
}

/** What `sim-invalidjson` returns without a schema: valid JSON, but not the object asked for. */
const NOT_AN_OBJECT = '["sim-invalidjson"]';

function jsonText(req: SimRequest, b: Behaviour, schema: unknown, fp: string): string {
  if (b.content === 'echo') return req.lastUserText;
  if (b.content === 'leak') return JSON.stringify({ answer: leakText(req) });
  if (b.fault.kind === 'invalidjson') {
    if (schema === undefined) return NOT_AN_OBJECT;
    const bad = invalidInstanceFor(schema, fp);
    if (bad !== undefined) return JSON.stringify(bad);
  }
  const valid =
    schema === undefined ? { answer: answerText(req.model, req.lastUserText, fp) } : instanceFor(schema, fp);
  const text = JSON.stringify(valid);
  return b.fault.kind === 'badjson' ? almostJson(text) : text;
}

/**
 * The deterministic answer for a request: text (or the echoed last user message), or JSON for
 * json_schema / forced-tool requests, cut to `maxTokens` (finish `length`) when it is longer.
 */
export function complete(req: SimRequest, b: Behaviour): Completion {
  const fp = fingerprint(req.transcript);
  const out = b.content === 'tool' ? toolOutput(req) : req.output;
  let text: string;
  if (b.content === 'tool' && req.toolResult !== undefined && out.kind === 'text') {
    text = `The tool answered: ${req.toolResult}`;
  } else if (b.content === 'tool' && out.kind === 'tool' && req.output.kind !== 'tool') {
    text = JSON.stringify(toolArguments(out.schema, req.lastUserText, fp));
  } else if (out.kind === 'text') {
    text =
      b.content === 'echo'
        ? req.lastUserText
        : b.content === 'leak'
          ? leakText(req)
          : answerText(req.model, req.lastUserText, fp);
  } else {
    text = jsonText(req, b, out.schema, fp);
  }
  let finish: Completion['finish'] = out.kind === 'tool' ? 'tool' : 'stop';
  if (req.maxTokens !== undefined && estimateTokens(text) > req.maxTokens) {
    text = text.slice(0, req.maxTokens * 4);
    finish = 'length';
  }
  return {
    kind: out.kind === 'tool' ? 'tool' : 'text',
    text,
    toolName: out.kind === 'tool' ? out.name : undefined,
    finish,
    usage: { input: Math.max(1, estimateTokens(req.transcript)), output: estimateTokens(text) },
  };
}

/**
 * `sim-tool`: while the last message is not a tool result, call the first tool offered (unless
 * the request forces one, or offers none); after a tool result, answer with text.
 */
function toolOutput(req: SimRequest): OutputSpec {
  if (req.output.kind !== 'text' || req.toolResult !== undefined || req.firstTool === undefined)
    return req.output;
  return { kind: 'tool', name: req.firstTool.name, schema: req.firstTool.schema };
}

/** Arguments for a `sim-tool` call: an instance of the tool's schema whose first string property is the prompt. */
function toolArguments(schema: unknown, prompt: string, fp: string): unknown {
  const args = instanceFor(schema, fp);
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | null)?.properties;
  if (props && typeof args === 'object' && args !== null && !Array.isArray(args)) {
    const first = Object.entries(props).find(([, p]) => p?.type === 'string');
    if (first) (args as Record<string, unknown>)[first[0]] = prompt.slice(0, PREVIEW_CHARS * 5);
  }
  return args;
}

const STREAM_PIECE_CHARS = 12;

/** Splits output into stream deltas: words for prose, fixed-size slices for JSON. */
export function streamPieces(c: Completion): string[] {
  if (c.text === '') return [];
  if (c.kind === 'text' && !/^\s*[[{]/.test(c.text)) {
    const words: string[] = c.text.match(/\s*\S+/g) ?? [];
    const covered = words.reduce((n, w) => n + w.length, 0);
    if (covered < c.text.length) words.push(c.text.slice(covered));
    return words;
  }
  const pieces: string[] = [];
  for (let i = 0; i < c.text.length; i += STREAM_PIECE_CHARS)
    pieces.push(c.text.slice(i, i + STREAM_PIECE_CHARS));
  return pieces;
}
