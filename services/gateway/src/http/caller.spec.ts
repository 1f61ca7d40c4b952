import { type DomainError } from '@flywheel/platform';
import { callerFrom } from './caller';

describe('callerFrom', () => {
  it('prefers the body user, then x-flywheel-user, else makes a key up', () => {
    expect(callerFrom({ 'x-flywheel-user': 'h' }, 'b', 'client')).toMatchObject({
      targetingKey: 'b',
      subjectGenerated: false,
    });
    expect(callerFrom({ 'x-flywheel-user': 'h' }, undefined, 'client')).toMatchObject({
      targetingKey: 'h',
      subjectGenerated: false,
    });
    const a = callerFrom({}, null, 'client');
    const b = callerFrom({ 'x-flywheel-user': '' }, undefined, 'client');
    expect(a.subjectGenerated && b.subjectGenerated).toBe(true);
    expect(a.targetingKey).not.toBe(b.targetingKey);
  });

  it('reads app, tenant and every x-flywheel-ctx-* header as a flag attribute', () => {
    const caller = callerFrom(
      {
        'x-flywheel-app': 'web',
        'x-flywheel-tenant': 'acme',
        'x-flywheel-ctx-plan': 'pro',
        'x-flywheel-ctx-region': ['eu', 'us'],
        'x-flywheel-ctx-': 'ignored',
        'x-other': 'ignored',
      },
      'u',
      'client',
    );
    expect(caller).toMatchObject({ app: 'web', tenant: 'acme' });
    expect({ ...caller.attributes }).toEqual({ plan: 'pro', region: 'eu' });
  });

  it('lets only the admin force a variant', () => {
    expect(callerFrom({ 'x-flywheel-variant': 'candidate' }, 'u', 'admin').forcedVariant).toBe('candidate');
    expect(() => callerFrom({ 'x-flywheel-variant': 'candidate' }, 'u', 'client')).toThrow(
      expect.objectContaining({ code: 'forbidden' }) as DomainError,
    );
  });

  it('takes the trace id of a valid traceparent only', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(callerFrom({ traceparent: `00-${id}-00f067aa0ba902b7-01` }, 'u', 'client').traceId).toBe(id);
    for (const bad of [
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${id.toUpperCase()}-00f067aa0ba902b7-01`,
    ]) {
      expect(callerFrom({ traceparent: bad }, 'u', 'client').traceId).toBeUndefined();
    }
  });

  it('refuses over-long app, tenant and user headers with 400s naming them', () => {
    expect(() => callerFrom({ 'x-flywheel-tenant': 't'.repeat(129) }, 'u', 'client')).toThrow(
      /x-flywheel-tenant/,
    );
    expect(() => callerFrom({ 'x-flywheel-user': 'u'.repeat(513) }, undefined, 'client')).toThrow(
      /x-flywheel-user/,
    );
    expect(callerFrom({ 'x-flywheel-app': 'a'.repeat(128) }, 'u', 'client').app).toHaveLength(128);
  });
});
