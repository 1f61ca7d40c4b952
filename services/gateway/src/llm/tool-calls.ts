import type { ToolCall, ToolCallDelta } from './llm.types';

/** Joins streamed tool-call deltas into whole calls, in index order. */
export class ToolCallAccumulator {
  private readonly calls = new Map<number, ToolCall>();

  add(delta: ToolCallDelta): void {
    const call = this.calls.get(delta.index);
    if (call === undefined) {
      this.calls.set(delta.index, { id: delta.id ?? '', name: delta.name ?? '', arguments: delta.arguments });
      return;
    }
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name += delta.name;
    call.arguments += delta.arguments;
  }

  /** The calls so far, or undefined when there were none. */
  result(): ToolCall[] | undefined {
    if (this.calls.size === 0) return undefined;
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }
}
