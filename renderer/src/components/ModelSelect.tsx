interface ModelOption {
  readonly id: number;
  readonly name: string;
}

/** The one model picker every view uses; `label` is also its accessible name. */
export function ModelSelect(props: {
  models: readonly ModelOption[];
  value: number | null;
  onChange: (id: number) => void;
  label: string;
  emptyText?: string;
}): React.JSX.Element {
  const { models, value, onChange, label, emptyText } = props;
  return (
    <select aria-label={label} title={models.find((m) => m.id === value)?.name} value={value ?? ''} onChange={(e) => onChange(Number(e.target.value))}>
      {models.length === 0 && emptyText && <option value="">{emptyText}</option>}
      {models.map((m) => (
        <option key={m.id} value={m.id}>
          {m.name}
        </option>
      ))}
    </select>
  );
}
