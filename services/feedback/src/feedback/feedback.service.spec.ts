import { randomUUID } from 'node:crypto';
import { type FeedbackEvent, type FeedbackRequest, Topics } from '@flywheel/contracts';
import {
  DomainError,
  EmbeddedEventBus,
  ManualClock,
  MemoryKeyValueStore,
  type Subscription,
} from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { Registry } from 'prom-client';
import { FeedbackEvents } from './feedback-events';
import { voteFingerprint } from './feedback-request';
import { FeedbackTokens } from './feedback-tokens';
import { FeedbackMetrics } from './feedback.metrics';
import { FeedbackService } from './feedback.service';
import { MemoryVoteStore } from './memory-vote-store';
import { VoteLimits } from './vote-limits';
import type { ClaimOutcome, VoteClaim } from './vote-store';

/** The in-memory store, telling the test what each claim decided. */
class ObservedVoteStore extends MemoryVoteStore {
  onClaim?: (outcome: ClaimOutcome) => void;
  override async claim(c: VoteClaim): Promise<ClaimOutcome> {
    const outcome = await super.claim(c);
    this.onClaim?.(outcome);
    return outcome;
  }
}

const SECRET = 'unit-test-secret-0123456789abcdefghijkl';
const T0 = Date.UTC(2026, 0, 1);

