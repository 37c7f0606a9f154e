import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { GpuPrecision as GpuPrecisionSchema, type ProviderReport } from '../../common/contract';
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
  /** What the opened graph computes in. */
  readonly precision: GpuPrecision;
}

/** One of the graphs a provider may run, best first (see createSession). */
export interface GraphCandidate {
  readonly bytes: Uint8Array;
  readonly precision: GpuPrecision;
  /** Why this graph and not a better one, for the report. */
  readonly note?: string;
}

/** What GPU sessions compute in: float16 halves memory traffic; CPU sessions always run float32. */
export const GPU_PRECISIONS = GpuPrecisionSchema.options;
export type GpuPrecision = (typeof GPU_PRECISIONS)[number];

export interface ProviderServiceOptions {
  readonly settings: SettingsStore;
  readonly probe: ProviderProbe;
  /** Intra-op threads for CPU sessions; defaults to every core. */
  readonly threads?: number;
  /** A pin for this process only (the command line's --provider); the saved setting stays as it is. */
  readonly pinOverride?: ProviderName;
  /** GPU precision for this process only (--precision), over the saved setting. */
  readonly precisionOverride?: GpuPrecision;
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
  private last: { provider: ProviderName; precision: GpuPrecision; attempts: readonly ProviderAttempt[] } | null = null;

  constructor(private readonly options: ProviderServiceOptions) {}

  pinned(): ProviderName | null {
    if (this.options.pinOverride) return this.options.pinOverride;
    const value = this.saved().pinnedProvider;
    return PROVIDERS.includes(value as ProviderName) ? (value as ProviderName) : null;
  }

  gpuPrecision(): GpuPrecision {
    if (this.options.precisionOverride) return this.options.precisionOverride;
    const value = this.saved().gpuPrecision;
    return GPU_PRECISIONS.includes(value as GpuPrecision) ? (value as GpuPrecision) : 'fp32';
  }

  async pin(provider: ProviderName | null): Promise<ProviderReport> {
    this.options.settings.set(SETTINGS_KEY, { ...this.saved(), pinnedProvider: provider });
    // Pinning is how a user says "try again": drivers may have been installed since the probe.
    this.options.probe.reset();
    this.last = null;
    return this.report();
  }

  /** Applies to sessions opened from now on (ModelService closes the others when the next run opens its own). */
  async setGpuPrecision(precision: GpuPrecision): Promise<ProviderReport> {
    this.options.settings.set(SETTINGS_KEY, { ...this.saved(), gpuPrecision: precision });
    return this.report();
  }

  /** What sessions run on: the last session's provider, or the one the next session would get. */
  async report(): Promise<ProviderReport> {
    const pinned = this.pinned();
    const gpuPrecision = this.gpuPrecision();
    if (this.last) return { active: this.last.provider, activePrecision: this.last.precision, pinned, gpuPrecision, attempts: [...this.last.attempts] };
    const attempts: ProviderAttempt[] = [];
    for (const provider of this.order()) {
      const probe = await this.probe(provider);
      attempts.push(this.attempt(provider, probe.ok, probe.reason));
      if (probe.ok) return { active: provider, activePrecision: null, pinned, gpuPrecision, attempts };
    }
    return { active: null, activePrecision: null, pinned, gpuPrecision, attempts };
  }

  order(): ProviderName[] {
    const pinned = this.pinned();
    return pinned ? [pinned, ...PROVIDERS.filter((p) => p !== pinned)] : [...PROVIDERS];
  }

  /**
   * Opens a session on the first provider that works; `label` names the model in errors. `model`
   * may depend on the provider (a graph built for a GPU differs from the one a CPU runs fastest),
   * and may be several graphs, best first: the next is tried on the same provider when ORT
   * refuses one (a float16 rewrite ORT cannot type, say) before moving on to the next provider.
   */
  async createSession(model: Uint8Array | ((provider: ProviderName) => Uint8Array | readonly GraphCandidate[]), label: string): Promise<OpenedSession> {
    const attempts: ProviderAttempt[] = [];
    let cpuError: unknown = null;
    for (const provider of this.order()) {
      const probe = await this.probe(provider);
      if (!probe.ok) {
        attempts.push(this.attempt(provider, false, probe.reason));
        continue;
      }
      const built = typeof model === 'function' ? model(provider) : model;
      const candidates: readonly GraphCandidate[] = built instanceof Uint8Array ? [{ bytes: built, precision: 'fp32' }] : built;
      let firstError: unknown = null;
      for (const { bytes, precision, note: why } of candidates) {
        try {
          const session = await ort.InferenceSession.create(bytes, this.sessionOptions(provider));
          const note = firstError ? `runs ${precision}: ${candidates[0]!.precision} failed (${(firstError as Error).message.slice(0, 200)})` : (why ?? null);
          attempts.push(this.attempt(provider, true, note));
          this.last = { provider, precision, attempts };
          return { session, provider, attempts, precision };
        } catch (err) {
          firstError ??= err;
        }
      }
      if (provider === 'cpu') cpuError = firstError;
      attempts.push(this.attempt(provider, false, (firstError as Error).message.slice(0, 300)));
    }
    // CPU always exists, so when it refuses the model the model is at fault, not the machine.
    const why = cpuError instanceof Error ? cpuError.message : 'no execution provider could open it';
    throw new AppError('BAD_MODEL', `${label}: onnxruntime cannot load this model (${why.slice(0, 300)})`);
  }

  /** A session of `model` on `provider` itself, for a graph to run beside one createSession opened there. */
  openOn(provider: ProviderName, model: Uint8Array): Promise<ort.InferenceSession> {
    return ort.InferenceSession.create(model, this.sessionOptions(provider));
  }

  /** A session changed precision after it opened (see SegmentationSession.infer): the report says so, and why. */
  notePrecision(precision: GpuPrecision, note: string): void {
    const last = this.last;
    if (!last) return;
    this.last = { ...last, precision, attempts: last.attempts.map((a) => (a.provider === last.provider && a.ok ? { ...a, reason: note } : a)) };
  }

  dispose(): void {
    this.last = null;
  }

  private saved(): Record<string, unknown> {
    return (this.options.settings.get(SETTINGS_KEY) as Record<string, unknown> | undefined) ?? {};
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
