/**
 * The one IPC contract between the renderer and the backend. Pure TypeScript: main,
 * preload and renderer all import it, so it must not touch Node or the DOM.
 * Every request and reply has a zod schema; the backend validates both.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { labelsChannels, metricsChannels } from './labelsContract';
import { ExecutionProvider, inferenceChannels } from './inferenceContract';

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Name = z.string().trim().min(1).max(200);
const FsPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');
const Empty = z.object({}).strict();

export const ProjectSummary = z.object({
  path: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  createdAt: z.string(),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

export const RecentProject = z.object({ path: z.string(), name: z.string(), openedAt: z.string(), exists: z.boolean() });
export type RecentProject = z.infer<typeof RecentProject>;

export const DatasetRole = z.enum(['sim', 'dashcam']);
export const DatasetSummary = z.object({
  id: Id,
  name: z.string(),
  role: DatasetRole,
  root: z.string(),
  format: z.string(),
  frameCount: z.number().int(),
  labelledCount: z.number().int(),
  /** Of frameCount: listed by the index, not read by validation yet (no frame row, so not in pages). */
  pendingCount: z.number().int(),
  issueCount: z.number().int(),
  scannedAt: z.string().nullable(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export const FrameSummary = z.object({
  id: Id,
  relPath: z.string(),
  hasLabel: z.boolean(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
});
export type FrameSummary = z.infer<typeof FrameSummary>;

/** Issues the Data view lists: a folder of 100k broken files must not ship 100k rows to it every refresh. */
export const ISSUES_SHOWN = 500;

export const DatasetIssue = z.object({ relPath: z.string(), code: z.string(), message: z.string() });
export type DatasetIssue = z.infer<typeof DatasetIssue>;

export const JobStatus = z.enum(['queued', 'running', 'done', 'cancelled', 'failed']);
export const JobSummary = z.object({
  id: Id,
  kind: z.string(),
  title: z.string(),
  status: JobStatus,
  done: z.number().int(),
  total: z.number().int(),
  error: z.string().nullable(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const GpuPrecision = z.enum(['fp32', 'fp16']);
export const ProviderReport = z.object({
  active: z.string().nullable(),
  pinned: z.string().nullable(),
  /** What CUDA and WebGPU sessions compute in (the CPU always runs float32). */
  gpuPrecision: GpuPrecision,
  /** What the last session opened computes in (float32 where a float16 graph failed to load). */
  activePrecision: GpuPrecision.nullable(),
  attempts: z.array(z.object({ provider: z.string(), ok: z.boolean(), reason: z.string().nullable() })),
});
export type ProviderReport = z.infer<typeof ProviderReport>;

export const AppInfo = z.object({
  version: z.string(),
  transport: z.enum(['electron', 'web']),
  appHome: z.string(),
  platform: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

/** The compare view's read-only queries (compare:*). */
export const ModelRole = z.enum(['source_only', 'adapted', 'oracle', 'discriminator', 'custom']);
export type ModelRole = z.infer<typeof ModelRole>;
export const CompareModel = z.object({ id: Id, name: z.string(), role: ModelRole });
export type CompareModel = z.infer<typeof CompareModel>;
export const CompareSort = z.enum(['index', 'disagreement', 'entropy', 'synthetic']);
export type CompareSort = z.infer<typeof CompareSort>;
export const CompareFilter = z
  .object({ classPresent: z.number().int().min(0).max(18).optional(), labelled: z.boolean().optional() })
  .strict();
export type CompareFilter = z.infer<typeof CompareFilter>;
export const CompareFrameRow = z.object({
  id: Id,
  relPath: z.string(),
  hasLabel: z.boolean(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  /** Share of pixels where the source-only and adapted models differ, 0..1. */
  disagreement: z.number().nullable(),
  /** Mean over the segmentation models of each prediction's mean normalised entropy, 0..1. */
  meanEntropy: z.number().nullable(),
  /** The discriminator's mean "looks synthetic" probability, 0..1. */
  syntheticScore: z.number().nullable(),
});
export type CompareFrameRow = z.infer<typeof CompareFrameRow>;
export const ComparePrediction = z.object({
  /** Pixels per trainId (19 entries). */
  histogram: z.array(z.number()),
  meanConfidence: z.number().nullable(),
  meanEntropy: z.number().nullable(),
  hasConfidence: z.boolean(),
  hasEntropy: z.boolean(),
});
export type ComparePrediction = z.infer<typeof ComparePrediction>;
export const CompareFrameDetail = z.object({
  frame: CompareFrameRow,
  dataset: z.object({ id: Id, name: z.string(), role: DatasetRole }),
  hasLabel: z.boolean(),
  models: z.array(CompareModel.extend({ prediction: ComparePrediction.nullable() })),
});
export type CompareFrameDetail = z.infer<typeof CompareFrameDetail>;

/** Request and reply schemas, by channel name. Channel names are the keys. */
export const contract = {
  'app:info': { request: Empty, reply: AppInfo },
  'project:recent': { request: Empty, reply: z.array(RecentProject) },
  'project:current': { request: Empty, reply: ProjectSummary.nullable() },
  'project:create': {
    request: z.object({ name: Name, parentDir: FsPath.optional() }).strict(),
    reply: ProjectSummary,
  },
  'project:open': { request: z.object({ path: FsPath }).strict(), reply: ProjectSummary },
  'project:openDemo': { request: Empty, reply: ProjectSummary },
  'project:rename': { request: z.object({ name: Name }).strict(), reply: ProjectSummary },
  'project:close': { request: Empty, reply: z.null() },
  'dataset:add': {
    request: z.object({ name: Name, role: DatasetRole, root: FsPath, groundTruthRoot: FsPath.optional() }).strict(),
    reply: z.object({ dataset: DatasetSummary, jobId: Id }),
  },
  'dataset:list': { request: Empty, reply: z.array(DatasetSummary) },
  'dataset:rescan': { request: z.object({ datasetId: Id }).strict(), reply: z.object({ jobId: Id }) },
  'dataset:frames': {
    request: z
      .object({ datasetId: Id, offset: z.number().int().min(0).max(1e9), limit: z.number().int().min(1).max(1000) })
      .strict(),
    reply: z.object({ total: z.number().int(), frames: z.array(FrameSummary) }),
  },
  /** The first ISSUES_SHOWN issues, by path (DatasetSummary.issueCount says how many there are). */
  'dataset:issues': { request: z.object({ datasetId: Id }).strict(), reply: z.array(DatasetIssue) },
  'dataset:histogram': {
    request: z.object({ datasetId: Id }).strict(),
    reply: z.object({ pixels: z.array(z.number()) }),
  },
  'jobs:list': { request: Empty, reply: z.array(JobSummary) },
  'jobs:cancel': { request: z.object({ jobId: Id }).strict(), reply: z.null() },
  'inference:providers': { request: Empty, reply: ProviderReport },
  /** Pins an execution provider (saved in the app home's settings.json); null returns to CUDA, WebGPU, CPU. */
  'inference:pinProvider': { request: z.object({ provider: ExecutionProvider.nullable() }).strict(), reply: ProviderReport },
  /** What GPU sessions of runs started from now on compute in (saved like the pin). */
  'inference:setGpuPrecision': { request: z.object({ precision: GpuPrecision }).strict(), reply: ProviderReport },
  'compare:frames': {
    request: z
      .object({
        datasetId: Id,
        sort: CompareSort,
        filter: CompareFilter,
        offset: z.number().int().min(0).max(1e9),
        limit: z.number().int().min(1).max(1000),
      })
      .strict(),
    reply: z.object({ total: z.number().int(), frames: z.array(CompareFrameRow) }),
  },
  'compare:frame': { request: z.object({ frameId: Id }).strict(), reply: CompareFrameDetail },
  'compare:models': { request: Empty, reply: z.array(CompareModel) },
  ...labelsChannels,
  ...metricsChannels,
  ...inferenceChannels,
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
export type ReplyOf<C extends Channel> = z.output<Contract[C]['reply']>;
export const CHANNELS = Object.keys(contract) as Channel[];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(contract, value);
}

/** Push events from the backend. */
export const AppEvent = z.discriminatedUnion('type', [
  /** `stage` names the phase a job is in (a scan: listing, indexing, then validating); rate and ETA are per stage. */
  z.object({ type: z.literal('job'), job: JobSummary, stage: z.string().nullable(), rate: z.number().nullable(), etaSeconds: z.number().nullable() }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  z.object({ type: z.literal('project'), project: ProjectSummary.nullable() }),
  z.object({ type: z.literal('datasets-changed') }),
]);
export type AppEvent = z.infer<typeof AppEvent>;

export const WireError = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type WireError = z.infer<typeof WireError>;

/** What every invoke returns on the wire: errors are values, never thrown across the boundary. */
export type WireResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** Names used by both transports. */
export const IPC_INVOKE = 's2r:invoke';
export const IPC_EVENT = 's2r:event';
export const WEB_TOKEN_COOKIE = 's2r_token';
export const WEB_TOKEN_HEADER = 'x-s2r-token';
export const APP_SCHEME = 's2r';
export const APP_HOST = 'app';

/** Relative media URLs work under both the custom protocol and the browser-mode server. */
export const mediaUrl = {
  frameImage: (frameId: number) => `media/frame/${frameId}/image`,
  frameLabel: (frameId: number) => `media/frame/${frameId}/label`,
  frameThumb: (frameId: number) => `media/frame/${frameId}/thumb`,
  /** 8-bit PNG of trainIds (255 ignore) at frame resolution. */
  predictionMask: (frameId: number, modelId: number) => `media/prediction/${frameId}/${modelId}/mask`,
  /** 8-bit greyscale PNG: max softmax probability, 255 = 1.0. */
  predictionConfidence: (frameId: number, modelId: number) => `media/prediction/${frameId}/${modelId}/confidence`,
  /** 8-bit greyscale PNG: entropy normalised by log(classes), 255 = maximal. */
  predictionEntropy: (frameId: number, modelId: number) => `media/prediction/${frameId}/${modelId}/entropy`,
  /** 8-bit greyscale PNG: the discriminator's "looks synthetic" probability, 255 = 1.0. */
  frameSynthetic: (frameId: number) => `media/frame/${frameId}/synthetic`,
  datasetFile: (datasetId: number, relPath: string) =>
    `media/dataset/${datasetId}/file/${relPath.split('/').map(encodeURIComponent).join('/')}`,
};
/** Electron only: the native folder dialog (browser mode types a path instead). */
export const IPC_PICK_FOLDER = 's2r:pick-folder';