describe('FeedbackService (embedded bus, in-memory stores)', () => {
  let clock: ManualClock;
  let bus: EmbeddedEventBus;
  let votes: ObservedVoteStore;
  let service: FeedbackService;
  let registry: Registry;
  let sub: Subscription;
  const tokens = new FeedbackTokens(SECRET);
  const seen: FeedbackEvent[] = [];

  beforeEach(async () => {
    clock = new ManualClock(T0);
    bus = new EmbeddedEventBus('feedback-test');
    registry = new Registry();
    votes = new ObservedVoteStore(clock);
    const limits = VoteLimits.create(new MemoryKeyValueStore(clock), {
      ip: { points: 100, windowS: 60 },
      subject: { points: 5, windowS: 60 },
    });
    service = new FeedbackService(
      tokens,
      votes,
      new FeedbackEvents(bus),
      limits,
      new FeedbackMetrics(registry),
      clock,
    );
    seen.length = 0;
    sub = await bus.subscribe({
      group: `g-${randomUUID()}`,
      topics: [Topics.feedback],
      handler: async (e) => void (e.type === 'dev.flywheel.feedback.v1' && seen.push(e.data)),
    });
  });
  afterEach(async () => {
    await sub.stop();
    await bus.close();
  });

  function vote(over: Partial<FeedbackRequest> & { user?: string; expS?: number } = {}): FeedbackRequest {
    const interactionId = over.interaction_id ?? `int-${randomUUID()}`;
    const token =
      over.token ??
      tokens.mint({
        interaction_id: interactionId,
        route: 'demo-chat',
        variant: 'control',
        sub: tokens.subject(over.user ?? 'user-1'),
        exp: T0 / 1000 + (over.expS ?? 3600),
      });
    return {
      interaction_id: interactionId,
      token,
      rating: over.rating ?? 'down',
      reasons: over.reasons,
      comment: over.comment,
    };
  }
  const client = { ip: '203.0.113.7' };
  /** The events of `key` so far: a marker vote by another subject goes after them (same key,
   * same order), so once it arrives nothing published before it is still on the way. */
  async function eventsBefore(key: string): Promise<FeedbackEvent[]> {
    const markerUser = `marker-${randomUUID()}`;
    await service.submit(vote({ interaction_id: key, user: markerUser }), client);
    return expectEventually(() => {
      const mine = seen.filter((e) => e.interaction_id === key);
      expect(mine.at(-1)?.subject_hash).toBe(tokens.subject(markerUser));
      return mine.slice(0, -1);
    });
  }

  it('publishes a first vote as revision 1 with the token’s route, variant and subject', async () => {
    const body = vote({ reasons: ['incorrect'], comment: 'wrong year' });
    const result = await service.submit(body, client);
    expect(result).toEqual({
      feedbackId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      revision: 1,
      duplicate: false,
    });
    await expectEventually(() =>
      expect(seen).toEqual([
        {
          feedback_id: result.feedbackId,
          interaction_id: body.interaction_id,
          route: 'demo-chat',
          variant: 'control',
          subject_hash: tokens.subject('user-1'),
          rating: 'down',
          reasons: ['incorrect'],
          comment: 'wrong year',
          revision: 1,
          created_at: new Date(T0).toISOString(),
        },
      ]),
    );
  });

  it('answers an identical retry with the same id and no second event', async () => {
    const body = vote({ reasons: ['incorrect'] });
    const first = await service.submit(body, client);
    const again = await service.submit(body, client);
    expect(again).toEqual({ ...first, duplicate: true });
    const events = await eventsBefore(body.interaction_id);
    expect(events.map((e) => e.revision)).toEqual([1]);
  });

  it('turns a changed vote into the next revision of the same feedback id', async () => {
    const body = vote();
    const first = await service.submit(body, client);
    clock.advance(1000);
    const second = await service.submit({ ...body, rating: 'up' }, client);
    expect(second).toEqual({ feedbackId: first.feedbackId, revision: 2, duplicate: false });
    const events = await eventsBefore(body.interaction_id);
    expect(events.map((e) => [e.rating, e.revision, e.feedback_id, e.created_at])).toEqual([
      ['down', 1, first.feedbackId, new Date(T0).toISOString()],
      ['up', 2, first.feedbackId, new Date(T0 + 1000).toISOString()],
    ]);
  });

  it('keeps votes of different subjects apart', async () => {
    const a = vote({ user: 'alice' });
    const b = vote({ interaction_id: a.interaction_id, user: 'bob' });
    const ra = await service.submit(a, client);
    const rb = await service.submit(b, client);
    expect(rb.feedbackId).not.toBe(ra.feedbackId);
    expect([ra.revision, rb.revision]).toEqual([1, 1]);
  });

  it.each([
    [
      'a tampered token',
      (b: FeedbackRequest) => ({ ...b, token: b.token.replace(/^./, (c) => (c === 'e' ? 'f' : 'e')) }),
      'invalid_token',
    ],
    ['garbage', (b: FeedbackRequest) => ({ ...b, token: 'nope' }), 'invalid_token'],
    [
      'a token signed with another secret',
      (b: FeedbackRequest) => ({
        ...b,
        token: new FeedbackTokens('another-secret-0123456789abcdefghijklm').mint({
          interaction_id: b.interaction_id,
          route: 'demo-chat',
          variant: 'control',
          sub: tokens.subject('user-1'),
          exp: T0 / 1000 + 60,
        }),
      }),
      'invalid_token',
    ],
    [
      'a token for another interaction',
      (b: FeedbackRequest) => ({ ...b, interaction_id: 'someone-else' }),
      'interaction_mismatch',
    ],
  ])('refuses %s with %s', async (_name, mutate, code) => {
    await expect(service.submit(mutate(vote()), client)).rejects.toMatchObject({ code });
  });

  it('refuses an expired token with token_expired', async () => {
    const body = vote({ expS: 10 });
    clock.advance(10_000);
    await expect(service.submit(body, client)).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('limits votes per subject with a Retry-After', async () => {
    for (let i = 0; i < 5; i++) await service.submit(vote({ user: 'eager' }), client);
    const err = await service.submit(vote({ user: 'eager' }), client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'rate_limited', details: { scope: 'subject' } });
    expect(Number((err as DomainError).headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    await expect(service.submit(vote({ user: 'patient' }), client)).resolves.toMatchObject({ revision: 1 });
  });

  it('waits for an identical vote being published elsewhere instead of publishing it twice', async () => {
    const body = vote();
    const key = { interactionId: body.interaction_id, subject: tokens.subject('user-1') };
    // another instance claimed this exact vote and is publishing it
    await votes.claim({
      ...key,
      fingerprint: voteFingerprint(body),
      feedbackId: tokens.feedbackId(body.interaction_id, key.subject),
      createdAt: new Date(T0).toISOString(),
      nowMs: T0,
      leaseMs: 5_000,
      ttlMs: 60_000,
    });
    const inFlight = new Promise<void>((resolve) => {
      votes.onClaim = (o) => o.status === 'in_flight' && resolve();
    });
    const waiting = service.submit(body, client);
    await inFlight; // it found the vote being published, and waits
    await votes.markPublished(key, 1, voteFingerprint(body));
    await expect(waiting).resolves.toEqual({ feedbackId: expect.any(String), revision: 1, duplicate: true });
    expect(await eventsBefore(body.interaction_id)).toEqual([]);
  });

  it('counts votes by route, variant and rating', async () => {
    await service.submit(vote({ rating: 'up' }), client);
    const metrics = await registry.metrics();
    expect(metrics).toContain(
      'flywheel_feedback_votes_total{route="demo-chat",variant="control",rating="up"} 1',
    );
  });
});
