import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ModelRole } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import { parseStoredCard, type CardFile, type ModelCard } from './modelCard';
import { checkOutputChannels, inspectModel, sha256File, type ModelInspection } from './modelInspector';
import type { DiscriminatorInput } from './postGraph';
import type { ProviderService } from './providerService';
import { DiscriminatorSession, SegmentationSession, type PostMode } from './sessions';

export interface ModelRecord {
  readonly id: number;
  readonly name: string;
  readonly role: ModelRole;
  readonly path: string;
  readonly sha256: string;
  readonly card: ModelCard;
  readonly createdAt: string;
}

export interface ImportRequest {
  readonly path: string;
  readonly name?: string;
  readonly role?: ModelRole;
  /** Class names in trainId order; default: the card's, else the 19 Cityscapes classes. */
  readonly classes?: readonly string[];
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
  readonly inputSize?: { readonly height: number; readonly width: number };
}

/** Roles of the models native-models/ ships, which are also their file names there. */
export const SHIPPED_ROLES = ['source_only', 'adapted', 'oracle', 'discriminator'] as const;

interface ModelRow {
  id: number;
  name: string;
  role: ModelRole;
  path: string;
  card_json: string;
  sha256: string;
  created_at: string;
}

/**
 * The project's registered models (shipped, or imported by the user) and their open sessions.
 * Every model is checked when registered (names, ranks, channels, class count) so a run never
 * discovers a bad file halfway; sessions are opened lazily and kept until the project closes.
 */
