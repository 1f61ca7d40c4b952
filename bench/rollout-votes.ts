/**
 * Demo traffic for a guarded rollout: questions to a route through the gateway of a running
 * `npm start`, and a thumbs-up or thumbs-down on every answer through the feedback service, with
 * the answer's own feedback token — what users of the demo chat do, only faster.
 *
 *   npm run demo:votes                          # A/A: both variants disliked 10 % of the time
 *   npm run demo:votes -- --mode bad-candidate  # the candidate's answers disliked 50 % of the time
 *
 * The flag picks each answer's variant (a new user per question), so the split is the rollout's.
 * It prints the answers and votes per variant and, every few seconds, the rollout as the
 * controller sees it; it stops when the rollout is halted or completed, or after --requests.
 *
 * Options (and environment defaults):
 *   --mode aa | bad-candidate     A/A (default) or a candidate users dislike
 *   --route NAME                  demo-chat
 *   --requests N                  most questions to ask (3000)
 *   --concurrency N               questions in flight (4)
 *   --votes-per-min N             pace (110: under the feedback service's default limit of 120 votes
 *                                 per minute per address, FEEDBACK_RATE_IP_POINTS); a 429 is waited out
 *   --control-dislike P           share of control answers voted down (0.1)
 *   --candidate-dislike P         share of candidate answers voted down (0.1 in aa, 0.5 in bad-candidate)
 *   --gateway URL                 FLYWHEEL_GATEWAY_URL, http://127.0.0.1:8080
 *   --feedback URL                FLYWHEEL_FEEDBACK_URL, http://127.0.0.1:8081
 *   --rollouts URL                FLYWHEEL_ROLLOUTS_URL, http://127.0.0.1:8083
 * Keys: FLYWHEEL_API_KEY (a gateway key) and FLYWHEEL_ADMIN_TOKEN (to read the rollout), else the
 * ones `npm start` generated in $FLYWHEEL_DATA_DIR/dev-secrets.json (.flywheel/).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RolloutState } from '@flywheel/contracts';

const QUESTIONS = [
  'Which plan fits a team of five?',
  'How do I reset my password?',
  'Can I export my data as CSV?',
  'What does the free tier include?',
  'How long does a refund take?',
  'Do you support single sign-on?',
];
const STATUS_EVERY_MS = 3_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  mode: 'aa' | 'bad-candidate';
  route: string;
  requests: number;
  concurrency: number;
  votesPerMin: number;
  dislike: Record<string, number>;
  gateway: string;
  feedback: string;
  rollouts: string;
  apiKey: string;
  adminToken: string | undefined;
}

function options(): Options {
  const { values } = parseArgs({
    strict: true,
    options: {
      mode: { type: 'string', default: 'aa' },
      route: { type: 'string', default: 'demo-chat' },
      requests: { type: 'string', default: '3000' },
      concurrency: { type: 'string', default: '4' },
      'votes-per-min': { type: 'string', default: '110' },
      'control-dislike': { type: 'string' },
      'candidate-dislike': { type: 'string' },
      gateway: { type: 'string', default: process.env.FLYWHEEL_GATEWAY_URL ?? 'http://127.0.0.1:8080' },
      feedback: { type: 'string', default: process.env.FLYWHEEL_FEEDBACK_URL ?? 'http://127.0.0.1:8081' },
      rollouts: { type: 'string', default: process.env.FLYWHEEL_ROLLOUTS_URL ?? 'http://127.0.0.1:8083' },
    },
  });
  const mode = values.mode;
  if (mode !== 'aa' && mode !== 'bad-candidate') fail(`--mode must be aa or bad-candidate, not "${mode}"`);
  const share = (name: string, raw: string | undefined, fallback: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!(value >= 0 && value <= 1)) fail(`--${name} must be a share between 0 and 1`);
    return value;
  };
  const count = (name: string, raw: string) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive whole number`);
    return value;
  };
  const secrets = devSecrets();
  const apiKey = process.env.FLYWHEEL_API_KEY ?? secrets.apiKey;
  if (!apiKey)
    fail(
      'no gateway key: set FLYWHEEL_API_KEY, or run `npm start` first (it writes .flywheel/dev-secrets.json)',
    );
  return {
    mode,
    route: values.route,
    requests: count('requests', values.requests),
    concurrency: count('concurrency', values.concurrency),
    votesPerMin: count('votes-per-min', values['votes-per-min']),
    dislike: {
      control: share('control-dislike', values['control-dislike'], 0.1),
      candidate: share('candidate-dislike', values['candidate-dislike'], mode === 'aa' ? 0.1 : 0.5),
    },
    gateway: values.gateway.replace(/\/+$/, ''),
    feedback: values.feedback.replace(/\/+$/, ''),
    rollouts: values.rollouts.replace(/\/+$/, ''),
    apiKey,
    adminToken: process.env.FLYWHEEL_ADMIN_TOKEN ?? secrets.adminToken,
  };
}

function devSecrets(): { apiKey?: string; adminToken?: string } {
  const file = join(process.env.FLYWHEEL_DATA_DIR ?? '.flywheel', 'dev-secrets.json');
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as { apiKey?: string; adminToken?: string };
}

function fail(message: string): never {
  console.error(`demo:votes: ${message}`);
  process.exit(2);
}

interface Tally {
  answers: number;
  up: number;
  down: number;
}

/** One new user asks one question and votes on the answer, counted under the variant that answered. */
async function askAndVote(o: Options, n: number, tallies: Map<string, Tally>): Promise<void> {
  const res = await fetch(`${o.gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: `route:${o.route}`,
      user: `demo-user-${randomUUID()}`,
      messages: [{ role: 'user', content: QUESTIONS[n % QUESTIONS.length] }],
    }),
  });
  if (!res.ok) throw new Error(`gateway answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  const variant = res.headers.get('x-flywheel-variant') ?? 'unknown';
  const interactionId = res.headers.get('x-flywheel-interaction-id');
  const token = res.headers.get('x-flywheel-feedback-token');
  const tally = tallies.get(variant) ?? { answers: 0, up: 0, down: 0 };
  tallies.set(variant, tally);
  tally.answers++;
  if (!interactionId || !token) return;
  // spread the dislikes evenly over each variant's answers: the same share in every window
  const share = o.dislike[variant] ?? 0;
  const down = Math.floor(tally.answers * share) > Math.floor((tally.answers - 1) * share);
  const body = JSON.stringify({
    interaction_id: interactionId,
    token,
    rating: down ? 'down' : 'up',
    ...(down && { reasons: ['unhelpful'] }),
  });
  for (;;) {
    const vote = await fetch(`${o.feedback}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (vote.status === 202) break;
    if (vote.status !== 429) throw new Error(`feedback answered ${vote.status}: ${await vote.text()}`);
    const wait = Number(vote.headers.get('retry-after') ?? 5);
    console.log(`  the feedback service limits votes per address: waiting ${wait} s (see --votes-per-min)`);
    await sleep(wait * 1000);
  }
  if (down) tally.down++;
  else tally.up++;
}

async function rollout(o: Options): Promise<RolloutState | string> {
  if (!o.adminToken) return 'set FLYWHEEL_ADMIN_TOKEN to see the rollout here';
  try {
    const res = await fetch(`${o.rollouts}/v1/rollouts/${encodeURIComponent(o.route)}`, {
      headers: { authorization: `Bearer ${o.adminToken}` },
    });
    if (!res.ok) return `the rollout controller answered ${res.status}`;
    return (await res.json()) as RolloutState;
  } catch {
    return `could not reach the rollout controller at ${o.rollouts}`;
  }
}

function describe(state: RolloutState | string): string {
  if (typeof state === 'string') return state;
  return `${state.status} at ${state.percent} % candidate${state.reason ? ` — ${state.reason}` : ''}`;
}

function line(tallies: Map<string, Tally>): string {
  return [...tallies.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([v, t]) => `${v}: ${t.answers} answers, ${t.up} up / ${t.down} down`)
    .join('; ');
}

async function main(): Promise<void> {
  const o = options();
  const before = await rollout(o);
  console.log(
    `demo:votes: ${o.mode === 'aa' ? 'A/A' : 'bad candidate'} on ${o.route}; dislike shares ${JSON.stringify(o.dislike)}`,
  );
  console.log(`rollout: ${describe(before)}`);
  if (typeof before !== 'string' && before.status === 'pending') {
    console.log(
      `the rollout is not started: start it in the console (Rollouts) or POST ${o.rollouts}/v1/rollouts/${o.route}/start`,
    );
  }
  const isOver = (state: RolloutState | string) =>
    typeof state !== 'string' && (state.status === 'halted' || state.status === 'completed');
  if (isOver(before)) {
    console.log(
      'the rollout is already over: Restart it in the console to watch it again (sending traffic anyway)',
    );
  }
  const tallies = new Map<string, Tally>();
  let next = 0;
  let done = false;
  const watcher = setInterval(() => {
    void rollout(o).then((state) => {
      console.log(`${line(tallies)}\n  rollout: ${describe(state)}`);
      if (isOver(state) && !isOver(before)) done = true;
    });
  }, STATUS_EVERY_MS);
  // one question (and its vote) per slot, slots spaced to the pace
  const spacing = 60_000 / o.votesPerMin;
  let nextSlot = Date.now();
  const worker = async () => {
    while (!done && next < o.requests) {
      const n = next++;
      const slot = Math.max(Date.now(), nextSlot);
      nextSlot = slot + spacing;
      await sleep(slot - Date.now());
      if (!done) await askAndVote(o, n, tallies);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    clearInterval(watcher);
  }
  console.log(`done: ${line(tallies)}`);
  console.log(`rollout: ${describe(await rollout(o))}`);
}

main().catch((err: unknown) => {
  console.error(`demo:votes: ${(err as Error).message}`);
  process.exit(1);
});
