/**
 * Schemas of the labels:* and metrics:* channels. The channel table itself stays in
 * contract.ts; this module only keeps that file short. It must not import contract.ts
 * (contract.ts imports it), so the few shared primitives are restated here.
 */
import { z } from 'zod';

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const FsPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');
const DatasetRole = z.enum(['sim', 'dashcam']);
const Empty = z.object({}).strict();
export const MetricsModel = z.object({
  id: Id,
  name: z.string(),
  role: z.enum(['source_only', 'adapted', 'oracle', 'discriminator', 'custom']),
});
export type MetricsModel = z.infer<typeof MetricsModel>;

/** Spot checks and full-frame labels (labels:*). */
export const SpotQueue = z.enum(['estimate', 'hardest']);
export const LabelSpot = z.object({
  id: Id,
  frameId: Id,
  datasetId: Id,
  relPath: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  x: z.number().int(),
  y: z.number().int(),
  trainId: z.number().int().min(0).max(18).nullable(),
  cantTell: z.boolean(),
  /** uniform and stratified spots count towards estimates; hardest spots are for looking only. */
  sampler: z.string(),
  weight: z.number(),
  answeredAt: z.string().nullable(),
});
export type LabelSpot = z.infer<typeof LabelSpot>;
/** A trainId mask on the wire: zlib-deflated bytes, base64 (masks compress ~50×). */
export const PackedMask = z.object({
  width: z.number().int().min(1).max(8192),
  height: z.number().int().min(1).max(8192),
  data: z.string().max(64 * 1024 * 1024),
});
export type PackedMask = z.infer<typeof PackedMask>;
export const LabelFrame = z.object({
  frameId: Id,
  relPath: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  proposed: z.boolean(),
  labelledAt: z.string().nullable(),
});
export type LabelFrame = z.infer<typeof LabelFrame>;
const Seed = z.number().int().min(0).max(0xffffffff);
const SpotsFormat = z.enum(['csv', 'json']);

/** The comparison (metrics:*). Fractions are 0..1; null where a score is undefined. */
export const DiffInterval = z.object({ estimate: z.number().nullable(), low: z.number().nullable(), high: z.number().nullable() });
export type DiffInterval = z.infer<typeof DiffInterval>;
export const MetricsSourceKey = z.enum(['sim', 'dashcam-gt', 'dashcam-frames', 'dashcam-spots']);
export type MetricsSourceKey = z.infer<typeof MetricsSourceKey>;
export const ModelScores = z.object({
  modelId: Id,
  frames: z.number().int(),
  units: z.number().int(),
  iou: z.array(z.number().nullable()),
  miou: z.number().nullable(),
  pixelAccuracy: z.number().nullable(),
  /** Rows ground truth, columns prediction, plus a last "no class" column. */
  confusion: z.array(z.array(z.number())),
});
export type ModelScores = z.infer<typeof ModelScores>;
export const MetricsComparison = z.object({
  baselineId: Id,
  candidateId: Id,
  frames: z.number().int(),
  units: z.number().int(),
  resamples: z.number().int(),
  level: z.number(),
  miou: DiffInterval,
  pixelAccuracy: DiffInterval,
  perClass: z.array(DiffInterval),
  verdict: z.enum(['better', 'worse', 'unknown']),
  moreUnits: z.number().int().nullable(),
  text: z.string(),
});
export type MetricsComparison = z.infer<typeof MetricsComparison>;
export const MetricsSource = z.object({
  key: MetricsSourceKey,
  title: z.string(),
  unit: z.enum(['frames', 'spots']),
  /** Labelled frames or answered spots available, with or without predictions. */
  labelled: z.number().int(),
  pending: z.number().int(),
  unreadable: z.number().int(),
  models: z.array(ModelScores),
  comparison: MetricsComparison.nullable(),
});
export type MetricsSource = z.infer<typeof MetricsSource>;
export const MetricsSeries = z.object({
  modelId: Id,
  domain: DatasetRole,
  /** Pixel histograms where confidence/entropy maps exist, else a histogram of per-frame means. */
  kind: z.enum(['pixels', 'frame-means']),
  values: z.array(z.number()),
});
export type MetricsSeries = z.infer<typeof MetricsSeries>;
export const MetricsTimeline = z.object({
  datasetId: Id,
  name: z.string(),
  points: z.array(
    z.object({ frameId: Id, index: z.number().int(), relPath: z.string(), disagreement: z.number().nullable(), labelled: z.boolean() }),
  ),
});
export type MetricsTimeline = z.infer<typeof MetricsTimeline>;
export const MetricsReport = z.object({
  models: z.array(MetricsModel),
  baselineId: Id.nullable(),
  candidateId: Id.nullable(),
  sources: z.array(MetricsSource),
  classDistribution: z.array(MetricsSeries),
  confidence: z.array(MetricsSeries),
  entropy: z.array(MetricsSeries),
  timelines: z.array(MetricsTimeline),
  pendingFrames: z.number().int(),
  seed: z.number().int(),
  resamples: z.number().int(),
  computedAt: z.string(),
});
export type MetricsReport = z.infer<typeof MetricsReport>;

