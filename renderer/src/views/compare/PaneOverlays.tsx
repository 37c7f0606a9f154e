import { useRef, useSyncExternalStore } from 'react';
import { IGNORE_TRAIN_ID, TRAIN_CLASSES } from '../../../../common/classes';
import { changeCompare } from '../../store/compareActions';
import type { PaneMode } from '../../store/compareSlice';
import type { HoverProbe, ModelAtPixel } from './viewer/hoverProbe';
import { turboRgb } from './viewer/shaders';

/** The split-swipe divider: drag it, or focus it and use the arrow keys. */
export function SplitDivider({ split }: { split: number }): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const moveTo = (clientX: number) => {
    const host = ref.current?.parentElement;
    if (!host) return;
    const rect = host.getBoundingClientRect();
    changeCompare({ kind: 'split', split: (clientX - rect.left) / rect.width });
  };
  return (
    <div
      ref={ref}
      className="split-divider"
      data-testid="split-divider"
      data-split={split}
      role="slider"
      aria-label="Split between source-only and adapted"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(split * 100)}
      tabIndex={0}
      style={{ left: `${split * 100}%` }}
      onPointerDown={(e) => {
        e.stopPropagation();
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (e.currentTarget.hasPointerCapture(e.pointerId)) moveTo(e.clientX);
      }}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        // The divider keeps its arrows; the view's frame navigation must not see them.
        e.stopPropagation();
        e.preventDefault();
        changeCompare({ kind: 'split', split: split + (e.key === 'ArrowLeft' ? -0.02 : 0.02) });
      }}
    >
      <span className="split-grip" />
    </div>
  );
}

const HEAT_TITLES: Partial<Record<PaneMode, [string, string, string]>> = {
  confidence: ['Confidence', 'low', 'high'],
  entropy: ['Entropy', 'certain', 'uncertain'],
  synthetic: ['Looks synthetic', 'real', 'synthetic'],
};
const TURBO_GRADIENT = `linear-gradient(to right, ${Array.from({ length: 11 }, (_, i) => `rgb(${turboRgb(i / 10).join(',')})`).join(', ')})`;

export function HeatBar({ mode }: { mode: PaneMode }): React.JSX.Element | null {
  const title = HEAT_TITLES[mode];
  if (!title) return null;
  return (
    <div className="heat-bar">
      <span>{title[0]}</span>
      <span className="muted">{title[1]}</span>
      <span className="heat-gradient" style={{ background: TURBO_GRADIENT }} />
      <span className="muted">{title[2]}</span>
    </div>
  );
}

function className(trainId: number | null): string {
  if (trainId === null) return '—';
  if (trainId === IGNORE_TRAIN_ID) return 'ignore';
  return TRAIN_CLASSES[trainId]?.name ?? `class ${trainId}`;
}

function Swatch({ trainId }: { trainId: number | null }): React.JSX.Element {
  const colour = trainId === null ? null : TRAIN_CLASSES[trainId]?.colour;
  return <span className="swatch" style={{ background: colour ? `rgb(${colour.join(',')})` : 'transparent' }} />;
}

function ModelReading({ name, reading }: { name: string; reading: ModelAtPixel | null }): React.JSX.Element {
  return (
    <span className="reading">
      <span className="muted">{name}</span> <Swatch trainId={reading?.trainId ?? null} />
      {className(reading?.trainId ?? null)}
      {reading?.confidence != null && <span className="muted"> {(reading.confidence * 100).toFixed(0)}%</span>}
    </span>
  );
}

/**
 * What the pointer is over, outside React state: it changes at pointer rate, and only
 * the readout should re-render for it, not the whole pane.
 */
export class HoverState {
  private value: HoverProbe | null = null;
  private readonly listeners = new Set<() => void>();

  set(value: HoverProbe | null): void {
    if (value === this.value) return;
    this.value = value;
    for (const l of this.listeners) l();
  }

  get = (): HoverProbe | null => this.value;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export function HoverReadout({
  hover,
  nameA,
  nameB,
}: {
  hover: HoverState;
  nameA: string;
  nameB: string;
}): React.JSX.Element | null {
  const probe = useSyncExternalStore(hover.subscribe, hover.get);
  if (!probe) return null;
  return (
    <div className="hover-readout" data-testid="hover-readout">
      <span className="muted">
        x {probe.x} y {probe.y}
      </span>
      <ModelReading name={nameA} reading={probe.a} />
      <ModelReading name={nameB} reading={probe.b} />
      {probe.label !== null && (
        <span className="reading">
          <span className="muted">GT</span> <Swatch trainId={probe.label} />
          {className(probe.label)}
        </span>
      )}
      {probe.synthetic !== null && (
        <span className="reading">
          <span className="muted">synthetic</span> {(probe.synthetic * 100).toFixed(0)}%
        </span>
      )}
    </div>
  );
}