export class ModelService {
  private readonly sessions = new Map<string, Promise<SegmentationSession | DiscriminatorSession>>();
  private readonly verified = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly providers: ProviderService,
    private readonly post?: PostMode,
  ) {}

  list(): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY id').all() as ModelRow[]).map(toRecord);
  }

  get(id: number): ModelRecord {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `model ${id}: no such model`);
    return toRecord(row);
  }

  /** By id, or by name (what the command line passes). */
  find(ref: string | number): ModelRecord {
    if (typeof ref === 'number' || /^\d+$/.test(ref)) return this.get(Number(ref));
    const row = this.db.prepare('SELECT * FROM models WHERE name = ?').get(ref) as ModelRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `model "${ref}": no such model in this project`);
    return toRecord(row);
  }

  inspect(path: string, kindHint?: 'segmentation' | 'discriminator'): Promise<ModelInspection> {
    return inspectModel(resolve(path), kindHint);
  }

  /** Registers a model file; what the file and its card cannot say comes from `req` or the defaults. */
  async import(req: ImportRequest): Promise<ModelRecord> {
    const hint = req.role === 'discriminator' ? 'discriminator' : req.role ? 'segmentation' : undefined;
    const inspection = await this.inspect(req.path, hint);
    const role = req.role ?? (inspection.card.kind === 'discriminator' ? 'discriminator' : 'custom');
    const name = req.name ?? inspection.cardFile?.name ?? basename(inspection.path).replace(/\.onnx$/i, '');
    if (this.db.prepare('SELECT 1 FROM models WHERE name = ?').get(name)) {
      throw new AppError('BAD_REQUEST', `a model named "${name}" already exists in this project`);
    }
    const cardJson = completeCard(inspection, req);
    const card = parseStoredCard(cardJson);
    checkOutputChannels(inspection, card);
    const info = this.db
      .prepare('INSERT INTO models (name, role, path, card_json, sha256) VALUES (?, ?, ?, ?, ?)')
      .run(name, role, inspection.path, cardJson, inspection.sha256);
    return this.get(Number(info.lastInsertRowid));
  }

  /**
   * Registers native-models/models/{source_only,adapted,oracle,discriminator}.onnx when present.
   * A model whose file changed (retrained) is updated and its cached predictions dropped; an
   * unchanged one is left alone, so calling this at every open is cheap.
   */
  async registerShipped(dir: string): Promise<ModelRecord[]> {
    const out: ModelRecord[] = [];
    for (const role of SHIPPED_ROLES) {
      const path = join(dir, `${role}.onnx`);
      if (!existsSync(path)) continue;
      const existing = this.db.prepare('SELECT * FROM models WHERE name = ?').get(role) as ModelRow | undefined;
      const sha = sha256File(path);
      if (existing && existing.sha256 === sha && existing.path === resolve(path)) {
        out.push(toRecord(existing));
        continue;
      }
      const inspection = await this.inspect(path, role === 'discriminator' ? 'discriminator' : undefined);
      const cardJson = completeCard(inspection, {});
      checkOutputChannels(inspection, parseStoredCard(cardJson));
      this.db.transaction(() => {
        if (existing) {
          this.db.prepare('DELETE FROM predictions WHERE model_id = ?').run(existing.id);
          this.db
            .prepare('UPDATE models SET path = ?, card_json = ?, sha256 = ?, role = ? WHERE id = ?')
            .run(inspection.path, cardJson, inspection.sha256, role, existing.id);
        } else {
          this.db
            .prepare('INSERT INTO models (name, role, path, card_json, sha256) VALUES (?, ?, ?, ?, ?)')
            .run(role, role, inspection.path, cardJson, inspection.sha256);
        }
      })();
      if (existing) {
        this.verified.delete(existing.id);
        await this.closeSessionsOf(existing.id);
      }
      out.push(this.find(role));
    }
    return out;
  }

  /**
   * A segmentation model's session; with `discriminatorId`, the one feeding that discriminator,
   * which is merged into its graph where it can be (SegmentationSession.mergedDiscriminator).
   */
  async segmentation(id: number, discriminatorInput: DiscriminatorInput | null = null, discriminatorId: number | null = null): Promise<SegmentationSession> {
    const model = this.get(id);
    if (model.card.kind !== 'segmentation') throw new AppError('BAD_REQUEST', `${model.name} is not a segmentation model`);
    const disc = discriminatorInput && discriminatorId !== null ? this.get(discriminatorId) : null;
    const key = `${id}:seg:${discriminatorInput ?? ''}:${disc?.id ?? ''}`;
    const discriminator = disc ? { bytes: this.readVerified(disc), card: disc.card } : null;
    const session = await this.session(key, model, (bytes) =>
      SegmentationSession.open(bytes, model.card, this.providers, basename(model.path), { post: this.post, discriminatorInput, discriminator }),
    );
    return session as SegmentationSession;
  }

  async discriminator(id: number): Promise<DiscriminatorSession> {
    const model = this.get(id);
    if (model.card.kind !== 'discriminator') throw new AppError('BAD_REQUEST', `${model.name} is not a discriminator`);
    return (await this.session(`${id}:disc`, model, (bytes) =>
      DiscriminatorSession.open(bytes, model.card, this.providers, basename(model.path)),
    )) as DiscriminatorSession;
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(async (s) => (await s).dispose()));
  }

  private session(
    key: string,
    model: ModelRecord,
    open: (bytes: Uint8Array) => Promise<SegmentationSession | DiscriminatorSession>,
  ): Promise<SegmentationSession | DiscriminatorSession> {
    // A new pin or precision applies to the next run: its sessions get keys of their own. The
    // others are closed then; only runs hold sessions, and jobs run one at a time.
    const scope = `${this.providers.pinned() ?? ''}/${this.providers.gpuPrecision()}|`;
    const scoped = `${scope}${key}`;
    let pending = this.sessions.get(scoped);
    if (!pending) {
      for (const [k, s] of [...this.sessions]) {
        if (k.startsWith(scope)) continue;
        this.sessions.delete(k);
        void s.then((x) => x.dispose()).catch(() => {});
      }
      pending = open(this.readVerified(model));
      pending.catch(() => this.sessions.delete(scoped));
      this.sessions.set(scoped, pending);
    }
    return pending;
  }

  /** The bytes, after checking the file is still the one registered: predictions are keyed to it. */
  private readVerified(model: ModelRecord): Uint8Array {
    if (!existsSync(model.path)) throw new AppError('NOT_FOUND', `${model.path}: the file of model "${model.name}" is gone`);
    const bytes = readFileSync(model.path);
    if (!this.verified.has(model.id)) {
      if (createHash('sha256').update(bytes).digest('hex') !== model.sha256) {
        throw new AppError('BAD_MODEL', `${basename(model.path)}: changed since "${model.name}" was registered; import it again`);
      }
      this.verified.add(model.id);
    }
    return bytes;
  }

  private async closeSessionsOf(id: number): Promise<void> {
    for (const [scoped, s] of [...this.sessions]) {
      const key = scoped.slice(scoped.indexOf('|') + 1);
      // A feeder's session holds its discriminator merged in (key ends with the discriminator's id).
      if (!key.startsWith(`${id}:`) && !(key.includes(':seg:') && key.endsWith(`:${id}`))) continue;
      this.sessions.delete(scoped);
      await s.then((x) => x.dispose()).catch(() => {});
    }
  }
}

/** The stored card: the file's own card (all of it) with names, sizes, classes and normalisation resolved. */
function completeCard(inspection: ModelInspection, req: Omit<ImportRequest, 'path'>): string {
  const card = inspection.card;
  const classes = req.classes ?? card.classNames;
  const size = req.inputSize ?? card.inputSize;
  const norm = {
    mean: [...(req.mean ?? card.normalization.mean)] as [number, number, number],
    std: [...(req.std ?? card.normalization.std)] as [number, number, number],
  };
  const base: CardFile = inspection.cardFile ?? { schema: 's2r-model-card/1' };
  const out: CardFile = {
    ...base,
    kind: card.kind,
    file: basename(inspection.path),
    sha256: inspection.sha256,
    num_classes: classes.length,
    classes: classes.map((name, trainId) => ({ ...(base.classes?.[trainId] ?? {}), trainId, name })),
    input_size: { height: size.height, width: size.width },
    input: { ...(base.input ?? {}), name: inspection.inputName },
    output: { ...(base.output ?? {}), name: inspection.outputName },
    preprocessing: { ...(base.preprocessing ?? {}), normalize: { ...(base.preprocessing?.normalize ?? {}), ...norm } },
  };
  return JSON.stringify(out);
}

function toRecord(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    path: row.path,
    sha256: row.sha256,
    card: parseStoredCard(row.card_json),
    createdAt: row.created_at,
  };
}
