import type { ChatMessage } from '@flywheel/contracts';
import type { ChatRequestMessage } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import type { Assignment } from '../rollout/rollout.service';

/**
 * The client's messages as the chain takes them: multi-part text content flattened to one
 * string, and `system` / `developer` messages refused unless the variant has
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
    const content = typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('');
    out[i] = m.name === undefined ? { role: m.role, content } : { role: m.role, content, name: m.name };
  }
  return out;
}
