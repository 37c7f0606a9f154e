/**
 * Schemas of the models:* and inference:* channels (inference:providers and
 * inference:pinProvider stay beside ProviderReport in contract.ts). Like labelsContract.ts, this
 * module must not import contract.ts (contract.ts imports it), so shared primitives are restated.
 */
import { z } from 'zod';

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const FsPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');
const Empty = z.object({}).strict();
const Role = z.enum(['source_only', 'adapted', 'oracle', 'discriminator', 'custom']);
const Triple = z.tuple([z.number(), z.number(), z.number()]);
const Size = z.object({ height: z.number().int().min(8).max(8192), width: z.number().int().min(8).max(8192) });
const Status = z.enum(['queued', 'running', 'done', 'cancelled', 'failed']);

export const ExecutionProvider = z.enum(['cuda', 'webgpu', 'cpu']);
export type ExecutionProvider = z.infer<typeof ExecutionProvider>;

export const ModelSummary = z.object({
  id: Id,
  name: z.string(),
  role: Role,
  kind: z.enum(['segmentation', 'discriminator']),
  path: z.string(),
  method: z.string().nullable(),
  /** Class names in trainId order. */
  classes: z.array(z.string()),
  inputSize: Size,
  sha256: z.string(),
  /** False when the file has moved or gone since it was registered. */
  available: z.boolean(),
  createdAt: z.string(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

/** What a model file says about itself, and what the user must still supply before importing it. */
export const ModelInspection = z.object({
  path: z.string(),
  inputName: z.string(),
  outputName: z.string(),
  inputShape: z.array(z.union([z.number(), z.string()])),
  outputShape: z.array(z.number()),
  /** A card (x.card.json or x.json) was found beside the file. */
  hasCard: z.boolean(),
  /** Facts neither the file nor a card gave; the suggestions below fill them with defaults. */
  needs: z.array(z.enum(['classes', 'normalization', 'inputSize'])),
  suggested: z.object({
    name: z.string(),
    kind: z.enum(['segmentation', 'discriminator']),
    classes: z.array(z.string()),
    mean: Triple,
    std: Triple,
    inputSize: Size,
  }),
});
export type ModelInspection = z.infer<typeof ModelInspection>;

export const ModelImportRequest = z
  .object({
    path: FsPath,
    name: z.string().trim().min(1).max(200).optional(),
    role: Role.optional(),
    classes: z.array(z.string().min(1).max(100)).min(1).max(255).optional(),
    mean: Triple.optional(),
    std: Triple.optional(),
    inputSize: Size.optional(),
  })
  .strict();

export const InferenceRunSummary = z.object({
  id: Id,
  datasetId: Id,
  modelIds: z.array(Id),
  status: Status,
  /** Execution providers the run's sessions used, comma-separated. */
  provider: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  datasetName: z.string(),
  /** In modelIds' order. */
  modelNames: z.array(z.string()),
  /** Frames this run committed outputs for (frames an earlier run did are skipped, not counted). */
  framesWritten: z.number().int().nonnegative(),
  /** Validated frames in the folder now. */
  framesInFolder: z.number().int().nonnegative(),
  /** Frames over the time between their commits (start-up and pauses left out); null before a second frame. */
  framesPerSecond: z.number().nonnegative().nullable(),
});
export type InferenceRunSummary = z.infer<typeof InferenceRunSummary>;

export const inferenceChannels = {
  'models:list': { request: Empty, reply: z.array(ModelSummary) },
  'models:inspect': { request: z.object({ path: FsPath }).strict(), reply: ModelInspection },
  'models:import': { request: ModelImportRequest, reply: ModelSummary },
  /** Queues "run these models on this dataset"; frames already done by these models are skipped. */
  'inference:run': {
    request: z.object({ datasetId: Id, modelIds: z.array(Id).min(1).max(16) }).strict(),
    reply: z.object({ runId: Id, jobId: Id }),
  },
  'inference:runs': { request: Empty, reply: z.array(InferenceRunSummary) },
} as const;
