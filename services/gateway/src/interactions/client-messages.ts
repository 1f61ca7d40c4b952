import type { ChatMessage } from '@flywheel/contracts';
import type { ChatRequestMessage } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import type { Assignment } from '../rollout/rollout.service';

/**
 * The client's messages as the chain takes them: content parts kept as parts, tool calls and
 * tool results carried over, and `system` / `developer` messages refused unless the variant has
 * `allow_client_system: true` (a direct model call has no variant to protect and allows them).
 */
export function clientMessages(
  messages: readonly ChatRequestMessage[],
  assignment: Assignment,
): ChatMessage[] {
  const allowSystem = assignment.route === null || assignment.config?.allow_client_system === true;
  const out: ChatMessage[] = new Array<ChatMessage>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as ChatRequestMessage;
    if (!allowSystem && (m.role === 'system' || m.role === 'developer')) {
      throw new DomainError(
        'invalid_request',
        `messages.${i}: route ${assignment.route} (variant ${assignment.variant}) does not accept ${m.role} messages from clients (allow_client_system is false)`,
        {
          issues: [
            { path: `messages.${i}.role`, message: `${m.role} messages are not allowed on this route` },
          ],
        },
      );
    }
    out[i] = toChatMessage(m);
  }
  return out;
}

/** Content parts stay parts (`content` is their text joined by newlines, for the record); tool fields carry over. */
function toChatMessage(m: ChatRequestMessage): ChatMessage {
  const content = m.content ?? '';
  const message: ChatMessage =
    typeof content === 'string'
      ? { role: m.role, content }
      : { role: m.role, content: content.map((p) => p.text).join('\n'), parts: content.map((p) => p.text) };
  if (m.name !== undefined) message.name = m.name;
  if (m.tool_calls !== undefined && m.tool_calls.length > 0) {
    message.tool_calls = m.tool_calls.map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
  }
  if (m.tool_call_id !== undefined) message.tool_call_id = m.tool_call_id;
  return message;
}
