import type { VariantConfig } from '@flywheel/platform';
import type { Assignment } from '../rollout/rollout.service';
import { clientMessages } from './client-messages';

const variant = (allow: boolean): VariantConfig => ({ chain: ['m'], allow_client_system: allow });
const routed = (allow: boolean): Assignment => ({
  route: 'r',
  flagKey: 'f',
  variant: 'v',
  reason: 'STATIC',
  chain: variant(allow),
  config: variant(allow),
});
const direct: Assignment = { route: null, variant: 'direct', reason: 'DIRECT', chain: { chain: ['m'] } };

describe('clientMessages', () => {
  it('keeps text parts as parts (newline-joined text for the record) and keeps names', () => {
    expect(
      clientMessages(
        [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
            name: 'ada',
          },
          { role: 'assistant', content: 'c' },
        ],
        routed(false),
      ),
    ).toEqual([
      { role: 'user', content: 'a\nb', parts: ['a', 'b'], name: 'ada' },
      { role: 'assistant', content: 'c' },
    ]);
  });

  it('refuses system and developer messages unless the variant allows them, naming route and index', () => {
    for (const role of ['system', 'developer'] as const) {
      const messages = [
        { role: 'user' as const, content: 'x' },
        { role, content: 'y' },
      ];
      expect(() => clientMessages(messages, routed(false))).toThrow(/messages\.1: route r \(variant v\)/);
      expect(clientMessages(messages, routed(true))[1]).toEqual({ role, content: 'y' });
      expect(clientMessages(messages, direct)).toHaveLength(2);
    }
  });
});
