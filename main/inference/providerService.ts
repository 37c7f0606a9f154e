import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { ProviderReport } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { SettingsStore } from '../services/settingsStore';
import type { ProbeResult, ProviderProbe } from './providerProbe';

export const PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export interface ProviderAttempt {
  readonly provider: ProviderName;
  readonly ok: boolean;
  readonly reason: string | null;
}

export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ProviderName;
  readonly attempts: readonly ProviderAttempt[];
}

export interface ProviderServiceOptions {
  readonly settings: SettingsStore;
  readonly probe: ProviderProbe;
  /** Intra-op threads for CPU sessions; defaults to every core. */
  readonly threads?: number;
  /** A pin for this process only (the command line's --provider); the saved setting stays as it is. */
  readonly pinOverride?: ProviderName;
  /** Per provider, merged over the options every session gets (bench/gpu times WebGPU's variants). */
  readonly sessionOverrides?: Partial<Record<ProviderName, ort.InferenceSession.SessionOptions>>;
}

const SETTINGS_KEY = 'inference';

/**
 * Chooses the execution provider for every session: CUDA, then WebGPU, then CPU, or the
 * pinned one first. ORT does not fall back by itself (a session asked for CUDA fails without
 * it), so each is tried in turn; CUDA and WebGPU are probed out of process before they are
 * ever loaded into this one. Remembers the last choice and why the others lost.
 */
export class ProviderService {
  private last: { provider: ProviderName; attempts: readonly ProviderAttempt[] } | null = null;

  constructor(private readonly options: ProviderServiceOptions) {}

  pinned(): ProviderName | null {
    if (this.options.pinOverride) return this.options.pinOverride;
    const value = (this.options.settings.get(SETTINGS_KEY) as { pinnedProvider?: unknown } | undefined)?.pinnedProvider;
    return PROVIDERS.includes(value as ProviderName) ? (value as ProviderName) : null;
  }

  async pin(provider: ProviderName | null): Promise<ProviderReport> {
    const current = (this.options.settings.get(SETTINGS_KEY) as Record<string, unknown> | undefined) ?? {};
    this.options.settings.set(SETTINGS_KEY, { ...current, pinnedProvider: provider });
    // Pinning is how a user says "try again": drivers may have been installed since the probe.
    this.options.probe.reset();
    this.last = null;
    return this.report();
  }

  /** What sessions run on: the last session's provider, or the one the next session would get. */
  async report(): Promise<ProviderReport> {
    const pinned = this.pinned();
    if (this.last) return { active: this.last.provider, pinned, attempts: [...this.last.attempts] };
    const attempts: ProviderAttempt[] = [];
    for (const provider of this.order()) {
      const probe = await this.probe(provider);
      attempts.push(this.attempt(provider, probe.ok, probe.reason));
      if (probe.ok) return { active: provider, pinned, attempts };
    }
    return { active: null, pinned, attempts };
  }

  order(): ProviderName[] {
    const pinned = this.pinned();
    return pinned ? [pinned, ...PROVIDERS.filter((p) => p !== pinned)] : [...PROVIDERS];
  }

  /**
   * Opens a session on the first provider that works; `label` names the model in errors. `model`
   * may depend on the provider (a graph built for a GPU differs from the one a CPU runs fastest).
   */
  async createSession(model: Uint8Array | ((provider: ProviderName) => Uint8Array), label: string): Promise<OpenedSession> {
    const attempts: ProviderAttempt[] = [];
    let cpuError: unknown = null;
    for (const provider of this.order()) {
      const probe = await this.probe(provider);
      if (!probe.ok) {
        attempts.push(this.attempt(provider, false, probe.reason));
        continue;
      }
      try {
        const bytes = typeof model === 'function' ? model(provider) : model;
        const session = await ort.InferenceSession.create(bytes, this.sessionOptions(provider));
        attempts.push(this.attempt(provider, true, null));
        this.last = { provider, attempts };
        return { session, provider, attempts };
      } catch (err) {
        if (provider === 'cpu') cpuError = err;
        attempts.push(this.attempt(provider, false, (err as Error).message.slice(0, 300)));
      }
    }
    // CPU always exists, so when it refuses the model the model is at fault, not the machine.
    const why = cpuError instanceof Error ? cpuError.message : 'no execution provider could open it';
    throw new AppError('BAD_MODEL', `${label}: onnxruntime cannot load this model (${why.slice(0, 300)})`);
  }

  dispose(): void {
    this.last = null;
  }

  private async probe(provider: ProviderName): Promise<ProbeResult> {
    return provider === 'cpu' ? { ok: true, reason: null } : this.options.probe.result(provider);
  }

  private attempt(provider: ProviderName, ok: boolean, reason: string | null): ProviderAttempt {
    const pinned = this.pinned();
    const note = !ok && pinned === provider ? `pinned, but ${reason ?? 'it failed'}` : reason;
    return { provider, ok, reason: note };
  }

  private sessionOptions(provider: ProviderName): ort.InferenceSession.SessionOptions {
    return { ...sessionOptions(provider, this.options.threads ?? availableParallelism()), ...this.options.sessionOverrides?.[provider] };
  }
}

/** How every session is opened (exported so the benchmarks time the model the way the app runs it). */
export function sessionOptions(provider: ProviderName, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Idle ORT workers spin by default, taking the cores that decode the next frame and encode
    // the last one (sharp, in libuv's pool) and any other process's: measured slower here.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
