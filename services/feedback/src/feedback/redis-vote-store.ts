import { createHash } from 'node:crypto';
import { KeyValueUnavailableError, type RedisClient } from '@flywheel/platform';
import { type ClaimOutcome, type VoteClaim, type VoteKey, VoteStore, voteStoreKey } from './vote-store';

/**
 * The claim, atomic in Redis (a script runs alone), so concurrent votes on several feedback
 * instances get distinct, consecutive revisions. The record is a hash:
 * id, rev, fp (fingerprint), at (created_at), lease (ms epoch), done ('1' once published).
 * Mirrors MemoryVoteStore.claim; the shared contract suite keeps them equal.
 */
const CLAIM = `
local cur = redis.call('HMGET', KEYS[1], 'id', 'rev', 'fp', 'at', 'lease', 'done')
local now = tonumber(ARGV[4])
local lease = string.format('%.0f', now + tonumber(ARGV[5]))
if cur[1] then
  if cur[3] == ARGV[1] then
    if cur[6] == '1' then return {'recorded', cur[1], cur[2], cur[4]} end
    if tonumber(cur[5]) > now then return {'in_flight', cur[1], cur[2], cur[4]} end
    redis.call('HSET', KEYS[1], 'lease', lease)
    return {'publish', cur[1], cur[2], cur[4]}
  end
  local rev = tostring(tonumber(cur[2]) + 1)
  redis.call('HSET', KEYS[1], 'rev', rev, 'fp', ARGV[1], 'at', ARGV[3], 'lease', lease, 'done', '0')
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return {'publish', cur[1], rev, ARGV[3]}
end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'rev', '1', 'fp', ARGV[1], 'at', ARGV[3], 'lease', lease, 'done', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {'publish', ARGV[2], '1', ARGV[3]}
`;

const MARK_PUBLISHED = `
local cur = redis.call('HMGET', KEYS[1], 'rev', 'fp')
if cur[1] == ARGV[1] and cur[2] == ARGV[2] then redis.call('HSET', KEYS[1], 'done', '1') end
return 0
`;

/** A Lua script run by its SHA1 (EVALSHA), loaded on first use and again after a SCRIPT FLUSH. */
class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
  async run(client: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await client.evalSha(this.sha, { keys, arguments: args });
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, { keys, arguments: args });
    }
  }
}

const claimScript = new Script(CLAIM);
const markScript = new Script(MARK_PUBLISHED);

export class RedisVoteStore extends VoteStore {
  constructor(private readonly client: RedisClient) {
    super();
  }

  async claim(c: VoteClaim): Promise<ClaimOutcome> {
    const reply = await this.run(() =>
      claimScript.run(
        this.client,
        [voteStoreKey(c)],
        [
          c.fingerprint,
          c.feedbackId,
          c.createdAt,
          String(c.nowMs),
          String(c.leaseMs),
          String(Math.ceil(c.ttlMs)),
        ],
      ),
    );
    const [status, feedbackId, revision, createdAt] = reply as [
      ClaimOutcome['status'],
      string,
      string,
      string,
    ];
    return {
      status,
      record: { feedbackId, revision: Number(revision), fingerprint: c.fingerprint, createdAt },
    };
  }

  async markPublished(key: VoteKey, revision: number, fingerprint: string): Promise<void> {
    await this.run(() => markScript.run(this.client, [voteStoreKey(key)], [String(revision), fingerprint]));
  }

  /** Connection failures (Redis down, client closed) become KeyValueUnavailableError (503). */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw new KeyValueUnavailableError('redis is not connected');
    try {
      return await command();
    } catch (err) {
      if (err instanceof Error && /^(NOSCRIPT|ERR|WRONGTYPE)/.test(err.message)) throw err;
      throw new KeyValueUnavailableError(
        `redis vote store: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
}
