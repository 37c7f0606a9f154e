import { TRAIN_CLASSES } from '../../../../common/classes';
import type { CompareFrameDetail } from '../../../../common/contract';
import { changeCompare } from '../../store/compareActions';
import { ALL_CLASSES_VISIBLE, selectCurrentFrame } from '../../store/compareSlice';
import { useAppState } from '../../store/store';
import { useFrameDetail } from './useFrameDetail';
import type { FrameAssets } from './viewer/frameAssets';

function shares(detail: CompareFrameDetail | null, modelId: number | null): number[] | null {
  const histogram = detail?.models.find((m) => m.id === modelId)?.prediction?.histogram;
  if (!histogram) return null;
  const total = histogram.reduce((a, b) => a + b, 0);
  return total > 0 ? histogram.map((n) => n / total) : null;
}

/** Shares that differ by more than this between the models are highlighted. */
const NOTABLE_DIFFERENCE = 0.02;

function Share({ value, other }: { value: number | undefined; other: number | undefined }): React.JSX.Element {
  if (value === undefined) return <td className="share muted">—</td>;
  const notable = other !== undefined && Math.abs(value - other) > NOTABLE_DIFFERENCE;
  return (
    <td className={`share${notable ? ' share-differs' : ''}${value === 0 ? ' muted' : ''}`}>
      {value >= 0.0005 ? (value * 100).toFixed(1) : value > 0 ? '<0.1' : '0'}
    </td>
  );
}

/**
 * The 19 classes: colour, visibility (click toggles, double-click shows that class
 * alone) and each model's share of the active pane's current frame.
 */
export function ClassLegend({ assets }: { assets: FrameAssets }): React.JSX.Element {
  const activePane = useAppState((s) => s.compare.activePane);
  const frame = useAppState((s) => selectCurrentFrame(s.compare, activePane));
  const visible = useAppState((s) => s.compare.visibleClasses);
  const modelA = useAppState((s) => s.compare.modelA);
  const modelB = useAppState((s) => s.compare.modelB);
  const models = useAppState((s) => s.compare.models);
  const detail = useFrameDetail(assets, frame?.id ?? null);
  const a = shares(detail, modelA);
  const b = shares(detail, modelB);
  const name = (id: number | null, fallback: string) => models.find((m) => m.id === id)?.name ?? fallback;
  return (
    <aside className="class-legend" data-testid="class-legend">
      <div className="legend-head">
        <h3>Classes</h3>
        <button onClick={() => changeCompare({ kind: 'showClasses', visible: ALL_CLASSES_VISIBLE })}>All</button>
        <button onClick={() => changeCompare({ kind: 'showClasses', visible: 0 })}>None</button>
      </div>
      <p className="muted legend-hint">
        Pixel share on the current {activePane} frame, %. Click to show or hide, double-click to solo.
      </p>
      <table>
        <thead>
          <tr>
            <th />
            <th className="share" title={name(modelA, 'Source-only')}>
              Src
            </th>
            <th className="share" title={name(modelB, 'Adapted')}>
              Adpt
            </th>
          </tr>
        </thead>
        <tbody>
          {TRAIN_CLASSES.map((c) => {
            const on = (visible & (1 << c.trainId)) !== 0;
            return (
              <tr
                key={c.trainId}
                className={on ? '' : 'hidden-class'}
                onDoubleClick={() => changeCompare({ kind: 'soloClass', trainId: c.trainId })}
              >
                <td>
                  <label className="class-toggle">
                    <input
                      type="checkbox"
                      checked={on}
                      onChange={() => changeCompare({ kind: 'toggleClass', trainId: c.trainId })}
                    />
                    <span className="swatch" style={{ background: `rgb(${c.colour.join(',')})` }} />
                    {c.name}
                  </label>
                </td>
                <Share value={a?.[c.trainId]} other={b?.[c.trainId]} />
                <Share value={b?.[c.trainId]} other={a?.[c.trainId]} />
              </tr>
            );
          })}
        </tbody>
      </table>
    </aside>
  );
}
