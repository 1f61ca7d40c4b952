import { DomainError } from '@flywheel/platform';
import { ModelsService } from './models.service';

const price = { input_per_mtok: 0, output_per_mtok: 0 };

const all = { routes: '*', models: '*' } as const;

describe('ModelsService', () => {
  const service = new ModelsService(
    {
      models: {
        'gpt-x': { provider: 'openai', model: 'gpt-x', price },
        claude: { provider: 'anth', model: 'c', price },
      },
      routes: {
        chat: {
          flag: 'chat',
          default_variant: 'a',
          variants: { a: { chain: ['gpt-x'], allow_client_system: false } },
        },
      },
    },
    1_700_000_000_999,
  );

  it('lists model ids then route:<name> entries, with their owners and the boot time', () => {
    expect(service.list(all)).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-x', object: 'model', created: 1_700_000_000, owned_by: 'openai' },
        { id: 'claude', object: 'model', created: 1_700_000_000, owned_by: 'anth' },
        { id: 'route:chat', object: 'model', created: 1_700_000_000, owned_by: 'flywheel' },
      ],
    });
  });

  it('gets one entry; unknown_model for anything else (a bare route name included)', () => {
    expect(service.get('route:chat', all).owned_by).toBe('flywheel');
    for (const id of ['chat', 'route:', 'nope']) {
      expect(() => service.get(id, all)).toThrow(DomainError);
      expect(() => service.get(id, all)).toThrow(expect.objectContaining({ code: 'unknown_model' }));
    }
  });

  it('shows a scoped key only its routes and direct models: the rest is unknown_model to it', () => {
    const demo = { routes: new Set(['chat']), models: new Set<string>() };
    expect(service.list(demo).data.map((m) => m.id)).toEqual(['route:chat']);
    expect(
      service.list({ routes: new Set<string>(), models: new Set(['claude']) }).data.map((m) => m.id),
    ).toEqual(['claude']);
    expect(service.get('route:chat', demo).id).toBe('route:chat');
    expect(() => service.get('gpt-x', demo)).toThrow(expect.objectContaining({ code: 'unknown_model' }));
  });
});
