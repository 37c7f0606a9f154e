import { TRAIN_CLASSES } from '../../../../common/classes';
import type { CompareSort } from '../../../../common/contract';
import { changeCompare } from '../../store/compareActions';
import { useAppState } from '../../store/store';
import { ModelSelect } from '../../components/ModelSelect';

const SORTS: readonly { sort: CompareSort; label: string }[] = [
  { sort: 'index', label: 'Dataset order' },
  { sort: 'disagreement', label: 'Disagreement ↓' },
  { sort: 'entropy', label: 'Entropy ↓' },
  { sort: 'synthetic', label: 'Synthetic ↓' },
];

export function CompareToolbar({ onRefresh }: { onRefresh: () => void }): React.JSX.Element {
  const sort = useAppState((s) => s.compare.sort);
  const filter = useAppState((s) => s.compare.filter);
  const models = useAppState((s) => s.compare.models);
  const modelA = useAppState((s) => s.compare.modelA);
  const modelB = useAppState((s) => s.compare.modelB);
  const linked = useAppState((s) => s.compare.linkedView);
  const together = useAppState((s) => s.compare.stepTogether);
  const segmenters = models.filter((m) => m.role !== 'discriminator');
  const labelled = filter.labelled === undefined ? 'all' : filter.labelled ? 'yes' : 'no';
  const modelSelect = (label: string, value: number | null, pick: (id: number | null) => void) => (
    <label className="tool">
      <span className="muted">{label}</span>
      <ModelSelect models={segmenters} value={value} onChange={(id) => pick(id || null)} label={label} emptyText="No models yet" />
    </label>
  );
  return (
    <div className="compare-toolbar">
      <label className="tool">
        <span className="muted">Sort</span>
        <select aria-label="Sort frames" value={sort} onChange={(e) => changeCompare({ kind: 'sort', sort: e.target.value as CompareSort })}>
          {SORTS.map((s) => (
            <option key={s.sort} value={s.sort}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="tool">
        <span className="muted">Class</span>
        <select
          aria-label="Only frames with class"
          value={filter.classPresent ?? ''}
          onChange={(e) => {
            const { classPresent: _drop, ...rest } = filter;
            const value = e.target.value;
            changeCompare({ kind: 'filter', filter: value === '' ? rest : { ...rest, classPresent: Number(value) } });
          }}
        >
          <option value="">Any</option>
          {TRAIN_CLASSES.map((c) => (
            <option key={c.trainId} value={c.trainId}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label className="tool">
        <span className="muted">Labels</span>
        <select
          aria-label="Label status"
          value={labelled}
          onChange={(e) => {
            const { labelled: _drop, ...rest } = filter;
            const value = e.target.value;
            changeCompare({ kind: 'filter', filter: value === 'all' ? rest : { ...rest, labelled: value === 'yes' } });
          }}
        >
          <option value="all">All frames</option>
          <option value="yes">Labelled</option>
          <option value="no">Unlabelled</option>
        </select>
      </label>
      <span className="tool-sep" />
      {modelSelect('Source-only', modelA, (a) => changeCompare({ kind: 'pickModels', a, b: modelB }))}
      {modelSelect('Adapted', modelB, (b) => changeCompare({ kind: 'pickModels', a: modelA, b }))}
      <span className="tool-sep" />
      <label className="tool check">
        <input type="checkbox" checked={linked} onChange={(e) => changeCompare({ kind: 'linkView', linked: e.target.checked })} />
        Link pan/zoom
      </label>
      <label className="tool check">
        <input
          type="checkbox"
          checked={together}
          onChange={(e) => changeCompare({ kind: 'stepTogether', together: e.target.checked })}
        />
        Step together
      </label>
      <span className="tool-grow" />
      <span
        className="muted keys"
        title={'←/→ or ↑/↓: previous/next frame\nPage Up/Down: 10 frames\nHome/End: first/last\n1–8: mode of the active pane\nWheel: zoom · drag: pan · double-click: fit'}
      >
        Keys
      </span>
      <button onClick={onRefresh} title="Reload models, frames and predictions">
        Refresh
      </button>
    </div>
  );
}
