import type { MetricsModel } from '../../../../common/labelsContract';

export const BASELINE_COLOUR = '#90a4ae';
export const CANDIDATE_COLOUR = '#7c9cff';
export const SIM_COLOUR = '#4fc3f7';
export const DASHCAM_COLOUR = '#ffb74d';
export const AXIS = { stroke: '#8a90a0', fontSize: 11 };
export const GRID = '#2c303a';
export const TOOLTIP = {
  contentStyle: { background: '#1e2129', border: '1px solid #3a4050', borderRadius: 4, fontSize: 12 },
  labelStyle: { color: '#e3e6ec' },
  itemStyle: { color: '#e3e6ec' },
};

export function pct(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(digits)}%`;
}

export function pts(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const v = value * 100;
  return `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(1)}`;
}

export function modelName(models: readonly MetricsModel[], id: number | null | undefined): string {
  return models.find((m) => m.id === id)?.name ?? '–';
}
