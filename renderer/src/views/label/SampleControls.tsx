import { useState } from 'react';
import type { CompareModel } from '../../../../common/contract';
import { api } from '../../client/backend';
import { run } from '../../store/actions';
import { ModelSelect } from '../../components/ModelSelect';

type Sampler = 'uniform' | 'stratified' | 'hardest-disagreement' | 'hardest-entropy';

interface Props {
  readonly datasetId: number;
  readonly models: readonly CompareModel[];
  readonly onSampled: (queue: 'estimate' | 'hardest') => void;
}

const HELP: Record<Sampler, string> = {
  uniform: 'Random pixels, every pixel equally likely. These give unbiased estimates.',
  stratified: 'Equal numbers of spots per predicted class, weighted back so estimates stay unbiased. Finds rare classes sooner.',
  'hardest-disagreement': 'Pixels where the two models disagree, worst frames first. For inspection only: never counted.',
  'hardest-entropy': "Pixels where the model is least sure. For inspection only: never counted.",
};

/** Proposes a seeded batch of spots; the seed is shown so a batch can be reproduced. */
export function SampleControls({ datasetId, models, onSampled }: Props): React.JSX.Element {
  const segmenters = models.filter((m) => m.role !== 'discriminator');
  const [sampler, setSampler] = useState<Sampler>('uniform');
  const [count, setCount] = useState(50);
  const [seed, setSeed] = useState(1);
  const [modelId, setModelId] = useState<number | null>(null);
  const model = modelId ?? segmenters[0]?.id ?? null;
  const pair = (['source_only', 'adapted'] as const).map((r) => segmenters.find((m) => m.role === r)?.id);
  const needsModel = sampler === 'stratified' || sampler === 'hardest-entropy';
  const canPair = pair[0] !== undefined && pair[1] !== undefined;
  const disabled = (needsModel && model === null) || (sampler === 'hardest-disagreement' && !canPair);

  const propose = () =>
    void run(async () => {
      const hardest = sampler.startsWith('hardest');
      const result = await api.call('labels:sampleSpots', {
        datasetId,
        count,
        seed,
        sampler: hardest ? 'hardest' : (sampler as 'uniform' | 'stratified'),
        ...(needsModel && model !== null ? { modelId: model } : {}),
        ...(sampler === 'hardest-disagreement' && canPair ? { pair: [pair[0]!, pair[1]!] as [number, number] } : {}),
      });
      // A new seed for the next batch, so pressing again does not propose the same pixels.
      setSeed((s) => s + 1);
      (document.activeElement as HTMLElement | null)?.blur();
      onSampled(hardest ? 'hardest' : 'estimate');
      return result;
    });

  return (
    <form
      className="sample-controls"
      onSubmit={(e) => {
        e.preventDefault();
        propose();
      }}
    >
      <label>
        Sampler
        <select value={sampler} onChange={(e) => setSampler(e.target.value as Sampler)} aria-label="Sampler">
          <option value="uniform">Uniform (for estimates)</option>
          <option value="stratified">Stratified by predicted class</option>
          <option value="hardest-disagreement">Hardest first: disagreement</option>
          <option value="hardest-entropy">Hardest first: entropy</option>
        </select>
      </label>
      {needsModel && (
        <label>
          Model
          <ModelSelect models={segmenters} value={model} onChange={setModelId} label="Model for sampling" />
        </label>
      )}
      <label>
        Spots
        <input type="number" min={1} max={2000} value={count} onChange={(e) => setCount(Math.max(1, Math.min(2000, Number(e.target.value) || 1)))} aria-label="Number of spots" />
      </label>
      <label>
        Seed
        <input type="number" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))} aria-label="Seed" />
      </label>
      <button type="submit" className="primary" disabled={disabled}>
        Propose spots
      </button>
      <p className="muted help">
        {HELP[sampler]}
        {sampler === 'hardest-disagreement' && !canPair && ' Needs a source-only and an adapted model.'}
      </p>
    </form>
  );
}