const TrainId = z.number().int().min(0).max(18);

/** Channel entries, spread into the contract. */
export const labelsChannels = {
  'labels:spots': {
    request: z.object({ queue: SpotQueue, datasetId: Id.optional() }).strict(),
    reply: z.array(LabelSpot),
  },
  'labels:sampleSpots': {
    request: z
      .object({
        datasetId: Id,
        count: z.number().int().min(1).max(2000),
        seed: Seed,
        sampler: z.enum(['uniform', 'stratified', 'hardest']),
        /** Stratified: whose predicted classes are the strata. Hardest without a pair: whose entropy. */
        modelId: Id.optional(),
        /** Hardest by disagreement between these two models. */
        pair: z.tuple([Id, Id]).optional(),
      })
      .strict(),
    reply: z.object({ added: z.number().int(), proposed: z.number().int() }),
  },
  'labels:answerSpot': {
    request: z.object({ spotId: Id, trainId: TrainId.nullable(), cantTell: z.boolean() }).strict(),
    reply: LabelSpot,
  },
  'labels:frames': { request: z.object({ datasetId: Id }).strict(), reply: z.array(LabelFrame) },
  'labels:proposeFrames': {
    request: z.object({ datasetId: Id, count: z.number().int().min(1).max(500), seed: Seed }).strict(),
    reply: z.object({ added: z.number().int() }),
  },
  'labels:mask': { request: z.object({ frameId: Id }).strict(), reply: PackedMask.nullable() },
  'labels:saveMask': {
    request: z.object({ frameId: Id, mask: PackedMask }).strict(),
    reply: z.object({ updatedAt: z.string() }),
  },
  'labels:deleteMask': { request: z.object({ frameId: Id }).strict(), reply: z.null() },
  'labels:prediction': { request: z.object({ frameId: Id, modelId: Id }).strict(), reply: PackedMask.nullable() },
  'labels:exportMasks': { request: z.object({ folder: FsPath }).strict(), reply: z.object({ written: z.number().int() }) },
  'labels:importMasks': {
    request: z.object({ folder: FsPath, datasetId: Id }).strict(),
    reply: z.object({ imported: z.number().int(), unmatched: z.array(z.string()) }),
  },
  'labels:exportSpots': {
    request: z.object({ format: SpotsFormat }).strict(),
    reply: z.object({ text: z.string(), fileName: z.string() }),
  },
  'labels:importSpots': {
    request: z.object({ format: SpotsFormat, text: z.string().max(32 * 1024 * 1024) }).strict(),
    reply: z.object({ added: z.number().int(), updated: z.number().int(), unmatched: z.number().int() }),
  },
} as const;

export const metricsChannels = {
  'metrics:report': {
    request: z
      .object({
        baselineId: Id.optional(),
        candidateId: Id.optional(),
        seed: Seed.optional(),
        resamples: z.number().int().min(100).max(5000).optional(),
      })
      .strict(),
    reply: MetricsReport,
  },
  /** Starts the job that evaluates new or changed predictions; null when one is already queued. */
  'metrics:refresh': { request: Empty, reply: z.object({ jobId: Id.nullable() }) },
} as const;
