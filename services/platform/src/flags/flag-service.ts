import { resolve } from 'node:path';
import {
  NOOP_PROVIDER,
  OpenFeature,
  ProviderStatus,
  ErrorCode,
  type Client,
  type EvaluationContext,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { FileFlagProvider } from './file-flag-provider';
// types only: the sync provider (gRPC, protobufjs) loads only with a `syncAddress`
import type { FlagSourceStatus, SyncFlagProvider } from './sync-flag-provider';

export const DEFAULT_FLAGS_FILE = 'infra/flags/flags.json';

/**
 * What a flag is evaluated against. `targetingKey` (the user) drives sticky `fractional`
 * splits; other attributes (route, app, tenant, `x-flywheel-ctx-*` headers) feed targeting rules.
 */
export interface FlagContext {
  targetingKey: string;
  [attribute: string]: string | number | boolean;
}

export interface VariantDecision {
  variant: string;
  /** OpenFeature resolution reason: TARGETING_MATCH, STATIC, DEFAULT, DISABLED, ERROR… */
  reason: string;
  /** set when reason is ERROR: FLAG_NOT_FOUND, TYPE_MISMATCH, PROVIDER_NOT_READY, GENERAL… */
  errorCode?: string;
  errorMessage?: string;
}

export interface FlagServiceOptions {
  /** flagd flag definition file; default FLAGS_FILE, else infra/flags/flags.json (relative to the cwd) */
  flagsFile?: string;
  /** how often the file is checked for changes (default 500 ms) */
  pollIntervalMs?: number;
  /**
   * a flag sync source (`host:port`, flagd's sync protocol, e.g. the rollout controller): its
   * flags replace the file's; the file is used only while the source has sent nothing since boot
   */
  syncAddress?: string;
  /** with `syncAddress`: how long boot waits for the source before using the file (default 3 s) */
  syncBootWaitMs?: number;
  logger?: Pick<Console, 'warn'>;
}

let instances = 0;

/**
 * Picks a route's variant for a user: the string value of an OpenFeature flag, evaluated by
 * flagd's in-process resolver on a local file that is re-read within a second of an edit, or on
 * the flags a sync source streams (`syncAddress`).
 * Each instance binds its own OpenFeature domain, so several services (or tests) in one process
 * never share or replace each other's provider.
 */
export class FlagService {
  private closed = false;

  private constructor(
    private readonly domain: string,
    private readonly client: Client,
    private readonly provider: FileFlagProvider | SyncFlagProvider,
  ) {}

  /** Loads the flag file; rejects (naming the file) when it is missing or not valid flagd JSON. */
  static async create(options: FlagServiceOptions = {}): Promise<FlagService> {
    const { flagsFile, pollIntervalMs, logger, syncAddress } = options;
    const path = resolve(flagsFile ?? process.env.FLAGS_FILE ?? DEFAULT_FLAGS_FILE);
    const provider = syncAddress
      ? new (await import('./sync-flag-provider.js')).SyncFlagProvider({
          address: syncAddress,
          fallbackFile: path,
          bootWaitMs: options.syncBootWaitMs,
          pollIntervalMs,
          logger,
        })
      : new FileFlagProvider(path, { pollIntervalMs, logger });
    const what = syncAddress ? `flags from ${syncAddress} or ${path}` : path;
    const domain = `flywheel-flags-${++instances}`;
    try {
      await OpenFeature.setProviderAndWait(domain, provider);
    } catch (err) {
      await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER);
      await provider.onClose();
      throw new Error(`flags: cannot load ${what}: ${(err as Error).message}`, { cause: err });
    }
    return new FlagService(domain, OpenFeature.getClient(domain), provider);
  }

  /**
   * The variant `flagKey` picks for this context. Never throws: an unknown flag, a non-string
   * value, a provider error or a closed service yields `defaultVariant` with reason ERROR and
   * the error code.
   */
  async variantFor(flagKey: string, defaultVariant: string, context: FlagContext): Promise<VariantDecision> {
    if (this.closed) {
      return {
        variant: defaultVariant,
        reason: 'ERROR',
        errorCode: 'PROVIDER_NOT_READY',
        errorMessage: 'flag service closed',
      };
    }
    try {
      const details = this.plain()
        ? this.resolveNow(flagKey, defaultVariant, context)
        : await this.client.getStringDetails(flagKey, defaultVariant, context);
      if (details.errorCode) {
        const failed: VariantDecision = {
          variant: defaultVariant,
          reason: 'ERROR',
          errorCode: details.errorCode,
        };
        if (details.errorMessage) failed.errorMessage = details.errorMessage;
        return failed;
      }
      return { variant: details.value, reason: details.reason ?? 'UNKNOWN' };
    } catch (err) {
      return {
        variant: defaultVariant,
        reason: 'ERROR',
        errorCode: 'GENERAL',
        errorMessage: (err as Error).message,
      };
    }
  }

  /**
   * True when an evaluation through the OpenFeature client would only call the provider: it is
   * READY, and no hook (API, client or provider level) and no global, client or transaction
   * context is set. Then `resolveNow` gives the same details without the SDK's promise chain.
   */
  private plain(): boolean {
    return (
      this.client.providerStatus === ProviderStatus.READY &&
      OpenFeature.getHooks().length === 0 &&
      this.client.getHooks().length === 0 &&
      ((this.provider as Provider).hooks?.length ?? 0) === 0 &&
      isEmpty(OpenFeature.getContext()) &&
      isEmpty(this.client.getContext()) &&
      isEmpty(OpenFeature.getTransactionContext())
    );
  }

  /**
   * The provider's resolution, evaluated synchronously, with the SDK's error semantics: a
   * resolution carrying an error code, or a thrown error (its `code`, else GENERAL), yields the
   * default value with that code and message.
   */
  private resolveNow(
    flagKey: string,
    defaultVariant: string,
    context: FlagContext,
  ): ResolutionDetails<string> {
    try {
      return this.provider.resolver().resolveStringEvaluation(flagKey, defaultVariant, context);
    } catch (err) {
      const { code, message } = err as { code?: ErrorCode; message?: string };
      return {
        value: defaultVariant,
        reason: 'ERROR',
        errorCode: code || ErrorCode.GENERAL,
        errorMessage: message,
      };
    }
  }

  /** True while flags are loaded and the service is open (for /readyz). */
  ready(): boolean {
    return !this.closed && this.client.providerStatus === ProviderStatus.READY;
  }

  /**
   * Where the flags come from: the file, or the sync source and whether it is connected (a
   * gateway keeps serving the last flags while it is not; /readyz reports it).
   */
  source(): FlagSourceStatus {
    if ('sourceStatus' in this.provider) return this.provider.sourceStatus();
    return { source: 'file', connected: true };
  }

  /** Stops watching the file and unbinds the domain. Evaluations afterwards return the default. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER);
    await this.provider.onClose();
  }
}

function isEmpty(context: EvaluationContext): boolean {
  for (const key in context) if (Object.hasOwn(context, key)) return false;
  return true;
}
